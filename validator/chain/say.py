"""What the chain says on the console while it runs: a line per build, per task start (in a log) and per task end.
Every name and message a cube controls is escaped before it is printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from validator.engine.result import BuildResult, TaskResult
from validator.manifest.model import Cube
from validator.textsafe import printable

if TYPE_CHECKING:
    from rich.console import Console


def say_build(console, b: BuildResult) -> None:
    if console is None or b.status == "not_built":
        return
    style = {"built": "green", "cached": "dim", "present": "dim", "failed": "red"}[b.status]
    console.print(Text(printable(b.message), style=style))  # a build message quotes the cube's Dockerfile


def shown(task: str, cube: Cube) -> Text:
    return Text(printable(f"{task} ({cube.path.name})"))  # the folder's name is the submitter's: escaped, no markup


def say_start(console: Console | None, task: str, cube: Cube) -> None:
    """A log (CI): one line when a task starts, one when it ends (a terminal shows a status line instead)."""
    if console is not None and not console.is_terminal:
        console.print(Text(f"{'start':>7} ") + shown(task, cube), highlight=False)


def say_task(console, r: TaskResult) -> None:
    if console is None:
        return
    style = {"passed": "green", "skipped": "dim"}.get(r.status, "red")
    secs = f" {r.seconds:.1f}s" if r.seconds is not None else ""
    console.print(Text.assemble((f"{r.status:>7}", style), printable(f" {r.task} ({Path(r.cube).name}){secs}")))


