"""The static gate `medcube test` and the run stage of `validate` pass before anything is built or run: the static
reports of the cubes whose config fails reading, the schema, the role contract (but for a missing or unknown task,
which the run reports as MedPerf does), the agreement of both formats or the host-safety checks (MC42x), and
run_args.entrypoint with spaces (MC415: MedPerf passes it as one word). The other code cross-checks (MC401-MC416)
read a cube's code or image heuristically and do not stop a run; the run itself tells. A Cube that checks.load built
carries its report: the gate does not read the cube again."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from validator import codes as C
from validator.checks import CubeReport, run_static
from validator.manifest.model import Cube

GATE = ("MC0", "MC1", "MC2", "MC3", "MC42")
# Code findings that are facts of how MedPerf runs a task, not heuristics: run_args.entrypoint with spaces is one
# `--entrypoint` word under MedPerf, so `test` refuses what `validate --static` calls an error.
GATED_CODE_FINDINGS = (C.ENTRYPOINT_WITH_SPACES,)
# A task the role needs, or one it does not know, is said by the run itself the way MedPerf says it (MC617).
NOT_GATED = (C.MISSING_ROLE_TASK, C.FOREIGN_TASK)


def blocking(report: CubeReport):
    """The findings of a report that stop a run (errors with a GATE code)."""
    return [f for f in report.findings
            if f.is_error and (str(f.code).startswith(GATE) or str(f.code) in GATED_CODE_FINDINGS)
            and str(f.code) not in NOT_GATED]


def _report(cube: Cube | Path | str, target: str) -> CubeReport:
    """A cube's static report for the target: the one checks.load made when it built this Cube (read once), else a
    new one."""
    if isinstance(cube, Cube):
        checked = cube.checked
        if isinstance(checked, CubeReport) and checked.target == target:
            return checked
        return run_static(cube.path, target=target)
    return run_static(cube, target=target)


def refused(cubes: Iterable[Cube | Path | str], target: str = "medperf") -> list[CubeReport]:
    """The static reports of the cubes that may not be built or run (a config pointing a host path out of its cube,
    asking for what a benchmark never gives, or breaking the contract), judged for the ``target`` runtime (what holds
    for MedPerf 0.3 only does not stop a run for mlcube)."""
    reports = [_report(c, target) for c in cubes]
    return [r for r in reports if blocking(r)]
