"""Which benchmark a cube is smoke-run in when `validate` is given none: a benchmark profile beside the cube
(`benchmark.yaml` in its folder or the folder above, read as a profile before it is trusted), else the bundled
chest X-ray benchmark when the cube is one of its cubes or has its interface, else none (the cube is built and
probed, not run: demo data of another benchmark would fail a correct cube).

The interface of a role in a benchmark is read from the benchmark's own cube of that role: the tasks it declares
and the keys of its parameters file. A cube has it when it declares those tasks and its parameters share a key
with the benchmark cube's (or both have none). The volume labels are MedPerf's for every benchmark, so they do not
tell one benchmark from another.

Boundary: the choice and a sentence saying it; loading and running are validator.chain.benchmark's and run's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from validator import hostfs
from validator.chain.benchmark import BENCHMARK_FILE, Benchmark, load_benchmark
from validator.errors import MedcubeError
from validator.manifest.model import Cube
from validator.manifest.yamlread import YamlSyntaxError, load_data
from validator.paths import display_path as shown
from validator.textsafe import printable

PARAMETERS_LIMIT = 1 << 20  # bytes of a parameters file read for its keys


@dataclass
class Fit:
    """The benchmark to run a cube in (None: none fits) and the sentences that say why."""

    benchmark: Path | Benchmark | None
    why: str
    notes: list[str]


def beside(cube: Cube) -> tuple[Benchmark | None, list[str]]:
    """A benchmark profile in the cube's folder or the folder above it, read (its shape checked, its cube folders
    and demo data found) before it is trusted; and a note for each `benchmark.yaml` there that is no profile."""
    notes: list[str] = []
    for folder in (cube.path, cube.path.parent):
        file = folder / BENCHMARK_FILE
        if not file.is_file() or file.is_symlink():
            continue
        try:
            found = load_benchmark(file)
        except MedcubeError as e:
            notes.append(printable(f"{shown(file)} is not a benchmark profile medcube can use ({e.message}): "
                                   "not used"))
            continue
        home = file.parent.resolve()
        outside = [p for p in (*found.cubes.values(), found.demo_data) if not p.resolve().is_relative_to(home)]
        if outside:  # found by itself, not named by the user: it may not reach out of its folder
            notes.append(printable(f"{shown(file)} names {shown(outside[0])}, outside its folder: not used (pass it "
                                   "with --benchmark to use it)"))
            continue
        return found, notes
    return None, notes


def parameter_keys(cube: Cube) -> set[str]:
    """The top-level keys of the cube's parameters file (none when it is missing, empty or unreadable)."""
    file = cube.parameters_file
    if file is None or not Path(file).is_file():
        return set()
    try:
        data = load_data(hostfs.read_text(file, PARAMETERS_LIMIT), str(file))
    except (OSError, YamlSyntaxError, hostfs.HostFileError, MedcubeError):
        return set()
    return {str(k) for k in data} if isinstance(data, dict) else set()


def interface_differs(cube: Cube, reference: Cube) -> str | None:
    """None when the cube has the interface of the benchmark's cube of its role, else what differs."""
    missing = [t for t in reference.tasks if t not in cube.tasks]
    if missing:
        return f"it declares no {', '.join(missing)} task"
    mine, theirs = parameter_keys(cube), parameter_keys(reference)
    if (mine or theirs) and not (mine & theirs):
        def keys(names: set[str]) -> str:
            return ", ".join(sorted(names)[:8]) + (" ..." if len(names) > 8 else "") if names else "none"
        return printable(f"its parameters ({keys(mine)}) share no key with the benchmark's {cube.role} "
                         f"({keys(theirs)})")
    return None


def choose(cube: Cube, default: Path) -> Fit:
    """The benchmark a cube without --benchmark runs in (see the module docstring)."""
    from validator.checks import checked_cube

    found, notes = beside(cube)
    if found is not None:
        return Fit(found, f"the benchmark profile beside it, {shown(found.file)}", notes)
    bench = load_benchmark(default)
    assert cube.role is not None
    reference = bench.cube(cube.role)
    if cube.path.resolve() == reference.resolve():
        return Fit(bench, f"{bench.name}, the benchmark it belongs to", notes)
    differs = interface_differs(cube, checked_cube(reference))
    if differs is None:
        return Fit(bench, f"{bench.name}: it has the interface of that benchmark's {cube.role}", notes)
    return Fit(None, f"not the {bench.name} benchmark's interface: {differs}", notes)
