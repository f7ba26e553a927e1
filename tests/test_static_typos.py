"""Tried as a new user would: a typo in ANY key of a valid config gives one clear error.

For every key of every config in the valid fixtures (container_config.yaml, mlcube/mlcube.yaml), rename it by
dropping one letter and check that static validation gives exactly one error, in that file, on that key's line,
saying which key was meant ("did you mean ...").
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from static_cubes import VALID, run_relative

from validator.manifest.yamlread import read

CONFIGS = [
    (cube.name, rel)
    for cube in sorted(p for p in VALID.iterdir() if p.is_dir())
    for rel in ("container_config.yaml", "mlcube/mlcube.yaml")
    if (cube / rel).is_file()
]


def typos(key: str) -> list[str]:
    """The key with one letter dropped: in the middle, and at the end."""
    mid = len(key) // 2
    return sorted({key[:mid] + key[mid + 1:], key[:-1]} - {key, ""})


def key_sites(config: Path):
    """(key path, key, line, column) of every mapping key in the file."""
    doc = read(config)
    for path, (line, col) in sorted(doc.keys.items(), key=lambda kv: kv[1]):
        key = path[-1]
        if isinstance(key, str) and len(key) >= 3:
            siblings = set(_parent(doc.data, path[:-1]))
            yield path, key, line, col, siblings


def _parent(data, path):
    for p in path:
        data = data[p]
    return data if isinstance(data, dict) else {}


def _rename(text: str, line: int, col: int, key: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    row = lines[line - 1]
    assert row[col - 1: col - 1 + len(key)] == key, (line, col, key, row)
    lines[line - 1] = row[: col - 1] + new + row[col - 1 + len(key):]
    return "".join(lines)


@pytest.mark.parametrize("cube_name,rel", CONFIGS, ids=[f"{c}/{r}" for c, r in CONFIGS])
def test_typo_in_any_key_gives_one_clear_error(cube_name, rel, tmp_path):
    """Each typo gives one finding at its line naming the key meant (MC101 for a key, the role checks' code for a
    task name or label, both errors). Its severity follows the policy at the top of
    docs/findings.md: an error where the runtime rejects it (run_args) or where the key meant is required and now
    missing; else a warning (MLCube and MedPerf ignore the key), and what the missing key then breaks is said by
    the later checks (a task without its volumes, say)."""
    cube = tmp_path / cube_name
    shutil.copytree(VALID / cube_name, cube)
    config = cube / rel
    original = config.read_text(encoding="utf-8")
    problems, tried = [], 0
    for path, key, line, col, siblings in key_sites(config):
        for typo in typos(key):
            if typo in siblings:
                continue
            tried += 1
            config.write_text(_rename(original, line, col, key, typo), encoding="utf-8")
            report, _ = run_relative(cube)
            said = [f for f in report.findings if re.search(rf"did you mean '(--)?{re.escape(key)}'", f.message)]
            where = f"{'.'.join(map(str, path))} -> {typo!r}"
            if len(said) != 1:
                problems.append(f"{where}: {len(said)} findings name '{key}': " + "; ".join(
                    f"{f.code} {f.where()} {f.message}" for f in report.findings))
                continue
            f = said[0]
            rejected = rel.endswith("container_config.yaml") and "run_args" in map(str, path[:-1])
            if (f.file, f.line) != (rel, line):
                problems.append(f"{where}: {f.code} at {f.where()}, expected {rel}:{line}: {f.message}")
            elif not re.search(rf"did you mean '(--)?{re.escape(key)}'", f.message):
                problems.append(f"{where}: {f.code} does not name '{key}': {f.message}")
            elif (rejected or f.code != "MC101") and not f.is_error:
                problems.append(f"{where}: a key MedPerf rejects (run_args) is only a {f.severity}")
    config.write_text(original, encoding="utf-8")
    assert tried >= 5
    assert not problems, f"{len(problems)} of {tried} typos:\n" + "\n".join(problems)
