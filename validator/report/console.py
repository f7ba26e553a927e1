"""The consoles medcube prints to, and a user error as one clear message (no traceback)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from validator.errors import UserError
from validator.textsafe import printable


def stdout() -> Console:
    return Console(soft_wrap=False, highlight=False, emoji=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, emoji=False)


def print_user_error(e: UserError) -> None:
    console = stderr()
    # the message quotes what the user or a cube gave (paths, option values): escaped, never read as markup
    console.print(Text("error: ", style="bold red") + Text(printable(str(e))), soft_wrap=True)  # paths never split
