"""A run as one self-contained HTML page: `medcube test --html PATH` and `medcube validate --html PATH`.

Input: the JSON-able dict that `test --report` and `validate --format json` write (optionally with a
"submissions" list for several models), and the run folder, from which the predictions, labels, prepared images
and log tails are read (defensively: see validator.report.runfiles). Output: one HTML string.

Choices, and why:
- jinja2 with autoescaping on renders `templates/report.html.j2`: a well-kept engine (already installed with
  cookiecutter), and every string from a report or a cube passes through its escaping; nothing is marked safe
  except numbers this module formats and the base64 of PNGs it encodes.
- The pictures are inline SVG drawn by the template from coordinates computed in validator.report.charts: no
  plotting library to install or ship, no JavaScript, a few kilobytes a chart, crisp at any zoom, text in the
  charts selectable and searchable. Prepared images are PNGs encoded with zlib (runfiles.png) as data: URIs.
- No script at all, collapsible parts are <details>; a Content-Security-Policy meta allows nothing but the
  page's own stylesheet (by hash) and data: images, so even a mistake in escaping could not load or run anything.
"""

from __future__ import annotations

import base64
import hashlib
import math
import shlex
import time
from pathlib import Path

import jinja2
import markupsafe

from validator.engine.limits import human_size
from validator.report import charts
from validator.report import runfiles as rf
from validator.report.text import metric_text
from validator.textsafe import printable

_TEMPLATES = Path(__file__).parent / "templates"
STRIP_IMAGES = 6  # prepared images shown with their labels and the model's top predictions
MAX_STRIP_PNG = 200_000  # bytes; a larger image is left out of the strip
TOP_PREDICTIONS = 3
MAX_ROC_LABELS = 32
LOG_LINES = 60
_BUILD_TEXT = {"cached": "up to date", "present": "present (no Dockerfile)", "not_built": "not built"}


def findings_doc_url() -> str:
    """Where docs/findings.md is: the file in a source checkout, else the path inside the repository."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "findings.md"
    return doc.as_uri() if doc.is_file() else "docs/findings.md"


def _code_titles() -> dict[str, str]:
    from validator.codes import CATALOGUE

    return {code: entry.title for code, entry in CATALOGUE.items()}


def _num(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _fmt(value) -> str:
    return metric_text(value)


def _size(n) -> str:
    """A size from the JSON (anything a cube's run could have put there) as text."""
    if not isinstance(n, (int, float)) or isinstance(n, bool):
        return "-"
    return human_size(int(n))


def _seconds(s) -> str:
    return "-" if _num(s) is None else f"{s:.1f}s"


def _display(path) -> str:
    """A path as the person who ran medcube would write it: relative to the working directory when inside it."""
    text = str(path or "")
    try:
        return str(Path(text).relative_to(Path.cwd())) if text and Path(text).is_absolute() else text
    except ValueError:
        return text


def _name(path) -> str:
    return Path(str(path or "?")).name or str(path)


# -- the parts of a page -------------------------------------------------------------------------------------------
def _finding(f: dict, source: str, doc: str, titles: dict[str, str]) -> dict:
    code = str(f.get("code") or "")
    where = _display(f.get("file"))
    if f.get("line") is not None:
        where += f":{f['line']}" + (f":{f['column']}" if f.get("column") is not None else "")
    return {"severity": "error" if f.get("severity") == "error" else "warning", "code": code,
            "title": titles.get(code, ""), "href": f"{doc}#{code.lower()}", "where": where,
            "message": str(f.get("message") or ""), "hint": str(f.get("hint") or ""), "source": source}


def _run_findings(run: dict) -> list[tuple[str, dict]]:
    out = [("run", f) for f in run.get("findings") or []]
    for b in run.get("builds") or []:
        out += [(f"build {b.get('image') or _name(b.get('cube'))}", f) for f in b.get("findings") or []]
    for t in run.get("tasks") or []:
        out += [(f"task {t.get('task')} ({_name(t.get('cube'))})", f) for f in t.get("findings") or []]
    for p in run.get("probes") or []:
        out += [(f"probe {p.get('name')}", f) for f in p.get("findings") or []]
    return out


def _cube_rows(runs: list[dict], image_sizes: dict[str, int]) -> list[dict]:
    rows, seen = [], set()
    for run in runs:
        for b in run.get("builds") or []:
            image = b.get("image")
            status = str(b.get("status") or "")
            build = (f"built in {_seconds(b.get('seconds'))}" if status == "built" else
                     f"failed after {_seconds(b.get('seconds'))}" if status == "failed" else _BUILD_TEXT.get(status, status))
            size = b.get("image_size_bytes", image_sizes.get(str(image)))
            rows.append({"path": _display(b.get("cube")), "role": str(b.get("role") or "?"), "image": str(image or "-"),
                         "size": _size(size), "build": build, "failed": status == "failed"})
            seen.add(str(b.get("cube")))
        for t in run.get("tasks") or []:
            cube = str(t.get("cube") or "")
            if cube not in seen:  # the local runner builds nothing
                seen.add(cube)
                rows.append({"path": _display(cube), "role": str(t.get("role") or "?"), "image": "- (" + str(t.get("runner") or "?") + " runner)",
                             "size": "-", "build": "no image", "failed": False})
    return rows


def _timeline(run: dict) -> dict | None:
    spans = [charts.Span(f"build {_name(b.get('cube'))}", "build", str(b.get("status")), _num(b.get("seconds")) or 0.0)
             for b in run.get("builds") or [] if b.get("status") in ("built", "failed")]
    spans += [charts.Span(f"{t.get('task')}", "task", str(t.get("status")), _num(t.get("seconds")) or 0.0)
              for t in run.get("tasks") or [] if t.get("status") != "skipped"]
    spans += [charts.Span(f"probe {p.get('name')}", "probe", str(p.get("status")), _num(p.get("seconds")) or 0.0)
              for p in run.get("probes") or [] if (_num(p.get("seconds")) or 0) > 0]
    if not spans:
        return None
    spans, ticks, total = charts.timeline(spans, 560)
    for s in spans:
        s.failed = s.status not in ("passed", "built", "skipped", "warning")
    return {"spans": spans, "ticks": ticks, "total": f"{total:.1f}s", "height": len(spans) * 20}


def _memory(run: dict) -> dict | None:
    items = [(str(t.get("task")), _num(t.get("peak_memory_bytes")), _size(t.get("peak_memory_bytes")), str(t.get("status")))
             for t in run.get("tasks") or [] if t.get("status") != "skipped"]
    if not any(v is not None for _, v, _, _ in items):
        return None
    mib = [(label, None if v is None else v / 2**20, text, status) for label, v, text, status in items]
    bars, ticks = charts.scaled_bars(mib, 400)
    return {"bars": bars, "ticks": [(x, f"{t} MiB") for x, t in ticks], "height": len(bars) * 22}


def _label_names(results: dict, width: int) -> list[str]:
    per = results.get("per_label_AUC")
    if isinstance(per, dict) and len(per) == width:
        return [str(k) for k in per]
    return [str(i) for i in range(width)]


def _figures(results: dict, root: Path | None) -> dict:
    """Per-label AUC bars, ROC curves and the image strip (the last two only with predictions in the run folder)."""
    out: dict = {"auc": None, "rocs": [], "strip": [], "threshold": None, "notes": []}
    per = results.get("per_label_AUC")
    if isinstance(per, dict) and per:
        bars = charts.value_bars([(str(k), _num(v)) for k, v in per.items()], 360)
        out["auc"] = {"bars": bars, "height": len(bars) * 22,
                      "undefined": [b.label for b in bars if b.value is None]}
    out["threshold"] = _num(results.get("threshold"))
    if root is None:
        return out
    preds = rf.read_predictions(root)
    if not preds:
        out["notes"].append("no readable predictions/predictions.json in the run folder: no ROC curves")
        return out
    width = max((len(v) for v in preds.values()), default=0)
    names = _label_names(results, width)
    truth: dict[str, list] = {}
    for rid in rf.list_records(root, "labels"):
        if rid in preds:
            arr = rf.read_npy(root, f"labels/{rid}.npy")
            if arr is not None and len(arr[1]) == width == len(preds[rid]):
                truth[rid] = [1 if v else 0 for v in arr[1]]
    if truth and width <= MAX_ROC_LABELS:
        for j, name in enumerate(names):
            roc = charts.roc_curve([truth[r][j] for r in truth], [preds[r][j] for r in truth])
            reported = _num(per.get(name)) if isinstance(per, dict) else None
            out["rocs"].append({"label": name, "path": None if roc is None else charts.curve_path(roc.points, 160, 14),
                                "auc": None if roc is None else f"{roc.auc:.3f}",
                                "reported": None if reported is None else f"{reported:.3f}",
                                "counts": "" if roc is None else f"{roc.positives} positive, {roc.negatives} negative"})
    elif not truth:
        out["notes"].append("no label arrays (labels/<id>.npy) matching the predictions: no ROC curves")
    for rid in sorted(truth or preds)[:STRIP_IMAGES]:
        arr = rf.read_npy(root, f"data/{rid}.npy", rf.MAX_IMAGE_NPY_BYTES)
        image = None if arr is None else rf.image_png(*arr)
        if image is None or len(image) > MAX_STRIP_PNG:
            continue
        scores = preds.get(rid, [])
        top = sorted(range(len(scores)), key=lambda j: -scores[j])[:TOP_PREDICTIONS]
        thr = out["threshold"] if out["threshold"] is not None else 0.5
        out["strip"].append({
            "id": rid, "src": "data:image/png;base64," + base64.b64encode(image).decode(),
            "truth": [names[j] for j, v in enumerate(truth.get(rid, [])) if v and j < len(names)],
            "top": [{"label": names[j] if j < len(names) else str(j), "p": f"{scores[j]:.2f}", "hit": scores[j] > thr}
                    for j in top]})
    return out


def _run_view(run: dict, root: Path | None) -> dict:
    raw = run.get("results")
    results: dict = raw if isinstance(raw, dict) else {}
    scalars = [(str(k), _fmt(v)) for k, v in results.items() if not isinstance(v, (dict, list))]
    detail = [(f"{k}.{k2}", _fmt(v2)) for k, v in results.items() if isinstance(v, dict) and k != "per_label_AUC"
              for k2, v2 in v.items() if not isinstance(v2, (dict, list))]
    recorded = str(run.get("run_dir") or "")

    def log(path) -> str | None:
        """The tail of a log named by its path in the report: under the recorded run folder, read from `root`."""
        if root is None or not path:
            return None
        if recorded and Path(str(path)).is_absolute() and Path(str(path)).is_relative_to(recorded):
            path = Path(str(path)).relative_to(recorded)
        return rf.log_tail(root, path, LOG_LINES)

    tasks = []
    for t in run.get("tasks") or []:
        tasks.append({"task": str(t.get("task")), "cube": _name(t.get("cube")), "role": str(t.get("role") or "?"),
                      "status": str(t.get("status")), "exit_code": t.get("exit_code"), "time": _seconds(t.get("seconds")),
                      "memory": _size(t.get("peak_memory_bytes")), "message": str(t.get("message") or ""),
                      "command": shlex.join(str(c) for c in t.get("command") or []), "log": log(t.get("log_path")),
                      "log_path": str(t.get("log_path") or "")})
    build_logs = []
    for b in run.get("builds") or []:
        if b.get("status") == "failed" and root is not None:
            build_logs.append({"image": str(b.get("image")), "message": str(b.get("message") or ""),
                               "log": log(b.get("log_path"))})
    probes = [{"name": str(p.get("name")), "status": str(p.get("status")), "message": str(p.get("message") or ""),
               "time": _seconds(p.get("seconds")) if p.get("runs") else "-"} for p in run.get("probes") or []]
    return {"benchmark": str(run.get("benchmark") or "?"), "target": str(run.get("target") or "medperf"),
            "runner": str(run.get("runner") or "?"),
            "engine": str(run.get("engine") or ""),
            "ok": bool(run.get("ok")), "seconds": _seconds(run.get("seconds")), "run_dir": str(run.get("run_dir") or ""),
            "notes": [str(n) for n in run.get("notes") or []], "tasks": tasks, "probes": probes,
            "build_logs": build_logs, "timeline": _timeline(run), "memory": _memory(run), "scalars": scalars,
            "detail": detail, "figures": _figures(results, root) if results or root is not None else None}


def _leaderboard(submissions: list, primary: str | None = None, higher_is_better: bool = True) -> dict | None:
    """The leaderboard rows in the order of the terminal's table and the JSON (validator.chain.ranking), with up to
    six numeric metric columns, the benchmark's primary metric first."""
    from validator.chain.ranking import rank_key

    subs = [s for s in submissions if isinstance(s, dict)]
    if not subs:
        return None
    metrics: list[str] = [primary] if primary else []
    for s in subs:
        for k, v in (s.get("results") or {}).items():
            if _num(v) is not None and k not in metrics and k not in ("num_cases", "threshold"):
                metrics.append(str(k))
    metrics = metrics[:6]
    key = metrics[0] if metrics else None
    order = sorted(range(len(subs)), key=lambda k: rank_key(
        str(subs[k].get("role")), bool(subs[k].get("ok")),
        subs[k].get("results") if isinstance(subs[k].get("results"), dict) else None, key, higher_is_better, k))

    rows = []
    for i, s in enumerate((subs[k] for k in order), 1):
        tasks = [t for t in s.get("tasks") or [] if isinstance(t, dict)]
        errors = sum(f.get("severity") == "error" for f in s.get("findings") or [] if isinstance(f, dict))
        rows.append({"rank": i, "path": str(s.get("path") or "?"), "name": _name(s.get("path")),
                     "role": str(s.get("role") or "?"), "ok": bool(s.get("ok")),
                     "cells": [_fmt((s.get("results") or {}).get(m)) for m in metrics],
                     "tasks": f"{sum(t.get('status') == 'passed' for t in tasks)}/{len(tasks)}",
                     "errors": errors, "warnings": len(s.get("findings") or []) - errors})
    return {"metrics": metrics, "key": key, "rows": rows}


def page_context(data: dict, run_dir: Path | str | None = None, command: list[str] | str | None = None,
                 image_sizes: dict[str, int] | None = None) -> dict:
    """The template's context from a report dict (`test --report` or `validate --format json`)."""
    titles, doc = _code_titles(), findings_doc_url()
    image_sizes = image_sizes or {}
    static = [c for c in data.get("cubes") or [] if isinstance(c, dict)]
    runs = [c["run"] for c in static if isinstance(c.get("run"), dict)]
    if not static and (data.get("tasks") is not None or data.get("builds") is not None):
        runs = [data]
    findings = []
    for c in static:
        findings += [_finding(f, f"static: {_display(c.get('path'))}", doc, titles) for f in c.get("findings") or []]
    for run in runs:
        findings += [_finding(f, src, doc, titles) for src, f in _run_findings(run)]
    shown = [f for run in runs for _, f in _run_findings(run)]  # a submission's findings may repeat its run's
    for s in data.get("submissions") or []:
        if isinstance(s, dict):
            findings += [_finding(f, f"submission {_name(s.get('path'))}", doc, titles) for f in s.get("findings") or []
                         if isinstance(f, dict) and f not in shown]
    findings.sort(key=lambda f: f["severity"] != "error")
    run_views = []
    for run in runs:
        root = Path(run_dir) if run_dir is not None and len(runs) == 1 else (Path(run["run_dir"]) if run.get("run_dir") else None)
        run_views.append(_run_view(run, root))
    if isinstance(command, list):
        command = shlex.join(str(c) for c in command)
    command = command or (shlex.join(data["command"]) if isinstance(data.get("command"), list) else data.get("command"))
    cube_rows = _cube_rows(runs, image_sizes)
    for c in static:
        if not any(r["path"] == _display(c.get("path")) for r in cube_rows):
            cube_rows.append({"path": _display(c.get("path")), "role": str(c.get("role") or "?"), "image": "-", "size": "-",
                              "build": "static checks only", "failed": False})
    errors = sum(f["severity"] == "error" for f in findings)
    stopped = data.get("cancelled_by") if data.get("status") == "cancelled" else None
    return {"ok": bool(data.get("ok")), "kind": "validate" if static else "test", "command": command or "",
            "cancelled": str(stopped or "a signal") if data.get("status") == "cancelled" else None,
            "generated": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "cubes": cube_rows, "runs": run_views,
            "findings": findings, "errors": errors, "warnings": len(findings) - errors,
            "static": [{"path": _display(c.get("path")), "role": str(c.get("role") or "?"), "ok": bool(c.get("ok")),
                        "findings": len(c.get("findings") or [])} for c in static],
            "leaderboard": _leaderboard(data.get("submissions") or [], data.get("primary_metric"),
                                        data.get("higher_is_better", True) is not False),
            "findings_doc": doc}


def _printable(value):
    """Every value the page shows, control characters escaped (a cube's folder or file names reach the page from
    the run folder's files, not only through findings); markup medcube made stays markup."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              finalize=_printable)


def render_html(data: dict, run_dir: Path | str | None = None, command: list[str] | str | None = None,
                image_sizes: dict[str, int] | None = None) -> str:
    """The report page. `run_dir` overrides the run folder named in a single-run report; `command` is the command
    line that made it; `image_sizes` maps image tags to their size in bytes."""
    env = _environment()
    css = (_TEMPLATES / "report.css").read_text()
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; form-action 'none'"
    return env.get_template("report.html.j2").render(**page_context(data, run_dir, command, image_sizes), css=css, csp=csp)


def write_html(path: Path | str, data: dict, run_dir: Path | str | None = None, command: list[str] | str | None = None,
               image_sizes: dict[str, int] | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data, run_dir, command, image_sizes), encoding="utf-8")
    return path
