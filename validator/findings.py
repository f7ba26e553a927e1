"""A finding is one thing a check has to say about a cube: an error, a warning or an info, with where and how to fix it.

Error: MedPerf would fail, hang or give wrong results. Warning: it runs, but something is likely wrong or unchecked
(`--strict` fails on warnings). Info: said once so the user knows what was (not) checked; never fails.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from validator.textsafe import printable_or_none

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str  # stable identifier, e.g. "MC101"; documented in docs/findings.md
    file: str  # path as the user would type it (relative when possible)
    message: str  # what is wrong, in a sentence
    hint: str | None = None  # how to fix it
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based

    def __post_init__(self) -> None:
        # Messages quote task names, file names and log lines a cube controls: escape what a terminal or an XML
        # report would act on, once, here, so every renderer gets safe text.
        for name in ("file", "message", "hint"):
            object.__setattr__(self, name, printable_or_none(getattr(self, name)))

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict:
        return asdict(self)

    def where(self) -> str:
        if self.line is None:
            return self.file
        if self.column is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


def error(code: str, file: str, message: str, hint: str | None = None, line=None, column=None) -> Finding:
    return Finding("error", code, str(file), message, hint, line, column)


def warning(code: str, file: str, message: str, hint: str | None = None, line=None, column=None) -> Finding:
    return Finding("warning", code, str(file), message, hint, line, column)


def info(code: str, file: str, message: str, hint: str | None = None, line=None, column=None) -> Finding:
    return Finding("info", code, str(file), message, hint, line, column)


def has_errors(findings) -> bool:
    return any(f.is_error for f in findings)
