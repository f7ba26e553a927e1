"""Fault injection: broken copies of the prepared data, each with one fault a sanity check must refuse.

- blank: one record's image or array set to zeros (same shape and type);
- wrong_shape: one record's array or image cut to half its last dimension;
- missing_label: one record's label removed (its file, its row of a table, its key of a mapping);
- extra_file: a file that is not a record added to the data folder.

A fault that cannot be made for this data (an unknown file type, numpy missing) raises Unsupported with the reason.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from validator import hostfs
from validator.errors import MedcubeError

FAULTS = {
    "blank": "a blank image",
    "wrong_shape": "a wrong-shape array",
    "missing_label": "a missing label",
    "extra_file": "an extra file",
}
EXTRA_FILE = "medcube_unexpected_file.txt"
_IMAGES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
_TABLES = (".csv", ".tsv", ".txt")


class Unsupported(MedcubeError):
    """The prepared data has a shape this probe cannot break (reported as the probe's reason)."""


def copy_tree(src: Path, dst: Path) -> None:
    """A scratch copy of prepared data: folders and regular files only, no link followed or copied."""
    if src.is_dir() and not src.is_symlink():
        hostfs.copytree(src, dst)
    else:
        dst.mkdir(parents=True, exist_ok=True)


def records(data_dir: Path, pattern: str) -> list[Path]:
    """The record files of the prepared data: the matches of the contract's pattern (files, or the first file of
    each matching folder), else every file."""
    out = []
    for p in sorted(data_dir.glob(pattern)):
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            inner = sorted(q for q in p.rglob("*") if q.is_file())
            if inner:
                out.append(inner[0])
    if not out:
        out = sorted(p for p in data_dir.rglob("*") if p.is_file())
    return out


def record_id(data_dir: Path, path: Path) -> str:
    rel = path.relative_to(data_dir)
    return rel.parts[0].split(".")[0] if len(rel.parts) > 1 else path.name.split(".")[0]


def _numpy():
    try:
        import numpy

        return numpy
    except ImportError:
        raise Unsupported("numpy is not installed here (pip install numpy)") from None


def _zero(value):
    if isinstance(value, list):
        return [_zero(v) for v in value]
    if isinstance(value, dict):
        return {k: _zero(v) for k, v in value.items()}
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return type(value)(0)
    return value


def _halve(value):
    if isinstance(value, list) and value and isinstance(value[0], list):
        return [_halve(v) for v in value]
    if isinstance(value, list):
        return value[: max(1, len(value) // 2)] if len(value) > 1 else value + value
    raise Unsupported("the record is not a list of numbers")


def _shape(value) -> list[int]:
    return [len(value), *_shape(value[0])] if isinstance(value, list) and value else []


def blank(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        np = _numpy()
        arr = np.load(path, allow_pickle=False)
        np.save(path, np.zeros_like(arr))
        return "set to zeros"
    if suffix in _IMAGES:
        from PIL import Image

        with Image.open(path) as im:
            mode, size, fmt = im.mode, im.size, im.format
        Image.new(mode, size).save(path, format=fmt)
        return f"a black {size[0]}x{size[1]} image"
    if suffix == ".json":
        path.write_text(json.dumps(_zero(json.loads(path.read_text()))))
        return "set to zeros"
    if suffix in _TABLES:
        tokens = path.read_text().split()
        try:
            [float(t) for t in tokens]
        except ValueError:
            raise Unsupported(f"{path.name} is not a list of numbers") from None
        path.write_text(" ".join("0" for _ in tokens) + "\n")
        return "set to zeros"
    raise Unsupported(f"medcube cannot blank a {suffix or 'suffix-less'} file")


def wrong_shape(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        np = _numpy()
        arr = np.load(path, allow_pickle=False)
        if arr.ndim and arr.shape[-1] > 1:
            new = np.ascontiguousarray(arr[..., : arr.shape[-1] // 2])
        else:
            new = np.zeros((2, 3), dtype=arr.dtype)
        np.save(path, new)
        return f"shape {list(arr.shape)} -> {list(new.shape)}"
    if suffix in _IMAGES:
        from PIL import Image

        with Image.open(path) as im:
            w, h = im.size
            small = im.resize((max(1, w // 2), h))
            fmt = im.format
        small.save(path, format=fmt)
        return f"{w}x{h} -> {small.size[0]}x{small.size[1]} pixels"
    if suffix == ".json":
        value = json.loads(path.read_text())
        new = _halve(value)
        path.write_text(json.dumps(new))
        return f"shape {_shape(value)} -> {_shape(new)}"
    if suffix in _TABLES:
        tokens = path.read_text().split()
        path.write_text(" ".join(tokens[: max(1, len(tokens) // 2)]) + "\n")
        return f"{len(tokens)} -> {max(1, len(tokens) // 2)} values"
    raise Unsupported(f"medcube cannot reshape a {suffix or 'suffix-less'} file")


def missing_label(labels_dir: Path, rid: str) -> str:
    if not labels_dir.is_dir():
        raise Unsupported("there is no labels folder")
    own = sorted(p for p in labels_dir.iterdir() if p.name.split(".")[0] == rid)
    if own:
        for p in own:
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        return f"labels/{own[0].name} removed"
    for p in sorted(labels_dir.rglob("*")):
        if not p.is_file():
            continue
        if p.suffix.lower() in (".json", ".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(p.read_text())
            if isinstance(data, dict) and rid in map(str, data):
                data = {k: v for k, v in data.items() if str(k) != rid}
                p.write_text(json.dumps(data) if p.suffix.lower() == ".json" else yaml.safe_dump(data))
                return f"{rid} removed from labels/{p.relative_to(labels_dir)}"
        elif p.suffix.lower() in _TABLES:
            lines = p.read_text().splitlines(keepends=True)
            sep = "\t" if p.suffix.lower() == ".tsv" else ","
            kept = [ln for ln in lines if rid not in [f.strip().strip('"') for f in ln.split(sep)]]
            if len(kept) < len(lines):
                p.write_text("".join(kept))
                return f"the row of {rid} removed from labels/{p.relative_to(labels_dir)}"
    raise Unsupported(f"no label of record {rid} found in the labels folder")


def inject(kind: str, data_dir: Path, labels_dir: Path, pattern: str) -> str:
    """Apply one fault to a copy of the prepared data; returns what was done, for the report."""
    if kind == "extra_file":
        (data_dir / EXTRA_FILE).write_text("not a record: added by medcube to check that sanity_check refuses it\n")
        return f"data/{EXTRA_FILE} added"
    found = records(data_dir, pattern)
    if not found:
        raise Unsupported("the prepared data holds no record")
    target = found[0]
    rel = target.relative_to(data_dir)
    if kind == "blank":
        return f"data/{rel} {blank(target)}"
    if kind == "wrong_shape":
        return f"data/{rel}: {wrong_shape(target)}"
    if kind == "missing_label":
        return missing_label(labels_dir, record_id(data_dir, target))
    raise ValueError(kind)
