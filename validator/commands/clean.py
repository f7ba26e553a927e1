"""`medcube clean`: remove the run folders medcube keeps under its cache (validator.chain.runcache)."""

from __future__ import annotations

from validator.errors import UserError


def clean_command(older_than_days: float, dry_run: bool) -> int:
    from validator.chain.runcache import DAY, prune, runs_dir
    from validator.engine.limits import human_size

    if older_than_days < 0:
        raise UserError(f"--older-than {older_than_days:g}: a number of days, 0 or more",
                        hint="--older-than 0 removes every run folder; --older-than 7 those older than a week")
    root = runs_dir()
    result = prune(root, max_age_s=older_than_days * DAY, keep=None, min_age_s=0.0, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    print(f"medcube clean: {verb} {len(result.removed)} run folder(s), {human_size(result.bytes_freed)}, "
          f"in {root}; {result.kept} kept")
    for folder in result.failed:
        print(f"  could not remove {folder} (files a container left unwritable: remove it as their owner)")
    return 1 if result.failed else 0
