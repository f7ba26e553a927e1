"""Input immutability: every input of a task hashed before and after it runs; any change is an error.

In a container inputs are mounted read-only, so a change means a hole in that protection; the local runner gives
a task read-only copies, and reports what the task changed in them (TaskResult.input_changes).
"""

from __future__ import annotations

from pathlib import Path

from validator import findings as F
from validator.codes import INPUT_CHANGED
from validator.engine.result import TaskResult
from validator.engine.tasks.plan import RunPlan
from validator.engine.tasks.snapshot import Snapshot, differences, snapshot
from validator.paths import display_path

_HINT = ("a task reads its inputs (the hospital's data, the previous task's outputs, its parameters and additional "
         "files) and writes only into its output folders and /tmp; copy an input into /tmp first if it must change")


def shown(path: Path) -> str:
    return display_path(path)


def _listed(changes: list[str], n: int = 4) -> str:
    return ", ".join(changes[:n]) + (f" and {len(changes) - n} more" if len(changes) > n else "")


def take(plan: RunPlan) -> dict[str, tuple[Path, Snapshot]]:
    """Snapshots of the task's inputs on the host, by label (a path given under two labels is taken once)."""
    out: dict[str, tuple[Path, Snapshot]] = {}
    seen: dict[Path, Snapshot] = {}
    for label, host in plan.inputs.items():
        host = Path(host)
        if host not in seen:
            seen[host] = snapshot(host)
        out[label] = (host, seen[host])
    return out


def check(task: str, before: dict[str, tuple[Path, Snapshot]], result: TaskResult, where: str) -> list[F.Finding]:
    out = []
    done: set[Path] = set()
    for label, (host, snap) in before.items():
        if host in done:
            continue
        done.add(host)
        changes = differences(snap, snapshot(host))
        if changes:
            out.append(F.error(
                INPUT_CHANGED, where,
                f"task {task} changed its input {label} ({shown(host)}): {_listed(changes)}",
                hint=_HINT,
            ))
    for label, changes in result.input_changes.items():
        out.append(F.error(
            INPUT_CHANGED, where,
            f"task {task} changed its input {label}: {_listed(changes)} (the local runner gave it a read-only copy, "
            "so the original is intact; in a benchmark the input is mounted read-only and this write fails)",
            hint=_HINT,
        ))
    return out
