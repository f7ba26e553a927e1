"""The consoles medcube prints to, and a user error as one clear message (no traceback)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from validator.errors import UserError


def stdout() -> Console:
    return Console(soft_wrap=False, highlight=False, emoji=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, emoji=False)


def print_user_error(e: UserError) -> None:
    console = stderr()
    console.print(Text("error: ", style="bold red") + Text(str(e)), soft_wrap=True)  # paths are never split
