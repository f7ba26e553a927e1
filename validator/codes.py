"""Every finding code medcube emits, from one place: the static checks (MC0xx-MC5xx), the engine (MC6xx), the
output contracts (MC7xx) and the probes (MC8xx), each defined beside the code that reports it."""

from __future__ import annotations

from validator.checks.codes import CODES as STATIC_CODES
from validator.engine.result import CODES as ENGINE_CODES
from validator.probes.codes import CODES as PROBE_CODES
from validator.workflow import CODES as CONTRACT_CODES

SOURCES = {
    "validator.checks.codes": STATIC_CODES,
    "validator.engine.result": ENGINE_CODES,
    "validator.workflow": CONTRACT_CODES,
    "validator.probes.codes": PROBE_CODES,
}

ALL_CODES: dict[str, str] = {code: title for codes in SOURCES.values() for code, title in codes.items()}
