"""The front half of every run (validate's run stage, test, many submissions): the static gate, the cubes loaded,
the demo data; one refusal when the gate stops it. What follows (the runner, the chain) is validator.chain's.

    session = open_session(benchmark, {"model": path}, DemoSource())   # GateRefused when a cube fails the gate
    run_chain(session.bench, session.cubes, session.demo, options)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from validator.chain.benchmark import Benchmark
from validator.chain.demo_data import DemoData, load_demo_data
from validator.checks import CubeReport, checked_cube
from validator.checks import gate as static_gate
from validator.commands.common import DemoSource, load_benchmark_arg
from validator.errors import MedcubeError
from validator.manifest.model import Cube
from validator.manifest.roles import ROLES


class GateRefused(MedcubeError):
    """Cubes of the run fail the static gate: nothing is built or run. ``reports``: their static reports."""

    def __init__(self, reports: list[CubeReport]):
        first = static_gate.blocking(reports[0])[0]
        super().__init__(f"{reports[0].path} fails the static checks: {first.where()}: {first.code} {first.message}",
                         hint=f"Run `medcube validate --static {reports[0].path}`; medcube builds and runs no cube "
                         "before they pass.")
        self.reports = reports

    def render(self, console: Console) -> None:
        """The static reports and one closing sentence (every command says it the same way)."""
        from validator.report import text as text_report

        text_report.print_text(self.reports, console)
        many = f" for {len(self.reports)} cubes" if len(self.reports) > 1 else ""
        console.print(f"Static checks failed{many}: medcube builds and runs no cube before they pass "
                      "(`medcube validate --static CUBE` shows the same).", markup=False)


@dataclass
class Session:
    """A run's benchmark, its cubes (one a role, checked and loaded) and demo data; ``given``: the roles the user
    gave a cube for (the others are the benchmark's)."""

    bench: Benchmark
    cubes: dict[str, Cube]
    demo: DemoData
    given: frozenset[str]


def open_session(benchmark: Path | str | Benchmark | None, cubes: Mapping[str, Path | Cube | None] | None = None,
                 demo: DemoSource | None = DemoSource(), also_gate: Iterable[Path | Cube] = (),
                 target: str = "medperf") -> Session:
    """The gate, then the cubes loaded (roles not in ``cubes`` are the benchmark's), then the demo data (None: not
    read, for a build without a run). ``also_gate``: more cubes that must pass the gate (submissions). ``target``:
    the runtime the gate judges for (medperf: MedPerf 0.3; mlcube: the MLCube client)."""
    bench = load_benchmark_arg(benchmark)
    given = {role: (cubes or {}).get(role) for role in ROLES}
    chosen: dict[str, Path | Cube] = {role: given[role] or bench.cube(role) for role in ROLES}
    # each read and checked once, for the target: the gate reuses these reports
    chosen = {role: _checked_or_path(value, target) for role, value in chosen.items()}
    refused = static_gate.refused([*chosen.values(), *also_gate], target=target)
    if refused:
        raise GateRefused(refused)
    loaded = {role: checked_cube(chosen[role], target=target) for role in ROLES}
    data = load_demo(bench, demo) if demo is not None else None
    return Session(bench, loaded, data, frozenset(r for r, v in given.items() if v is not None))  # type: ignore[arg-type]


def _checked_or_path(value: Path | Cube, target: str) -> Path | Cube:
    """A path as the Cube checked for the target, where one can be built (else the path: the gate reports why)."""
    if isinstance(value, Cube):
        return value
    from validator.checks import load

    return load(value, target=target).cube or value


def load_demo(bench: Benchmark, demo: DemoSource) -> DemoData:
    """The demo data the user named, else the benchmark's own (its sha256 checked before a tarball is extracted)."""
    if demo.path is not None:
        return load_demo_data(Path(demo.path), demo.sha256)
    return load_demo_data(bench.demo_data, demo.sha256 or bench.demo_sha256)
