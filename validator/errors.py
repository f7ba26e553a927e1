"""The errors medcube raises, all from one base class, MedcubeError: a sentence saying what happened, and a hint
saying how to fix it. A UserError is the user's to fix (a bad path, option or input file): the CLI prints it once,
without a traceback, and exits with 2. The others (the engine's EngineError, a config's YamlSyntaxError, a plan's
PlanError, ...) are caught where they happen and turned into findings; tests/test_architecture.py holds every
exception class of the package under this root."""

from __future__ import annotations


class MedcubeError(Exception):
    """What happened, in a sentence (``message``), and how to fix it (``hint``)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UserError(MedcubeError):
    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, file: str | None = None, line: int | None = None):
        super().__init__(message, hint)
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConfigNotFound(UserError):
    """No cube config where the user pointed."""


class EngineUnavailable(UserError):
    """No Docker engine answers."""


class RegistryError(UserError):
    """The MedPerf server or a file it names could not give what was asked: unreachable, refused (401, 403), missing
    (404), a hash mismatch, a file over its size cap. Nothing ran; the message names what and where."""


INTERNAL_ERROR_EXIT = 3  # a bug in medcube, not a finding (1) nor the user's mistake (2)


def internal_error(e: BaseException) -> int:
    """Say that medcube itself failed (one line, the traceback with MEDCUBE_DEBUG=1) and return the exit code.
    Exit, Abort and usage errors of click (or of the click typer >= 0.2x carries as typer._click) are the command
    line's own flow, not a bug: they are raised again for click to handle."""
    import os
    import sys
    import traceback

    from validator.textsafe import printable_or_none

    if any(c.__module__.split(".")[0] in ("click", "typer") for c in type(e).__mro__):
        raise e

    if os.environ.get("MEDCUBE_DEBUG", "").strip() not in ("", "0"):
        traceback.print_exception(e, file=sys.stderr)
    text = printable_or_none(f"{type(e).__name__}: {e}") or type(e).__name__
    print(f"medcube: internal error (a bug in medcube, not in your cube): {text[:500]}\n"
          "  hint: run it again with MEDCUBE_DEBUG=1 for the traceback, and report it with that output.",
          file=sys.stderr)
    return INTERNAL_ERROR_EXIT
