"""Determinism: predictions of two runs of `infer` on the same data, compared within a tolerance.

Predictions are read the way the output contract reads them (one file, or one per record; a JSON file streamed a
record at a time, see chain/predstream.py); numbers are equal when |a - b| <= tolerance * max(1, |a|, |b|). Files the
contract does not name are compared byte for byte. A record that is a flat list of floats (what a model writes) is
held as an array of doubles until it is compared: 8 bytes a number, not a Python object each.
"""

from __future__ import annotations

import math
from array import array
from pathlib import Path

from validator import hostfs
from validator.archive import sha256_file
from validator.chain.benchmark import PredictionsContract
from validator.chain.outputs import MAX_NESTING, MAX_PREDICTIONS, load_prediction_file
from validator.chain.predstream import NotStreamed, records


def _numbers(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, list):
        out = []
        for v in value:
            sub = _numbers(v)
            if sub is None:
                return None
            out += sub
        return out
    return None


def _shape(value):
    return (len(value), *(_shape(value[0]) if value else ())) if isinstance(value, list) else ()


def close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


def _compact(value):
    """A record as it is held until compared: a flat list of floats as an array of doubles, anything else as it is."""
    if type(value) is list and all(type(v) is float for v in value):
        return array("d", value)
    return value


def _full(value):
    return value.tolist() if isinstance(value, array) else value


def _load(pred_dir: Path, contract: PredictionsContract, ids: list[str]) -> dict[str, object] | None:
    if "{id}" in contract.file:
        out = {}
        for rid in ids:
            p = pred_dir / contract.file.format(id=rid)
            if p.is_file():
                out[rid] = _compact(load_prediction_file(p))
        return out
    path = pred_dir / contract.file
    if path.suffix not in (".npy", ".yaml", ".yml"):
        try:
            return {rid: _compact(value) for rid, value in records(path, MAX_PREDICTIONS, MAX_NESTING)}
        except NotStreamed:
            pass  # read whole, below
    data = load_prediction_file(path)
    return {str(k): _compact(v) for k, v in data.items()} if isinstance(data, dict) else None


def compare(first: Path, second: Path, contract: PredictionsContract, ids: list[str],
            tolerance: float) -> tuple[list[str], float | None]:
    """(differences, largest numeric difference). A difference names the record and how it differs."""
    try:
        a, b = _load(first, contract, ids), _load(second, contract, ids)
    except Exception:  # unreadable: the output contract says so already; compare the bytes
        a = b = None
    if a is None or b is None:
        return _compare_files(first, second), None
    diffs: list[str] = []
    largest = 0.0
    for rid in sorted(set(a) | set(b)):
        if rid not in a or rid not in b:
            diffs.append(f"{rid}: only in the {'first' if rid in a else 'second'} run")
            continue
        first_value, second_value = _full(a[rid]), _full(b[rid])
        x, y = _numbers(first_value), _numbers(second_value)
        if x is None or y is None:
            if first_value != second_value:
                diffs.append(f"{rid}: {first_value!r} then {second_value!r}"[:120])
            continue
        if len(x) != len(y) or _shape(first_value) != _shape(second_value):
            diffs.append(f"{rid}: shape {list(_shape(first_value))} then {list(_shape(second_value))}")
            continue
        worst = max((abs(p - q) for p, q in zip(x, y, strict=True) if not (math.isnan(p) and math.isnan(q))), default=0.0)
        if not all(close(p, q, tolerance) for p, q in zip(x, y, strict=True)):
            diffs.append(f"{rid}: differs by up to {worst:.3g}")
        largest = max(largest, worst if math.isfinite(worst) else largest)
    return diffs, largest


def _compare_files(first: Path, second: Path) -> list[str]:
    def files(root: Path) -> dict[str, str]:
        """sha256 of every regular file below root: streamed, links never followed (a task's output may be large,
        or hostile)."""
        return {e.rel: sha256_file(e.path, follow_links=False) for e in hostfs.walk(root) if e.is_file}

    a, b = files(first), files(second)
    return [f"{name}: {'differs' if name in a and name in b else 'only in one run'}"
            for name in sorted(set(a) | set(b)) if a.get(name) != b.get(name)]
