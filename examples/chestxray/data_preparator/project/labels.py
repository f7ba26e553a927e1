"""Raw label rows -> 0/1 vectors over `labels_list`.

Accepts the tutorial's one-label rows (`effusion`), NIH ChestX-ray14 rows (`Effusion|Pleural_Thickening`,
`No Finding`), any case, and NIH names whose first word is the tutorial name (`Pleural_Thickening`).
"""

from __future__ import annotations

import csv
import os

import numpy as np

NO_FINDING = "no finding"


class LabelError(ValueError):
    pass


def labels_file(labels_path: str) -> str:
    """`labels_path` is the labels folder (holding labels.csv, or a single .csv) or the CSV itself."""
    if os.path.isfile(labels_path):
        return labels_path
    candidate = os.path.join(labels_path, "labels.csv")
    if os.path.isfile(candidate):
        return candidate
    csvs = sorted(f for f in os.listdir(labels_path) if f.lower().endswith(".csv")) if os.path.isdir(labels_path) else []
    if len(csvs) == 1:
        return os.path.join(labels_path, csvs[0])
    raise FileNotFoundError(f"no labels.csv in {labels_path}")


def _normalize(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


class LabelEncoder:
    def __init__(self, labels_list):
        self.labels_list = list(labels_list)
        self.index = {_normalize(n): i for i, n in enumerate(self.labels_list)}

    def lookup(self, name: str) -> int:
        key = _normalize(name)
        if key in self.index:
            return self.index[key]
        first = key.split(" ")[0] if key else key
        if first in self.index:  # NIH "Pleural_Thickening" -> tutorial "pleural"
            return self.index[first]
        raise LabelError(f"unknown label {name.strip()!r} (expected one of {', '.join(self.labels_list)} or 'No Finding')")

    def encode(self, text: str) -> np.ndarray:
        vec = np.zeros(len(self.labels_list), dtype=np.int64)
        parts = [p for p in (text or "").split("|") if p.strip()]
        if not parts:
            raise LabelError("empty label")
        if len(parts) == 1 and _normalize(parts[0]) == NO_FINDING:
            return vec
        for part in parts:
            vec[self.lookup(part)] = 1
        return vec


def read_rows(path: str, image_column: str, label_column: str):
    """Stream (line number, image id, label text) from the labels CSV."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in (image_column, label_column) if c not in (reader.fieldnames or [])]
        if missing:
            raise LabelError(f"{path}: no column {', '.join(map(repr, missing))} (columns: {reader.fieldnames})")
        for row in reader:
            yield reader.line_num, (row[image_column] or "").strip(), row[label_column] or ""
