"""prepare: raw PNG / DICOM images + labels.csv -> <id>.npy images (uint8, image_output_size) and <id>.npy labels.

Join rule (labels.csv `Image ID` -> image file in data_path):
  1. by file name: `<id>` itself when it ends in .png, .dcm or .dicom, else `<id>.png`, `<id>.dcm`,
     `<id>.dicom` or an extension-less `<id>` file; more than one of them is an error (ambiguous);
  2. otherwise by SOP Instance UID: the DICOM file in data_path whose SOP Instance UID is `<id>` (the headers
     are read only when some id is not found by name).
The record (output `<id>.npy`) is the Image ID without its extension. Optional `metadata_path`: sources.csv
with each record's source format (png | dicom) and DICOM Modality, for `statistics`.
"""

from __future__ import annotations

import csv
import os
import sys

import npyio
from images import load_dicom_resized, load_resized
from labels import LabelEncoder, LabelError, labels_file, read_rows
from parallel import map_chunks, num_workers

MAX_REPORTED = 50
IMAGE_EXTENSIONS = (".png", ".dcm", ".dicom")
SOURCES_FILE = "sources.csv"


def _is_dicom_name(name):
    return name.lower().endswith((".dcm", ".dicom"))


class Resolver:
    """Image ID -> (file name in data_path | None, record, problem | None), by the join rule above."""

    def __init__(self, data_path):
        self.data_path = data_path
        self.names = {e.name for e in os.scandir(data_path) if e.is_file()} if os.path.isdir(data_path) else set()
        self._by_uid = None  # SOP Instance UID -> file name, built on first use

    def _uid_index(self):
        if self._by_uid is None:
            from dicom import DicomError, has_dicom_preamble, sop_instance_uid

            self._by_uid = {}
            for name in sorted(self.names):
                path = os.path.join(self.data_path, name)
                if name.lower().endswith(".png") or not (_is_dicom_name(name) or has_dicom_preamble(path)):
                    continue
                try:
                    uid = sop_instance_uid(path)
                except DicomError:
                    continue  # reported when (if) the file itself is listed
                if uid:
                    self._by_uid.setdefault(uid, name)
        return self._by_uid

    def resolve(self, image_id):
        if image_id.lower().endswith(IMAGE_EXTENSIONS):
            record = image_id[: image_id.rfind(".")]
            return (image_id if image_id in self.names else None), record, None
        found = [image_id + ext for ext in IMAGE_EXTENSIONS if image_id + ext in self.names]
        if image_id in self.names:
            found.append(image_id)
        if len(found) > 1:
            return None, image_id, f"ambiguous: {', '.join(found)} all in data_path; keep one"
        if found:
            return found[0], image_id, None
        if image_id.replace(".", "").isdigit():  # a UID: digits and dots
            name = self._uid_index().get(image_id)
            if name:
                return name, image_id, None
        return None, image_id, None


def _resolved_rows(rows, resolver):
    for line, image_id, label_text in rows:
        name, record, problem = resolver.resolve(image_id) if image_id else (None, "", None)
        yield line, image_id, label_text, name, record, problem


def _load(path, name, output_size):
    """(image array, source format, modality)."""
    if name.lower().endswith(".png"):
        return load_resized(path, output_size), "png", ""
    from dicom import has_dicom_preamble

    if _is_dicom_name(name) or has_dicom_preamble(path):
        image, modality = load_dicom_resized(path, output_size)
        return image, "dicom", modality
    return load_resized(path, output_size), "png", ""  # extension-less, not DICOM: let Pillow try


def _prepare_chunk(rows, data_path, output_path, output_labels_path, labels_list, output_size):
    encoder = LabelEncoder(labels_list)
    encoded = {}  # label text -> the label file's bytes: a data set has few distinct labels
    done, errors, sources = 0, [], []
    for line, image_id, label_text, name, record, problem in rows:
        if not image_id:
            errors.append(f"labels.csv line {line}: empty image id")
            continue
        label = encoded.get(label_text)
        if label is None:
            try:
                label = encoded[label_text] = npyio.encode(encoder.encode(label_text))
            except LabelError as e:
                errors.append(f"record {record} (labels.csv line {line}): {e}")
                continue
        if problem:
            errors.append(f"record {record} (labels.csv line {line}): {problem}")
            continue
        if name is None:
            if image_id.lower().endswith(IMAGE_EXTENSIONS):
                errors.append(f"record {record}: image {image_id} not found in data_path")
            else:
                uid = " (nor a DICOM file with that SOP Instance UID)" if image_id.replace(".", "").isdigit() else ""
                errors.append(f"record {record}: image {image_id}.png/.dcm/.dicom not found in data_path{uid}")
            continue
        try:
            image, fmt, modality = _load(os.path.join(data_path, name), name, output_size)
        except Exception as e:  # unreadable, truncated or undecodable file
            errors.append(f"record {record}: cannot read {name}: {e}")
            continue
        npyio.save(os.path.join(output_path, record + ".npy"), image)  # same bytes as np.save, faster
        npyio.write(os.path.join(output_labels_path, record + ".npy"), label)
        sources.append((record, fmt, modality))
        done += 1
    return done, [r[4] for r in rows if r[1]], errors, sources


def prepare_dataset(data_path, labels_path, parameters, output_path, output_labels_path, workers=None,
                    metadata_path=None):
    """Returns (number of prepared records, list of error messages)."""
    labels_list = parameters["labels_list"]
    output_size = tuple(parameters.get("image_output_size", [28, 28, 1]))
    csv_path = labels_file(labels_path)
    os.makedirs(output_path, exist_ok=True)
    os.makedirs(output_labels_path, exist_ok=True)
    rows = read_rows(csv_path, parameters.get("image_column_id", "Image ID"), parameters.get("label_column_id", "Label"))
    workers = workers or num_workers(parameters)
    resolver = Resolver(data_path)
    if any(_is_dicom_name(name) for name in resolver.names):
        import dicom  # noqa: F401  imported once here, so that forked workers inherit pydicom instead of importing it

    sources_file = writer = None
    if metadata_path:
        os.makedirs(metadata_path, exist_ok=True)
        sources_file = open(os.path.join(metadata_path, SOURCES_FILE), "w", newline="")
        writer = csv.writer(sources_file, lineterminator="\n")
        writer.writerow(["record", "format", "modality"])
    seen, prepared, errors = set(), 0, []
    extra = (data_path, output_path, output_labels_path, labels_list, output_size)
    try:
        for done, records, chunk_errors, sources in map_chunks(
            _prepare_chunk, _resolved_rows(rows, resolver), workers, 64, extra
        ):
            prepared += done
            errors.extend(chunk_errors)
            if writer is not None:
                writer.writerows(sources)
            for record in records:
                if record in seen:
                    errors.append(f"record {record}: listed more than once in labels.csv")
                seen.add(record)
    finally:
        if sources_file is not None:
            sources_file.close()
    if prepared == 0 and not errors:
        errors.append(f"{csv_path}: no records")
    return prepared, errors


def report(prepared, errors, out=sys.stderr):
    for msg in errors[:MAX_REPORTED]:
        print(f"  - {msg}", file=out)
    if len(errors) > MAX_REPORTED:
        print(f"  ... and {len(errors) - MAX_REPORTED} more", file=out)
