"""What each CLI command does, as functions returning an exit code (0 ok, 1 findings/failures, 2 usage): the
library API the CLI and the tests call. `test` and the build-and-run stage of `validate` load the benchmark and the
cubes, run the chain (validator.chain) and print and write the report (validator.report)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.text import Text

from validator.chain.benchmark import Benchmark, load_benchmark
from validator.chain.demo_data import load_demo_data
from validator.chain.options import RunOptions
from validator.chain.result import RunReport
from validator.chain.run import run_chain
from validator.checks import gate as static_gate
from validator.errors import UserError
from validator.findings import Finding
from validator.gating import Gate
from validator.manifest.model import Cube
from validator.manifest.roles import ROLES
from validator.report import json_report
from validator.report import junit as junit_report
from validator.report import text as text_report
from validator.report.console import stderr, stdout
from validator.textsafe import printable


@dataclass(frozen=True)
class Gating:
    """What fails a run, from the command line; the settings file nearest each cube fills in the rest."""

    fail_on: str | None = None  # "error" | "warning"; None: the settings file's, else "error"
    ignore: tuple[str, ...] = ()  # codes added to the settings file's
    use_settings: bool = True  # read .medcube.yaml / [tool.medcube] above each cube


def validate_command(paths: list[Path], *, static: bool, output_format: str | None = None,
                     benchmark: Path | None = None, options: RunOptions | None = None, gating: Gating = Gating(),
                     changed: bool = False, sarif_file: Path | None = None, verbosity: int = 0,
                     html: Path | None = None, command: tuple[str, ...] = ()) -> int:
    """`medcube validate`: the static checks of every cube, then (unless ``static``) their build and smoke run in
    the benchmark's chain under ``options`` (``options.no_run``: build only).

    ``paths``: cubes, their config files, benchmark folders or profiles (their cubes), files inside a cube (that
    cube); with ``changed`` (the pre-commit hook) files in no cube are skipped. ``output_format``: one of
    validator.report.formats.FORMATS, None for text on a terminal and gnu elsewhere. ``verbosity``: -1 findings
    only, 0 progress lines, 1 also the build logs. ``html``: also write the HTML report there (it goes into each
    run folder anyway); ``command``: the command line it shows. A cube that is no benchmark cube (MC212: federated
    learning, certificates, run_script) is checked statically, not built or run."""
    from validator.checks import run_static
    from validator.gating import gate_for
    from validator.report import formats, sarif
    from validator.targets import resolve

    fmt = output_format or formats.default_format()
    if not changed:
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            raise UserError(f"{missing[0]}: no such file or directory",
                            hint="Pass a cube directory, its container_config.yaml or its mlcube/mlcube.yaml, "
                            "a benchmark folder or its benchmark.yaml.")
    targets = resolve(paths, changed=changed)
    err = stderr()
    if not targets.paths:
        if verbosity >= 0:
            err.print("medcube: no cube among the given files", highlight=False)
        if fmt == "json":
            json_report.write_json([], None)
        elif fmt == "sarif":
            print(sarif.render([]), end="")
        return 0
    reports = [run_static(p) for p in targets.paths]
    gates = [gate_for(r.cube.path if r.cube is not None else Path(r.path), gating.fail_on, gating.ignore,
                      gating.use_settings) for r in reports]
    for r, gate in zip(reports, gates, strict=True):
        r.findings = gate.kept(r.findings)
        if gate.source and verbosity > 0:
            err.print(f"{r.path}: settings from {gate.source}", highlight=False)
    static_findings = [f for r in reports for f in r.findings]
    if fmt == "text" and (verbosity >= 0 or static_findings):
        text_report.print_text([r for r in reports if verbosity >= 0 or r.findings])
    elif fmt in ("gnu", "github"):
        print(formats.render_findings(fmt, static_findings), end="", flush=True)
    run_failed = [False] * len(reports)
    runs = None
    run_findings: list[list[Finding]] = [[] for _ in reports]
    if not static and not all(r.ok for r in reports):
        err.print("Static checks failed: fix the errors above before medcube builds and runs the cube.")
    elif not static:
        run_options = options or RunOptions()
        runnable = [i for i, r in enumerate(reports) if r.cube is not None and r.cube.role in ROLES]
        for r in reports:
            if (r.cube is None or r.cube.role not in ROLES) and verbosity >= 0:
                err.print(f"{r.path}: not a data preparator, model or metrics cube: not built or run (MC212)",
                          highlight=False)
        _, ran = validate_run_command([reports[i].cube for i in runnable], benchmark=benchmark, options=run_options,
                                      output_format=fmt, verbosity=verbosity, gates=[gates[i] for i in runnable])
        runs = [None] * len(reports)
        for i, run in zip(runnable, ran, strict=True):
            runs[i] = run
            run_findings[i] = _findings_of_run(run)
            # A failed build or task fails whatever is ignored; findings fail as the gate says.
            run_failed[i] = any(not b.ok for b in run.builds) or any(t.status != "passed" for t in run.tasks)
        if fmt in ("gnu", "github"):
            print(formats.render_findings(fmt, [f for fs in run_findings for f in fs]), end="", flush=True)
    verdicts = [not (run_failed[i] or gate.fails(r.findings + run_findings[i]))
                for i, (r, gate) in enumerate(zip(reports, gates, strict=True))]
    every = static_findings + [f for fs in run_findings for f in fs]
    if fmt == "json":
        json_report.write_json(reports, runs, oks=verdicts)
    elif fmt == "sarif":
        print(sarif.render(every), end="")
    if fmt in ("gnu", "github") and verbosity >= 0:
        err.print(formats.summary_line(every, len(reports)), highlight=False)
    if sarif_file is not None:
        Path(sarif_file).parent.mkdir(parents=True, exist_ok=True)
        Path(sarif_file).write_text(sarif.render(every), encoding="utf-8")
    if any(runs or []) or html is not None:
        import json

        write_html_reports(json.loads(json_report.to_json(reports, runs, oks=verdicts)),
                           [r for r in runs or [] if r is not None], html, command, err)
    return 0 if all(verdicts) else 1


def _log_console(stderr: bool) -> Console:
    """The console for progress and run reports; in a log (not a terminal) lines are never wrapped."""
    console = Console(highlight=False, stderr=stderr)
    console.soft_wrap = not console.is_terminal
    return console


def _findings_of_run(run: RunReport) -> list[Finding]:
    """Every finding of a chain run, its file made relative to the working directory (a run names files relative
    to the folder holding the cube)."""
    from validator.checks import display_path

    def rebase(findings: list[Finding], cube: str) -> list[Finding]:
        out = []
        for f in findings:
            if f.file and not Path(f.file).is_absolute():  # named by Cube.rel: relative to the cube's parent
                candidate = Path(cube).parent / f.file
                if candidate.exists():
                    f = dataclasses.replace(f, file=display_path(candidate))
            out.append(f)
        return out

    found = list(run.findings)
    for b in run.builds:
        found += rebase(b.findings, b.cube)
    for t in run.tasks:
        found += rebase(t.findings, t.cube)
    for p in run.probes:
        found += p.findings
    return found


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


@dataclass(frozen=True)
class DemoSource:
    """Where the demo data comes from: a folder holding paths.yaml or a tarball; None: the benchmark's own."""

    path: Path | None = None
    sha256: str | None = None  # checked before a tarball is extracted


@dataclass(frozen=True)
class ReportFiles:
    """Report files to write besides the printed report (and report.html, always written into the run folder)."""

    json: Path | None = None
    junit: Path | None = None
    html: Path | None = None
    command: tuple[str, ...] = ()  # the command line, shown in the HTML report


def write_html_reports(data: dict, runs: list[RunReport], html: Path | None, command: tuple[str, ...],
                       console: Console | None = None) -> None:
    """The HTML report of `data` as report.html in every run folder and, when given, at `html` (the same page)."""
    from validator.engine.image_size import image_sizes
    from validator.report.html import render_html

    console = console or stdout()
    sizes = image_sizes([b.image for r in runs if r.runner == "docker" for b in r.builds if b.image])
    page = render_html(data, command=list(command) or None, image_sizes=sizes)
    for run in runs:
        if Path(run.run_dir).is_dir():
            try:
                (Path(run.run_dir) / "report.html").write_text(page, encoding="utf-8")
            except OSError as e:
                console.print(f"[yellow]note:[/yellow] no report.html in the run folder: {e}")
    if html is not None:
        try:
            Path(html).parent.mkdir(parents=True, exist_ok=True)
            Path(html).write_text(page, encoding="utf-8")
        except OSError as e:
            raise UserError(f"{html}: cannot write the HTML report ({e.strerror or e})",
                            hint="Pass --html a path in a folder you can write to.") from e
        console.print(f"HTML report: {html}")


def test_command(
    benchmark: Path | str | Benchmark | None = None,
    *,
    cubes: Mapping[str, Path | Cube | None] | None = None,
    demo: DemoSource = DemoSource(),
    options: RunOptions | None = None,
    files: ReportFiles = ReportFiles(),
    output_format: str = "text",
    verbosity: int = 0,
    gating: Gating = Gating(),
) -> int:
    """`medcube test`: run the benchmark chain; roles not in ``cubes`` come from the benchmark. 0 only when all
    passed (after ``gating``: ignored codes are left out of every report, --fail-on warning fails on warnings; a
    failed build or task fails whatever is ignored; settings are read above the first cube given, else the
    benchmark). ``options.probes`` None runs the plain chain; when some roles are given, the probes that run tasks of
    their own run only those roles' tasks. ``output_format`` other than text: stdout gets the run as JSON or its
    findings (sarif, github, gnu) and the run report goes to stderr. ``verbosity``: -1 no progress lines, 1 the
    build logs too."""
    options = options or RunOptions()
    if options.console is None:
        options = dataclasses.replace(options, console=_log_console(output_format != "text"))
    console = options.console
    report_console = console
    if verbosity < 0:
        options = dataclasses.replace(options, console=None)
    elif verbosity > 0:
        options = dataclasses.replace(options, verbose=True)
    bench = _benchmark(benchmark)
    given = {role: (cubes or {}).get(role) for role in ROLES}
    chosen: dict[str, Path | Cube] = {role: given[role] or bench.cube(role) for role in ROLES}
    refused = static_gate.refused(chosen.values())
    if refused:
        text_report.print_text(refused, report_console or stdout())
        (report_console or stdout()).print("Static checks failed: medcube builds and runs no cube before they pass "
                                           "(`medcube validate --static CUBE` shows the same).", markup=False)
        return 1
    loaded = {role: _cube(chosen[role]) for role in ROLES}
    if demo.path is not None:
        demo_data = load_demo_data(Path(demo.path), demo.sha256)
    else:
        demo_data = load_demo_data(bench.demo_data, demo.sha256 or bench.demo_sha256)
    if options.probes is not None and any(v is not None for v in given.values()):
        roles = frozenset(r for r, v in given.items() if v is not None)
        options = dataclasses.replace(options, probes=dataclasses.replace(options.probes, roles=roles))
    from validator.gating import gate_for

    anchor = next((loaded[r].path for r in ROLES if given[r] is not None), Path(bench.file).parent)
    gate = gate_for(anchor, gating.fail_on, gating.ignore, gating.use_settings)
    result = run_chain(bench, loaded, demo_data, options)
    _apply_gate(result, gate)
    text_report.print_run_report(result, report_console)
    if output_format == "json":
        import json

        print(json.dumps(json_report.run_json(result), indent=2))
    elif output_format != "text":
        from validator.report import formats

        print(formats.render_findings(output_format, _findings_of_run(result)), end="")
    if files.json is not None:
        json_report.write_run_json(result, Path(files.json))
    if files.junit is not None:
        junit_report.write_junit(result, Path(files.junit))
    write_html_reports(json_report.report_dict(result), [result], files.html, files.command, report_console)
    failed = any(not b.ok for b in result.builds) or any(t.status != "passed" for t in result.tasks)
    if not failed and result.ok and gate.fails(result.all_findings) and report_console is not None:
        report_console.print(f"FAIL (--fail-on {gate.fail_on}): the {gate.fail_on}s above fail the test")
    return 1 if failed or gate.fails(result.all_findings) else 0


def _apply_gate(run: RunReport, gate: Gate) -> None:
    """Leave the ignored codes out of a run's findings, wherever they are held."""
    if not gate.ignore:
        return
    run.findings = gate.kept(run.findings)
    for b in run.builds:
        b.findings = gate.kept(b.findings)
    for t in run.tasks:
        t.findings = gate.kept(t.findings)
    for p in run.probes:
        p.findings = gate.kept(p.findings)


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
            hint="a data preparator declares prepare/sanity_check/statistics, a model infer, metrics evaluate",
        )
    bench = _benchmark(benchmark)
    refused = static_gate.refused(bench.cube(role) for role in ROLES if role != cube.role)
    if refused:
        first = static_gate.blocking(refused[0])[0]
        raise UserError(f"the benchmark's cube {refused[0].path} fails the static checks: {first.where()}: "
                        f"{first.code} {first.message}",
                        hint=f"Run `medcube validate --static {refused[0].path}`; medcube runs no cube that fails them.")
    cubes = {role: (cube if role == cube.role else _cube(bench.cube(role))) for role in ROLES}
    demo = load_demo_data(bench.demo_data, bench.demo_sha256)
    options = dataclasses.replace(options or RunOptions(), probes=None)
    report = run_chain(bench, cubes, demo, options, build_roles=(cube.role,))
    return report.all_findings, report


def validate_run_command(cubes: list[Cube], *, benchmark: Path | None = None, options: RunOptions,
                         output_format: str = "text", verbosity: int = 0,
                         gates: list[Gate] | None = None) -> tuple[int, list[RunReport]]:
    """The build-and-run stage of `medcube validate` for already loaded cubes: prints each run report (to stderr
    when stdout carries a machine-readable format) and returns (0 only when every run passed, the run reports).
    ``verbosity``: -1 no progress and no run report, 1 the build logs too. ``gates`` (one per cube): the ignored
    codes are left out of each run report before it is printed."""
    console = _log_console(output_format != "text")
    options = dataclasses.replace(options, console=console if verbosity >= 0 else None, verbose=verbosity > 0)
    reports: list[RunReport] = []
    for cube in cubes:
        if verbosity >= 0:
            console.print(Text.assemble((printable(str(cube.path)), "bold"), ": build" + (
                "" if options.no_run else " and run in the benchmark chain")))
        _, report = validate_run(cube, benchmark, options)
        if gates is not None:
            _apply_gate(report, gates[len(reports)])
        if verbosity >= 0:
            text_report.print_run_report(report, console)
        reports.append(report)
    return (0 if all(r.ok for r in reports) else 1), reports
