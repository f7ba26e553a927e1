"""The quick schema check (validator.manifest.schemas.quick) answers as jsonschema does, whenever it answers.

Its documents: every config and parameters file of the repository's examples and fixtures, each mutated many
ways (keys dropped, values replaced by every JSON type, unknown keys added), against each of medcube's schemas.
"""

from __future__ import annotations

import copy
import datetime
import random
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from validator.manifest import schemas
from validator.manifest.schemas.quick import conforms
from validator.manifest.yamlread import load_data

ROOT = Path(__file__).resolve().parents[1]
NAMES = {"mlcube.yaml": "mlcube", "container_config.yaml": "container_config", "parameters.yaml": "parameters"}
VALUES = [None, 0, 1, -3, 1.0, 2.5, True, False, "", "x", "UPPER case!", "myrepo/model:0.1", [], ["a"], [1, 2], {},
          {"k": "v"}, {"entrypoint": "python3 x.py"}]


def corpus() -> list[tuple[str, object]]:
    docs = []
    for top in ("examples", "tests/fixtures"):
        for path in sorted((ROOT / top).rglob("*.yaml")):
            if path.name not in NAMES:
                continue
            try:
                data = load_data(path.read_text(encoding="utf-8"), str(path))
            except Exception:
                continue  # a fixture that is broken YAML on purpose
            docs.append((str(path.relative_to(ROOT)), data))
    return docs


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def get(node, path):
    for p in path:
        node = node[p]
    return node


def mutations(doc, rng: random.Random, count: int):
    spots = list(paths(doc))
    for _ in range(count):
        new = copy.deepcopy(doc)
        path = rng.choice(spots)
        kind = rng.choice(["replace", "drop", "add", "replace"])
        if not path:
            yield rng.choice(VALUES)
            continue
        parent, last = get(new, path[:-1]), path[-1]
        if kind == "replace":
            parent[last] = copy.deepcopy(rng.choice(VALUES))
        elif kind == "drop":
            del parent[last]
        elif isinstance(get(new, path), dict):
            get(new, path)[rng.choice(["extra", "entrypoint", "image", "tasks", "mounts"])] = rng.choice(VALUES)
        else:
            continue
        yield new


def test_quick_check_agrees_with_jsonschema():
    docs = corpus()
    assert len(docs) >= 20, [d for d, _ in docs]
    rng = random.Random(20261202)
    validators = {name: Draft202012Validator(schemas.load(name)) for name in schemas.NAMES}
    judged = unjudged = 0
    valid_seen = invalid_seen = 0
    for where, doc in docs:
        for instance in [doc, *mutations(doc, rng, 60)]:
            for name, jsonschema_validator in validators.items():
                expected = jsonschema_validator.is_valid(instance)
                quick = conforms(instance, schemas.load(name))
                if quick is None:
                    unjudged += 1
                    continue
                judged += 1
                valid_seen += expected
                invalid_seen += not expected
                assert quick == expected, (where, name, instance)
    # the quick check must judge nearly everything, valid documents and invalid ones, or it saves nothing
    assert judged >= 0.9 * (judged + unjudged), (judged, unjudged)
    assert valid_seen > 100 and invalid_seen > 1000, (valid_seen, invalid_seen)


def test_every_config_of_the_examples_is_judged_valid_without_jsonschema():
    for where, doc in corpus():
        if where.startswith("examples/"):
            assert conforms(doc, schemas.load(NAMES[Path(where).name])) is True, where


@pytest.mark.parametrize("value,expected", [(1, True), (1.0, True), (1.5, False), (True, False), ("1", False)])
def test_integers_as_json_schema_counts_them(value, expected):
    schema = {"type": "integer"}
    assert conforms(value, schema) is expected
    assert Draft202012Validator(schema).is_valid(value) is expected


@pytest.mark.parametrize("value", [datetime.date(2026, 12, 2), b"bytes", {1: "a"}, (1, 2)])
def test_values_no_json_type_are_left_to_jsonschema(value):
    assert conforms(value, {"type": "object", "additionalProperties": True}) is None


def test_unknown_keywords_are_left_to_jsonschema():
    assert conforms("x", {"type": "string", "maxLength": 3}) is None
    assert conforms(1, {"const": 1}) is None
    assert conforms(1, {"enum": [1, 2]}) is None
