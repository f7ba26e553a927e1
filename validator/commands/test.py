"""`medcube test`: the benchmark chain on demo data, like `medperf test run`, with the probes; one cube of each role.
Many submissions at once are validator.commands.submissions'."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from validator.chain.benchmark import Benchmark
from validator.chain.options import RunOptions
from validator.chain.run import run_chain
from validator.commands.common import (
    DemoSource,
    Gating,
    ReportFiles,
    apply_gate,
    findings_of_run,
    log_console,
    write_html_reports,
    write_text,
)
from validator.commands.session import GateRefused, open_session
from validator.manifest.model import Cube
from validator.manifest.roles import ROLES
from validator.report import json_report
from validator.report import text as text_report
from validator.report.console import stdout


def test_command(
    benchmark: Path | str | Benchmark | None = None,
    *,
    cubes: Mapping[str, Path | Cube | None] | None = None,
    demo: DemoSource = DemoSource(),
    options: RunOptions | None = None,
    files: ReportFiles = ReportFiles(),
    output_format: str = "text",
    verbosity: int = 0,
    gating: Gating = Gating(),
) -> int:
    """`medcube test`: run the benchmark chain; roles not in ``cubes`` come from the benchmark. 0 only when all
    passed (after ``gating``: ignored codes are left out of every report, --fail-on warning fails on warnings; a
    failed build or task fails whatever is ignored; settings are read above the first cube given, else the
    benchmark). ``options.probes`` None runs the plain chain; when some roles are given, the probes that run tasks of
    their own run only those roles' tasks. ``output_format`` other than text: stdout gets the run as JSON or its
    findings (sarif, github, gnu) and the run report goes to stderr. ``verbosity``: -1 no progress lines, 1 the
    build logs too."""
    options = options or RunOptions()
    if options.console is None:
        options = dataclasses.replace(options, console=log_console(output_format != "text"))
    console = options.console
    report_console = console
    if verbosity < 0:
        options = dataclasses.replace(options, console=None)
    elif verbosity > 0:
        options = dataclasses.replace(options, verbose=True)
    try:
        session = open_session(benchmark, cubes, demo)
    except GateRefused as e:
        e.render(report_console or stdout())
        return 1
    bench, loaded, demo_data = session.bench, session.cubes, session.demo
    if options.probes is not None and session.given:
        options = dataclasses.replace(options, probes=dataclasses.replace(options.probes, roles=session.given))
    from validator.gating import gate_for

    anchor = next((loaded[r].path for r in ROLES if r in session.given), Path(bench.file).parent)
    gate = gate_for(anchor, gating.fail_on, gating.ignore, gating.use_settings)
    result = run_chain(bench, loaded, demo_data, options)
    apply_gate(result, gate)
    text_report.print_run_report(result, report_console)
    if output_format == "json":
        import json

        print(json.dumps(json_report.run_json(result), indent=2))
    elif output_format != "text":
        from validator.report import formats

        print(formats.render_findings(output_format, findings_of_run(result)), end="")
    if files.json is not None:
        json_report.write_run_json(result, Path(files.json))
    if files.junit is not None:
        from validator.report import junit as junit_report  # only when asked for: xml.etree costs every run

        junit_report.write_junit(result, Path(files.junit))
    if files.sarif is not None:
        from validator.report import sarif

        write_text(Path(files.sarif), sarif.render(findings_of_run(result)), "--sarif-file")
    write_html_reports(json_report.report_dict(result), [result], files.html, files.command, report_console)
    failed = any(not b.ok for b in result.builds) or any(t.status != "passed" for t in result.tasks)
    if not failed and result.ok and gate.fails(result.all_findings) and report_console is not None:
        report_console.print(f"FAIL (--fail-on {gate.fail_on}): the {gate.fail_on}s above fail the test")
    return 1 if failed or gate.fails(result.all_findings) else 0


test_command.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever imports it
