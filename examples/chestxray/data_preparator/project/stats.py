"""statistics: number of cases, positives per label, an image intensity summary and, when prepare wrote
metadata, counts by source format and DICOM modality -> statistics.yaml."""

from __future__ import annotations

import collections
import csv
import math
import os

import npyio
import numpy as np
import yaml
from parallel import map_chunks, num_workers


def _stats_chunk(ids, data_path, labels_path, num_labels, image_shape):
    counts = np.zeros(num_labels, dtype=np.int64)
    no_finding = 0
    n_pix, total, total_sq = 0, 0.0, 0.0
    lo, hi = math.inf, -math.inf
    for record in ids:
        image = npyio.load(os.path.join(data_path, record + ".npy"), np.uint8, image_shape)
        pix = image.astype(np.float64).ravel()
        n_pix += pix.size
        total += float(pix.sum())
        total_sq += float(np.dot(pix, pix))
        lo, hi = min(lo, float(pix.min())), max(hi, float(pix.max()))
        label_file = os.path.join(labels_path, record + ".npy")
        if os.path.exists(label_file):
            label = npyio.load(label_file, np.int64, (num_labels,)).astype(np.int64).ravel()
            counts[: min(num_labels, label.size)] += label[:num_labels]
            no_finding += int(not label.any())
    return len(ids), counts, no_finding, n_pix, total, total_sq, lo, hi


def _num(x):
    return int(x) if float(x).is_integer() else float(x)


def source_counts(metadata_path, records):
    """({format: n}, {modality: n}) over `records` from prepare's sources.csv; None when there is none."""
    path = os.path.join(metadata_path, "sources.csv") if metadata_path else None
    if not path or not os.path.isfile(path):
        return None
    formats, modalities = collections.Counter(), collections.Counter()
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("record") not in records:
                continue
            fmt = (row.get("format") or "").strip() or "unknown"
            formats[fmt] += 1
            if fmt == "dicom":
                modalities[(row.get("modality") or "").strip() or "unknown"] += 1
    return dict(sorted(formats.items())), dict(sorted(modalities.items()))


def compute_statistics(data_path, labels_path, parameters, workers=None, metadata_path=None):
    labels_list = list(parameters["labels_list"])
    ids = sorted(e.name[:-4] for e in os.scandir(data_path) if e.name.endswith(".npy"))
    num_cases, counts, no_finding = 0, np.zeros(len(labels_list), dtype=np.int64), 0
    n_pix, total, total_sq, lo, hi = 0, 0.0, 0.0, math.inf, -math.inf
    image_shape = tuple(int(x) for x in parameters.get("image_output_size", [28, 28, 1]))
    extra = (data_path, labels_path, len(labels_list), image_shape)
    for n, c, nf, p, t, t2, a, b in map_chunks(_stats_chunk, ids, workers or num_workers(parameters), 512, extra):
        num_cases += n
        counts += c
        no_finding += nf
        n_pix, total, total_sq = n_pix + p, total + t, total_sq + t2
        lo, hi = min(lo, a), max(hi, b)
    mean = total / n_pix if n_pix else 0.0
    std = math.sqrt(max(total_sq / n_pix - mean * mean, 0.0)) if n_pix else 0.0
    stats = {
        "num_cases": num_cases,
        "labels_count": {name: int(counts[i]) for i, name in enumerate(labels_list)},
        "cases_without_findings": no_finding,
        "image_intensity": {
            "mean": round(mean, 4),
            "std": round(std, 4),
            "min": _num(lo) if n_pix else None,
            "max": _num(hi) if n_pix else None,
        },
    }
    counts_by_source = source_counts(metadata_path, set(ids))
    if counts_by_source is not None:
        stats["source_formats"], stats["dicom_modalities"] = counts_by_source
    return stats


def write_statistics(stats, output_file):
    folder = os.path.dirname(os.path.abspath(output_file))
    os.makedirs(folder, exist_ok=True)
    with open(output_file, "w") as f:
        yaml.safe_dump(stats, f, sort_keys=False)
