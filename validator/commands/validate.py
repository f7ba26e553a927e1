"""`medcube validate`: the static checks of every cube, then their build and smoke run in the benchmark's chain."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.text import Text

from validator.chain.options import RunOptions
from validator.chain.result import RunReport
from validator.chain.run import run_chain
from validator.commands.common import (
    Gating,
    apply_gate,
    findings_of_run,
    load_cube_arg,
    log_console,
    write_html_reports,
    write_text,
)
from validator.commands.session import GateRefused, open_session
from validator.errors import UserError
from validator.findings import Finding
from validator.gating import Gate
from validator.manifest.model import Cube
from validator.manifest.roles import ROLES
from validator.report import json_report
from validator.report import text as text_report
from validator.report.console import stderr
from validator.textsafe import printable


def validate_command(paths: list[Path], *, static: bool, output_format: str | None = None,
                     benchmark: Path | None = None, options: RunOptions | None = None, gating: Gating = Gating(),
                     changed: bool = False, sarif_file: Path | None = None, report_file: Path | None = None,
                     junit_file: Path | None = None, verbosity: int = 0,
                     html: Path | None = None, command: tuple[str, ...] = ()) -> int:
    """`medcube validate`: the static checks of every cube, then (unless ``static``) their build and smoke run in
    the benchmark's chain under ``options`` (``options.no_run``: build only).

    ``paths``: cubes, their config files, benchmark folders or profiles (their cubes), files inside a cube (that
    cube); with ``changed`` (the pre-commit hook) files in no cube are skipped. ``output_format``: one of
    validator.report.formats.FORMATS, None for text on a terminal and gnu elsewhere. ``verbosity``: -1 findings
    only, 0 progress lines, 1 also the build logs. ``sarif_file``, ``report_file`` (JSON), ``junit_file``: the
    findings (the report) also written there. ``html``: also write the HTML report there (it goes into each
    run folder anyway); ``command``: the command line it shows. A cube that is no benchmark cube (MC212: federated
    learning, certificates, run_script) is checked statically, not built or run."""
    from validator.checks import run_static
    from validator.gating import gate_for
    from validator.report import formats, sarif
    from validator.targets import resolve

    fmt = output_format or formats.default_format()
    if not changed:
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            raise UserError(f"{missing[0]}: no such file or directory",
                            hint="Pass a cube directory, its container_config.yaml or its mlcube/mlcube.yaml, "
                            "a benchmark folder or its benchmark.yaml.")
    targets = resolve(paths, changed=changed)
    err = stderr()
    if not targets.paths:
        if verbosity >= 0:
            err.print("medcube: no cube among the given files", highlight=False)
        if fmt == "json":
            json_report.write_json([], None)
        elif fmt == "sarif":
            print(sarif.render([]), end="")
        return 0
    reports = [run_static(p) for p in targets.paths]
    gates = [gate_for(r.cube.path if r.cube is not None else Path(r.path), gating.fail_on, gating.ignore,
                      gating.use_settings) for r in reports]
    for r, gate in zip(reports, gates, strict=True):
        r.findings = gate.kept(r.findings)
        if gate.source and verbosity > 0:
            err.print(f"{r.path}: settings from {gate.source}", highlight=False)
    static_findings = [f for r in reports for f in r.findings]
    if fmt == "text" and (verbosity >= 0 or static_findings):
        text_report.print_text([r for r in reports if verbosity >= 0 or r.findings])
    elif fmt in ("gnu", "github"):
        print(formats.render_findings(fmt, static_findings), end="", flush=True)
    run_failed = [False] * len(reports)
    runs: list[RunReport | None] | None = None
    run_findings: list[list[Finding]] = [[] for _ in reports]
    if not static and not all(r.ok for r in reports):
        err.print("Static checks failed: fix the errors above before medcube builds and runs the cube.")
    elif not static:
        run_options = options or RunOptions()
        runnable = [(i, r.cube) for i, r in enumerate(reports) if r.cube is not None and r.cube.role in ROLES]
        for r in reports:
            if (r.cube is None or r.cube.role not in ROLES) and verbosity >= 0:
                err.print(f"{r.path}: not a data preparator, model or metrics cube: not built or run (MC212)",
                          highlight=False)
        _, ran = validate_run_command([cube for _, cube in runnable], benchmark=benchmark, options=run_options,
                                      output_format=fmt, verbosity=verbosity, gates=[gates[i] for i, _ in runnable])
        runs = [None] * len(reports)
        for (i, _), run in zip(runnable, ran, strict=True):
            runs[i] = run
            run_findings[i] = findings_of_run(run)
            # A failed build or task fails whatever is ignored; findings fail as the gate says.
            run_failed[i] = any(not b.ok for b in run.builds) or any(t.status != "passed" for t in run.tasks)
        if fmt in ("gnu", "github"):
            print(formats.render_findings(fmt, [f for fs in run_findings for f in fs]), end="", flush=True)
    verdicts = [not (run_failed[i] or gate.fails(r.findings + run_findings[i]))
                for i, (r, gate) in enumerate(zip(reports, gates, strict=True))]
    every = static_findings + [f for fs in run_findings for f in fs]
    if fmt == "json":
        json_report.write_json(reports, runs, oks=verdicts)
    elif fmt == "sarif":
        print(sarif.render(every), end="")
    if fmt in ("gnu", "github") and verbosity >= 0:
        err.print(formats.summary_line(every, len(reports)), highlight=False)
    if sarif_file is not None:
        write_text(Path(sarif_file), sarif.render(every), "--sarif-file")
    if report_file is not None:
        write_text(Path(report_file), json_report.to_json(reports, runs, oks=verdicts) + "\n", "--report")
    if junit_file is not None:
        from validator.report import junit

        write_text(Path(junit_file), junit.static_junit_xml(reports, runs, verdicts), "--junit")
    if any(runs or []) or html is not None:
        import json

        write_html_reports(json.loads(json_report.to_json(reports, runs, oks=verdicts)),
                           [r for r in runs or [] if r is not None], html, command, err)
    return 0 if all(verdicts) else 1


def validate_run(cube: Cube | Path | str, benchmark: Path | str | None = None,
                 options: RunOptions | None = None) -> tuple[list[Finding], RunReport]:
    """Build a cube and smoke-run it in its role of the benchmark's chain (the other roles come from the
    benchmark; no probes). ``options.no_run``: build only. Returns every finding of the build and the run, and the
    run report."""
    cube = load_cube_arg(cube)
    if cube.role not in ROLES:
        raise UserError(
            f"{cube.rel(cube.config_file)}: cannot tell whether this cube is a data preparator, a model or metrics "
            f"from its tasks ({', '.join(cube.tasks) or 'none'})",
            hint="a data preparator declares prepare/sanity_check/statistics, a model infer, metrics evaluate",
        )
    try:
        session = open_session(benchmark, {cube.role: cube})
    except GateRefused as e:  # the cube itself passed the static checks: a cube of the benchmark fails them
        raise UserError(f"the benchmark's cube {e.message}", hint=e.hint) from None
    options = dataclasses.replace(options or RunOptions(), probes=None)
    report = run_chain(session.bench, session.cubes, session.demo, options, build_roles=(cube.role,))
    return report.all_findings, report


def validate_run_command(cubes: list[Cube], *, benchmark: Path | None = None, options: RunOptions,
                         output_format: str = "text", verbosity: int = 0,
                         gates: list[Gate] | None = None) -> tuple[int, list[RunReport]]:
    """The build-and-run stage of `medcube validate` for already loaded cubes: prints each run report (to stderr
    when stdout carries a machine-readable format) and returns (0 only when every run passed, the run reports).
    ``verbosity``: -1 no progress and no run report, 1 the build logs too. ``gates`` (one per cube): the ignored
    codes are left out of each run report before it is printed."""
    console = log_console(output_format != "text")
    options = dataclasses.replace(options, console=console if verbosity >= 0 else None, verbose=verbosity > 0)
    reports: list[RunReport] = []
    for cube in cubes:
        if verbosity >= 0:
            console.print(Text.assemble((printable(str(cube.path)), "bold"), ": build" + (
                "" if options.no_run else " and run in the benchmark chain")))
        _, report = validate_run(cube, benchmark, options)
        if gates is not None:
            apply_gate(report, gates[len(reports)])
        if verbosity >= 0:
            text_report.print_run_report(report, console)
        reports.append(report)
    return (0 if all(r.ok for r in reports) else 1), reports
