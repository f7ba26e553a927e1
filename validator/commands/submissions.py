"""`medcube test BENCH --model A --model B ...` and `medcube merge-reports`: many submissions against one
benchmark (validator.chain.submissions runs them, validator.report.leaderboard prints and writes them), and the
merge of the JSON reports of shards run on several machines (validator.report.merge). The single-run command is
validator.commands.test's."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from validator.chain.benchmark import Benchmark
from validator.chain.options import RunOptions
from validator.commands.common import DemoSource
from validator.errors import UserError
from validator.manifest.model import Cube

if TYPE_CHECKING:
    from validator.chain.submissions import ManyReport


def test_submissions_command(
    benchmark: Path | str | Benchmark | None = None,
    *,
    models: Sequence[Path] = (),
    metrics: Sequence[Path] = (),
    data_preparator: Path | Cube | None = None,
    demo: DemoSource = DemoSource(),
    options: RunOptions | None = None,
    jobs: int | None = None,
    shard: str | None = None,
    note: Callable[[str], None] | None = None,
) -> ManyReport:
    """`medcube test BENCH --model A --model B ... --metrics M ...`: the data preparation once, then every model
    submission (infer, and evaluate with the benchmark's metrics cube) and every metrics submission (evaluate on
    the benchmark model's predictions), ``jobs`` at a time; returns every run, ranked by the benchmark's primary
    metric (``ok`` only when every submission passed). A folder holding cube folders stands for them. Raises
    GateRefused (validator.commands.session) when the benchmark's cubes or the preparator given fail the static gate.
    Progress goes to ``options.console``; ``note`` is told the shard taken, before anything runs."""
    from validator.chain.submissions import Submission, expand_cubes, parse_shard, run_submissions
    from validator.chain.submissions import shard as take_shard
    from validator.commands.session import open_session

    if jobs is not None and jobs < 1:
        raise UserError(f"--jobs {jobs}: expected 1 or more", hint="--jobs N runs N submissions at a time")
    part = parse_shard(shard) if shard is not None else None
    options = options or RunOptions()
    tell = note or (lambda _text: None)
    submissions = [Submission(str(p), "model") for p in expand_cubes(list(models), "model")]
    submissions += [Submission(str(p), "metrics") for p in expand_cubes(list(metrics), "metrics")]
    if part is not None:
        submissions = take_shard(submissions, *part)
        tell(f"shard {part[0]}/{part[1]}: {len(submissions)} submission(s)")
    if not submissions:
        raise UserError("no submission to run", hint="pass --model/--metrics cube folders (or folders holding them)"
                        + ("; this shard is empty: use fewer shards than submissions" if part else ""))
    # The benchmark's cubes (and a preparator given) pass the gate before anything is built or run; each
    # submission passes it on its own (chain.submissions).
    session = open_session(benchmark, {"data_preparator": data_preparator}, demo)
    if options.probes is not None:  # each submission's probes (validator.chain.submission_probes); the
        # preparator's own runs (rerun, faults) only when it is under test
        roles = frozenset({"model", "metrics"} | ({"data_preparator"} if data_preparator is not None else set()))
        options = dataclasses.replace(options, probes=dataclasses.replace(options.probes, roles=roles))
    return run_submissions(session.bench, session.cubes, session.demo, submissions, options, jobs=jobs)


test_submissions_command.__test__ = False  # type: ignore[attr-defined]


def merge_reports_command(reports: list[Path]) -> dict:
    """`medcube merge-reports`: the JSON reports of shards -> one leaderboard report (``ok`` only when every shard
    passed)."""
    from validator.report.merge import merge_reports

    return merge_reports(list(reports))
