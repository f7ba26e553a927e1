"""`medcube test` and the build-and-run stage of `medcube validate`: load the benchmark and the cubes, run the
chain (validator.workflow), print and write the report (validator.run_report)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from validator import run_report
from validator.benchmark import Benchmark, load_benchmark
from validator.contract import ROLES
from validator.demo_data import load_demo_data
from validator.engine.limits import Limits
from validator.errors import UserError
from validator.findings import Finding
from validator.manifest.model import Cube
from validator.workflow import RunOptions, RunReport, run_chain


def default_benchmark_path() -> Path:
    from validator.resources import default_benchmark

    path = default_benchmark()
    if not path.is_file():
        raise UserError(
            f"the bundled chest X-ray benchmark is missing ({path})",
            hint="pass a benchmark profile: medcube test path/to/benchmark.yaml",
        )
    return path


def _benchmark(benchmark) -> Benchmark:
    if isinstance(benchmark, Benchmark):
        return benchmark
    return load_benchmark(benchmark if benchmark is not None else default_benchmark_path())


def _cube(value) -> Cube:
    if isinstance(value, Cube):
        return value
    from validator.manifest.load import load_cube

    return load_cube(value)


def test_command(
    benchmark: Path | str | None = None,
    data_preparator: Path | None = None,
    model: Path | None = None,
    metrics: Path | None = None,
    demo_data: Path | None = None,
    demo_sha256: str | None = None,
    gpus: str | None = None,
    base_image: str | None = None,
    timeout: float | None = None,
    memory: str | None = None,
    runner: str | None = None,
    report: Path | None = None,
    junit: Path | None = None,
    rebuild: bool = False,
    cpus: float | None = None,
    pids: int | None = None,
    run_dir: Path | None = None,
    console: Console | None = None,
    probes=None,
    log_limit: str | None = None,
) -> int:
    """`medcube test`: run the benchmark chain; roles not given come from the benchmark. 0 only when all passed.
    ``probes``: a validator.probes.ProbeOptions (the command line passes every probe unless told otherwise);
    None runs the plain chain."""
    console = console or Console(highlight=False)
    bench = _benchmark(benchmark)
    given = {"data_preparator": data_preparator, "model": model, "metrics": metrics}
    cubes = {role: _cube(given[role] if given[role] is not None else bench.cube(role)) for role in ROLES}
    if demo_data is not None:
        demo = load_demo_data(Path(demo_data), demo_sha256)
    else:
        demo = load_demo_data(bench.demo_data, demo_sha256 or bench.demo_sha256)
    limits = Limits.from_options(timeout=timeout, memory=memory, cpus=cpus, pids=pids, gpus=gpus,
                                 log_limit=log_limit)
    if probes is not None and any(v is not None for v in given.values()):
        import dataclasses

        probes = dataclasses.replace(probes, roles=frozenset(r for r, v in given.items() if v is not None))
    options = RunOptions(runner=runner, base_image=base_image, rebuild=rebuild, limits=limits, run_dir=run_dir,
                         console=console, probes=probes)
    result = run_chain(bench, cubes, demo, options)
    run_report.print_run_report(result, console)
    if report is not None:
        run_report.write_json(result, Path(report))
    if junit is not None:
        run_report.write_junit(result, Path(junit))
    return 0 if result.ok else 1


test_command.__test__ = False  # not a pytest test, whatever imports it


def validate_run(
    cube: Cube | Path | str,
    benchmark: Path | str | None = None,
    no_run: bool = False,
    runner: str | None = None,
    base_image: str | None = None,
    gpus: str | None = None,
    rebuild: bool = False,
    *,
    timeout: float | None = None,
    memory: str | None = None,
    run_dir: Path | None = None,
    console: Console | None = None,
) -> tuple[list[Finding], RunReport]:
    """Build a cube and smoke-run it in its role of the benchmark's chain (the other roles come from the
    benchmark). no_run: build only. Returns every finding of the build and the run, and the run report."""
    cube = _cube(cube)
    if cube.role not in ROLES:
        raise UserError(
            f"{cube.rel(cube.config_file)}: cannot tell whether this cube is a data preparator, a model or metrics "
            f"from its tasks ({', '.join(cube.tasks) or 'none'})",
            hint="a data preparator declares prepare/statistics, a model infer, metrics evaluate",
        )
    bench = _benchmark(benchmark)
    cubes = {role: (cube if role == cube.role else _cube(bench.cube(role))) for role in ROLES}
    demo = load_demo_data(bench.demo_data, bench.demo_sha256)
    limits = Limits.from_options(timeout=timeout, memory=memory, gpus=gpus)
    options = RunOptions(runner=runner, base_image=base_image, rebuild=rebuild, limits=limits, run_dir=run_dir,
                         no_run=no_run, console=console)
    report = run_chain(bench, cubes, demo, options, build_roles=(cube.role,))
    return report.all_findings, report


def validate_run_command(cubes, *, benchmark=None, no_run=False, runner=None, base_image=None, gpus=None,
                         rebuild=False, output_format="text") -> tuple[int, list[RunReport]]:
    """The build-and-run stage of `medcube validate` for already loaded cubes: prints each run report (progress to
    stderr when the report goes to stdout as JSON) and returns (0 only when every run passed, the run reports)."""
    console = Console(highlight=False, stderr=output_format == "json")
    reports = []
    for cube in cubes:
        console.print(f"[bold]{getattr(cube, 'path', cube)}[/bold]: build" + ("" if no_run else " and run in the benchmark chain"))
        _, report = validate_run(cube, benchmark, no_run, runner, base_image, gpus, rebuild, console=console)
        run_report.print_run_report(report, console)
        reports.append(report)
    return (0 if all(r.ok for r in reports) else 1), reports
