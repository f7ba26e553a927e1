"""The benchmark's output contracts (MC7xx): what prepare, statistics, infer and evaluate must have written,
checked as soon as each task ends."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from validator import findings as F
from validator import hostfs
from validator.chain.benchmark import Contracts, PredictionsContract
from validator.chain.rundir import RunFolder
from validator.codes import (
    BAD_PREDICTION_SHAPE,
    BAD_PREDICTION_VALUES,
    BAD_RESULTS,
    BAD_STATISTICS,
    MISSING_PREDICTIONS,
    NO_PREDICTIONS,
    NO_RECORDS,
    RESULTS_KEYS,
    RESULTS_NOT_FINITE,
    STATISTICS_KEYS,
)
from validator.findings import Finding
from validator.manifest.yamlread import YamlSyntaxError, load_data


def check_outputs(task: str, outputs: dict[str, Path], folder: RunFolder, contracts: Contracts, where: str) -> list[Finding]:
    if task == "prepare":
        return check_prepared(outputs.get("output_path", folder.path("data")),
                              outputs.get("output_labels_path"), contracts.predictions, where)
    if task == "statistics":
        return check_statistics(outputs.get("output_path", folder.path("statistics", "statistics.yaml")),
                                contracts.statistics_keys, where)
    if task == "infer":
        ids = record_ids(folder.path("data"), contracts.predictions.records)
        return check_predictions(outputs.get("output_path", folder.path("predictions")), ids,
                                 contracts.predictions, where)
    if task == "evaluate":
        return check_results(outputs.get("output_path", folder.path("results", "results.yaml")),
                             contracts.results_keys, where)
    return []


def record_ids(data_dir: Path, pattern: str) -> list[str]:
    """Ids of the prepared records: the names matching the pattern without its fixed suffix (`*.npy` -> stem)."""
    if not data_dir.is_dir():
        return []
    suffix = pattern[1:] if pattern.startswith("*") and not any(c in pattern[1:] for c in "*?[/") else None
    ids = set()
    if suffix:  # `*.npy`: the folder's names read one at a time (pathlib's glob lists every entry first)
        with os.scandir(data_dir) as it:
            for e in it:
                if e.name.endswith(suffix):
                    ids.add(e.name[: len(e.name) - len(suffix)])
        return sorted(ids)
    for p in data_dir.glob(pattern):
        rel = p.relative_to(data_dir)
        if len(rel.parts) > 1:
            ids.add(rel.parts[0])
        elif suffix:
            ids.add(p.name[: len(p.name) - len(suffix)] if p.name.endswith(suffix) else p.name)
        else:
            ids.add(p.stem if p.is_file() else p.name)
    return sorted(ids)


def check_prepared(data_dir: Path, labels_dir: Path | None, contract: PredictionsContract, where: str) -> list[Finding]:
    out = []
    if not record_ids(data_dir, contract.records):
        out.append(F.error(NO_RECORDS, where,
                           f"prepare wrote no records matching {contract.records!r} into its output_path",
                           hint="prepare must write the prepared records into output_path; see its log"))
    if labels_dir is not None and (not labels_dir.is_dir() or not any(labels_dir.iterdir())):
        out.append(F.error(NO_RECORDS, where, "prepare wrote nothing into output_labels_path",
                           hint="the evaluator reads the prepared labels from there"))
    return out


# What medcube reads of a task's outputs: a task controls them, so every read is bounded (and never through a link).
MAX_YAML_OUTPUT = 1 << 20  # statistics.yaml, results.yaml
MAX_PREDICTIONS = 256 << 20  # a predictions file
MAX_NESTING = 32  # levels of lists in a prediction


def _read_yaml(path: Path):
    if not path.is_file() or path.stat().st_size == 0:
        return None, "was not written (missing or empty)"
    try:
        return load_data(hostfs.read_text(path, MAX_YAML_OUTPUT), path.name), None
    except hostfs.HostFileError as e:
        return None, f"cannot be read ({e.message.replace(str(path) + ' ', '', 1)})"
    except YamlSyntaxError as e:
        return None, f"is not valid YAML ({e.message}" + (f", line {e.line})" if e.line else ")")


def _nesting(value, limit: int = MAX_NESTING) -> None:
    """Raise ValueError when lists/mappings nest deeper than limit (checked without recursion)."""
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if depth > limit:
            raise ValueError(f"nested more than {limit} levels deep")
        if isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)
        elif isinstance(v, dict):
            stack.extend((x, depth + 1) for x in v.values())


def check_statistics(path: Path, required: list[str], where: str) -> list[Finding]:
    data, problem = _read_yaml(path)
    name = path.name
    if problem:
        return [F.error(BAD_STATISTICS, where, f"statistics: {name} {problem}",
                        hint="the statistics task writes a YAML mapping to its output_path file")]
    if not isinstance(data, dict) or not data:
        return [F.error(BAD_STATISTICS, where, f"statistics: {name} is {'an empty mapping' if data == {} else 'not a mapping'}",
                        hint="e.g. {num_cases: 10, labels_count: {...}}")]
    missing = [k for k in required if k not in data]
    if missing:
        return [F.error(STATISTICS_KEYS, where, f"statistics: {name} lacks {', '.join(map(repr, missing))}",
                        hint=f"the benchmark requires: {', '.join(required)}; found: {', '.join(map(str, data))}")]
    return []


def _shape(value) -> tuple[int, ...] | None:
    """Shape of a number or a nested list of numbers; None when ragged or not numeric."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return ()
    if isinstance(value, list):
        shapes = {_shape(v) for v in value}
        if len(shapes) > 1:
            return None
        inner = shapes.pop() if shapes else ()
        if inner is None:  # ragged or not numeric further down
            return None
        return (len(value), *inner)
    return None


def _flat(value):
    if isinstance(value, list):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def load_prediction_file(path: Path):
    """A predictions file, read without following a link, at most MAX_PREDICTIONS bytes, nested at most
    MAX_NESTING levels (ValueError otherwise)."""
    raw = hostfs.read_bytes(path, MAX_PREDICTIONS)
    if path.suffix == ".npy":
        import io

        import numpy as np

        value = np.load(io.BytesIO(raw), allow_pickle=False).tolist()
    elif path.suffix in (".yaml", ".yml"):
        try:
            value = load_data(raw.decode("utf-8", errors="replace"), path.name)
        except YamlSyntaxError as e:
            raise ValueError(e.message) from None
    else:
        try:
            value = json.loads(raw.decode("utf-8", errors="replace"))
        except RecursionError:
            raise ValueError("nested too deeply") from None
    _nesting(value)
    return value


class _Verdicts:
    """What check_predictions keeps of the predictions it reads, one record at a time: which prepared records got one,
    the records that were not prepared, and the problem of each record that has one (a record seen twice counts with
    its last value, as in a JSON object read whole). Nothing grows with the records but the ids themselves."""

    def __init__(self, ids: list[str], contract: PredictionsContract, extras: bool) -> None:
        self.found = dict.fromkeys(ids, False)
        self.contract = contract
        self.extras: set[str] | None = set() if extras and ids else None
        self.problems: dict[str, tuple[bool, str]] = {}  # record -> (a shape problem?, what)

    def add(self, rid: str, value) -> None:
        if rid in self.found:
            self.found[rid] = True
        elif self.extras is not None:
            self.extras.add(rid)
        self.problems.pop(rid, None)
        problem = _problem(rid, value, self.contract)
        if problem:
            self.problems[rid] = problem


def _problem(rid: str, value, contract: PredictionsContract) -> tuple[bool, str] | None:
    shape = _shape(value)
    if shape is None or (contract.shape is not None and shape != contract.shape):
        return True, f"{rid}: {'not numeric' if shape is None else 'shape ' + str(list(shape))}"
    try:
        nums = [float(x) for x in _flat(value)]
    except OverflowError:  # an integer too large for a float
        return False, f"{rid}: not finite"
    if not all(math.isfinite(x) for x in nums):
        return False, f"{rid}: not finite"
    if contract.range and any(x < contract.range[0] or x > contract.range[1] for x in nums):
        return False, f"{rid}: outside [{contract.range[0]:g}, {contract.range[1]:g}]"
    return None


def _streamed(path: Path, verdicts: _Verdicts) -> bool:
    """Feed the records of a JSON predictions file to verdicts one at a time; False when it must be read whole."""
    from validator.chain.predstream import NotStreamed, records

    try:
        for rid, value in records(path, MAX_PREDICTIONS, MAX_NESTING):
            verdicts.add(rid, value)
    except NotStreamed:
        return False
    return True


def check_predictions(pred_dir: Path, ids: list[str], contract: PredictionsContract, where: str) -> list[Finding]:
    out: list[Finding] = []
    per_record = "{id}" in contract.file
    verdicts = _Verdicts(ids, contract, extras=not per_record)
    if per_record:
        for rid in ids:
            p = pred_dir / contract.file.format(id=rid)
            if p.is_file():
                try:
                    value = load_prediction_file(p)
                except Exception as e:
                    out.append(F.error(NO_PREDICTIONS, where, f"infer: cannot read {p.name}: {e}"))
                else:
                    verdicts.add(rid, value)
    else:
        path = pred_dir / contract.file
        if not path.is_file():
            found = sorted(p.name for p in pred_dir.iterdir())[:5] if pred_dir.is_dir() else []
            return [F.error(NO_PREDICTIONS, where, f"infer wrote no {contract.file} into its output_path",
                            hint=f"found: {', '.join(found) or 'nothing'}; the benchmark expects {contract.file}")]
        # A JSON file is streamed (MedPerf's predictions.json grows with the data set); what the stream refuses, and
        # the other formats, are read whole.
        if path.suffix in (".npy", ".yaml", ".yml") or not _streamed(path, verdicts):
            verdicts = _Verdicts(ids, contract, extras=True)
            try:
                data = load_prediction_file(path)
            except Exception as e:
                return [F.error(NO_PREDICTIONS, where, f"infer: {contract.file} cannot be read: {str(e)[:200]}",
                                hint=f"infer writes one complete {path.suffix.lstrip('.') or 'JSON'} mapping record id "
                                f"-> prediction to {contract.file} in its output_path (written in one go, and closed)")]
            if not isinstance(data, dict):
                return [F.error(NO_PREDICTIONS, where, f"infer: {contract.file} is not a mapping of record id -> prediction",
                                hint='e.g. {"00001": [0.1, 0.9, ...]}')]
            for k, v in data.items():
                verdicts.add(str(k), v)
            del data
    missing = [i for i in ids if not verdicts.found[i]]
    if missing:
        out.append(F.error(MISSING_PREDICTIONS, where,
                           f"infer: {len(missing)} of {len(ids)} prepared records have no prediction "
                           f"(e.g. {', '.join(missing[:5])})",
                           hint="write one prediction per record in the prepared data"))
    extra = sorted(verdicts.extras or ())
    if extra:
        out.append(F.warning(MISSING_PREDICTIONS, where,
                             f"infer: {len(extra)} predictions for records that were not prepared (e.g. {', '.join(extra[:5])})"))
    bad_shape = [what for _, (is_shape, what) in sorted(verdicts.problems.items()) if is_shape]
    bad_value = [what for _, (is_shape, what) in sorted(verdicts.problems.items()) if not is_shape]
    if bad_shape:
        want = f"a list of {contract.shape[0]} numbers" if contract.shape and len(contract.shape) == 1 else (
            f"shape {list(contract.shape)}" if contract.shape else "numbers")
        out.append(F.error(BAD_PREDICTION_SHAPE, where,
                           f"infer: {len(bad_shape)} predictions are not {want} ({'; '.join(bad_shape[:3])})"))
    if bad_value:
        out.append(F.error(BAD_PREDICTION_VALUES, where,
                           f"infer: {len(bad_value)} predictions have bad values ({'; '.join(bad_value[:3])})",
                           hint="predictions must be finite" + (f" and within [{contract.range[0]:g}, {contract.range[1]:g}]" if contract.range else "")))
    return out


def _metric_problem(value, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
        text = repr(value)
        text = text if len(text) <= 40 else text[:39] + "…"
        return f"{path} is a {type(value).__name__} ({text}), not a number"
    if isinstance(value, dict):
        for k, v in value.items():
            problem = _metric_problem(v, f"{path}.{k}")
            if problem:
                return problem
    return None


def _non_finite(value, path: str):
    if isinstance(value, float) and not math.isfinite(value):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _non_finite(v, f"{path}.{k}")


def check_results(path: Path, required: list[str], where: str) -> list[Finding]:
    data, problem = _read_yaml(path)
    name = path.name
    if problem:
        return [F.error(BAD_RESULTS, where, f"evaluate: {name} {problem}",
                        hint="the evaluate task writes a YAML mapping metric -> number to its output_path file")]
    if not isinstance(data, dict) or not data:
        return [F.error(BAD_RESULTS, where, f"evaluate: {name} is not a non-empty mapping of metric -> number",
                        hint="e.g. {Accuracy: 0.91, AUC: 0.88}")]
    out = []
    for key, value in data.items():
        if value is None:
            continue
        problem = _metric_problem(value, str(key))
        if problem:
            out.append(F.error(BAD_RESULTS, where, f"evaluate: {name}: {problem}",
                               hint="every value is a metric: a number, null when undefined, or a mapping of those "
                               "(e.g. per label); keep lists and text out of results.yaml"))
            break
    missing = [k for k in required if k not in data]
    if missing:
        out.append(F.error(RESULTS_KEYS, where, f"evaluate: {name} lacks {', '.join(map(repr, missing))}",
                           hint=f"the benchmark requires: {', '.join(required)}"))
    nonfinite = [p for k, v in data.items() for p in _non_finite(v, str(k))]
    if nonfinite:
        out.append(F.warning(RESULTS_NOT_FINITE, where, f"evaluate: {name}: {', '.join(nonfinite[:5])} not finite",
                             hint="NaN usually means a metric is undefined on the demo data; write null instead"))
    return out


def read_results(path: Path) -> dict | None:
    data, _ = _read_yaml(path)
    return data if isinstance(data, dict) else None
