"""What each CLI command does, as functions returning an exit code (0 ok, 1 findings/failures, 2 usage): the
library API the CLI and the tests call. `test` and the build-and-run stage of `validate` load the benchmark and the
cubes, run the chain (validator.chain) and print and write the report (validator.report)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from validator.chain.benchmark import Benchmark, load_benchmark
from validator.chain.demo_data import load_demo_data
from validator.chain.options import RunOptions
from validator.chain.result import RunReport
from validator.chain.run import run_chain
from validator.engine.limits import Limits
from validator.errors import UserError
from validator.findings import Finding
from validator.manifest.model import Cube
from validator.manifest.roles import ROLES
from validator.report import json_report
from validator.report import junit as junit_report
from validator.report import text as text_report
from validator.report.console import stderr, stdout


def validate_command(paths, *, static, output_format, benchmark=None, no_run=False, runner=None,
                     base_image=None, gpus=None, rebuild=False) -> int:
    from validator.checks import run_static

    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UserError(f"{missing[0]}: no such file or directory",
                        hint="Pass a cube directory, its container_config.yaml or its mlcube/mlcube.yaml.")
    reports = [run_static(p) for p in paths]
    ok = all(r.ok for r in reports)
    if output_format != "json":
        text_report.print_text(reports)
    runs = None
    if not static and not ok:
        stderr().print("Static checks failed: fix the errors above before medcube builds and runs the cube.")
    elif not static:
        code, runs = validate_run_command(
            [r.cube for r in reports], benchmark=benchmark, no_run=no_run, runner=runner,
            base_image=base_image, gpus=gpus, rebuild=rebuild, output_format=output_format,
        )
        ok = code == 0
    if output_format == "json":
        json_report.write_json(reports, runs)
    return 0 if ok else 1


def convert_command(path: Path, output: Path | None, force: bool) -> int:
    from validator.checks import display_path, run_static
    from validator.manifest.convert import dump, to_container_config
    from validator.manifest.load import load_cube, locate

    located = locate(path)
    if "mlcube" not in located.files:
        raise UserError(f"{path}: no mlcube.yaml to convert", hint="Pass an mlcube.yaml or a cube directory holding mlcube/mlcube.yaml.")
    src = located.files["mlcube"]
    static = run_static(src)
    errors = [f for f in static.findings if f.is_error]
    if errors:
        text_report.print_text([static], stderr())
        raise UserError(f"{display_path(src)} has errors; fix them before converting.", hint="The table above lists them.")
    cube = load_cube(src)
    config_text = dump(to_container_config(cube))
    if output is None:
        print(config_text, end="")
        return 0
    if output.exists() and not force:
        raise UserError(f"{output} already exists", hint="Pass --force to overwrite it, or choose another --output.")
    output.write_text(config_text, encoding="utf-8")
    stderr().print(f"wrote {display_path(output)}")
    return 0


def schema_command(name: str, output: Path | None) -> int:
    from validator.manifest import schemas

    if name not in schemas.NAMES:
        raise UserError(f"unknown schema '{name}'", hint=f"Choose one of: {', '.join(schemas.NAMES)}.")
    schema_text = schemas.text(name)
    if output is None:
        print(schema_text, end="" if schema_text.endswith("\n") else "\n")
    else:
        output.write_text(schema_text, encoding="utf-8")
    return 0


def package_command(cube: Path, output: Path | None) -> int:
    from validator.package import package, upload_instructions

    pkg = package(cube, output)
    print(upload_instructions(pkg))
    return 0


def package_demo_command(data_dir: Path, labels_dir: Path, output: Path | None) -> int:
    from validator.checks import display_path
    from validator.package import package_demo

    tarball, digest = package_demo(data_dir, labels_dir, output)
    print(f"Demo dataset: {display_path(tarball)}")
    print(f"sha256: {digest}")
    print("Test it: medcube test BENCHMARK --demo-data " + display_path(tarball) + f" --demo-sha256 {digest}")
    print("Upload it unchanged, then: medperf benchmark submit ... --demo-url \"<URL of "
          + tarball.name + '>\" ...')
    return 0


def verify_package_command(folder: Path) -> int:
    from validator.package import verify_package

    result = verify_package(folder)
    out = stdout()
    for name in result.checked:
        out.print(f"[green]ok[/green]      {name}")
    for problem in result.problems:
        out.print(f"[red]problem[/red] {problem}")
    out.print("package OK" if result.ok else f"{len(result.problems)} problem(s): package the cube again "
                  "(`medcube package`) before uploading.")
    return 0 if result.ok else 1


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
    ``probes``: a validator.chain.probes.ProbeOptions (the command line passes every probe unless told otherwise);
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
    text_report.print_run_report(result, console)
    if report is not None:
        json_report.write_run_json(result, Path(report))
    if junit is not None:
        junit_report.write_junit(result, Path(junit))
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
        text_report.print_run_report(report, console)
        reports.append(report)
    return (0 if all(r.ok for r in reports) else 1), reports
