"""What each CLI command does, as functions returning an exit code (0 ok, 1 findings/failures, 2 usage): the
library API the CLI and the tests call. `test` and the build-and-run stage of `validate` load the benchmark and the
cubes, run the chain (validator.chain) and print and write the report (validator.report)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from validator.chain.benchmark import Benchmark, load_benchmark
from validator.chain.demo_data import load_demo_data
from validator.chain.options import RunOptions
from validator.chain.result import RunReport
from validator.chain.run import run_chain
from validator.errors import UserError
from validator.findings import Finding
from validator.manifest.model import Cube
from validator.manifest.roles import ROLES
from validator.report import json_report
from validator.report import junit as junit_report
from validator.report import text as text_report
from validator.report.console import stderr, stdout


def validate_command(paths: list[Path], *, static: bool, output_format: str, benchmark: Path | None = None,
                     options: RunOptions | None = None) -> int:
    """`medcube validate`: the static checks of every cube, then (unless ``static``) their build and smoke run in
    the benchmark's chain under ``options`` (``options.no_run``: build only)."""
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
        code, runs = validate_run_command([r.cube for r in reports], benchmark=benchmark,
                                          options=options or RunOptions(), output_format=output_format)
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


# The static findings that stop `test` before anything is built: reading, schema, role contract, both formats, host
# safety (MC42x). The code cross-checks (MC401-MC409) read the cube's code heuristically; the run itself tells.
GATE = ("MC0", "MC1", "MC2", "MC3", "MC42")


def _static_gate(cubes) -> list:
    """The static reports (validator.checks) of the cubes whose config fails the contract or the host-safety checks
    (GATE). Run before anything is built or run: a config that points a host path out of its cube, or asks for
    what a benchmark never gives, stops here."""
    from validator.checks import run_static

    reports = [run_static(c.path if isinstance(c, Cube) else c) for c in cubes]
    return [r for r in reports if any(f.is_error and f.code.startswith(GATE) for f in r.findings)]


@dataclass(frozen=True)
class DemoSource:
    """Where the demo data comes from: a folder holding paths.yaml or a tarball; None: the benchmark's own."""

    path: Path | None = None
    sha256: str | None = None  # checked before a tarball is extracted


@dataclass(frozen=True)
class ReportFiles:
    """Report files to write besides the printed report."""

    json: Path | None = None
    junit: Path | None = None


def test_command(
    benchmark: Path | str | Benchmark | None = None,
    *,
    cubes: Mapping[str, Path | Cube | None] | None = None,
    demo: DemoSource = DemoSource(),
    options: RunOptions | None = None,
    files: ReportFiles = ReportFiles(),
) -> int:
    """`medcube test`: run the benchmark chain; roles not in ``cubes`` come from the benchmark. 0 only when all
    passed. ``options.probes`` None runs the plain chain; when some roles are given, the probes that run tasks of
    their own run only those roles' tasks."""
    options = options or RunOptions()
    console = options.console or Console(highlight=False)
    options = dataclasses.replace(options, console=console)
    bench = _benchmark(benchmark)
    given = {role: (cubes or {}).get(role) for role in ROLES}
    chosen = {role: given[role] if given[role] is not None else bench.cube(role) for role in ROLES}
    refused = _static_gate(chosen.values())
    if refused:
        text_report.print_text(refused, console)
        console.print("Static checks failed: medcube builds and runs no cube before they pass (`medcube validate "
                      "--static CUBE` shows the same).", markup=False)
        return 1
    loaded = {role: _cube(chosen[role]) for role in ROLES}
    if demo.path is not None:
        demo_data = load_demo_data(Path(demo.path), demo.sha256)
    else:
        demo_data = load_demo_data(bench.demo_data, demo.sha256 or bench.demo_sha256)
    if options.probes is not None and any(v is not None for v in given.values()):
        roles = frozenset(r for r, v in given.items() if v is not None)
        options = dataclasses.replace(options, probes=dataclasses.replace(options.probes, roles=roles))
    result = run_chain(bench, loaded, demo_data, options)
    text_report.print_run_report(result, console)
    if files.json is not None:
        json_report.write_run_json(result, Path(files.json))
    if files.junit is not None:
        junit_report.write_junit(result, Path(files.junit))
    return 0 if result.ok else 1


test_command.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever imports it


def validate_run(cube: Cube | Path | str, benchmark: Path | str | None = None,
                 options: RunOptions | None = None) -> tuple[list[Finding], RunReport]:
    """Build a cube and smoke-run it in its role of the benchmark's chain (the other roles come from the
    benchmark; no probes). ``options.no_run``: build only. Returns every finding of the build and the run, and the
    run report."""
    cube = _cube(cube)
    if cube.role not in ROLES:
        raise UserError(
            f"{cube.rel(cube.config_file)}: cannot tell whether this cube is a data preparator, a model or metrics "
            f"from its tasks ({', '.join(cube.tasks) or 'none'})",
            hint="a data preparator declares prepare/statistics, a model infer, metrics evaluate",
        )
    bench = _benchmark(benchmark)
    refused = _static_gate(bench.cube(role) for role in ROLES if role != cube.role)
    if refused:
        first = next(f for f in refused[0].findings if f.is_error and f.code.startswith(GATE))
        raise UserError(f"the benchmark's cube {refused[0].path} fails the static checks: {first.where()}: "
                        f"{first.code} {first.message}",
                        hint=f"Run `medcube validate --static {refused[0].path}`; medcube runs no cube that fails them.")
    cubes = {role: (cube if role == cube.role else _cube(bench.cube(role))) for role in ROLES}
    demo = load_demo_data(bench.demo_data, bench.demo_sha256)
    options = dataclasses.replace(options or RunOptions(), probes=None)
    report = run_chain(bench, cubes, demo, options, build_roles=(cube.role,))
    return report.all_findings, report


def validate_run_command(cubes: list[Cube], *, benchmark: Path | None = None, options: RunOptions,
                         output_format: str = "text") -> tuple[int, list[RunReport]]:
    """The build-and-run stage of `medcube validate` for already loaded cubes: prints each run report (progress to
    stderr when the report goes to stdout as JSON) and returns (0 only when every run passed, the run reports)."""
    console = Console(highlight=False, stderr=output_format == "json")
    options = dataclasses.replace(options, console=console)
    reports = []
    for cube in cubes:
        console.print(f"[bold]{cube.path}[/bold]: build" + ("" if options.no_run else " and run in the benchmark chain"))
        _, report = validate_run(cube, benchmark, options)
        text_report.print_run_report(report, console)
        reports.append(report)
    return (0 if all(r.ok for r in reports) else 1), reports
