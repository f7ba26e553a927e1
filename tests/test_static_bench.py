"""bench/bench_static.py runs (a small round; the timing itself is not asserted: machines differ)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_static.py"


def test_bench_runs_and_reports_rate(capsys):
    spec = importlib.util.spec_from_file_location("bench_static", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--cubes", "14", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "cubes/s" in out and "ms per cube" in out and "baseline" in out and "ratio" in out
