"""How fast is static validation? Cubes per second over a few hundred cube directories, in-process.

    python bench/bench_static.py [--cubes 300] [--rounds 3] [--profile] [--min-rate 500] [--unique]

The cubes are copies of tests/fixtures/static/valid/ (every format and role) under varied names and image tags in a
temporary directory, so answers medcube remembers by content (an entrypoint script's interface, hadolint's answer on
a Dockerfile, shlex's words of a command line) are found again, as for the submissions made from one template.
With --unique every cube's scripts and YAML files differ (a comment naming the cube and the round) and every round
validates cubes of its own, so nothing is found again by content: each script and file is read anew, as when
checking submissions written apart (its Dockerfile differs by cube only, so hadolint's answers still come from its
cache folder, filled by the warm-up round; command lines are the template's). Timed: `run_static(dir)` for each,
process start excluded (the best of --rounds rounds, after one warm-up round). Baseline, measured in the same run
over the same directories: reading and YAML-parsing the same config and parameters files (what any validator has
to do at least). The goal (issue 25): >= 500 cubes/s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from validator.checks import run_static  # noqa: E402

VALID = ROOT / "tests" / "fixtures" / "static" / "valid"
YAML_NAMES = ("container_config.yaml", "mlcube/mlcube.yaml", "workspace/parameters.yaml", "mlcube/workspace/parameters.yaml")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


GOAL = 500.0  # cubes/s


def make_cubes(dest: Path, count: int, unique: bool = False, round_: int = 0) -> list[Path]:
    """`count` cube directories: the valid fixtures in turn, each under its own name and image tag; with `unique`,
    each of its scripts and YAML files also ends in a comment naming the cube and the round, its Dockerfile in one
    naming the cube."""
    sources = sorted(p for p in VALID.iterdir() if p.is_dir())
    cubes = []
    for i in range(count):
        src = sources[i % len(sources)]
        cube = dest / f"{src.name}_{i:04d}"
        shutil.copytree(src, cube)
        for rel in ("container_config.yaml", "mlcube/mlcube.yaml"):
            f = cube / rel
            if f.is_file():
                text = f.read_text(encoding="utf-8")
                f.write_text(text.replace(":0.0.1", f":0.{i}.1").replace(":0.1.0", f":0.1.{i}"), encoding="utf-8")
        if unique:
            for f in sorted(cube.rglob("*")):
                if f.is_file() and (f.suffix in (".py", ".yaml", ".yml") or f.name == "Dockerfile"):
                    with open(f, "a", encoding="utf-8") as out:
                        out.write(f"\n# bench cube {i}" + ("" if f.name == "Dockerfile" else f" round {round_}") + "\n")
        cubes.append(cube)
    return cubes


def baseline(cubes: list[Path]) -> int:
    parsed = 0
    for cube in cubes:
        for rel in YAML_NAMES:
            f = cube / rel
            if f.is_file():
                yaml.load(f.read_text(encoding="utf-8"), Loader=_Loader)
                parsed += 1
    return parsed


def validate(cubes: list[Path]) -> int:
    errors = 0
    for cube in cubes:
        errors += not run_static(cube).ok
    return errors


def best_of(fn, sets: list[list[Path]]) -> float:
    """The best time of fn over sets[1:], after a warm-up on sets[0] (imports, schema compilation, OS file cache)."""
    fn(sets[0])
    times = []
    for cubes in sets[1:]:
        t0 = time.perf_counter()
        fn(cubes)
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cubes", type=int, default=300, help="how many cube directories (default 300)")
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds; the best counts (default 3)")
    ap.add_argument("--profile", action="store_true", help="print the cProfile hot spots of one validation round")
    ap.add_argument("--min-rate", type=float, default=None, help="exit 1 when slower than this many cubes/s")
    ap.add_argument("--unique", action="store_true",
                    help="make every cube's scripts, Dockerfile and YAML files differ (nothing found again by content)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="medcube-bench-") as tmp:
        if args.unique:  # cubes of its own for the warm-up and each round
            sets = [make_cubes(Path(tmp) / f"round{r}", args.cubes, True, r) for r in range(args.rounds + 1)]
        else:
            sets = [make_cubes(Path(tmp), args.cubes)] * (args.rounds + 1)
        cubes = sets[0]
        failing = validate(cubes)  # (the warm-up's cubes: the rounds' differ from them by a comment only)
        if failing:
            print(f"error: {failing} of the generated cubes do not validate", file=sys.stderr)
            return 2
        t_static = best_of(validate, sets)
        t_base = best_of(baseline, sets)
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            validate(cubes)
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(30)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(20)
            print(out.getvalue())

    n = len(cubes)
    rate, base_rate = n / t_static, n / t_base
    print(f"static validation{' (every cube unique)' if args.unique else ''}: {n} cubes in {t_static * 1000:.0f} ms -> {rate:.0f} cubes/s, {t_static / n * 1000:.2f} ms per cube")
    print(f"baseline (read + YAML-parse the same files): {base_rate:.0f} cubes/s, {t_base / n * 1000:.2f} ms per cube")
    print(f"ratio: static validation takes {t_static / t_base:.1f}x the baseline")
    goal = args.min_rate if args.min_rate is not None else GOAL
    print(f"goal >= {goal:.0f} cubes/s: {'met' if rate >= goal else 'NOT met'}")
    if args.min_rate is not None and rate < args.min_rate:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
