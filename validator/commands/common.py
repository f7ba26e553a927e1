"""What the commands share: the benchmark and cubes they load, the gating and report options, the console,
the findings of a run as reported, and the HTML report written for a run."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from validator.chain.benchmark import Benchmark, load_benchmark
from validator.chain.result import RunReport
from validator.errors import UserError
from validator.findings import Finding
from validator.gating import Gate
from validator.report.console import stdout


@dataclass(frozen=True)
class Gating:
    """What fails a run, from the command line; the settings file nearest each cube fills in the rest."""

    fail_on: str | None = None  # "error" | "warning"; None: the settings file's, else "error"
    ignore: tuple[str, ...] = ()  # codes added to the settings file's
    use_settings: bool = True  # read .medcube.yaml / [tool.medcube] above each cube


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
    sarif: Path | None = None
    command: tuple[str, ...] = ()  # the command line, shown in the HTML report


def default_benchmark_path() -> Path:
    from validator.resources import default_benchmark

    path = default_benchmark()
    if not path.is_file():
        raise UserError(
            f"the bundled chest X-ray benchmark is missing ({path})",
            hint="pass a benchmark profile: medcube test path/to/benchmark.yaml",
        )
    return path


def load_benchmark_arg(benchmark) -> Benchmark:
    if isinstance(benchmark, Benchmark):
        return benchmark
    return load_benchmark(benchmark if benchmark is not None else default_benchmark_path())


def log_console(stderr: bool) -> Console:
    """The console for progress and run reports; in a log (not a terminal) lines are never wrapped."""
    console = Console(highlight=False, stderr=stderr, emoji=False)
    console.soft_wrap = not console.is_terminal
    return console


def findings_of_run(run: RunReport) -> list[Finding]:
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

    found: list[Finding] = []
    for holder, cube in run.holders():
        found += rebase(holder.findings, cube) if cube else holder.findings
    return found


def apply_gate(run: RunReport, gate: Gate) -> None:
    """Leave the ignored codes out of a run's findings, wherever they are held."""
    if not gate.ignore:
        return
    for holder, _ in run.holders():
        holder.findings = gate.kept(holder.findings)


def write_text(path: Path, text: str, option: str) -> None:
    """A report file a user asked for (its folder made), or a UserError naming the option."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    except OSError as e:
        raise UserError(f"{path}: cannot write it ({e.strerror or e})",
                        hint=f"Pass {option} a path in a folder you can write to.") from e


def write_html_reports(data: dict, runs: list[RunReport], html: Path | None, command: tuple[str, ...],
                       console: Console | None = None) -> None:
    """With --html: the HTML report of `data` at `html` and, the same page, as report.html in every run folder.
    Without it nothing is rendered: a plain run pays nothing for the page (about 0.25 s with the image sizes)."""
    if html is None:
        return
    from validator.engine.images.image_size import image_sizes
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
    try:
        Path(html).parent.mkdir(parents=True, exist_ok=True)
        Path(html).write_text(page, encoding="utf-8")
    except OSError as e:
        raise UserError(f"{html}: cannot write the HTML report ({e.strerror or e})",
                        hint="Pass --html a path in a folder you can write to.") from e
    console.print(f"HTML report: {html}")
