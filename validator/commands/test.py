"""`medcube test`: the benchmark chain on demo data, like `medperf test run`, with the probes; one cube of each role.
Returns the run and the gate it is judged by (nothing printed but the progress lines of ``options.console``);
validator.cli prints it in the chosen format, writes the report files and picks the exit code. Many submissions at
once are validator.commands.submissions'."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from validator.cancel import Cancelled
from validator.chain.benchmark import Benchmark
from validator.chain.options import RunOptions
from validator.chain.result import RunReport
from validator.chain.run import run_chain
from validator.commands.common import DemoSource, Gating, apply_gate, findings_of_run
from validator.commands.session import open_session
from validator.findings import Finding
from validator.gating import Gate
from validator.manifest.model import Cube
from validator.manifest.roles import ROLES


@dataclass
class TestResult:
    """A `medcube test` run (its ignored codes already left out) and the gate that judges it."""

    __test__ = False  # not a pytest test class, whatever imports it
    run: RunReport
    gate: Gate

    @property
    def failed(self) -> bool:
        """A build or a task failed: the test fails whatever the gate ignores."""
        return (any(not b.ok for b in self.run.builds) or any(t.status != "passed" for t in self.run.tasks)
                or self.run.cancelled is not None)

    @property
    def gate_fails(self) -> bool:
        """The findings fail the gate (with --fail-on warning: its warnings too)."""
        return self.gate.fails(self.run.all_findings)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.gate_fails

    @property
    def findings(self) -> list[Finding]:
        """Every finding of the run, its file relative to the working directory."""
        return findings_of_run(self.run)


def test_command(
    benchmark: Path | str | Benchmark | None = None,
    *,
    cubes: Mapping[str, Path | Cube | None] | None = None,
    demo: DemoSource = DemoSource(),
    options: RunOptions | None = None,
    gating: Gating = Gating(),
    target: str = "medperf",
) -> TestResult:
    """`medcube test`: run the benchmark chain; roles not in ``cubes`` come from the benchmark. Raises GateRefused
    (validator.commands.session) when a cube fails the static gate: nothing is built or run. ``gating``: ignored
    codes are left out of the run, --fail-on warning fails on warnings; settings are read above the first cube given,
    else the benchmark. ``options.probes`` None runs the plain chain; when some roles are given, the probes that run
    tasks of their own run only those roles' tasks. Progress goes to ``options.console`` (None: none). ``target``: the
    runtime the verdict is for (medperf: MedPerf 0.3; mlcube: the MLCube client): the static gate judges for it (a
    finding that holds for MedPerf 0.3 only does not stop an mlcube run) and the run report names it."""
    from validator.checks.target import TARGETS
    from validator.gating import gate_for

    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}")
    options = options or RunOptions()
    session = open_session(benchmark, cubes, demo, target=target)
    bench, loaded = session.bench, session.cubes
    if options.probes is not None and session.given:
        options = dataclasses.replace(options, probes=dataclasses.replace(options.probes, roles=session.given))
    anchor = next((loaded[r].path for r in ROLES if r in session.given), Path(bench.file).parent)
    gate = gate_for(anchor, gating.fail_on, gating.ignore, gating.use_settings)
    try:
        run = run_chain(bench, loaded, session.demo, options)
    except Cancelled as e:  # the run so far, judged as any run: the report the command line writes, cancelled
        if isinstance(e.partial, RunReport):
            e.partial.target = target
            apply_gate(e.partial, gate)
            e.partial = TestResult(e.partial, gate)
        raise
    run.target = target
    apply_gate(run, gate)
    return TestResult(run, gate)


test_command.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever imports it
