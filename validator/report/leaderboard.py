"""Many submissions against one benchmark (validator.chain.submissions.ManyReport) as a leaderboard table, a JSON
report and a JUnit file.

    table   one row per submission: rank, submission, role, status, time, peak memory, each metric; sorted by
            the benchmark's primary metric (failed submissions last)
    JSON    the data preparation's run report (validator.report.json_report.report_dict) plus
            "primary_metric", "jobs" and "submissions": [{"path", "role", "ok", "results", "tasks", "findings"}]
    JUnit   one test case per data preparation task, and one per submission and task
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from validator.chain.ranking import ranked, ranks
from validator.chain.submissions import ManyReport
from validator.engine.limits import human_size
from validator.report.json_report import FORMAT_VERSION, clean_json, report_dict
from validator.report.junit import findings_text, task_case, xml_text
from validator.report.text import (
    STATUS_STYLE,
    flatten_metrics,
    metric_text,
    print_findings,
    print_run_report,
    seconds_text,
)
from validator.textsafe import printable


def metric_names(report: ManyReport, room: int | None = None) -> tuple[list[str], int]:
    """The metrics in the table: the primary one first, then the others in the order the results give them, as
    many as fit in ``room`` columns of text (at least the first). Returns (names, how many were left out)."""
    names: list[str] = [report.primary_metric] if report.primary_metric else []
    for s in report.submissions:
        for name, _ in flatten_metrics(s.results):
            if name not in names:
                names.append(name)
    if room is None:
        return names, 0
    shown: list[str] = []
    used = 0
    for name in names:
        width = max(len(name), 9) + 3  # a value is at most 9 characters ("undefined"), 3 for the borders
        if shown and used + width > room:
            break
        shown.append(name)
        used += width
    return shown, len(names) - len(shown)


def print_leaderboard(report: ManyReport, console: Console | None = None) -> None:
    console = console or Console(highlight=False, emoji=False)
    print_run_report(report.preparation, console)  # the shared data preparation, with its own verdict
    fixed = 3 + 4 + max([len(s.name) for s in report.submissions] + [10]) + 7 + 7 + 6 + 11 + 6 * 3 + 1
    names, left_out = metric_names(report, console.width - fixed)
    order = "higher is better" if report.higher_is_better else "lower is better"
    title = f"submissions ({report.jobs} at a time)" + (
        f", ranked by {report.primary_metric} ({order})" if report.primary_metric else "")
    table = Table(title=title, title_justify="left", header_style="bold")
    for col, right in [("#", True), ("submission", False), ("role", False), ("status", False), ("time", True),
                       ("peak memory", True)] + [(n, True) for n in names]:
        table.add_column(Text(printable(col)), justify="right" if right else "left")  # names from a cube: no markup
    for rank, s in ranks(report):
        values = dict(flatten_metrics(s.results))
        table.add_row("-" if rank is None else str(rank), Text(printable(s.name)), s.role, Text(s.status, style=STATUS_STYLE.get(s.status, "")),
                      seconds_text(s.seconds if s.tasks else None), human_size(s.peak_memory_bytes),
                      *[Text(printable(metric_text(values[n]))) if n in values else "-" for n in names])
    console.print(table)
    if left_out:
        console.print(f"  ... and {left_out} more metric(s) (see --report)", style="dim")
    for s in report.submissions:
        if s.ok and not s.all_findings:
            continue
        console.print(Text.assemble((printable(s.name), "bold"), f" ({s.role}): {s.status}"))
        extra = s.findings + (s.build.findings if s.build else [])
        print_findings(extra, console)
        if s.build is not None and not s.build.ok and s.build.log_tail:
            console.print(Text("    " + "\n    ".join(s.build.log_tail.splitlines()[-10:]), style="dim"))
        for t in s.tasks:
            if t.status in ("passed", "skipped") and not t.findings:
                continue
            console.print(Text(f"  {t.task}: {t.status}" + (f" ({t.message})" if t.message else "")))
            print_findings(t.findings, console)
            if t.status != "passed" and t.log_tail:
                console.print(Text("    " + "\n    ".join(t.log_tail.splitlines()[-10:]), style="dim"))
        for p in s.probes:
            if p.findings:
                console.print(Text(f"  probe {p.name}: {p.status}" + (f" ({p.message})" if p.message else "")))
                print_findings(p.findings, console)
    passed = sum(s.ok for s in report.submissions)
    verdict = Text("PASS", style="bold green") if report.ok else Text("FAIL", style="bold red")
    if report.cancelled:
        verdict = Text(f"CANCELLED by {report.cancelled} (what ran before it):", style="bold yellow")
    console.print(Text.assemble(verdict, f"  {passed}/{len(report.submissions)} submissions passed in "
                                f"{report.seconds:.1f}s; run folder: {report.preparation.run_dir}"))


def report_dict_many(report: ManyReport) -> dict:
    from validator import VERSION

    d = {"format_version": FORMAT_VERSION, "version": VERSION, **report_dict(report.preparation)}
    d["ok"] = report.ok
    d["seconds"] = round(report.seconds, 3)
    d["primary_metric"] = report.primary_metric
    d["higher_is_better"] = report.higher_is_better
    d["jobs"] = report.jobs
    d["submissions"] = clean_json([s.to_dict() for s in ranked(report)])
    return d


def write_json_many(report: ManyReport, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report_dict_many(report), indent=2) + "\n")


def junit_xml_many(report: ManyReport) -> str:
    prep = report.preparation
    suite = ET.Element("testsuite", name=f"medcube.{xml_text(prep.benchmark)}", time=f"{report.seconds:.3f}")
    if prep.cancelled:
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="status", value="cancelled")
        ET.SubElement(props, "property", name="cancelled_by", value=xml_text(prep.cancelled))
    for b in prep.builds:
        if not b.ok:
            case = ET.SubElement(suite, "testcase", classname=b.role or "cube", name=xml_text(f"build {b.image}"),
                                 time=f"{b.seconds:.3f}")
            ET.SubElement(case, "error", message=xml_text(b.message), type="build").text = xml_text(b.log_tail)
    for t in prep.tasks:
        task_case(suite, f"preparation.{t.role}", t)
    for s in report.submissions:
        cls = f"submission.{s.role}.{s.name}"
        if not s.tasks:  # never ran: its config did not load, its image clashed or did not build
            case = ET.SubElement(suite, "testcase", classname=xml_text(cls), name="build",
                                 time=f"{s.build.seconds if s.build else 0:.3f}")
            found = s.findings + (s.build.findings if s.build else [])
            message = s.build.message if s.build is not None and not s.build.ok else (
                found[0].message if found else "not run")
            ET.SubElement(case, "error", message=xml_text(message), type="submission").text = xml_text(findings_text(found))
        for t in s.tasks:
            task_case(suite, cls, t)
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    suite.set("errors", str(sum(c.find("error") is not None for c in cases)))
    suite.set("skipped", str(sum(c.find("skipped") is not None for c in cases)))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def write_junit_many(report: ManyReport, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(junit_xml_many(report))
