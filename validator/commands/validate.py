"""`medcube validate`: the static checks of every cube, then their build and smoke run in the benchmark's chain.
Returns a `ValidateResult` (nothing printed but the progress lines of ``options.console``); validator.cli prints it
in the chosen format, writes the report files and picks the exit code."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text

from validator import findings as F
from validator.cancel import Cancelled
from validator.chain.benchmark import Benchmark
from validator.chain.fit import choose
from validator.chain.options import RunOptions
from validator.chain.result import RunReport
from validator.chain.run import run_chain
from validator.checks import CubeReport, checked_cube
from validator.codes import IMPORT_CRASH, NO_FITTING_BENCHMARK
from validator.commands.common import DemoSource, Gating, apply_gate, default_benchmark_path, findings_of_run
from validator.commands.session import GateRefused, open_session
from validator.errors import UserError
from validator.findings import Finding
from validator.gating import Gate
from validator.manifest.model import Cube
from validator.manifest.roles import ROLES
from validator.textsafe import printable


@dataclass
class ValidateResult:
    """The static reports of the cubes validated (the ignored codes left out), the gate of each, and, when the run
    stage ran, each cube's run (None: a cube not built or run, MC212) and its findings."""

    reports: list[CubeReport] = field(default_factory=list)
    gates: list[Gate] = field(default_factory=list)
    runs: list[RunReport | None] | None = None  # None: no run stage (--static, or the static checks failed)
    cancelled: str | None = None  # the signal that cancelled the run stage (the cubes after it were not run)
    run_findings: list[list[Finding]] = field(default_factory=list)
    run_failed: list[bool] = field(default_factory=list)  # a build or task failed (whatever is ignored)

    @property
    def static_findings(self) -> list[Finding]:
        return [f for r in self.reports for f in r.findings]

    @property
    def findings(self) -> list[Finding]:
        """Every finding: the static ones, then the runs'."""
        return self.static_findings + [f for fs in self.run_findings for f in fs]

    @property
    def verdicts(self) -> list[bool]:
        """Whether each cube passed: no failed build or task, no finding its gate fails on."""
        return [not (self.run_failed[i] or gate.fails(r.findings + self.run_findings[i]) or self._cut(i, r))
                for i, (r, gate) in enumerate(zip(self.reports, self.gates, strict=True))]

    def _cut(self, i: int, report: CubeReport) -> bool:
        """The run stage was cancelled before this cube (to be run) ran."""
        return self.cancelled is not None and self.runs is not None and self.runs[i] is None and not not_run(report)

    @property
    def ok(self) -> bool:
        return all(self.verdicts)


def not_run(report: CubeReport) -> bool:
    """A cube that is no benchmark cube (MC212: federated learning, certificates, run_script): checked, not run."""
    return report.cube is None or report.cube.role not in ROLES


def validate_command(paths: list[Path], *, static: bool, benchmark: Path | None = None,
                     options: RunOptions | None = None, gating: Gating = Gating(), changed: bool = False,
                     on_static: Callable[[ValidateResult], None] | None = None,
                     on_run: Callable[[Cube, RunReport], None] | None = None, target: str = "medperf",
                     role: str | None = None) -> ValidateResult:
    """`medcube validate`: the static checks of every cube, then (unless ``static``, and only when every cube
    passed them) their build and smoke run in the benchmark's chain under ``options`` (``options.no_run``: build
    only; progress lines on ``options.console``). ``paths``: cubes, their config files, benchmark folders or
    profiles (their cubes), files inside a cube (that cube); with ``changed`` (the pre-commit hook) files in no cube
    are skipped (no cube at all: an empty result). ``on_static`` is called with the result once the static checks
    are done, ``on_run`` with each cube's run report once it ran (the ignored codes left out): the CLI prints them
    as they come. ``target``: the runtime the verdict is for (medperf: MedPerf 0.3; mlcube: the MLCube client,
    mlcube.yaml as written); ``role``: the cubes' role where their tasks do not show it (MC212 otherwise)."""
    from validator.checks import run_static
    from validator.gating import gate_for
    from validator.targets import resolve

    if not changed:
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            raise UserError(f"{missing[0]}: no such file or directory",
                            hint="Pass a cube directory, its container_config.yaml or its mlcube/mlcube.yaml, "
                            "a benchmark folder or its benchmark.yaml.")
    targets = resolve(paths, changed=changed)
    result = ValidateResult()
    if not targets.paths:
        return result
    result.reports = [run_static(p, target=target, role=role) for p in targets.paths]
    result.gates = [gate_for(r.cube.path if r.cube is not None else Path(r.path), gating.fail_on, gating.ignore,
                             gating.use_settings) for r in result.reports]
    for r, gate in zip(result.reports, result.gates, strict=True):
        r.findings = gate.kept(r.findings)
    result.run_findings = [[] for _ in result.reports]
    result.run_failed = [False] * len(result.reports)
    if on_static is not None:
        on_static(result)
    if static or not all(r.ok for r in result.reports):
        return result
    options = options or RunOptions()
    result.runs = [None] * len(result.reports)
    for i, r in enumerate(result.reports):
        if not_run(r):
            continue
        assert r.cube is not None
        if options.console is not None:
            options.console.print(Text.assemble((printable(str(r.cube.path)), "bold"), ": build" + (
                "" if options.no_run else ", ask its entrypoints for --help, run it in its benchmark's chain")))
        try:
            _, run = validate_run(r.cube, benchmark, options, target=target)
        except Cancelled as e:  # the cubes checked so far and this cube's run so far: the report, marked cancelled
            if isinstance(e.partial, RunReport):
                e.partial.target = target
                apply_gate(e.partial, result.gates[i])
                result.runs[i] = e.partial
                result.run_findings[i] = findings_of_run(e.partial)
                result.run_failed[i] = True
            result.cancelled = e.signal_name
            e.partial = result
            raise
        apply_gate(run, result.gates[i])
        if on_run is not None:
            on_run(r.cube, run)
        result.runs[i] = run
        result.run_findings[i] = findings_of_run(run)
        # A failed build or task fails whatever is ignored; findings fail as the gate says.
        result.run_failed[i] = any(not b.ok for b in run.builds) or any(t.status != "passed" for t in run.tasks)
    return result


def validate_run(cube: Cube | Path | str, benchmark: Path | str | None = None,
                 options: RunOptions | None = None, target: str = "medperf") -> tuple[list[Finding], RunReport]:
    """Build a cube, ask each task's entrypoint for `--help` in its image, and smoke-run it in its role of the
    benchmark's chain (the other roles come from the benchmark; no other probe). ``options.no_run``: build only.
    Without ``benchmark``: a benchmark profile beside the cube, else the bundled chest X-ray benchmark for a cube
    of its interface, else no chain (validator.chain.fit; an info MC632 says so). Returns every finding of the
    build and the run, and the run report. ``target``: the runtime the static gate judges for, named in the run
    report."""
    cube = checked_cube(cube, target=target)
    if cube.role not in ROLES:
        raise UserError(
            f"{cube.rel(cube.config_file)}: cannot tell whether this cube is a data preparator, a model or metrics "
            f"from its tasks ({', '.join(cube.tasks) or 'none'})",
            hint="a data preparator declares prepare/sanity_check/statistics, a model infer, metrics evaluate",
        )
    options = dataclasses.replace(options or RunOptions(), probes=None)
    chosen: Path | str | Benchmark | None = benchmark
    fit = None
    if benchmark is None and not options.no_run:
        fit = choose(cube, default_benchmark_path())
        chosen = fit.benchmark
    try:
        session = open_session(chosen, {cube.role: cube}, demo=DemoSource() if chosen is not None else None,
                               target=target)
    except GateRefused as e:  # the cube itself passed the static checks: a cube of the benchmark fails them
        raise UserError(f"the benchmark's cube {e.message}", hint=e.hint) from None
    report = run_chain(session.bench, session.cubes, session.demo, options, build_roles=(cube.role,),
                       chain=chosen is not None)
    report.target = target
    if fit is not None:
        _say_fit(cube, fit, report)
    return report.all_findings, report


def _say_fit(cube: Cube, fit, report: RunReport) -> None:
    """The benchmark chosen for a cube without --benchmark, in the report (a note, and MC632 when none fits)."""
    for note in fit.notes:
        report.notes.append(note)
    if fit.benchmark is not None:
        report.notes.append(f"run in {fit.why}")
        return
    report.benchmark = "none"
    where = cube.rel(cube.config_file)
    crashed = any(f.code == IMPORT_CRASH for f in report.findings)
    message = (f"no benchmark here fits this {cube.role} cube ({fit.why}): its image was built and "
               + ("an entrypoint crashes at import (MC811)" if crashed else "its entrypoints answered --help")
               + ", but no chain ran")
    report.findings.append(F.info(
        NO_FITTING_BENCHMARK, where, printable(message),
        hint="give the benchmark it belongs to: medcube validate CUBE --benchmark path/to/benchmark.yaml (or "
        "--medperf-benchmark N), or put that benchmark.yaml in the cube's folder or the folder above it"))
    report.notes.append(f"no chain ran: no benchmark here fits this cube ({NO_FITTING_BENCHMARK}); pass --benchmark "
                        "BENCHMARK.yaml to run it in its benchmark's chain")
