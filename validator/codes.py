"""Every finding code medcube emits, from one place: the static checks (MC0xx-MC5xx), the engine (MC6xx), the
output contracts (MC7xx) and the probes (MC8xx), each defined beside the code that reports it."""

from __future__ import annotations

from validator.chain.outputs import CODES as CONTRACT_CODES
from validator.chain.probes.codes import CODES as PROBE_CODES
from validator.checks.codes import CODES as STATIC_CODES
from validator.engine.result import CODES as ENGINE_CODES

SOURCES = {
    "validator.checks.codes": STATIC_CODES,
    "validator.engine.result": ENGINE_CODES,
    "validator.chain.outputs": CONTRACT_CODES,
    "validator.chain.probes.codes": PROBE_CODES,
}

ALL_CODES: dict[str, str] = {code: title for codes in SOURCES.values() for code, title in codes.items()}
