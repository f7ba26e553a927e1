"""JSON Schemas shipped with medcube (offline, versioned by their $id)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

NAMES = ("mlcube", "container_config", "parameters")  # the cube's files
PRINTABLE = (*NAMES, "report")  # `medcube schema NAME`; report: medcube's own JSON report (validate, test)


def text(name: str) -> str:
    if name not in PRINTABLE:
        raise KeyError(name)
    return resources.files(__package__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")


@cache
def load(name: str) -> dict:
    return json.loads(text(name))


@cache
def validator(name: str):
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load(name))
