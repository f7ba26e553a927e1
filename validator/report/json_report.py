"""Findings and chain runs as JSON: `medcube validate --format json` and `medcube test --report`."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path


def to_json(reports, runs=None) -> str:
    """The static reports; with `runs` (one run report per cube, from the build-and-run stage) each cube also gets
    a "run" object and "ok" covers both stages."""
    cubes = []
    for i, r in enumerate(reports):
        d = r.to_dict()
        d["findings"] = [
            {k: f[k] for k in ("severity", "code", "file", "line", "column", "message", "hint")} for f in d["findings"]
        ]
        if runs is not None:
            d["run"] = report_dict(runs[i])
            d["ok"] = d["ok"] and runs[i].ok
        cubes.append(d)
    return json.dumps({"ok": all(c["ok"] for c in cubes), "cubes": cubes}, indent=2)


def _clean(value):
    """JSON has no NaN or infinity: write null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def report_dict(report) -> dict:
    return _clean({
        "ok": report.ok,
        "benchmark": report.benchmark,
        "runner": report.runner,
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
    Path(path).write_text(json.dumps(report_dict(report), indent=2) + "\n")



def write_json(reports, runs=None) -> None:
    sys.stdout.write(to_json(reports, runs) + "\n")
