"""Which probes run, and their settings. `medcube test` runs them all unless told otherwise."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from validator.errors import UserError

# name -> what it does (the order is the order they run in)
PROBES = {
    "gpu": "when GPUs are requested, a check inside each image that its framework sees them",
    "inputs": "every input hashed before and after every task: any change is an error",
    "permissions": "a failed task's log read for writes into its inputs, outside its outputs, or as root",
    "network": "a failed task's log read for connection attempts (tasks run with --network none)",
    "determinism": "infer run a second time on the same data, its predictions compared",
    "rerun": "each task run again into its non-empty output folder",
    "faults": "sanity_check run on broken copies of the prepared data (statistics when there is no sanity_check)",
    "singularity": "each task run again as Singularity runs it (read-only image, another working directory); "
                   "off unless --probe singularity",
}
OPT_IN = frozenset({"singularity"})  # probes that run only when asked for (--probe NAME)
DEFAULT_TOLERANCE = 1e-5  # |a - b| <= tolerance * max(1, |a|, |b|)


@dataclass(frozen=True)
class ProbeOptions:
    enabled: frozenset = frozenset(PROBES) - OPT_IN
    tolerance: float = DEFAULT_TOLERANCE  # for comparing predictions
    strict_determinism: bool = False  # different predictions are an error, not a warning
    # Roles under test: the probes that run tasks of their own (determinism, rerun, faults) run only those roles'
    # tasks. None: every role (the whole benchmark is under test). The per-task probes watch every task.
    roles: frozenset | None = None

    def on(self, name: str) -> bool:
        return name in self.enabled

    def tests(self, role: str) -> bool:
        return self.roles is None or role in self.roles


def probe_options(no_probes: bool = False, no_probe=(), tolerance: float | None = None,
                  strict_determinism: bool = False, probe=()) -> ProbeOptions | None:
    """The options from the command line: None when every probe is off (a plain timed run). ``probe``: the opt-in
    probes asked for (--probe NAME)."""
    on = _names(probe, "--probe")
    off = _names(no_probe, "--no-probe")
    if tolerance is not None and tolerance < 0:
        raise UserError("--determinism-tolerance must be 0 or more", hint="e.g. 1e-5 (relative, at least absolute)")
    enabled = frozenset() if no_probes else (frozenset(PROBES) - OPT_IN - off) | (on - off)
    if not enabled:
        return None
    return ProbeOptions(enabled, DEFAULT_TOLERANCE if tolerance is None else float(tolerance), strict_determinism)


def _names(items, option: str) -> frozenset:
    names = set()
    for item in items or ():
        for name in str(item).split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name not in PROBES:
                close = difflib.get_close_matches(name, PROBES, n=1)
                raise UserError(
                    f"{option}: there is no probe {name!r}",
                    hint=(f"did you mean {close[0]!r}? " if close else "") + f"probes: {', '.join(PROBES)}",
                )
            names.add(name)
    return frozenset(names)
