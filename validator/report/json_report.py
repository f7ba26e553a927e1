"""Findings and chain runs as JSON: `medcube validate --format json` and `medcube test --report`."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

# The JSON report's format (`medcube schema report`), apart from medcube's version: raised only when a field is
# removed or changes meaning; new fields may come within a format version.
FORMAT_VERSION = 1


def to_json(reports, runs=None, oks=None, cancelled: str | None = None) -> str:
    """The static reports; with `runs` (one run report per cube, from the build-and-run stage) each cube also gets
    a "run" object and "ok" covers both stages; `oks` (one per cube) is the verdict after gating (--fail-on);
    `cancelled`: the signal that cancelled the run stage (status "cancelled")."""
    from validator import VERSION

    cubes = []
    for i, r in enumerate(reports):
        d = r.to_dict()
        d["findings"] = [
            {k: f[k] for k in ("severity", "code", "file", "line", "column", "message", "hint")} for f in d["findings"]
        ]
        if runs is not None:
            if runs[i] is not None:  # None: not run (not a benchmark cube)
                d["run"] = report_dict(runs[i])
                d["ok"] = d["ok"] and runs[i].ok
        if oks is not None:
            d["ok"] = bool(oks[i])
        cubes.append(d)
    return json.dumps({"format_version": FORMAT_VERSION, "version": VERSION,
                       "ok": all(c["ok"] for c in cubes) and cancelled is None, **status(cancelled),
                       "cubes": cubes}, indent=2)


def status(cancelled: str | None) -> dict:
    """The report's "status": "completed", or "cancelled" with the signal ("cancelled_by"): the report then has
    what ran before the signal."""
    return {"status": "completed"} if cancelled is None else {"status": "cancelled", "cancelled_by": cancelled}


def clean_json(value):
    """JSON has no NaN or infinity: write null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    return value


def report_dict(report) -> dict:
    return clean_json({
        "ok": report.ok,
        **status(getattr(report, "cancelled", None)),
        "benchmark": report.benchmark,
        "target": getattr(report, "target", "medperf"),
        "runner": report.runner,
        "engine": report.engine,
        "image_built": report.image_built,
        "run_dir": str(report.run_dir),
        "seconds": round(report.seconds, 3),
        "notes": report.notes,
        "builds": [b.to_dict() for b in report.builds],
        "tasks": [t.to_dict() for t in report.tasks],
        "results": report.results,
        "findings": [f.to_dict() for f in report.findings],
        "probes": [p.to_dict() for p in getattr(report, "probes", [])],
    })


def write_run_json(report, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(run_json(report), indent=2) + "\n")


def run_json(report) -> dict:
    """One chain run as the JSON of `test --report` and `test --format json`, with medcube's version."""
    from validator import VERSION

    return {"format_version": FORMAT_VERSION, "version": VERSION, **report_dict(report)}



def write_json(reports, runs=None, oks=None, cancelled: str | None = None) -> None:
    sys.stdout.write(to_json(reports, runs, oks, cancelled) + "\n")
