"""The `medcube` command line: argument parsing only; every command calls a library function."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer
import typer.core

from validator.errors import UserError


class _Group(typer.core.TyperGroup):
    """Every command: a user's mistake is one clear message and exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as e:
            from validator.report.console import print_user_error

            print_user_error(e)
            raise typer.Exit(e.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="medcube",
    help="Create, validate and test MedPerf / MLCube benchmark containers (cubes).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class RunnerName(str, Enum):
    docker = "docker"
    local = "local"


class Role(str, Enum):
    data_preparator = "data_preparator"
    model = "model"
    metrics = "metrics"


@app.command()
def validate(
    paths: List[Path] = typer.Argument(..., help="Cube directories or config files (mlcube.yaml, container_config.yaml)."),
    static: bool = typer.Option(False, "--static", help="Only the static checks: no Docker, takes about a second."),
    format: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Report format."),
    benchmark: Optional[Path] = typer.Option(None, "--benchmark", help="Benchmark profile whose chain the cube joins (default: the bundled chest X-ray benchmark)."),
    no_run: bool = typer.Option(False, "--no-run", help="Build the image, run no task."),
    runner: Optional[RunnerName] = typer.Option(None, "--runner", help="docker (default when an engine answers) or local."),
    base_image: Optional[str] = typer.Option(None, "--base-image", envvar="MEDCUBE_BASE_IMAGE", help="Passed to the build as BASE_IMAGE."),
    gpus: Optional[str] = typer.Option(None, "--gpus", help="all | N | device=a,b"),
    rebuild: bool = typer.Option(False, "--rebuild", help="Build even when the context is unchanged."),
    build_timeout: Optional[float] = typer.Option(None, "--build-timeout", help="Seconds an image build may take (default 1800; 0: no limit)."),
    build_network: bool = typer.Option(False, "--build-network", help="Let builds use the network (by default they have none, like the tasks)."),
):
    """Check cubes: static checks first, then build and smoke-run them in a benchmark chain."""
    from validator.chain.options import RunOptions
    from validator.commands import validate_command
    from validator.engine.limits import Limits

    options = RunOptions(runner=runner.value if runner else None, base_image=base_image, rebuild=rebuild,
                         limits=Limits.from_options(gpus=gpus, build_timeout=build_timeout,
                                                   build_network=build_network), no_run=no_run)
    raise typer.Exit(validate_command(paths, static=static, output_format=format.value, benchmark=benchmark,
                                      options=options))


@app.command()
def test(
    benchmark: Optional[Path] = typer.Argument(None, help="Benchmark profile (benchmark.yaml) or its folder; default: the bundled chest X-ray benchmark."),
    data_preparator: Optional[Path] = typer.Option(None, "--data-preparator", help="Data preparator cube to use instead of the benchmark's."),
    model: Optional[Path] = typer.Option(None, "--model", help="Model cube to use instead of the benchmark's."),
    metrics: Optional[Path] = typer.Option(None, "--metrics", help="Metrics cube to use instead of the benchmark's."),
    demo_data: Optional[Path] = typer.Option(None, "--demo-data", help="Demo data: a folder holding paths.yaml, or a .tar.gz with paths.yaml at its root."),
    demo_sha256: Optional[str] = typer.Option(None, "--demo-sha256", help="Expected sha256 of the demo tarball, checked before extracting."),
    gpus: Optional[str] = typer.Option(None, "--gpus", help="all | N | device=a,b"),
    base_image: Optional[str] = typer.Option(None, "--base-image", envvar="MEDCUBE_BASE_IMAGE", help="Passed to every build as BASE_IMAGE."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds each task may run (default 1800; 0: no limit)."),
    memory: Optional[str] = typer.Option(None, "--memory", help="Memory limit per task, e.g. 4g (default 8g)."),
    cpus: Optional[float] = typer.Option(None, "--cpus", help="CPUs per task."),
    runner: Optional[RunnerName] = typer.Option(None, "--runner", help="docker (default when an engine answers) or local."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a JSON report here."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write a JUnit XML report here (one test case per task and per probe)."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Build images even when their context is unchanged."),
    run_dir: Optional[Path] = typer.Option(None, "--run-dir", help="Folder for the chained outputs and logs (default: a new folder under ~/.cache/medcube/runs)."),
    pids: Optional[int] = typer.Option(None, "--pids", help="Processes and threads per task (default 1024; 0: no limit)."),
    log_limit: Optional[str] = typer.Option(None, "--log-limit", help="Log kept on disk per task, e.g. 50m (the default); more is cut, keeping the end."),
    no_probe: Optional[List[str]] = typer.Option(None, "--no-probe", help="Switch one probe off (repeatable): gpu, inputs, permissions, network, determinism, rerun, faults."),
    no_probes: bool = typer.Option(False, "--no-probes", help="Switch every probe off: the plain chain, timed."),
    determinism_tolerance: Optional[float] = typer.Option(None, "--determinism-tolerance", help="Predictions of two infer runs are equal within this (relative, at least absolute; default 1e-5)."),
    strict_determinism: bool = typer.Option(False, "--strict-determinism", help="Different predictions of two infer runs are an error, not a warning."),
    build_timeout: Optional[float] = typer.Option(None, "--build-timeout", help="Seconds an image build may take (default 1800; 0: no limit)."),
    build_network: bool = typer.Option(False, "--build-network", help="Let builds use the network (by default they have none, like the tasks)."),
):
    """Run the benchmark chain prepare -> sanity_check -> statistics -> infer -> evaluate on demo data, like `medperf test run`,
    and probe what a benchmark would trip on: changed inputs, network, root, determinism, re-runs, a lax sanity_check, GPUs."""
    from validator.chain.options import RunOptions
    from validator.chain.probes import probe_options
    from validator.commands import DemoSource, ReportFiles, test_command
    from validator.engine.limits import Limits

    # Every option is read and checked here, before anything is built.
    options = RunOptions(
        runner=runner.value if runner else None, base_image=base_image, rebuild=rebuild, run_dir=run_dir,
        limits=Limits.from_options(timeout=timeout, memory=memory, cpus=cpus, pids=pids, gpus=gpus,
                                   log_limit=log_limit, build_timeout=build_timeout, build_network=build_network),
        probes=probe_options(no_probes, no_probe, determinism_tolerance, strict_determinism),
    )
    raise typer.Exit(test_command(
        benchmark, cubes={"data_preparator": data_preparator, "model": model, "metrics": metrics},
        demo=DemoSource(demo_data, demo_sha256), options=options, files=ReportFiles(report, junit),
    ))


@app.command()
def create(
    role: Role = typer.Argument(..., help="The cube's role: data_preparator, model or metrics."),
    output_dir: Path = typer.Option(Path("."), "--output-dir", "-o", help="Folder to create the cube in."),
    no_input: bool = typer.Option(False, "--no-input", help="Ask nothing: take the defaults and --extra-context."),
    extra_context: Optional[List[str]] = typer.Option(None, "--extra-context", "-e", help="Preset an answer as key=value (repeatable)."),
    example: Optional[str] = typer.Option(None, "--example", help="Start from a copy of a reference cube instead: chestxray."),
):
    """Create a new cube from medcube's template (the questions `medperf mlcube create` asks), or from a reference example."""
    from validator.create import create as create_cube
    from validator.create import next_steps

    typer.echo(next_steps(create_cube(role, output_dir, no_input, extra_context, example), role.value))


@app.command()
def convert(
    path: Path = typer.Argument(..., help="An mlcube.yaml, or a cube directory holding mlcube/mlcube.yaml."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write container_config.yaml (default: print it)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing output file."),
):
    """Convert an MLCube mlcube.yaml to MedPerf's current container_config.yaml."""
    from validator.commands import convert_command

    raise typer.Exit(convert_command(path, output, force))


@app.command()
def schema(
    name: str = typer.Argument(..., help="mlcube | container_config | parameters"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to a file instead of printing."),
):
    """Print a JSON Schema, for editors (yaml-language-server) and other tools."""
    from validator.commands import schema_command

    raise typer.Exit(schema_command(name, output))


@app.command()
def package(
    cube: Path = typer.Argument(..., help="The cube directory (or its config file) to package."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Deploy folder to write (default: CUBE/deploy)."),
):
    """Make the files `medperf container submit` needs, with their hashes and the exact submit command."""
    from validator.commands import package_command

    raise typer.Exit(package_command(cube, output))


@app.command("package-demo")
def package_demo(
    data_dir: Path = typer.Argument(..., help="Folder of the raw demo data records."),
    labels_dir: Path = typer.Argument(..., help="Folder of the raw demo labels."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Tarball to write (default: demo_data.tar.gz)."),
):
    """Make the demo dataset tarball (paths.yaml at its root) for `medperf benchmark submit --demo-url`."""
    from validator.commands import package_demo_command

    raise typer.Exit(package_demo_command(data_dir, labels_dir, output))


@app.command("verify-package")
def verify_package(folder: Path = typer.Argument(..., help="A deploy folder made by `medcube package`.")):
    """Re-check a deploy folder before uploading it: hashes, tarball safety, config validity."""
    from validator.commands import verify_package_command

    raise typer.Exit(verify_package_command(folder))


def main():
    app()


if __name__ == "__main__":
    main()
