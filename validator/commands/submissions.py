"""`medcube test BENCH --model A --model B ...` and `medcube merge-reports`: many submissions against one
benchmark (validator.chain.submissions runs them, validator.report.leaderboard prints and writes them), and the
merge of the JSON reports of shards run on several machines (validator.report.merge). The single-run command is
validator.commands.test's."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from validator.chain.benchmark import Benchmark, load_benchmark
from validator.chain.demo_data import load_demo_data
from validator.chain.options import RunOptions
from validator.commands.common import DemoSource, ReportFiles, default_benchmark_path, write_html_reports
from validator.errors import UserError
from validator.manifest.model import Cube
from validator.manifest.roles import ROLES
from validator.report.console import stderr


def _load_cube(value: Path | str | Cube) -> Cube:
    if isinstance(value, Cube):
        return value
    from validator.manifest.load import load_cube

    return load_cube(value)


def test_submissions_command(
    benchmark: Path | str | Benchmark | None = None,
    *,
    models: Sequence[Path] = (),
    metrics: Sequence[Path] = (),
    data_preparator: Path | Cube | None = None,
    demo: DemoSource = DemoSource(),
    options: RunOptions | None = None,
    files: ReportFiles = ReportFiles(),
    jobs: int | None = None,
    shard: str | None = None,
    verbosity: int = 0,
) -> int:
    """`medcube test BENCH --model A --model B ... --metrics M ...`: the data preparation once, then every model
    submission (infer, and evaluate with the benchmark's metrics cube) and every metrics submission (evaluate on
    the benchmark model's predictions), ``jobs`` at a time; a leaderboard ranked by the benchmark's primary metric.
    A folder holding cube folders stands for them. 0 only when every submission passed."""
    from validator.chain.submissions import Submission, expand_cubes, parse_shard, run_submissions
    from validator.chain.submissions import shard as take_shard
    from validator.report import leaderboard

    if jobs is not None and jobs < 1:
        raise UserError(f"--jobs {jobs}: expected 1 or more", hint="--jobs N runs N submissions at a time")
    part = parse_shard(shard) if shard is not None else None
    options = options or RunOptions()
    console = options.console or Console(highlight=False, emoji=False)
    options = dataclasses.replace(options, console=None if verbosity < 0 else console, verbose=verbosity > 0)
    submissions = [Submission(str(p), "model") for p in expand_cubes(list(models), "model")]
    submissions += [Submission(str(p), "metrics") for p in expand_cubes(list(metrics), "metrics")]
    if part is not None:
        submissions = take_shard(submissions, *part)
        console.print(f"shard {part[0]}/{part[1]}: {len(submissions)} submission(s)")
    if not submissions:
        raise UserError("no submission to run", hint="pass --model/--metrics cube folders (or folders holding them)"
                        + ("; this shard is empty: use fewer shards than submissions" if part else ""))
    bench = benchmark if isinstance(benchmark, Benchmark) else load_benchmark(
        benchmark if benchmark is not None else default_benchmark_path())
    from validator.checks import gate as static_gate
    from validator.report import text as text_report

    chosen = [bench.cube(role) for role in ROLES] + ([data_preparator] if data_preparator is not None else [])
    refused = static_gate.refused(chosen)  # each submission passes the gate on its own (chain.submissions)
    if refused:  # nothing is built or run while a cube of the benchmark fails it (host safety, the contract)
        text_report.print_text(refused, console)
        console.print(f"Static checks failed for {len(refused)} cube(s): medcube builds and runs no cube before they "
                      "pass (`medcube validate --static CUBE` shows the same).", markup=False)
        return 1
    cubes = {role: _load_cube(bench.cube(role)) for role in ROLES}
    if data_preparator is not None:
        cubes["data_preparator"] = _load_cube(data_preparator)
    if demo.path is not None:
        demo_data = load_demo_data(Path(demo.path), demo.sha256)
    else:
        demo_data = load_demo_data(bench.demo_data, demo.sha256 or bench.demo_sha256)
    if options.probes is not None:  # each submission's probes (validator.chain.submission_probes); the
        # preparator's own runs (rerun, faults) only when it is under test
        roles = frozenset({"model", "metrics"} | ({"data_preparator"} if data_preparator is not None else set()))
        options = dataclasses.replace(options, probes=dataclasses.replace(options.probes, roles=roles))
    result = run_submissions(bench, cubes, demo_data, submissions, options, jobs=jobs)
    leaderboard.print_leaderboard(result, console)
    if files.json is not None:
        leaderboard.write_json_many(result, Path(files.json))
    if files.junit is not None:
        leaderboard.write_junit_many(result, Path(files.junit))
    write_html_reports(leaderboard.report_dict_many(result), [result.preparation], files.html, files.command, console)
    return 0 if result.ok else 1


test_submissions_command.__test__ = False  # type: ignore[attr-defined]


def merge_reports_command(reports: list[Path], output: Path | None) -> int:
    """`medcube merge-reports`: the JSON reports of shards -> one leaderboard report (stdout or ``output``);
    0 only when every shard passed."""
    import json

    from validator.report.merge import merge_reports

    merged = merge_reports(list(reports))
    text = json.dumps(merged, indent=2) + "\n"
    if output is None:
        print(text, end="")
    else:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text)
        stderr().print(f"merged {len(reports)} report(s), {len(merged['submissions'])} submission(s): {output}")
    return 0 if merged["ok"] else 1
