"""The schema yes/no of the code fastjsonschema generated (validator.manifest.schemas.conforms) answers as jsonschema
does, and the generated code is what scripts/compile_schemas.py writes today.

The documents: every config and parameters file of the repository's examples and fixtures, each mutated many
ways (keys dropped, values replaced by every JSON type, unknown keys added), against each of medcube's schemas.
"""

from __future__ import annotations

import copy
import datetime
import importlib.util
import random
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from validator.manifest import schemas
from validator.manifest.schemas import conforms
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


def test_the_generated_check_agrees_with_jsonschema():
    docs = corpus()
    assert len(docs) >= 20, [d for d, _ in docs]
    rng = random.Random(20261202)
    validators = {name: Draft202012Validator(schemas.load(name)) for name in schemas.NAMES}
    valid_seen = invalid_seen = 0
    for where, doc in docs:
        for instance in [doc, *mutations(doc, rng, 60)]:
            for name, jsonschema_validator in validators.items():
                expected = jsonschema_validator.is_valid(instance)
                valid_seen += expected
                invalid_seen += not expected
                assert conforms(instance, name) == expected, (where, name, instance)
    assert valid_seen > 100 and invalid_seen > 1000, (valid_seen, invalid_seen)


def test_every_config_of_the_examples_conforms_without_importing_jsonschema():
    program = ("import sys; from pathlib import Path; from validator.manifest.schemas import conforms; "
               "from validator.manifest.yamlread import load_data; "
               "p = Path(sys.argv[1]); assert conforms(load_data(p.read_text(), str(p)), sys.argv[2]), p; "
               "assert 'jsonschema' not in sys.modules")
    for where, _ in corpus():
        if where.startswith("examples/"):
            subprocess.run([sys.executable, "-c", program, str(ROOT / where), NAMES[Path(where).name]], check=True,
                           cwd=ROOT)


@pytest.mark.parametrize("value", [datetime.date(2026, 12, 2), b"bytes", {1: "a"}, (1, 2), {"a", "b"}])
def test_a_value_of_no_json_type_never_passes_where_jsonschema_would_refuse_it(value):
    for name in schemas.NAMES:
        for doc in (value, {"name": value}, {"tasks": {"infer": {"parameters": {"inputs": {"x": value}}}}}):
            assert not conforms(doc, name) or Draft202012Validator(schemas.load(name)).is_valid(doc), (name, doc)


def test_the_generated_code_is_fresh():
    if importlib.util.find_spec("fastjsonschema") is None:
        pytest.skip("fastjsonschema (the dev extra) generates the code")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "compile_schemas.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
