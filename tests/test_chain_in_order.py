"""The chain's order, written once (validator.chain.run.in_order): the chain, the shared preparation of many
submissions and each submission run a step while the one before passed; the rest are skipped, as MedPerf stops."""

from __future__ import annotations

from static_cubes import VALID

from validator.chain.run import in_order
from validator.engine.result import TaskResult
from validator.manifest.load import load_cube

CUBE = load_cube(VALID / "medcube_model")
STEPS = [(n, "model", task, CUBE) for n, task in enumerate(("prepare", "infer", "evaluate"), 1)]


def runs(statuses: dict[str, str]):
    ran: list[int] = []

    def run(n, role, task, cube):
        ran.append(n)
        return TaskResult(task, role, str(cube.path), statuses.get(task, "passed"), runner="local")

    return ran, run


def test_every_step_runs_while_each_passes():
    tasks: list[TaskResult] = []
    ran, run = runs({})
    in_order(STEPS, tasks, "local", run)
    assert ran == [1, 2, 3] and [t.status for t in tasks] == ["passed"] * 3


def test_after_a_failure_the_rest_are_skipped():
    tasks: list[TaskResult] = []
    ran, run = runs({"infer": "failed"})
    in_order(STEPS, tasks, "local", run)
    assert ran == [1, 2] and [t.status for t in tasks] == ["passed", "failed", "skipped"]
    assert tasks[2].message == "not run: an earlier task failed" and tasks[2].task == "evaluate"


def test_a_failure_of_the_callers_stops_it_before_the_first_step():
    tasks: list[TaskResult] = []
    ran, run = runs({})
    in_order(STEPS, tasks, "local", run, stopped=lambda: True)
    assert ran == [] and [t.status for t in tasks] == ["skipped"] * 3
