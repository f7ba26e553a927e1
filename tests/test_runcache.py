"""The run folders under the cache stay bounded (validator.chain.runcache): pruned by age and count before each run
(never one younger than a day), removed on demand by `medcube clean`; nothing but medcube's own run folders touched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from validator.chain.runcache import DAY, prune, run_folders
from validator.chain.rundir import RunFolder

ROOT = Path(__file__).resolve().parent.parent


def _run(root: Path, days_ago: float, tag: str = "abcd", size: int = 10) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() - days_ago * DAY))
    folder = root / f"{stamp}-{tag}"
    (folder / "logs").mkdir(parents=True)
    (folder / "logs" / "1-prepare.log").write_bytes(b"x" * size)
    return folder


def test_prune_by_age_and_count_never_a_young_one(tmp_path):
    runs = tmp_path / "runs"
    old = _run(runs, 20, "0001")
    mid = [_run(runs, 2 + i / 10, f"{i + 16:04x}") for i in range(5)]
    young = [_run(runs, 0.1 * i, f"{i + 32:04x}") for i in range(4)]
    result = prune(runs, max_age_s=14 * DAY, keep=3)
    gone = set(result.removed)
    assert old in gone and set(mid) <= gone  # too old; beyond the newest 3 and older than a day
    assert all(f.exists() for f in young) and not old.exists()  # young ones stay, even beyond the count
    assert result.bytes_freed == 60


def test_only_medcubes_run_folders_are_touched(tmp_path):
    runs = tmp_path / "runs"
    _run(runs, 30)
    mine = runs / "my-results"
    mine.mkdir()
    elsewhere = tmp_path / "keep-me"
    elsewhere.mkdir()
    (elsewhere / "file").write_text("x")
    os.symlink(elsewhere, runs / "20200101-000000-dead")  # named like a run, but a link: not followed
    prune(runs, max_age_s=DAY, keep=0)
    assert mine.is_dir() and (elsewhere / "file").exists() and (runs / "20200101-000000-dead").is_symlink()
    assert run_folders(runs) == []


def test_a_new_run_prunes_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDCUBE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MEDCUBE_RUNS_MAX_AGE_DAYS", "7")
    old = _run(tmp_path / "runs", 8)
    folder = RunFolder.create()
    assert not old.exists() and folder.root.is_dir()


def test_clean_command(tmp_path):
    runs = tmp_path / "runs"
    old, new = _run(runs, 3), _run(runs, 0, "beef")
    env = {**os.environ, "MEDCUBE_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}

    def clean(*args):
        return subprocess.run([sys.executable, "-m", "validator", "clean", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    out = clean("--dry-run")
    assert out.returncode == 0 and "would remove 2 run folder(s)" in out.stdout and old.exists()
    out = clean("--older-than", "1")
    assert out.returncode == 0 and "removed 1 run folder(s)" in out.stdout and not old.exists() and new.exists()
    assert clean("--older-than", "-1").returncode == 2
    assert clean().returncode == 0 and not new.exists()
