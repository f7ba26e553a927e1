"""The probes of many submissions (validator.chain.submissions): which probes judge each submission, and the
preparator's, which run once.

    a model submission     inputs, permissions, network on its infer and evaluate; determinism (infer run a second
                           time into an empty folder, its predictions compared)
    a metrics submission   inputs, permissions, network on its evaluate
    the preparation        inputs, permissions, network on prepare, sanity_check and statistics; the GPU check of
                           the benchmark's images; rerun and faults when the preparator is under test (-p)

A submission's own runs go one after another in its own thread (the submissions run `jobs` at a time); the
preparator's run beside the submissions. Each session is validator.chain.probes.session's, with the probes it
gets switched on; the switches the user gave (--no-probe, --no-probes) hold for all.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from validator.chain.benchmark import Contracts
    from validator.chain.demo_data import DemoData
    from validator.chain.probes.options import ProbeOptions
    from validator.chain.probes.session import ProbeSession
    from validator.chain.rundir import RunFolder
    from validator.engine.limits import Limits
    from validator.engine.tasks.runner import Runner
    from validator.engine.tasks.slots import Slots
    from validator.manifest.model import Cube

PER_TASK = frozenset({"inputs", "permissions", "network"})
SUBMISSION = {"model": PER_TASK | {"determinism"}, "metrics": PER_TASK}
PREPARATION = PER_TASK | {"gpu", "rerun", "faults"}


def _session(options: ProbeOptions | None, enabled: frozenset, roles: frozenset, runner: Runner,
             cubes: dict[str, Cube], folder: RunFolder, demo: DemoData, contracts: Contracts, limits: Limits,
             console: Console | None, jobs: int, slots: Slots | None = None) -> ProbeSession | None:
    if options is None or not options.enabled & enabled:
        return None
    from validator.chain.probes.session import ProbeSession  # only when probing

    own = dataclasses.replace(options, enabled=options.enabled & enabled, roles=roles)
    return ProbeSession(own, runner, cubes, folder, demo, contracts, limits, console, jobs=jobs, slots=slots)


def preparation_probes(options: ProbeOptions | None, runner: Runner, cubes: dict[str, Cube], folder: RunFolder,
                       demo: DemoData, contracts: Contracts, limits: Limits, console: Console | None,
                       jobs: int, slots: Slots | None = None) -> ProbeSession | None:
    """The preparation's probes (None when none is on); its own runs only when the preparator is under test, on
    the run's slots."""
    under_test = frozenset({"data_preparator"}) if options is not None and options.tests("data_preparator") else frozenset()
    return _session(options, PREPARATION, under_test, runner, cubes, folder, demo, contracts, limits, console, jobs,
                    slots)


def submission_probes(options: ProbeOptions | None, runner: Runner, cubes: dict[str, Cube], role: str, cube: Cube,
                      folder: RunFolder, demo: DemoData, contracts: Contracts, limits: Limits) -> ProbeSession | None:
    """A submission's probes (None when none is on): its cube in its role, the benchmark's cubes for the others;
    quiet (the submissions' lines are the leaderboard's), its own runs one after another."""
    return _session(options, SUBMISSION[role], frozenset({role}), runner, {**cubes, role: cube}, folder, demo,
                    contracts, limits, None, 1)
