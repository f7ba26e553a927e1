"""A chain run as a JUnit XML file: one test case per task, per failed build and per probe; `medcube validate`'s
cubes as one test case each (their findings; with a run, its tasks too)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from validator.textsafe import printable


def findings_text(findings) -> str:
    """Findings as the text of a JUnit failure: code and message, each hint on its own line."""
    return "\n".join(f"{f.code} {f.message}" + (f"\n  hint: {f.hint}" if f.hint else "") for f in findings)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_text(text) -> str:
    """Text an XML parser accepts, and a person reads as it is: control characters (ANSI escapes, ...) escaped
    visibly (validator.textsafe), not dropped; what is left and still not XML is removed."""
    return _XML_BAD.sub("", printable(str(text or "")))


def junit_xml(report) -> str:
    tasks = report.tasks
    suite = ET.Element(
        "testsuite",
        name=f"medcube.{report.benchmark}",
        tests=str(len(tasks) + sum(not b.ok for b in report.builds)),
        failures=str(sum(t.status == "failed" for t in tasks)),
        errors=str(sum(t.status in ("error", "timeout", "oom", "cancelled") for t in tasks)
                   + sum(not b.ok for b in report.builds)),
        skipped=str(sum(t.status == "skipped" for t in tasks)),
        time=f"{report.seconds:.3f}",
    )
    engine = getattr(report, "engine", None)
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="target", value=xml_text(getattr(report, "target", "medperf")))
    if engine:  # the engine that ran the tasks, as every report names it
        ET.SubElement(props, "property", name="runner", value=xml_text(report.runner))
        ET.SubElement(props, "property", name="engine", value=xml_text(engine))
    stopped = getattr(report, "cancelled", None)
    if stopped:  # a cancelled run says so
        ET.SubElement(props, "property", name="status", value="cancelled")
        ET.SubElement(props, "property", name="cancelled_by", value=xml_text(stopped))
    for b in report.builds:
        if b.ok:
            continue
        case = ET.SubElement(suite, "testcase", classname=f"{b.role or 'cube'}", name=xml_text(f"build {b.image}"),
                             time=f"{b.seconds:.3f}")
        err = ET.SubElement(case, "error", message=xml_text(b.message), type="build")
        err.text = xml_text(b.log_tail)
    for t in tasks:
        task_case(suite, f"{t.role or 'cube'}.{Path(t.cube).name}", t)
    probes = getattr(report, "probes", None) or []
    for p in probes:
        case = ET.SubElement(suite, "testcase", classname="probe", name=xml_text(p.name), time=f"{p.seconds:.3f}")
        details = findings_text(p.findings)
        if p.status == "skipped":
            ET.SubElement(case, "skipped", message=xml_text(p.message))
        elif p.status == "failed":
            el = ET.SubElement(case, "failure", message=xml_text(p.message or "failed"), type="probe")
            el.text = xml_text(details)
        elif p.status == "cancelled":
            el = ET.SubElement(case, "error", message=xml_text(p.message or "cancelled"), type="cancelled")
            el.text = xml_text(details)
        elif details:
            out = ET.SubElement(case, "system-out")
            out.text = xml_text(details)
    if probes:
        suite.set("tests", str(int(suite.attrib["tests"]) + len(probes)))
        suite.set("failures", str(int(suite.attrib["failures"]) + sum(p.status == "failed" for p in probes)))
        suite.set("skipped", str(int(suite.attrib["skipped"]) + sum(p.status == "skipped" for p in probes)))
        suite.set("errors", str(int(suite.attrib["errors"]) + sum(p.status == "cancelled" for p in probes)))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def static_junit_xml(reports, runs=None, oks=None, cancelled: str | None = None) -> str:
    """`medcube validate`: a test case per cube, failed when the cube fails (``oks``, after gating), its findings the
    failure's text; each cube that was run adds its tasks as test cases. ``cancelled``: the signal that cancelled the
    run stage (a suite property)."""
    suite = ET.Element("testsuite", name="medcube.validate")
    if cancelled:
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="status", value="cancelled")
        ET.SubElement(props, "property", name="cancelled_by", value=xml_text(cancelled))
    tests = failures = 0
    for i, r in enumerate(reports):
        ok = bool(oks[i]) if oks is not None else r.ok
        case = ET.SubElement(suite, "testcase", classname="cube", name=xml_text(r.path))
        target = getattr(r, "target", None)
        if target:  # the runtime the verdict is for (--target)
            ET.SubElement(ET.SubElement(case, "properties"), "property", name="target", value=xml_text(target))
        tests += 1
        if not ok:
            failures += 1
            el = ET.SubElement(case, "failure", message=xml_text(f"{sum(f.is_error for f in r.findings)} error(s)"),
                               type="findings")
            el.text = xml_text(findings_text(r.findings))
        elif r.findings:
            ET.SubElement(case, "system-out").text = xml_text(findings_text(r.findings))
        run = runs[i] if runs is not None else None
        for t in run.tasks if run is not None else ():
            task_case(suite, f"{t.role or 'cube'}.{Path(t.cube).name}", t)
            tests += 1
            failures += t.status != "passed" and t.status != "skipped"
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def write_junit(report, path: Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(junit_xml(report))


def task_case(suite: ET.Element, classname: str, t) -> None:
    """One task as a JUnit test case: skipped, failed (with its findings), an error, and its log tail."""
    case = ET.SubElement(suite, "testcase", classname=xml_text(classname), name=xml_text(t.task),
                         time=f"{t.seconds or 0:.3f}")
    details = findings_text(t.findings)
    if t.status == "skipped":
        ET.SubElement(case, "skipped", message=xml_text(t.message))
    elif t.status == "failed":
        el = ET.SubElement(case, "failure", message=xml_text(t.message or "failed"), type="failed")
        el.text = xml_text(details)
    elif t.status != "passed":
        el = ET.SubElement(case, "error", message=xml_text(t.message or t.status), type=t.status)
        el.text = xml_text(details)
    if t.log_tail:
        out = ET.SubElement(case, "system-out")
        out.text = xml_text(f"log: {t.log_path}\n{t.log_tail}")
