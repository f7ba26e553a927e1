"""Findings and chain runs as text for a person: the static findings table, the run table with the metrics."""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from validator.chain.result import flatten_metrics
from validator.engine.limits import human_size
from validator.report.console import stdout
from validator.textsafe import printable


def _safe(text) -> Text:
    """Text a cube may control (task and cube names, messages, log lines, metric names): control characters
    escaped, and never read as console markup."""
    return Text(printable(str(text)))

_MARK = {"error": Text("error", style="red"), "warning": Text("warn", style="yellow"), "info": Text("info", style="dim")}


def print_text(reports, console: Console | None = None) -> None:
    console = console or stdout()
    for r in reports:
        errors = sum(f.is_error for f in r.findings)
        infos = sum(f.severity == "info" for f in r.findings)
        warnings = len(r.findings) - errors - infos
        status = Text("PASS", style="bold green") if r.ok else Text("FAIL", style="bold red")
        target = getattr(r, "target", None)
        title = Text.assemble(status, printable(f"  {r.path}"),
                              f"  ({r.role or 'role unknown'}" + (f", for {target}" if target else "") + ")")
        console.print(title)
        if r.findings:
            # Narrow terminals (CI logs are 80 columns): fixed small columns, paths relative to the cube (its path is
            # in the title), and the where/problem columns wrap instead of collapsing to an ellipsis.
            table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
            table.add_column("", no_wrap=True, min_width=5)
            table.add_column("code", no_wrap=True, min_width=5)
            table.add_column("where", overflow="fold", ratio=1)
            table.add_column("problem and fix", overflow="fold", ratio=3, min_width=24)
            prefix = r.path.rstrip("/") + "/"
            for f in sorted(r.findings, key=lambda f: (not f.is_error, f.file, f.line or 0)):
                mark = _MARK.get(f.severity, _MARK["warning"])
                text = Text(f.message)
                if f.hint:
                    text.append("\n→ " + f.hint, style="dim")
                where = f.where()
                table.add_row(mark, f.code, where[len(prefix):] if where.startswith(prefix) else where, text)
            console.print(table)
        console.print(f"  {errors} error(s), {warnings} warning(s)" + (f", {infos} info" if infos else "") + "\n")



STATUS_STYLE = {"passed": "green", "skipped": "dim", "failed": "red", "timeout": "red", "oom": "red", "error": "red",
          "warning": "yellow", "cancelled": "bold yellow"}


def seconds_text(s: float | None) -> str:
    return "-" if s is None else f"{s:.1f}s"


def metric_text(v) -> str:
    if v is None:
        return "undefined"
    if isinstance(v, float):
        return f"{v:.4f}" if math.isfinite(v) else str(v)
    return str(v)


def print_run_report(report, console: Console | None = None, max_metrics: int = 30) -> None:
    console = console or Console(highlight=False, emoji=False)
    for note in report.notes:
        console.print(Text.assemble(("note:", "yellow"), " ", _safe(note)))
    failed_builds = [b for b in report.builds if not b.ok]
    for b in failed_builds:
        console.print(Text.assemble(("build failed ", "bold red"), _safe(f"{b.cube}: {b.message}")))
        for f in b.findings:
            if f.hint:
                console.print(Text(f"  → {f.hint}", style="dim"))
        if b.log_tail:
            console.print(Text(_indent(printable(b.log_tail)), style="dim"))
    if report.tasks:
        engine = f" ({report.engine})" if report.engine else ""
        target = getattr(report, "target", "medperf")
        table = Table(title=f"{report.benchmark} for {target}: {report.runner} runner{engine}", title_justify="left",
                      header_style="bold")
        table.add_column("task")
        table.add_column("cube")
        table.add_column("status")
        table.add_column("time", justify="right")
        table.add_column("peak memory", justify="right")
        widths = [max(len(t.task) for t in report.tasks), max(len(Path(t.cube).name) for t in report.tasks), 7, 6, 11]
        room = console.width - sum(widths) - 3 * 6 - 1
        notes = room >= 20 and any(t.status != "passed" and t.message for t in report.tasks)
        if notes:
            table.add_column("note")  # shortened here, in full below the table
        for t in report.tasks:
            row: list[Text | str] = [_safe(t.task), _safe(Path(t.cube).name),
                                     Text(t.status, style=STATUS_STYLE.get(t.status, "")), seconds_text(t.seconds),
                                     human_size(t.peak_memory_bytes)]
            if notes:
                row.append(_safe(_shorten(t.message, room)) if t.status != "passed" else "")
            table.add_row(*row)
        console.print(table)
    for t in report.tasks:
        if t.status in ("passed", "skipped") and not t.findings:
            continue
        if not t.findings and not t.log_tail:
            continue
        console.print(Text.assemble((printable(t.task), "bold"), _safe(f" ({Path(t.cube).name}): {t.status}")))
        print_findings(t.findings, console)
        if t.status != "passed" and t.log_tail:
            console.print(Text(printable(f"  last lines of the log ({t.log_path}):"), style="dim"))
            console.print(Text(_indent(printable(t.log_tail), "    "), style="dim"))
    _print_probes(report, console)
    for f in report.findings:
        word, style = {"error": ("error ", "red"), "info": ("info ", "cyan")}.get(f.severity, ("warn ", "yellow"))
        console.print(Text.assemble((word, style), _safe(f"{f.code} {f.message}")))
        if f.hint:
            console.print(Text(printable(f"  → {f.hint}"), style="dim"))
    metrics = flatten_metrics(report.results)
    if metrics:
        mt = Table(title="metrics", title_justify="left", header_style="bold", box=None)
        mt.add_column("metric")
        mt.add_column("value", justify="right")
        for name, v in metrics[:max_metrics]:
            mt.add_row(_safe(name), _safe(metric_text(v)))
        console.print(mt)
        if len(metrics) > max_metrics:
            console.print(f"  ... and {len(metrics) - max_metrics} more (see --report)", style="dim")
    passed = sum(t.status == "passed" for t in report.tasks)
    verdict = Text("PASS", style="bold green") if report.ok else Text("FAIL", style="bold red")
    stopped = getattr(report, "cancelled", None)
    if stopped:
        verdict = Text(f"CANCELLED by {stopped} (what ran before it):", style="bold yellow")
    probes = getattr(report, "probes", None) or []
    failed_probes = [p.name for p in probes if p.status == "failed"]
    warned = [p.name for p in probes if p.status == "warning"]
    checks = (f", probe{'s' if len(failed_probes) > 1 else ''} {', '.join(failed_probes)} failed" if failed_probes else "") + (
        f", warnings from {', '.join(warned)}" if warned else "")
    summary = f"  {passed}/{len(report.tasks)} tasks passed{checks} in {report.seconds:.1f}s" if report.tasks else (
        f"  {len(report.builds)} image(s) ready" if report.ok else
        "  build failed" if any(not b.ok for b in report.builds) else "  image(s) built, run-stage errors above")
    image = "" if report.runner == "docker" else " (no image built)"
    engine = f"; engine: {report.engine}" if report.engine else ""
    console.print(Text.assemble(verdict, summary, _safe(f"; runner: {report.runner}{image}{engine}; run folder: {report.run_dir}")))


def _print_probes(report, console: Console) -> None:
    probes = getattr(report, "probes", None) or []
    if not probes:
        return
    table = Table(title="probes", title_justify="left", header_style="bold")
    table.add_column("probe")
    table.add_column("status")
    table.add_column("time", justify="right")
    room = console.width - max(len(p.name) for p in probes) - 7 - 6 - 3 * 4 - 1
    if room >= 20:
        table.add_column("note")
    for p in probes:
        row = [p.name, Text(p.status, style=STATUS_STYLE.get(p.status, "")), seconds_text(p.seconds) if p.runs else "-"]
        if room >= 20:
            row.append(_safe(_shorten(p.message, room)))
        table.add_row(*row)
    console.print(table)
    for p in probes:
        if not p.findings:
            continue
        console.print(Text.assemble((f"probe {p.name}", "bold"), f": {p.status}"))
        print_findings(p.findings, console)


def print_findings(findings, console: Console) -> None:
    """A task's or a probe's findings, one a line, each with its hint below."""
    for f in findings:
        mark = Text("error", style="red") if f.is_error else Text("warn", style="yellow")
        console.print(Text.assemble("  ", mark, f" {f.code} {f.message}"))
        if f.hint:
            console.print(Text(f"    → {f.hint}", style="dim"))


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _indent(text: str, pad: str = "  ") -> str:
    return "\n".join(pad + ln for ln in text.splitlines())
