"""JSON Schemas shipped with medcube (offline, versioned by their $id): the files, jsonschema's validator (which
names each problem), and conforms(), a yes/no by the code fastjsonschema generated from them (compiled/, made by
scripts/compile_schemas.py) that spares a valid document the import of jsonschema (about 45 ms)."""

from __future__ import annotations

import importlib
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


def conforms(data, name: str) -> bool:
    """Whether ``data`` conforms to the schema ``name``. False also where the generated code cannot judge a value
    (one YAML made that is no JSON type): jsonschema then decides, and names each problem."""
    if name not in NAMES:
        raise KeyError(name)
    compiled = importlib.import_module(f"{__package__}.compiled.{name}")
    try:
        compiled.validate(data)
    except Exception:
        return False
    return True
