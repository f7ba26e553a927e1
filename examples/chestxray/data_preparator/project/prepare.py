"""prepare: raw PNGs + labels.csv -> <id>.npy images (uint8, image_output_size) and <id>.npy label vectors."""

from __future__ import annotations

import os
import sys

import npyio
from images import load_resized
from labels import LabelEncoder, LabelError, labels_file, read_rows
from parallel import map_chunks, num_workers

MAX_REPORTED = 50


def _image_file(data_path, image_id):
    """`<id>.png`; NIH-style ids that already carry the extension are accepted as well."""
    if image_id.lower().endswith(".png"):
        return os.path.join(data_path, image_id), image_id[:-4]
    return os.path.join(data_path, image_id + ".png"), image_id


def _prepare_chunk(rows, data_path, output_path, output_labels_path, labels_list, output_size):
    encoder = LabelEncoder(labels_list)
    done, errors = 0, []
    for line, image_id, label_text in rows:
        if not image_id:
            errors.append(f"labels.csv line {line}: empty image id")
            continue
        src, record = _image_file(data_path, image_id)
        try:
            label = encoder.encode(label_text)
        except LabelError as e:
            errors.append(f"record {record} (labels.csv line {line}): {e}")
            continue
        if not os.path.isfile(src):
            errors.append(f"record {record}: image {os.path.basename(src)} not found in data_path")
            continue
        try:
            image = load_resized(src, output_size)
        except Exception as e:  # unreadable or truncated file
            errors.append(f"record {record}: cannot read {os.path.basename(src)}: {e}")
            continue
        npyio.save(os.path.join(output_path, record + ".npy"), image)  # same bytes as np.save, faster
        npyio.save(os.path.join(output_labels_path, record + ".npy"), label)
        done += 1
    return done, [r[1] for r in rows], errors


def prepare_dataset(data_path, labels_path, parameters, output_path, output_labels_path, workers=None):
    """Returns (number of prepared records, list of error messages)."""
    labels_list = parameters["labels_list"]
    output_size = tuple(parameters.get("image_output_size", [28, 28, 1]))
    csv_path = labels_file(labels_path)
    os.makedirs(output_path, exist_ok=True)
    os.makedirs(output_labels_path, exist_ok=True)
    rows = read_rows(csv_path, parameters.get("image_column_id", "Image ID"), parameters.get("label_column_id", "Label"))
    workers = workers or num_workers(parameters)

    seen, prepared, errors = set(), 0, []
    extra = (data_path, output_path, output_labels_path, labels_list, output_size)
    for done, ids, chunk_errors in map_chunks(_prepare_chunk, rows, workers, 64, extra):
        prepared += done
        errors.extend(chunk_errors)
        for image_id in ids:
            if image_id in seen:
                errors.append(f"record {image_id}: listed more than once in labels.csv")
            seen.add(image_id)
    if prepared == 0 and not errors:
        errors.append(f"{csv_path}: no records")
    return prepared, errors


def report(prepared, errors, out=sys.stderr):
    for msg in errors[:MAX_REPORTED]:
        print(f"  - {msg}", file=out)
    if len(errors) > MAX_REPORTED:
        print(f"  ... and {len(errors) - MAX_REPORTED} more", file=out)
