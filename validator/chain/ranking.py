"""The leaderboard's order: model submissions, then metrics submissions; within each the passed ones best first by
the benchmark's primary metric, then those without it, then the failed ones. Used for the table, the JSON, the HTML
page and the merge of shard reports alike."""

from __future__ import annotations

from validator.chain.result import flatten_metrics
from validator.chain.submissions import SUBMISSION_ROLES, ManyReport, Submission


def rank_key(role: str, ok: bool, results: dict | None, primary: str | None, higher_is_better: bool, k: int):
    """Sort key of one submission: model submissions, then metrics submissions (their numbers are not comparable
    with each other); within each, the passed ones best first by the primary metric (those without it after them),
    then the failed ones, each group in the order given (k)."""
    group = SUBMISSION_ROLES.index(role) if role in SUBMISSION_ROLES else len(SUBMISSION_ROLES)
    if not ok:
        return (group, 2, 0.0, k)
    value = dict(flatten_metrics(results)).get(primary) if primary else None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
        return (group, 1, 0.0, k)
    return (group, 0, -value if higher_is_better else value, k)


def ranked(report: ManyReport) -> list[Submission]:
    """The submissions in leaderboard order (rank_key)."""
    key = lambda item: rank_key(item[1].role, item[1].ok, item[1].results, report.primary_metric,  # noqa: E731
                                report.higher_is_better, item[0])
    return [s for _, s in sorted(enumerate(report.submissions), key=key)]


def ranks(report: ManyReport) -> list[tuple[int | None, Submission]]:
    """ranked() with each passed submission's rank within its role (None for a failed one)."""
    out: list[tuple[int | None, Submission]] = []
    seen: dict[str, int] = {}
    for s in ranked(report):
        if s.ok:
            seen[s.role] = seen.get(s.role, 0) + 1
        out.append((seen[s.role] if s.ok else None, s))
    return out
