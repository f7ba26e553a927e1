"""Errors a user can cause. Each says what happened, where, and how to fix it; the CLI prints it without a traceback."""

from __future__ import annotations


class UserError(Exception):
    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigNotFound(UserError):
    pass


class EngineUnavailable(UserError):
    """No Docker engine answers."""

