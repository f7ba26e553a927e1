"""The catalogue's severity of a code is the one it is reported with: SARIF gives each rule the catalogue's level,
and a result of another level contradicts it. Read from the code: every finding made with error(), warning() or
info() and a code of validator/codes.py; a code made at one severity only must have that severity in the catalogue
(a code made at two, as a missing file that is an error in one place and advice in another, keeps its default)."""

from __future__ import annotations

import ast
import collections
from pathlib import Path

from validator import codes

ROOT = Path(__file__).resolve().parent.parent


def emitted() -> dict[str, set[str]]:
    names = {k: v for k, v in vars(codes).items() if isinstance(v, str) and v in codes.CATALOGUE}
    found: dict[str, set[str]] = collections.defaultdict(set)
    for path in (ROOT / "validator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            arg = node.args[0]
            name = arg.attr if isinstance(arg, ast.Attribute) else getattr(arg, "id", None)
            if func in ("error", "warning", "info") and name in names:
                found[names[name]].add(func)
    return found


def test_a_code_made_at_one_severity_has_it_in_the_catalogue():
    made = emitted()
    assert len(made) > 50  # the reader finds the findings
    wrong = {code: (codes.CATALOGUE[code].severity, sorted(sevs)) for code, sevs in made.items()
             if len(sevs) == 1 and codes.CATALOGUE[code].severity not in sevs}
    assert wrong == {}


def test_the_summary_line_counts_infos_as_infos():
    from validator.findings import error, info, warning
    from validator.report.formats import summary_line

    line = summary_line([error("MC101", "f", "m"), warning("MC501", "f", "m"), info("MC502", "f", "m"),
                         info("MC502", "f", "n")], 1)
    assert line == "medcube: 1 cube, 1 error, 1 warning, 2 infos"
    assert summary_line([], 2) == "medcube: 2 cubes, 0 errors, 0 warnings"
