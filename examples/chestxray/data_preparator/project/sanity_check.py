"""sanity_check: prepared data and labels must match the benchmark's data contract.

Every problem is reported with the record it concerns: files that are not `<id>.npy`, ids present on one
side only, images of the wrong shape or dtype, blank or constant images, label vectors of the wrong
length or with values other than 0/1.
"""

from __future__ import annotations

import os

import npyio
import numpy as np
from parallel import map_chunks, num_workers


def _npy_ids(folder, what):
    ids, errors = [], []
    for entry in os.scandir(folder):
        if entry.name.endswith(".npy") and entry.is_file():
            ids.append(entry.name[:-4])
        else:
            errors.append(f"{what}: unexpected entry {entry.name!r} (only <id>.npy files belong here)")
    return ids, errors


def _check_chunk(ids, data_path, labels_path, image_shape, num_labels):
    errors = []
    for record in ids:
        try:
            image = npyio.load(os.path.join(data_path, record + ".npy"), np.uint8, image_shape)
        except Exception as e:
            errors.append(f"record {record}: image cannot be loaded ({e})")
        else:
            if image.shape != image_shape:
                errors.append(f"record {record}: image shape {image.shape}, expected {image_shape}")
            if image.dtype != np.uint8:
                errors.append(f"record {record}: image dtype {image.dtype}, expected uint8")
            if image.size and image.min() == image.max():
                kind = "blank" if image.max() == 0 else "constant"
                errors.append(f"record {record}: image is {kind} (every pixel = {image.flat[0]})")
            if image.size == 0:
                errors.append(f"record {record}: image is empty")
        try:
            label = npyio.load(os.path.join(labels_path, record + ".npy"), np.int64, (num_labels,))
        except Exception as e:
            errors.append(f"record {record}: label cannot be loaded ({e})")
            continue
        if label.shape != (num_labels,):
            errors.append(f"record {record}: label shape {label.shape}, expected ({num_labels},)")
        if label.dtype.kind not in "biuf":
            errors.append(f"record {record}: label dtype {label.dtype} is not numeric")
        elif not np.isin(label, (0, 1)).all():
            bad = sorted({float(x) for x in np.asarray(label).ravel() if x not in (0, 1)})[:5]
            errors.append(f"record {record}: label values must be 0 or 1, found {bad}")
    return errors


def sanity_check(data_path, labels_path, parameters, workers=None):
    """Returns the list of problems (empty when the prepared data is fine) and the number of records."""
    errors = []
    for folder, what in ((data_path, "data_path"), (labels_path, "labels_path")):
        if not os.path.isdir(folder):
            return [f"{what}: {folder} is not a folder"], 0
    data_ids, e1 = _npy_ids(data_path, "data_path")
    label_ids, e2 = _npy_ids(labels_path, "labels_path")
    errors += e1 + e2
    data_set, label_set = set(data_ids), set(label_ids)
    errors += [f"record {r}: image has no label file in labels_path" for r in sorted(data_set - label_set)]
    errors += [f"record {r}: label has no image file in data_path" for r in sorted(label_set - data_set)]
    both = sorted(data_set & label_set)
    del data_set, label_set, data_ids, label_ids
    if not both:
        errors.append("no prepared records (no <id>.npy present in both data_path and labels_path)")
        return errors, 0

    image_shape = tuple(int(x) for x in parameters.get("image_output_size", [28, 28, 1]))
    extra = (data_path, labels_path, image_shape, len(parameters["labels_list"]))
    for chunk_errors in map_chunks(_check_chunk, both, workers or num_workers(parameters), 512, extra):
        errors.extend(chunk_errors)
    return errors, len(both)
