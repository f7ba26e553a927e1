"""A benchmark profile (`benchmark.yaml`): the reference cubes, the demo data and the output contracts.

```yaml
name: chestxray
description: ...
data_preparator: data_preparator      # cube folders, relative to this file
model: model
metrics: metrics
demo_data: {path: demo_data/demo_data.tar.gz, sha256: <hex>}   # or just the path; a folder with paths.yaml works too
contracts:
  statistics: {required_keys: [num_cases, labels_count]}
  predictions: {file: predictions.json, records: "*.npy", length: 14, range: [0, 1]}
  results: {required_keys: [Accuracy, AUC]}
primary_metric: AUC                   # optional: ranks many submissions (`medcube test --model A --model B`)
```
`primary_metric` names a metric of results.yaml (`a.b` for a nested one), higher is better; a mapping
`{name: Loss, higher_is_better: false}` turns the order round. When contracts.results lists required keys, the
primary metric must be one of them.
Every mistake is a UserError naming the file, the line and what is expected.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NoReturn, overload

from validator.errors import UserError
from validator.manifest.roles import ROLES
from validator.manifest.yamlread import Doc, YamlSyntaxError, read

BENCHMARK_FILE = "benchmark.yaml"
_TOP_KEYS = ("name", "description", *ROLES, "demo_data", "contracts", "primary_metric")
_PRIMARY_KEYS = ("name", "higher_is_better")
_CONTRACT_KEYS = ("statistics", "predictions", "results")
_KEYS_ONLY = ("required_keys",)
_PREDICTION_KEYS = ("file", "records", "length", "shape", "range")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass
class PredictionsContract:
    file: str = "predictions.json"  # inside infer's output_path; "{id}" makes it one file per record
    records: str = "*"  # glob over prepare's output_path: each match is a record that needs a prediction
    shape: tuple[int, ...] | None = None  # of each record's prediction; `length: N` is shape (N,)
    range: tuple[float, float] | None = None


@dataclass
class Contracts:
    statistics_keys: list[str] = field(default_factory=list)
    predictions: PredictionsContract = field(default_factory=PredictionsContract)
    results_keys: list[str] = field(default_factory=list)


@dataclass
class Benchmark:
    file: Path
    name: str
    description: str
    cubes: dict[str, Path]  # role -> cube folder
    demo_data: Path
    demo_sha256: str | None
    contracts: Contracts
    lines: dict[str, int | None] = field(default_factory=dict, repr=False)  # top-level key -> line
    primary_metric: str | None = None  # ranks submissions; a key of results.yaml, dotted when nested
    higher_is_better: bool = True

    def cube(self, role: str) -> Path:
        return self.cubes[role]


def find_benchmark_file(path: Path | str) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / BENCHMARK_FILE
    if not path.is_file():
        raise UserError(
            f"no benchmark profile at {path}",
            hint=f"pass a {BENCHMARK_FILE} or the folder holding it (e.g. examples/chestxray)",
        )
    return path


def load_benchmark(path: Path | str) -> Benchmark:
    file = find_benchmark_file(path)
    try:
        doc = read(file)
    except YamlSyntaxError as e:
        raise UserError(e.described(), file=str(file), line=e.line,
                        hint=e.hint or "fix the YAML syntax (indentation, colons, quotes) at that line") from None
    return _Reader(file, doc).benchmark()


class _Reader:
    def __init__(self, file: Path, doc: Doc):
        self.file = file
        self.doc = doc
        self.base = file.parent

    def fail(self, path: tuple, message: str, hint: str | None = None, key: bool = False) -> NoReturn:
        raise UserError(message, hint=hint, file=str(self.file), line=self.doc.line(path, key=key))

    def mapping(self, path: tuple, value, allowed: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"{_name(path)} must be a mapping", hint=f"keys: {', '.join(allowed)}")
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(allowed)}"
                self.fail(path + (key,), f"unknown key {key!r} in {_name(path)}", hint=hint, key=True)
        for kpath, pos in self.doc.duplicates:
            if kpath[:-1] == path:
                raise UserError(f"key {kpath[-1]!r} is given twice", file=str(self.file), line=pos[0])
        return value

    @overload
    def string(self, path: tuple, value, required: Literal[True] = True) -> str: ...

    @overload
    def string(self, path: tuple, value, required: bool) -> str | None: ...

    def string(self, path: tuple, value, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"{_name(path)} must be a non-empty string")
        return value

    def folder(self, path: tuple, value, what: str) -> Path:
        rel = self.string(path, value)
        p = (self.base / rel).resolve()
        if not p.exists():
            self.fail(path, f"{_name(path)}: {what} {rel!r} not found (looked in {p})",
                      hint="paths are relative to the folder of benchmark.yaml")
        return p

    def benchmark(self) -> Benchmark:
        data = self.doc.data
        if data is None:
            self.fail((), "the benchmark profile is empty", hint=f"it needs: {', '.join(_TOP_KEYS[2:6])}")
        top = self.mapping((), data, _TOP_KEYS)
        for key in (*ROLES, "demo_data"):
            if key not in top:
                self.fail((), f"the benchmark profile has no {key!r}",
                          hint="data_preparator, model and metrics name cube folders; demo_data the demo data")
        cubes = {}
        for role in ROLES:
            cubes[role] = self.folder((role,), top[role], "cube folder")
            if not cubes[role].is_dir():
                self.fail((role,), f"{role}: {top[role]!r} is not a folder")
        demo, sha = self.demo_data(top["demo_data"])
        contracts = self.contracts(top.get("contracts"))
        primary, higher = self.primary_metric(top.get("primary_metric"), contracts)
        return Benchmark(
            file=self.file,
            name=self.string(("name",), top.get("name"), required=False) or self.base.name,
            description=self.string(("description",), top.get("description"), required=False) or "",
            cubes=cubes,
            demo_data=demo,
            demo_sha256=sha,
            contracts=contracts,
            lines={k: self.doc.line((k,), key=True) for k in top},
            primary_metric=primary,
            higher_is_better=higher,
        )

    def primary_metric(self, value, contracts: Contracts) -> tuple[str | None, bool]:
        path: tuple[str, ...] = ("primary_metric",)
        if value is None:
            return None, True
        higher = True
        if isinstance(value, dict):
            value = self.mapping(path, value, _PRIMARY_KEYS)
            if "name" not in value:
                self.fail(path, "primary_metric has no 'name'", hint="e.g. {name: AUC, higher_is_better: true}")
            if "higher_is_better" in value:
                if not isinstance(value["higher_is_better"], bool):
                    self.fail(path + ("higher_is_better",), "primary_metric.higher_is_better must be true or false")
                higher = value["higher_is_better"]
            path, value = path + ("name",), value["name"]
        name = self.string(path, value)
        required = contracts.results_keys
        if required and name.split(".")[0] not in required:
            self.fail(path, f"primary_metric {name!r} is not among contracts.results.required_keys",
                      hint=f"name one of: {', '.join(required)} (a submission without it could not be ranked)")
        return name, higher

    def demo_data(self, value) -> tuple[Path, str | None]:
        path = ("demo_data",)
        sha = None
        if isinstance(value, dict):
            value = self.mapping(path, value, ("path", "sha256"))
            if "path" not in value:
                self.fail(path, "demo_data has no 'path'", hint="path: a folder with paths.yaml or a .tar.gz")
            sha = value.get("sha256")
            if sha is not None and (not isinstance(sha, str) or not _SHA256.match(sha)):
                self.fail(path + ("sha256",), "demo_data.sha256 must be 64 hexadecimal characters",
                          hint="sha256sum FILE prints it")
            location = self.folder(path + ("path",), value["path"], "demo data")
        else:
            location = self.folder(path, value, "demo data")
        if location.is_file() and not location.name.endswith((".tar.gz", ".tgz", ".tar")):
            self.fail(path, "demo_data must be a folder holding paths.yaml or a .tar.gz")
        if location.is_dir() and sha:
            self.fail(path + ("sha256",), "a sha256 only applies to a tarball, not a folder")
        return location, sha

    def keys(self, path: tuple, value) -> list[str]:
        if value is None:
            return []
        value = self.mapping(path, value, _KEYS_ONLY)
        keys = value.get("required_keys") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            self.fail(path + ("required_keys",), f"{_name(path)}.required_keys must be a list of names")
        return keys

    def contracts(self, value) -> Contracts:
        if value is None:
            return Contracts()
        path = ("contracts",)
        value = self.mapping(path, value, _CONTRACT_KEYS)
        out = Contracts(
            statistics_keys=self.keys(path + ("statistics",), value.get("statistics")),
            results_keys=self.keys(path + ("results",), value.get("results")),
        )
        pred = value.get("predictions")
        if pred is not None:
            pp = path + ("predictions",)
            pred = self.mapping(pp, pred, _PREDICTION_KEYS)
            c = out.predictions
            if "file" in pred:
                c.file = self.string(pp + ("file",), pred["file"])
                if c.file.startswith("/") or ".." in Path(c.file).parts:
                    self.fail(pp + ("file",), "predictions.file must be relative to infer's output_path")
            if "records" in pred:
                c.records = self.string(pp + ("records",), pred["records"])
            if "length" in pred and "shape" in pred:
                self.fail(pp + ("shape",), "give either length or shape, not both")
            if "length" in pred:
                n = pred["length"]
                if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                    self.fail(pp + ("length",), "predictions.length must be a positive integer")
                c.shape = (n,)
            if "shape" in pred:
                s = pred["shape"]
                if not isinstance(s, list) or not s or not all(isinstance(n, int) and n >= 1 for n in s):
                    self.fail(pp + ("shape",), "predictions.shape must be a list of positive integers")
                c.shape = tuple(s)
            if "range" in pred:
                r = pred["range"]
                if (not isinstance(r, list) or len(r) != 2 or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in r)
                        or r[0] > r[1]):
                    self.fail(pp + ("range",), "predictions.range must be [low, high] with low <= high", hint="e.g. [0, 1]")
                c.range = (float(r[0]), float(r[1]))
        return out


def _name(path: tuple) -> str:
    return ".".join(str(p) for p in path) if path else "the benchmark profile"
