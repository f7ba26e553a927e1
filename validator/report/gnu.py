"""Findings as one line each, `file:line:col: severity CODE message`, the way compilers and linters print them.

No wrapping and no colour: editors, `grep` and CI log viewers read these lines. The default format when stdout is
not a terminal.
"""

from __future__ import annotations

from typing import Iterable

from validator.findings import Finding
from validator.report.escape import one_line


def line(f: Finding) -> str:
    where = one_line(f.file) or "."
    if f.line is not None:
        where += f":{f.line}"
        if f.column is not None:
            where += f":{f.column}"
    text = f"{where}: {f.severity} {f.code} {one_line(f.message)}"
    if f.hint:
        text += f" (fix: {one_line(f.hint)})"
    return text


def render(findings: Iterable[Finding]) -> str:
    """Every finding on its own line, in the order given; empty when there are none."""
    return "".join(line(f) + "\n" for f in findings)
