"""A chain run (workflow.RunReport) -> a rich table with the metrics, a JSON report, a JUnit XML file."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from validator.engine.limits import human_size

_STYLE = {"passed": "green", "skipped": "dim", "failed": "red", "timeout": "red", "oom": "red", "error": "red",
          "warning": "yellow"}


def _seconds(s: float | None) -> str:
    return "-" if s is None else f"{s:.1f}s"


def flatten_metrics(results: dict | None, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for k, v in (results or {}).items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out += flatten_metrics(v, name + ".")
        else:
            out.append((name, v))
    return out


def _metric_text(v) -> str:
    if v is None:
        return "undefined"
    if isinstance(v, float):
        return f"{v:.4f}" if math.isfinite(v) else str(v)
    return str(v)


def print_run_report(report, console: Console | None = None, max_metrics: int = 30) -> None:
    console = console or Console(highlight=False)
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    failed_builds = [b for b in report.builds if not b.ok]
    for b in failed_builds:
        console.print(Text.assemble(("build failed ", "bold red"), f"{b.cube}: {b.message}"))
        for f in b.findings:
            if f.hint:
                console.print(f"  → {f.hint}", style="dim")
        if b.log_tail:
            console.print(Text(_indent(b.log_tail), style="dim"))
    if report.tasks:
        table = Table(title=f"{report.benchmark}: {report.runner} runner", title_justify="left", header_style="bold")
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
            row = [t.task, Path(t.cube).name, Text(t.status, style=_STYLE.get(t.status, "")), _seconds(t.seconds),
                   human_size(t.peak_memory_bytes)]
            if notes:
                row.append(_shorten(t.message, room) if t.status != "passed" else "")
            table.add_row(*row)
        console.print(table)
    for t in report.tasks:
        if t.status in ("passed", "skipped") and not t.findings:
            continue
        if not t.findings and not t.log_tail:
            continue
        console.print(Text.assemble((f"{t.task}", "bold"), f" ({Path(t.cube).name}): {t.status}"))
        _print_findings(t.findings, console)
        if t.status != "passed" and t.log_tail:
            console.print(f"  last lines of the log ({t.log_path}):", style="dim")
            console.print(Text(_indent(t.log_tail, "    "), style="dim"))
    _print_probes(report, console)
    for f in report.findings:
        console.print(Text.assemble(("error " if f.is_error else "warn ", "red" if f.is_error else "yellow"), f"{f.code} {f.message}"))
    metrics = flatten_metrics(report.results)
    if metrics:
        mt = Table(title="metrics", title_justify="left", header_style="bold", box=None)
        mt.add_column("metric")
        mt.add_column("value", justify="right")
        for name, v in metrics[:max_metrics]:
            mt.add_row(name, _metric_text(v))
        console.print(mt)
        if len(metrics) > max_metrics:
            console.print(f"  ... and {len(metrics) - max_metrics} more (see --report)", style="dim")
    passed = sum(t.status == "passed" for t in report.tasks)
    verdict = Text("PASS", style="bold green") if report.ok else Text("FAIL", style="bold red")
    probes = getattr(report, "probes", None) or []
    failed_probes = [p.name for p in probes if p.status == "failed"]
    warned = [p.name for p in probes if p.status == "warning"]
    checks = (f", probe{'s' if len(failed_probes) > 1 else ''} {', '.join(failed_probes)} failed" if failed_probes else "") + (
        f", warnings from {', '.join(warned)}" if warned else "")
    summary = f"  {passed}/{len(report.tasks)} tasks passed{checks} in {report.seconds:.1f}s" if report.tasks else (
        f"  {len(report.builds)} image(s) ready" if report.ok else "  build failed")
    image = "" if report.runner == "docker" else " (no image built)"
    console.print(Text.assemble(verdict, summary, f"; runner: {report.runner}{image}; run folder: {report.run_dir}"))


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
        row = [p.name, Text(p.status, style=_STYLE.get(p.status, "")), _seconds(p.seconds) if p.runs else "-"]
        if room >= 20:
            row.append(_shorten(p.message, room))
        table.add_row(*row)
    console.print(table)
    for p in probes:
        if not p.findings:
            continue
        console.print(Text.assemble((f"probe {p.name}", "bold"), f": {p.status}"))
        _print_findings(p.findings, console)


def _print_findings(findings, console: Console) -> None:
    """A task's or a probe's findings, one a line, each with its hint below."""
    for f in findings:
        mark = Text("error", style="red") if f.is_error else Text("warn", style="yellow")
        console.print(Text.assemble("  ", mark, f" {f.code} {f.message}"))
        if f.hint:
            console.print(f"    → {f.hint}", style="dim")


def _details(findings) -> str:
    """Findings as the text of a JUnit failure: code and message, each hint on its own line."""
    return "\n".join(f"{f.code} {f.message}" + (f"\n  hint: {f.hint}" if f.hint else "") for f in findings)


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _indent(text: str, pad: str = "  ") -> str:
    return "\n".join(pad + ln for ln in text.splitlines())


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


def write_json(report, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report_dict(report), indent=2) + "\n")


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _x(text) -> str:
    """Text an XML parser accepts (logs carry ANSI escapes and other control characters)."""
    return _XML_BAD.sub("", str(text or ""))


def junit_xml(report) -> str:
    tasks = report.tasks
    suite = ET.Element(
        "testsuite",
        name=f"medcube.{report.benchmark}",
        tests=str(len(tasks) + sum(not b.ok for b in report.builds)),
        failures=str(sum(t.status == "failed" for t in tasks)),
        errors=str(sum(t.status in ("error", "timeout", "oom") for t in tasks) + sum(not b.ok for b in report.builds)),
        skipped=str(sum(t.status == "skipped" for t in tasks)),
        time=f"{report.seconds:.3f}",
    )
    for b in report.builds:
        if b.ok:
            continue
        case = ET.SubElement(suite, "testcase", classname=f"{b.role or 'cube'}", name=_x(f"build {b.image}"),
                             time=f"{b.seconds:.3f}")
        err = ET.SubElement(case, "error", message=_x(b.message), type="build")
        err.text = _x(b.log_tail)
    for t in tasks:
        case = ET.SubElement(suite, "testcase", classname=f"{t.role or 'cube'}.{Path(t.cube).name}", name=t.task,
                             time=f"{t.seconds or 0:.3f}")
        details = _details(t.findings)
        if t.status == "skipped":
            ET.SubElement(case, "skipped", message=_x(t.message))
        elif t.status == "failed":
            el = ET.SubElement(case, "failure", message=_x(t.message or "failed"), type="failed")
            el.text = _x(details)
        elif t.status != "passed":
            el = ET.SubElement(case, "error", message=_x(t.message or t.status), type=t.status)
            el.text = _x(details)
        if t.log_tail:
            out = ET.SubElement(case, "system-out")
            out.text = _x(f"log: {t.log_path}\n{t.log_tail}")
    probes = getattr(report, "probes", None) or []
    for p in probes:
        case = ET.SubElement(suite, "testcase", classname="probe", name=p.name, time=f"{p.seconds:.3f}")
        details = _details(p.findings)
        if p.status == "skipped":
            ET.SubElement(case, "skipped", message=_x(p.message))
        elif p.status == "failed":
            el = ET.SubElement(case, "failure", message=_x(p.message or "failed"), type="probe")
            el.text = _x(details)
        elif details:
            out = ET.SubElement(case, "system-out")
            out.text = _x(details)
    if probes:
        suite.set("tests", str(int(suite.get("tests")) + len(probes)))
        suite.set("failures", str(int(suite.get("failures")) + sum(p.status == "failed" for p in probes)))
        suite.set("skipped", str(int(suite.get("skipped")) + sum(p.status == "skipped" for p in probes)))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def write_junit(report, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(junit_xml(report))
