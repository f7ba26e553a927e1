"""The `medcube` command line: the options parsed, a library function (validator.commands) called, and its result
printed in the chosen format, the report files written and the exit code picked (`run_validate`, `run_test`,
`run_many`).

Its length (over 600 lines) is the option declarations of its commands, one line each, kept in one place, and the
printing of the results, which no library function does."""

from __future__ import annotations

import gc
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, TypeVar

import typer
import typer.core

from validator.cancel import Cancelled
from validator.errors import UserError

if TYPE_CHECKING:  # the command line loads what a command needs when it runs
    from collections.abc import Mapping, Sequence

    from validator.chain.benchmark import Benchmark
    from validator.chain.options import RunOptions
    from validator.chain.result import RunReport
    from validator.commands.common import DemoSource, Gating, ReportFiles
    from validator.manifest.model import Cube


class _Group(typer.core.TyperGroup):
    """Every command: a user's mistake is one clear message and exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as e:
            from validator.report.console import print_user_error

            print_user_error(e)
            raise typer.Exit(e.exit_code) from None
        except Exception as e:  # a bug in medcube: exit 3 (click's own Exit, Abort and usage errors go on)
            from validator import oslimits

            if isinstance(e, OSError) and oslimits.is_refused(e):  # a full disk, a path too long: said as such
                print(oslimits.message(e), file=sys.stderr)
                raise typer.Exit(2) from None
            from validator.errors import internal_error

            raise typer.Exit(internal_error(e)) from None


_T = TypeVar("_T")

app = typer.Typer(
    cls=_Group,
    name="medcube",
    help="Create, validate and test MedPerf / MLCube benchmark containers (cubes).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from validator import VERSION

        typer.echo(f"medcube {VERSION}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print medcube's version and exit."),
):
    """Create, validate and test MedPerf / MLCube benchmark containers (cubes)."""


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    gnu = "gnu"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"


def _verbosity(quiet: bool, verbose: bool) -> int:
    if quiet and verbose:
        raise typer.BadParameter("-q and -v exclude each other", param_hint="-q/-v")
    return -1 if quiet else (1 if verbose else 0)


def _fail_on(fail_on: FailOn | None, strict: bool) -> str | None:
    """--strict is --fail-on warning (warnings fail too); None: the settings file's, else errors only."""
    if strict:
        if fail_on is FailOn.error:
            raise typer.BadParameter("--strict and --fail-on error exclude each other", param_hint="--strict")
        return "warning"
    return fail_on.value if fail_on else None


class RunnerName(str, Enum):
    docker = "docker"
    local = "local"


class Target(str, Enum):
    medperf = "medperf"
    mlcube = "mlcube"


class EngineName(str, Enum):
    docker = "docker"
    podman = "podman"


class Role(str, Enum):
    data_preparator = "data_preparator"
    model = "model"
    metrics = "metrics"
    evaluator = "evaluator"  # MedPerf's name for metrics (`medperf container create evaluator`)


def _medperf_options():
    """The three options of a MedPerf registered benchmark, declared once (validate, test)."""
    return (
        typer.Option(None, "--medperf-benchmark", "-b", min=0, help="Test against this benchmark registered on a MedPerf server: its preparator, metrics cube and demo data are fetched (by hash, cached); local cubes given replace the registered ones."),
        typer.Option(None, "--medperf-server", help="MedPerf server (as `medperf profile set --server`); default: MedPerf's active profile's, else https://api.medperf.org. The token: MEDPERF_TOKEN, else MedPerf's stored login of that profile."),
        typer.Option(None, "--medperf-certificate", help="The server's certificate (as `medperf profile set --certificate`), for a server with its own."),
    )


_MB, _MS, _MC = _medperf_options()

# -- the options validate and test share, declared once ----------------------------------------------------------------
_FAIL_ON = typer.Option(None, "--fail-on", help="Fail on errors only (default) or on warnings too (a failed build or task always fails).")
_IGNORE = typer.Option(None, "--ignore", help="Leave out a finding code, e.g. MC501 (repeatable).")
_NO_CONFIG = typer.Option(False, "--no-config", help="Do not read .medcube.yaml / pyproject.toml \\[tool.medcube] above the cubes.")
_STRICT = typer.Option(False, "--strict", help="Warnings fail too (exit 1): the same as --fail-on warning.")
_VERBOSE = typer.Option(False, "--verbose", "-v", help="Also stream the build logs.")
_RUNNER = typer.Option(None, "--runner", help="docker (default when an engine answers) or local.")
_ENGINE = typer.Option(None, "--engine", envvar="MEDCUBE_ENGINE", help="Container engine: docker or podman (default: DOCKER_HOST, else the socket present; Docker's first).")
_BASE_IMAGE = typer.Option(None, "--base-image", envvar="MEDCUBE_BASE_IMAGE", help="Passed to every build as BASE_IMAGE.")
_GPUS = typer.Option(None, "--gpus", help="all | N | device=a,b | none (the task's run_args.gpus otherwise).")
_REBUILD = typer.Option(False, "--rebuild", help="Build images even when their context is unchanged.")
_HTML = typer.Option(None, "--html", help="Write a self-contained HTML report here (also written as report.html in each run folder).")
_PULL = typer.Option(False, "--pull", help="A cube without a Dockerfile: pull its image when it is not present locally (MedPerf always pulls).")
_BUILD_TIMEOUT = typer.Option(None, "--build-timeout", help="Seconds an image build may take (default 1800; 0: no limit).")
_BUILD_NETWORK = typer.Option(False, "--build-network", help="Let builds use the network (by default they have none, like the tasks).")
_REPORT = typer.Option(None, "--report", help="Also write the JSON report to this file.")
_JUNIT = typer.Option(None, "--junit", help="Also write a JUnit XML report to this file (validate: a test case per cube; test: per task and per probe).")
_SARIF_FILE = typer.Option(None, "--sarif-file", help="Also write the findings as SARIF 2.1.0 to this file.")
_TARGET = typer.Option(Target.medperf, "--target", help="The runtime the verdict is for: medperf (MedPerf 0.3, runs container_config.yaml) or mlcube (the MLCube client, runs mlcube.yaml as written). Findings that hold for MedPerf only are warnings under mlcube (and do not stop a run).")


def _gating(fail_on: FailOn | None, strict: bool, ignore: list[str] | None, no_config: bool):
    """What fails the run (validate, test): the command line's part of it."""
    from validator.commands.common import Gating
    from validator.gating import check_code

    return Gating(fail_on=_fail_on(fail_on, strict), ignore=tuple(check_code(c, "--ignore") for c in ignore or ()),
                  use_settings=not no_config)


@app.command()
def validate(
    paths: List[Path] = typer.Argument(..., help="Cube folders or config files (mlcube.yaml, container_config.yaml), benchmark folders or benchmark.yaml files (their cubes), or files inside a cube (that cube)."),
    static: bool = typer.Option(False, "--static", help="Only the static checks: no Docker, takes about a second."),
    format: Optional[OutputFormat] = typer.Option(None, "--format", help="Report format: text, json, sarif, github (annotations), gnu (file:line:col: severity CODE message). Default: text on a terminal, gnu otherwise."),
    fail_on: Optional[FailOn] = _FAIL_ON,
    ignore: Optional[List[str]] = _IGNORE,
    no_config: bool = _NO_CONFIG,
    sarif_file: Optional[Path] = _SARIF_FILE,
    report: Optional[Path] = _REPORT,
    junit: Optional[Path] = _JUNIT,
    changed: bool = typer.Option(False, "--changed", help="The paths are changed files (the pre-commit hook): check each cube they belong to once, skip files in no cube."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Findings only: no progress, no passing cubes."),
    verbose: bool = _VERBOSE,
    benchmark: Optional[Path] = typer.Option(None, "--benchmark", help="Benchmark profile whose chain the cube joins (default: a benchmark.yaml in the cube's folder or the one above, else the bundled chest X-ray benchmark for cubes of its interface, else build and --help probe only, info MC632)."),
    no_run: bool = typer.Option(False, "--no-run", help="Build the image, run no task."),
    runner: Optional[RunnerName] = _RUNNER,
    engine: Optional[EngineName] = _ENGINE,
    base_image: Optional[str] = _BASE_IMAGE,
    gpus: Optional[str] = _GPUS,
    rebuild: bool = _REBUILD,
    html: Optional[Path] = _HTML,
    pull: bool = _PULL,
    strict: bool = _STRICT,
    build_timeout: Optional[float] = _BUILD_TIMEOUT,
    build_network: bool = _BUILD_NETWORK,
    target: Target = _TARGET,
    role: Optional[Role] = typer.Option(None, "--role", help="The cubes' benchmark role, where their tasks and labels do not show it (else MC212: not a benchmark cube)."),
    medperf_benchmark: Optional[int] = _MB,
    medperf_server: Optional[str] = _MS,
    medperf_certificate: Optional[Path] = _MC,
):
    """Check cubes: static checks first, then build and smoke-run them in a benchmark chain."""
    from validator.chain.options import RunOptions
    from validator.engine.limits import Limits

    _engine(engine, runner)
    verbosity = _verbosity(quiet, verbose)
    gating = _gating(fail_on, strict, ignore, no_config)
    options = RunOptions(runner=runner.value if runner else None, base_image=base_image, rebuild=rebuild,
                         limits=Limits.from_options(gpus=gpus, build_timeout=build_timeout,
                                                   build_network=build_network), no_run=no_run, pull=pull)
    if medperf_benchmark is not None and not static:
        from validator.manifest.roles import ROLES
        from validator.registry.session import registered_benchmark, roles_of

        if benchmark is not None:
            raise UserError("--benchmark and --medperf-benchmark exclude each other", hint="give one benchmark")
        benchmark = registered_benchmark(medperf_benchmark, medperf_server, medperf_certificate,
                                         set(ROLES) - roles_of(paths), pull=pull, quiet=verbosity < 0).profile
    raise typer.Exit(run_validate(paths, static=static, output_format=format.value if format else None,
                                      benchmark=benchmark, options=options, gating=gating, changed=changed,
                                      sarif_file=sarif_file, report_file=report, junit_file=junit,
                                      verbosity=verbosity, html=html,
                                      command=_command_line(), target=target.value,
                                      role=None if role is None else {"evaluator": "metrics"}.get(role.value, role.value)))


@app.command()
def test(
    benchmark: Optional[Path] = typer.Argument(None, help="Benchmark profile (benchmark.yaml) or its folder; default: the bundled chest X-ray benchmark."),
    data_preparator: Optional[Path] = typer.Option(None, "--data-preparator", "-p", help="Data preparator cube to use instead of the benchmark's (-p as in `medperf test run`)."),
    model: Optional[List[Path]] = typer.Option(None, "--model", "-m", help="Model cube to use instead of the benchmark's; repeatable, or a folder holding cubes: many submissions, the data prepared once."),
    metrics: Optional[List[Path]] = typer.Option(None, "--metrics", "--evaluator", "-e", help="Metrics (evaluator) cube to use instead of the benchmark's; repeatable, or a folder holding cubes (each evaluated on the benchmark model's predictions)."),
    demo_data: Optional[Path] = typer.Option(None, "--demo-data", help="Demo data: a folder holding paths.yaml, or a .tar.gz with paths.yaml at its root."),
    demo_sha256: Optional[str] = typer.Option(None, "--demo-sha256", help="Expected sha256 of the demo tarball, checked before extracting."),
    gpus: Optional[str] = _GPUS,
    base_image: Optional[str] = _BASE_IMAGE,
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds each task may run (default 1800; 0: no limit)."),
    memory: Optional[str] = typer.Option(None, "--memory", help="Memory limit per task, e.g. 4g (default 8g)."),
    cpus: Optional[float] = typer.Option(None, "--cpus", help="CPUs per task."),
    runner: Optional[RunnerName] = _RUNNER,
    engine: Optional[EngineName] = _ENGINE,
    report: Optional[Path] = _REPORT,
    junit: Optional[Path] = _JUNIT,
    sarif_file: Optional[Path] = _SARIF_FILE,
    html: Optional[Path] = _HTML,
    rebuild: bool = _REBUILD,
    run_dir: Optional[Path] = typer.Option(None, "--run-dir", help="Folder for the chained outputs and logs (default: a new folder under ~/.cache/medcube/runs)."),
    pids: Optional[int] = typer.Option(None, "--pids", help="Processes and threads per task (default 1024; 0: no limit)."),
    log_limit: Optional[str] = typer.Option(None, "--log-limit", help="Log kept on disk per task, e.g. 50m (the default); more is cut, keeping the end."),
    no_probe: Optional[List[str]] = typer.Option(None, "--no-probe", help="Switch one probe off (repeatable): gpu, inputs, permissions, network, determinism, rerun, faults."),
    no_probes: bool = typer.Option(False, "--no-probes", help="Switch every probe off: the plain chain, timed."),
    probe: Optional[List[str]] = typer.Option(None, "--probe", help="Switch an opt-in probe on (repeatable): singularity (each task run again as Singularity runs it: read-only image, another working directory)."),
    determinism_tolerance: Optional[float] = typer.Option(None, "--determinism-tolerance", help="Predictions of two infer runs are equal within this (relative, at least absolute; default 1e-5)."),
    strict_determinism: bool = typer.Option(False, "--strict-determinism", help="Different predictions of two infer runs are an error, not a warning."),
    pull: bool = _PULL,
    strict: bool = _STRICT,
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", help="What goes to stdout: text (the run report), json (the run as JSON), or the run's findings as sarif, github (annotations) or gnu (one line each; the run report then goes to stderr)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines."),
    verbose: bool = _VERBOSE,
    fail_on: Optional[FailOn] = _FAIL_ON,
    ignore: Optional[List[str]] = _IGNORE,
    no_config: bool = _NO_CONFIG,
    jobs: Optional[int] = typer.Option(None, "--jobs", help="Tasks at a time: the probes' runs beside the chain, or many submissions side by side (default: the cores, as far as --memory per task fits in memory)."),
    shard: Optional[str] = typer.Option(None, "--shard", help="Many submissions: run shard i/n of them (every n-th, from the i-th), for fanning out over machines."),
    build_timeout: Optional[float] = _BUILD_TIMEOUT,
    build_network: bool = _BUILD_NETWORK,
    medperf_benchmark: Optional[int] = _MB,
    medperf_server: Optional[str] = _MS,
    medperf_certificate: Optional[Path] = _MC,
    target: Target = _TARGET,
):
    """Run the benchmark chain prepare -> sanity_check -> statistics -> infer -> evaluate on demo data, like `medperf test run`,
    and probe what a benchmark would trip on: changed inputs, network, root, determinism, re-runs, a lax sanity_check, GPUs."""
    from validator.chain.options import RunOptions
    from validator.chain.probes.options import probe_options
    from validator.commands.common import DemoSource, ReportFiles
    from validator.engine.limits import Limits
    from validator.manifest.load import is_cube_folder

    # Every option is read and checked here, before anything is built.
    _engine(engine, runner)
    options = RunOptions(
        runner=runner.value if runner else None, base_image=base_image, rebuild=rebuild, run_dir=run_dir,
        limits=Limits.from_options(timeout=timeout, memory=memory, cpus=cpus, pids=pids, gpus=gpus,
                                   log_limit=log_limit, build_timeout=build_timeout, build_network=build_network),
        probes=probe_options(no_probes, no_probe, determinism_tolerance, strict_determinism, probe), pull=pull,
        jobs=jobs, entrypoint_help=not no_probes,
    )
    if jobs is not None and jobs < 1:
        raise UserError(f"--jobs {jobs}: expected 1 or more", hint="--jobs N runs at most N tasks at a time")
    models, metric_cubes = list(model or []), list(metrics or [])
    registered = None
    if medperf_benchmark is not None:  # the registered benchmark's folder; a local profile given lends its contracts
        from validator.registry.session import registered_benchmark

        given = {"data_preparator": data_preparator, "model": models, "metrics": metric_cubes}
        registered = registered_benchmark(medperf_benchmark, medperf_server, medperf_certificate,
                                          [r for r, v in given.items() if not v], pull=pull,
                                          quiet=quiet, local_profile=benchmark)
        benchmark = registered.profile
    if len(models) > 1 or len(metric_cubes) > 1 or shard is not None or any(
            p.is_dir() and not is_cube_folder(p) for p in models + metric_cubes):
        if format != OutputFormat.text or strict or fail_on is not None or ignore or sarif_file is not None \
                or target != Target.medperf:
            raise UserError("--format, --strict, --fail-on, --ignore, --sarif-file and --target apply to one "
                            "submission's run", hint="for many submissions read --report FILE (JSON) or --junit FILE; "
                            "they are judged for MedPerf 0.3")
        raise typer.Exit(run_many(
            benchmark, models=models, metrics=metric_cubes, data_preparator=data_preparator,
            demo=DemoSource(demo_data, demo_sha256), options=options,
            files=ReportFiles(report, junit, html, command=_command_line()), jobs=jobs, shard=shard,
            verbosity=_verbosity(quiet, verbose),
        ))
    code = run_test(
        benchmark, cubes={"data_preparator": data_preparator, "model": models[0] if models else None,
                          "metrics": metric_cubes[0] if metric_cubes else None},
        demo=DemoSource(demo_data, demo_sha256), options=options,
        files=ReportFiles(report, junit, html, sarif_file, command=_command_line()),
        output_format=format.value, verbosity=_verbosity(quiet, verbose),
        gating=_gating(fail_on, strict, ignore, no_config), target=target.value,
    )
    if registered is not None and code == 0 and models:
        from validator.registry.submission import record_pass

        record_pass(models[0], registered.uid, registered.name, registered.server)
    raise typer.Exit(code)


@app.command("merge-reports")
def merge_reports(
    reports: List[Path] = typer.Argument(..., help="JSON reports of `medcube test ... --report FILE` runs (e.g. one per --shard)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the merged report here (default: print it)."),
):
    """Merge the JSON reports of shards of many submissions into one leaderboard report (exit 1 when any failed)."""
    import json

    from validator.commands.submissions import merge_reports_command

    merged = merge_reports_command(reports)
    text = json.dumps(merged, indent=2) + "\n"
    if output is None:
        print(text, end="")
    else:
        from validator.report.console import stderr

        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text)
        stderr().print(f"merged {len(reports)} report(s), {len(merged['submissions'])} submission(s): {output}")
    raise typer.Exit(0 if merged["ok"] else 1)


@app.command()
def create(
    role: Role = typer.Argument(..., help="The cube's role: data_preparator, model or metrics."),
    output_dir: Path = typer.Option(Path("."), "--output-dir", "-o", help="Folder to create the cube in."),
    no_input: bool = typer.Option(False, "--no-input", help="Ask nothing: take the defaults and --extra-context."),
    extra_context: Optional[List[str]] = typer.Option(None, "--extra-context", "-x", help="Preset an answer as key=value (repeatable; -e is --evaluator, as in MedPerf)."),
    example: Optional[str] = typer.Option(None, "--example", help="Start from a copy of a reference cube instead: chestxray."),
    image: Optional[str] = typer.Option(None, "--image", "-i", help="The image name (as `medperf container create -i`); sets image_name."),
    folder_name: Optional[str] = typer.Option(None, "--folder_name", "--folder-name", "-f", help="The cube's folder name (as `medperf container create -f`); sets project_slug."),
):
    """Create a new cube from medcube's template (the questions `medperf container create` asks), or from a reference
    example. The role may be given as MedPerf names it: evaluator for metrics."""
    from validator.create import create as create_cube
    from validator.create import next_steps

    path = create_cube(role, output_dir, no_input, extra_context, example, image=image, folder_name=folder_name)
    typer.echo(next_steps(path, role.value))


@app.command()
def convert(
    path: Path = typer.Argument(..., help="An mlcube.yaml, or a cube directory holding mlcube/mlcube.yaml."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write container_config.yaml (default: print it)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing output file."),
):
    """Convert an MLCube mlcube.yaml to MedPerf's current container_config.yaml."""
    from validator.commands.files import ConvertRefused, convert_command
    from validator.report.console import stderr

    try:
        converted = convert_command(path)
    except ConvertRefused as e:
        from validator.report import text as text_report

        text_report.print_text([e.report], stderr())
        raise
    for f in converted.left:
        stderr().print(f"still to fix for MedPerf 0.3: {f.code} {f.where()} {f.message}", highlight=False, markup=False)
    if output is None:
        print(converted.text, end="")
        return
    if output.exists() and not force:
        raise UserError(f"{output} already exists", hint="Pass --force to overwrite it, or choose another --output.")
    output.write_text(converted.text, encoding="utf-8")
    stderr().print(f"wrote {_shown(output)}")


@app.command()
def schema(
    name: str = typer.Argument(..., help="mlcube | container_config | parameters | report (the JSON report of validate and test)"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to a file instead of printing."),
):
    """Print a JSON Schema, for editors (yaml-language-server) and other tools."""
    from validator.commands.files import schema_command

    schema_text = schema_command(name)
    if output is None:
        print(schema_text, end="" if schema_text.endswith("\n") else "\n")
    else:
        output.write_text(schema_text, encoding="utf-8")


@app.command()
def package(
    cube: Path = typer.Argument(..., help="The cube directory (or its config file) to package."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Deploy folder to write (default: CUBE/deploy)."),
):
    """Make the files `medperf container submit` needs, with their hashes and the exact submit command."""
    from validator.commands.files import package_command
    from validator.package import upload_instructions

    packaged = package_command(cube, output)
    print(upload_instructions(packaged.package))
    for line in packaged.association:
        print(line)


@app.command("package-demo")
def package_demo(
    data_dir: Path = typer.Argument(..., help="Folder of the raw demo data records."),
    labels_dir: Path = typer.Argument(..., help="Folder of the raw demo labels."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Tarball to write (default: demo_data.tar.gz)."),
):
    """Make the demo dataset tarball (paths.yaml at its root) for `medperf benchmark submit --demo-url`."""
    from validator.commands.files import package_demo_command

    demo = package_demo_command(data_dir, labels_dir, output)
    print(f"Demo dataset: {_shown(demo.tarball)}")
    print(f"sha256: {demo.sha256}")
    print("Test it: medcube test BENCHMARK --demo-data " + _shown(demo.tarball) + f" --demo-sha256 {demo.sha256}")
    print("Upload it unchanged, then: medperf benchmark submit ... --demo-url \"<URL of "
          + demo.tarball.name + '>\" ...')


@app.command("verify-package")
def verify_package(folder: Path = typer.Argument(..., help="A deploy folder made by `medcube package`.")):
    """Re-check a deploy folder before uploading it: hashes, tarball safety, config validity."""
    from validator.commands.files import verify_package_command
    from validator.report.console import stdout

    result = verify_package_command(folder)
    out = stdout()
    for name in result.checked:
        out.print(f"[green]ok[/green]      {name}")
    for problem in result.problems:
        out.print(f"[red]problem[/red] {problem}")
    out.print("package OK" if result.ok else f"{len(result.problems)} problem(s): package the cube again "
              "(`medcube package`) before uploading.")
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def explain(code: str = typer.Argument(..., help="A finding code, e.g. MC501.")):
    """Say what a finding code means and how to fix it (offline, from medcube's catalogue)."""
    from validator.commands.explain import explain_command

    print(explain_command(code), end="")


@app.command()
def clean(older_than: float = typer.Option(0.0, "--older-than", help="Only run folders older than this many days (default 0: all)."),
          dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go, remove nothing.")):
    """Remove the run folders under ~/.cache/medcube/runs (runs also prune them: older than 14 days, beyond 50)."""
    from validator.commands.clean import clean_command
    from validator.engine.limits import human_size

    cleaned = clean_command(older_than, dry_run)
    result = cleaned.pruned
    verb = "would remove" if cleaned.dry_run else "removed"
    print(f"medcube clean: {verb} {len(result.removed)} run folder(s), {human_size(result.bytes_freed)}, "
          f"in {cleaned.root}; {result.kept} kept")
    for folder in result.failed:
        print(f"  could not remove {folder} (files a container left unwritable: remove it as their owner)")
    raise typer.Exit(1 if result.failed else 0)


def run_validate(paths: list[Path], *, static: bool, output_format: str | None = None,
                 benchmark: Path | None = None, options: RunOptions | None = None, gating: Gating | None = None,
                 changed: bool = False, sarif_file: Path | None = None, report_file: Path | None = None,
                 junit_file: Path | None = None, verbosity: int = 0, html: Path | None = None,
                 command: tuple[str, ...] = (), target: str = "medperf", role: str | None = None) -> int:
    """`medcube validate` (validator.commands.validate.validate_command), printed as it goes: the static reports,
    each run report (to stderr when stdout carries a machine-readable format), then ``output_format`` (one of
    validator.report.formats.FORMATS, None for text on a terminal and gnu elsewhere) and the report files
    (``sarif_file``, ``report_file`` JSON, ``junit_file``, ``html``; ``command``: the command line the HTML report
    shows); the exit code (0 only when every cube passed). ``verbosity``: -1 findings only, 0 progress lines, 1 also
    the build logs. ``target``: the runtime the verdict is for (medperf, mlcube); ``role``: the cubes' role where
    their tasks do not show it."""
    import dataclasses

    from validator.chain.options import RunOptions
    from validator.commands.common import Gating, log_console, write_html_reports, write_text
    from validator.commands.validate import ValidateResult, not_run, validate_command
    from validator.report import formats, json_report, sarif
    from validator.report import text as text_report
    from validator.report.console import stderr

    fmt = output_format or formats.default_format()
    err = stderr()
    console = log_console(fmt != "text")
    options = dataclasses.replace(options or RunOptions(), console=console if verbosity >= 0 else None,
                                  verbose=verbosity > 0)

    def static_done(result: ValidateResult) -> None:
        for r, gate in zip(result.reports, result.gates, strict=True):
            if gate.source and verbosity > 0:
                err.print(f"{r.path}: settings from {gate.source}", highlight=False)
        if fmt == "text" and (verbosity >= 0 or result.static_findings):
            text_report.print_text([r for r in result.reports if verbosity >= 0 or r.findings])
        elif fmt in ("gnu", "github"):
            print(formats.render_findings(fmt, result.static_findings), end="", flush=True)
        if static:
            return
        if not all(r.ok for r in result.reports):
            err.print("Static checks failed: fix the errors above before medcube builds and runs the cube.")
            return
        for r in result.reports:
            if not_run(r) and verbosity >= 0:
                err.print(f"{r.path}: not a data preparator, model or metrics cube: not built or run (MC212)",
                          highlight=False)

    def ran(cube: Cube, run: RunReport) -> None:
        if verbosity >= 0:
            text_report.print_run_report(run, console)

    cut = None  # a signal in the run stage: the report so far is written, marked cancelled, then medcube ends
    try:
        result = validate_command(paths, static=static, benchmark=benchmark, options=options,
                                  gating=gating or Gating(), changed=changed, on_static=static_done, on_run=ran,
                                  target=target, role=role)
    except Cancelled as e:
        result = _partial(e, ValidateResult)
        cut = e
        for run in result.runs or []:
            if run is not None and run.cancelled and verbosity >= 0:
                text_report.print_run_report(run, console)  # the cube cut short: its run so far
    if not result.reports:
        if verbosity >= 0:
            err.print("medcube: no cube among the given files", highlight=False)
        if fmt == "json":
            json_report.write_json([], None)
        elif fmt == "sarif":
            print(sarif.render([], target=target), end="")
        return 0
    reports, runs, verdicts, every = result.reports, result.runs, result.verdicts, result.findings
    stopped = result.cancelled
    if runs is not None and fmt in ("gnu", "github"):
        print(formats.render_findings(fmt, [f for fs in result.run_findings for f in fs], cancelled=stopped), end="",
              flush=True)
    if fmt == "json":
        json_report.write_json(reports, runs, oks=verdicts, cancelled=stopped)
    elif fmt == "sarif":
        print(sarif.render(every, target=target, cancelled=stopped), end="")
    if fmt in ("gnu", "github") and verbosity >= 0:
        err.print(formats.summary_line(every, len(reports)), highlight=False)
    if sarif_file is not None:
        write_text(Path(sarif_file), sarif.render(every, target=target, cancelled=stopped), "--sarif-file")
    if report_file is not None:
        write_text(Path(report_file), json_report.to_json(reports, runs, oks=verdicts, cancelled=stopped) + "\n",
                   "--report")
    if junit_file is not None:
        from validator.report import junit

        write_text(Path(junit_file), junit.static_junit_xml(reports, runs, verdicts, cancelled=stopped), "--junit")
    if any(runs or []) or html is not None:
        import json

        write_html_reports(json.loads(json_report.to_json(reports, runs, oks=verdicts, cancelled=stopped)),
                           [r for r in runs or [] if r is not None], html, command, err)
    if cut is not None:
        raise cut
    return 0 if all(verdicts) else 1


def run_many(benchmark: Path | str | Benchmark | None = None, *, models: Sequence[Path] = (),
             metrics: Sequence[Path] = (), data_preparator: Path | Cube | None = None,
             demo: DemoSource | None = None, options: RunOptions | None = None, files: ReportFiles | None = None,
             jobs: int | None = None, shard: str | None = None, verbosity: int = 0) -> int:
    """`medcube test` with many submissions (validator.commands.submissions), printed: the leaderboard, the report
    ``files`` written; the exit code (0 only when every submission passed). ``verbosity``: -1 no progress lines,
    1 the build logs too."""
    import dataclasses

    from rich.console import Console

    from validator.chain.options import RunOptions
    from validator.commands.common import DemoSource, ReportFiles, write_html_reports
    from validator.commands.session import GateRefused
    from validator.commands.submissions import test_submissions_command
    from validator.report import leaderboard

    options = options or RunOptions()
    files = files or ReportFiles()
    console = options.console or Console(highlight=False, emoji=False)
    options = dataclasses.replace(options, console=None if verbosity < 0 else console, verbose=verbosity > 0)
    from validator.chain.submissions import ManyReport

    cut = None  # a signal: the leaderboard so far is printed and written, marked cancelled, then medcube ends
    try:
        result = test_submissions_command(benchmark, models=models, metrics=metrics, data_preparator=data_preparator,
                                          demo=demo or DemoSource(), options=options, jobs=jobs, shard=shard,
                                          note=console.print)
    except GateRefused as e:
        e.render(console)
        return 1
    except Cancelled as e:
        result = _partial(e, ManyReport)
        cut = e
    leaderboard.print_leaderboard(result, console)
    if files.json is not None:
        leaderboard.write_json_many(result, Path(files.json))
    if files.junit is not None:
        leaderboard.write_junit_many(result, Path(files.junit))
    write_html_reports(leaderboard.report_dict_many(result), [result.preparation], files.html, files.command, console)
    if cut is not None:
        raise cut
    return 0 if result.ok else 1


def run_test(benchmark: Path | str | Benchmark | None = None, *,
             cubes: Mapping[str, Path | Cube | None] | None = None, demo: DemoSource | None = None,
             options: RunOptions | None = None, files: ReportFiles | None = None, output_format: str = "text",
             verbosity: int = 0, gating: Gating | None = None, target: str = "medperf") -> int:
    """`medcube test` for one submission (validator.commands.test.test_command), printed: the run report (to stderr
    when stdout carries ``output_format`` json, sarif, github or gnu), the report ``files`` written; the exit code
    (0 only when all passed: a failed build or task fails whatever is ignored, findings fail as the gate says).
    ``verbosity``: -1 no progress lines, 1 the build logs too. ``target``: the runtime the verdict is for (medperf,
    mlcube), named in every report. Called from Python, the same as the command line."""
    import dataclasses

    from validator.chain.options import RunOptions
    from validator.commands.common import (
        DemoSource,
        Gating,
        ReportFiles,
        log_console,
        write_html_reports,
        write_text,
    )
    from validator.commands.session import GateRefused
    from validator.commands.test import test_command
    from validator.report import json_report
    from validator.report import text as text_report

    options = options or RunOptions()
    files = files or ReportFiles()
    console = options.console or log_console(output_format != "text")  # the run report's, even when quiet
    options = dataclasses.replace(options, console=None if verbosity < 0 else console,
                                  verbose=options.verbose or verbosity > 0)
    from validator.commands.test import TestResult

    cut = None  # a signal: the report so far is printed and written, marked cancelled, then medcube ends
    try:
        result = test_command(benchmark, cubes=cubes, demo=demo or DemoSource(), options=options,
                              gating=gating or Gating(), target=target)
    except GateRefused as e:
        e.render(console)
        return 1
    except Cancelled as e:
        result = _partial(e, TestResult)
        cut = e
    text_report.print_run_report(result.run, console)
    if output_format == "json":
        import json

        print(json.dumps(json_report.run_json(result.run), indent=2))
    elif output_format == "sarif":
        from validator.report import sarif

        print(sarif.render(result.findings, target=target, cancelled=result.run.cancelled), end="")
    elif output_format != "text":  # line formats; the run report with its target goes to stderr
        from validator.report import formats

        print(formats.render_findings(output_format, result.findings), end="")
    if files.json is not None:
        json_report.write_run_json(result.run, Path(files.json))
    if files.junit is not None:
        from validator.report import junit as junit_report  # only when asked for: xml.etree costs every run

        junit_report.write_junit(result.run, Path(files.junit))
    if files.sarif is not None:
        from validator.report import sarif

        write_text(Path(files.sarif), sarif.render(result.findings, target=target, cancelled=result.run.cancelled),
                   "--sarif-file")
    write_html_reports(json_report.report_dict(result.run), [result.run], files.html, files.command, console)
    if cut is not None:
        raise cut
    if not result.failed and result.run.ok and result.gate_fails:
        console.print(f"FAIL (--fail-on {result.gate.fail_on}): the {result.gate.fail_on}s above fail the test")
    return 0 if result.ok else 1


def _partial(e: Cancelled, kind: type[_T]) -> _T:
    """What a command had when the signal came (validator.cancel: ``e.partial``), for its report; when it has none
    of that kind (a signal before anything ran) the signal goes on."""
    if isinstance(e.partial, kind):
        return e.partial
    raise e


_ARGV: list[str] = []  # the arguments of this process's command line, when it is `medcube ...`


def _engine(engine: Optional[EngineName], runner: Optional[RunnerName]) -> None:
    """--engine: the socket it names, for every engine client of this run (a container runner only)."""
    if runner != RunnerName.local:
        from validator.engine.client.kind import select

        select(engine.value if engine else None)


def _shown(path: Path) -> str:
    """A path as the reports show it: relative to the working directory when under it."""
    from validator.paths import display_path

    return display_path(path)


def _command_line() -> tuple[str, ...]:
    """The command line as typed (for the HTML report); empty when the CLI was called from Python."""
    return ("medcube", *_ARGV) if _ARGV else ()


def main():
    _ARGV[:] = sys.argv[1:]
    from validator import cancel

    cancel.install()  # SIGINT / SIGTERM: Cancelled, through every cleanup on the way out
    try:
        app()
    except cancel.Cancelled as e:
        print(cancel.message(e), file=sys.stderr)
        raise SystemExit(e.exit_code) from None
    finally:
        # The process ends here: the collector need not walk every object once more while the interpreter shuts
        # down (about 50 ms a run, a sixth of medcube's own time in `medcube test`). Nothing is skipped: atexit
        # handlers still run, files are still flushed and closed.
        gc.freeze()


if __name__ == "__main__":
    main()

