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


def test_bench_unique_cubes_differ_and_validate(capsys, tmp_path):
    spec = importlib.util.spec_from_file_location("bench_static", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cubes = bench.make_cubes(tmp_path, 8, unique=True)
    scripts = [(c / "project" / "mlcube.py").read_bytes() for c in cubes if (c / "project" / "mlcube.py").is_file()]
    assert len(scripts) >= 2 and len(set(scripts)) == len(scripts)  # nothing found again by content
    assert bench.validate(cubes) == 0
    assert bench.main(["--cubes", "7", "--rounds", "1", "--unique"]) == 0
    assert "every cube unique" in capsys.readouterr().out
