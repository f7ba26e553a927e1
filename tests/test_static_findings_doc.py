"""docs/findings.md is generated from the code catalogue (validator/codes.py) by scripts/findings_doc.py: it must be
fresh, and every code must have an example where a broken fixture exists.

Regenerate it after changing a code, a message or a fix text:

    python scripts/findings_doc.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from static_cubes import CASES

from validator.codes import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("findings_doc", ROOT / "scripts" / "findings_doc.py")
findings_doc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(findings_doc)


def test_findings_doc_is_fresh(broken_corpus):
    text = findings_doc.render(broken_corpus)
    assert findings_doc.DOC.read_text(encoding="utf-8") == text, "run: python scripts/findings_doc.py"


def test_every_code_is_documented_with_a_fix():
    text = findings_doc.DOC.read_text(encoding="utf-8")
    for code in CATALOGUE.values():
        assert f"### {code}" in text and code.title in text and code.fix[:40] in text


def test_every_static_code_has_an_example(broken_corpus):
    text = findings_doc.render(broken_corpus)
    covered = {case.code for case in CASES.values()}
    assert text.count("Example (`") == len(covered)
