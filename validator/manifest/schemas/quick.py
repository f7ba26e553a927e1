"""A quick yes/no of whether a document conforms to one of medcube's schemas, without importing jsonschema.

Most configs are valid, and importing jsonschema and compiling its validators costs more than all the other static
checks of a cube together (about 45 ms a run). `conforms` answers True or False for the JSON Schema keywords
medcube's own schemas use, with Draft 2020-12's meaning; for anything else (another keyword, a value YAML made that
is no JSON type, an enum of non-strings) it answers None, and the caller asks jsonschema. Only a False or None
needs jsonschema's errors, which carry the messages; tests/test_schema_quick.py holds the two answers equal.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "default", "examples", "$comment"})
_KEYWORDS = frozenset({"type", "properties", "additionalProperties", "required", "minProperties", "propertyNames",
                       "items", "minItems", "minLength", "pattern", "enum", "minimum", "oneOf", "$ref"})


class _Unknown(Exception):
    """The document or schema uses something this checker does not judge: jsonschema decides."""


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False  # JSON Schema keeps booleans apart from numbers
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float))
    raise _Unknown(name)


def _json_value(value: Any) -> None:
    if value is None or isinstance(value, (str, bool, int, float, dict, list)):
        return
    raise _Unknown(type(value).__name__)  # a date, bytes, ... from YAML: jsonschema says what it makes of it


@cache
def _pattern(text: str) -> re.Pattern:
    return re.compile(text)


def _valid(value: Any, schema: Any, root: dict) -> bool:
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, dict) or not set(schema) <= _KEYWORDS | _ANNOTATIONS:
        raise _Unknown("keyword")
    _json_value(value)
    if "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/$defs/") or "/" in ref[len("#/$defs/"):]:
            raise _Unknown(ref)
        target = root.get("$defs", {}).get(ref[len("#/$defs/"):])
        if target is None:
            raise _Unknown(ref)
        if not _valid(value, target, root):
            return False
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, n) for n in names):
            return False
    if "enum" in schema:
        if not all(isinstance(e, str) for e in schema["enum"]):
            raise _Unknown("enum")
        if not (isinstance(value, str) and value in schema["enum"]):
            return False
    if "oneOf" in schema and sum(_valid(value, s, root) for s in schema["oneOf"]) != 1:
        return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return False
        if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
            return False
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "minimum" in schema:
        if value < schema["minimum"]:
            return False
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return False
        if "items" in schema and not all(_valid(v, schema["items"], root) for v in value):
            return False
    if isinstance(value, dict):
        return _valid_object(value, schema, root)
    return True


def _valid_object(value: dict, schema: dict, root: dict) -> bool:
    if any(not isinstance(k, str) for k in value):
        raise _Unknown("key")  # YAML allows keys JSON does not
    if len(value) < schema.get("minProperties", 0):
        return False
    if any(k not in value for k in schema.get("required", ())):
        return False
    properties = schema.get("properties", {})
    for key, item in value.items():
        if key in properties:
            if not _valid(item, properties[key], root):
                return False
        elif "additionalProperties" in schema and not _valid(item, schema["additionalProperties"], root):
            return False
    if "propertyNames" in schema and not all(_valid(k, schema["propertyNames"], root) for k in value):
        return False
    return True


def conforms(document: Any, schema: dict) -> bool | None:
    """True or False when this checker can judge `document` against `schema`; None when jsonschema must."""
    try:
        return _valid(document, schema, schema)
    except (_Unknown, RecursionError):
        return None
