"""`medcube clean`: remove the run folders medcube keeps under its cache (validator.chain.runcache)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from validator.errors import UserError

if TYPE_CHECKING:
    from validator.chain.runcache import Pruned


@dataclass(frozen=True)
class Cleaned:
    """`clean`: the runs folder and what was (``dry_run``: would be) removed, kept, or could not be removed."""

    root: Path
    pruned: Pruned
    dry_run: bool


def clean_command(older_than_days: float, dry_run: bool) -> Cleaned:
    from validator.chain.runcache import DAY, prune, runs_dir

    if older_than_days < 0:
        raise UserError(f"--older-than {older_than_days:g}: a number of days, 0 or more",
                        hint="--older-than 0 removes every run folder; --older-than 7 those older than a week")
    root = runs_dir()
    return Cleaned(root, prune(root, max_age_s=older_than_days * DAY, keep=None, min_age_s=0.0, dry_run=dry_run),
                   dry_run)
