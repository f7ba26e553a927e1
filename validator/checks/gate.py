"""The static gate `medcube test` and the run stage of `validate` pass before anything is built or run: the static
reports of the cubes whose config fails reading, the schema, the role contract (but for a missing or unknown task,
which the run reports as MedPerf does), the agreement of both formats or the host-safety checks (MC42x). The code cross-checks (MC401-MC416) read a cube's code or image heuristically and
do not stop a run; the run itself tells."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from validator import codes as C
from validator.checks import CubeReport, run_static
from validator.manifest.model import Cube

GATE = ("MC0", "MC1", "MC2", "MC3", "MC42")
# A task the role needs, or one it does not know, is said by the run itself the way MedPerf says it (MC617).
NOT_GATED = (C.MISSING_ROLE_TASK, C.FOREIGN_TASK)


def blocking(report: CubeReport):
    """The findings of a report that stop a run (errors with a GATE code)."""
    return [f for f in report.findings
            if f.is_error and str(f.code).startswith(GATE) and str(f.code) not in NOT_GATED]


def refused(cubes: Iterable[Cube | Path | str]) -> list[CubeReport]:
    """The static reports of the cubes that may not be built or run (a config pointing a host path out of its cube,
    asking for what a benchmark never gives, or breaking the contract)."""
    reports = [run_static(c.path if isinstance(c, Cube) else c) for c in cubes]
    return [r for r in reports if blocking(r)]
