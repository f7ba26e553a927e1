"""Probes: what `medcube test` tries beyond the plain chain, to catch what a benchmark would trip on.

    options.py      which probes run (--no-probe NAME, --no-probes), their settings
    session.py      the probes of one chain run: hooks around each task, a GPU check before, own runs after
    inputs.py       input immutability (every input hashed before and after every task)
    logscan.py      a failed task's log read: needs network, wrote into an input, needs root, wrote outside outputs
    determinism.py  predictions of two runs of infer compared within a tolerance
    faults.py       broken copies of the prepared data for sanity_check (blank, wrong shape, missing label, extra file)
    gpu.py          when GPUs are requested, whether the framework inside the image sees them
    singularity.py  (opt-in) each task run again as Singularity runs it: read-only image, another working directory

Each probe reports findings with its own code (MC8xx, in validator.codes); the limits (timeout, memory, pids, log size) are the engine's
(MC611, MC612, MC618, MC619).
"""

from validator.chain.probes.options import PROBES, ProbeOptions, probe_options

__all__ = ["PROBES", "ProbeOptions", "ProbeResult", "ProbeSession", "probe_options"]


def __getattr__(name: str):
    """The session (and what it imports) loads on first use: a run without probes does not pay for it."""
    if name in ("ProbeResult", "ProbeSession"):
        from validator.chain.probes import session

        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
