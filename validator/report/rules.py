"""The finding codes as rules for machine-readable reports: (id, title, severity, how to fix) from the catalogue.

`code_rules()` is the one place the renderers (SARIF) learn about codes.
"""

from __future__ import annotations

from typing import NamedTuple

DOCS_URL = "https://github.com/mlcommons/medcube/blob/main/docs/findings.md"


class Rule(NamedTuple):
    id: str  # MCnnn
    title: str
    severity: str | None  # "error" | "warning", None when the catalogue does not say
    fix: str | None  # how to fix it, None when the catalogue does not say


def code_rules() -> list[Rule]:
    """Every code medcube can report, sorted by id, from the catalogue (validator.codes)."""
    from validator.codes import CATALOGUE

    return [Rule(c.id, c.title, c.severity, c.fix) for _, c in sorted(CATALOGUE.items())]


def help_uri(code: str) -> str:
    """Where docs/findings.md explains a code (its heading anchor)."""
    return f"{DOCS_URL}#{code.lower()}"
