"""Merge the JSON reports of several `medcube test` runs over shards of the same submissions (`--shard i/n` on n
machines) into one leaderboard report: `medcube merge-reports a.json b.json ... -o all.json`.

The merged report: {"ok", "benchmark", "primary_metric", "higher_is_better", "merged_from": [files],
"preparations": [each run's report without its submissions], "submissions": [all, in leaderboard order]}; each
submission keeps the shape of a single run's ({"path", "role", "ok", "results", "tasks", "findings"}).
Every input problem is a UserError naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from validator import VERSION
from validator.chain.ranking import rank_key
from validator.errors import UserError
from validator.report.json_report import FORMAT_VERSION

MAX_REPORT_BYTES = 256 * 1024 * 1024


def _load(path: Path) -> dict:
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise UserError(f"{path}: larger than {MAX_REPORT_BYTES // 2**20} MiB, not a medcube report")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file", hint="pass the files written by `medcube test ... --report FILE`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{path}: not a JSON report ({e})", hint="pass the files written by `medcube test --report`") from None
    if not isinstance(data, dict) or not isinstance(data.get("submissions"), list):
        raise UserError(f"{path}: a report without \"submissions\"",
                        hint="merge the reports of runs with --model/--metrics submissions (`medcube test BENCH --model ... --report FILE`)")
    for n, s in enumerate(data["submissions"]):
        if not isinstance(s, dict) or not {"path", "role", "ok", "results"} <= set(s):
            raise UserError(f"{path}: submissions[{n}] lacks path, role, ok or results",
                            hint="the file was changed after medcube wrote it; run that shard again")
    return data


def merge_reports(paths: list[Path]) -> dict:
    if not paths:
        raise UserError("no report to merge", hint="medcube merge-reports shard1.json shard2.json ... -o all.json")
    reports = [(Path(p), _load(Path(p))) for p in paths]
    first_path, first = reports[0]
    for path, data in reports[1:]:
        for key in ("benchmark", "primary_metric", "higher_is_better"):
            if data.get(key) != first.get(key):
                raise UserError(f"{path}: {key} is {data.get(key)!r}, {first_path} has {first.get(key)!r}",
                                hint="merge only the shards of one benchmark's run")
    primary, higher = first.get("primary_metric"), first.get("higher_is_better", True)
    subs = [s for _, data in reports for s in data["submissions"]]
    order = sorted(range(len(subs)), key=lambda k: rank_key(subs[k]["role"], bool(subs[k]["ok"]), subs[k]["results"]
                                                             if isinstance(subs[k]["results"], dict) else None,
                                                             primary, higher, k))
    seen, notes = set(), []
    for s in subs:
        if s["path"] in seen:
            notes.append(f"{s['path']} is in more than one report (shards overlap)")
        seen.add(s["path"])
    return {
        "format_version": FORMAT_VERSION,
        "version": VERSION,
        "ok": all(bool(d.get("ok")) for _, d in reports),
        "benchmark": first.get("benchmark"),
        "primary_metric": primary,
        "higher_is_better": higher,
        "merged_from": [str(p) for p, _ in reports],
        "notes": notes,
        "preparations": [{k: v for k, v in d.items() if k != "submissions"} for _, d in reports],
        "submissions": [subs[k] for k in order],
    }
