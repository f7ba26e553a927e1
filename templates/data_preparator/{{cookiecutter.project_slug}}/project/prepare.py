"""Data preparation: raw records -> the records every model of the benchmark reads.

The example below is a complete, minimal preparator for MedPerf's chest X-ray benchmark; replace the parts
marked TODO(your logic) for your own benchmark.
  raw:      data_path/<id>.png (grayscale) and/or data_path/<id>.dcm (DICOM), as `input_format` in the parameters
            says (png | dicom | both), and labels_path/labels.csv with columns "Image ID", "Label"
  prepared: output_path/<id>.npy (uint8, image_output_size) and output_labels_path/<id>.npy (0/1, one per label)
DICOM files are read with pydicom (only imported when one is met): rescale slope/intercept, the first window
center/width (else the full range of BitsStored, so an 8-bit file without a window keeps its pixels, as a PNG of the
same picture does), MONOCHROME1 inverted, so that dense tissue is bright as in a PNG.
Raise ValueError naming the record for bad input: mlcube.py turns it into a one-line error and exit code 1.
"""

import csv
import os

import numpy as np
import yaml
from PIL import Image


EXTENSIONS = {"png": (".png",), "dicom": (".dcm",), "both": (".png", ".dcm")}


def read_labels(labels_path, parameters):
    """{record id: findings} from the labels table."""
    with open(os.path.join(labels_path, parameters["labels_file"]), newline="") as f:
        rows = list(csv.DictReader(f))
    labels = {}
    for row in rows:
        image_id = row[parameters["image_column_id"]].strip()
        if image_id.lower().endswith((".png", ".dcm")):
            image_id = image_id[:-4]
        labels[image_id] = row[parameters["label_column_id"]]
    return labels


def find_image(data_path, record, input_format):
    """The raw file of a record: <id>.png and/or <id>.dcm, as input_format allows; exactly one must exist."""
    if input_format not in EXTENSIONS:
        raise ValueError(f"parameters: input_format is {input_format!r}, expected png, dicom or both")
    found = [record + ext for ext in EXTENSIONS[input_format] if os.path.isfile(os.path.join(data_path, record + ext))]
    if not found:
        names = " or ".join(record + ext for ext in EXTENSIONS[input_format])
        raise ValueError(f"record {record}: image {names} not found in data_path")
    if len(found) > 1:
        raise ValueError(f"record {record}: both {' and '.join(found)} in data_path; keep one")
    return os.path.join(data_path, found[0])


def first_number(value):
    """A DICOM number that may be multi-valued (WindowCenter "40\\400"): its first value as a float."""
    return float(value[0] if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue" else value)


def read_dicom(path, record):
    """A DICOM radiograph as an 8-bit grayscale PIL image, as a viewer shows it."""
    import pydicom  # listed in requirements.txt when input_format is dicom or both

    try:
        ds = pydicom.dcmread(path)
        pixels = ds.pixel_array.astype(np.float64)
    except Exception as error:  # not DICOM, truncated, or compressed in a way pydicom cannot decode here
        raise ValueError(f"record {record}: cannot read {os.path.basename(path)}: {error}") from None
    if pixels.ndim != 2:
        raise ValueError(f"record {record}: {os.path.basename(path)} is not a single grayscale frame {pixels.shape}")
    slope = first_number(ds.get("RescaleSlope", 1) or 1)
    intercept = first_number(ds.get("RescaleIntercept", 0) or 0)
    pixels = pixels * slope + intercept
    if ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None:  # DICOM's linear window
        center, width = first_number(ds.WindowCenter), max(first_number(ds.WindowWidth), 1.0)
        low, high = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    else:  # no window: the full range the stored bits allow (signed when PixelRepresentation is 1), rescaled
        bits = int(ds.get("BitsStored", 8) or 8)
        signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
        first, last = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
        low, high = sorted((first * slope + intercept, last * slope + intercept))
    scaled = np.clip((pixels - low) / max(high - low, 1e-9), 0.0, 1.0)
    if str(ds.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1":  # 0 is white: invert
        scaled = 1.0 - scaled
    return Image.fromarray((scaled * 255 + 0.5).astype(np.uint8))


def encode(record, findings, labels_list):
    """"Effusion|Mass" -> 0/1 vector in labels_list order; "No Finding" -> all zeros."""
    vector = np.zeros(len(labels_list), dtype=np.uint8)
    for finding in findings.split("|"):
        name = finding.strip().lower().split("_")[0]  # NIH ChestX-ray14 writes Pleural_Thickening
        if name in ("", "no finding"):
            continue
        if name not in labels_list:
            raise ValueError(f"record {record}: unknown label {finding!r} (expected one of {', '.join(labels_list)})")
        vector[labels_list.index(name)] = 1
    return vector


def prepare(data_path, labels_path, parameters, output_path, output_labels_path):
    height, width, channels = parameters["image_output_size"]
    os.makedirs(output_path, exist_ok=True)
    os.makedirs(output_labels_path, exist_ok=True)
    labels = read_labels(labels_path, parameters)
    input_format = parameters.get("input_format", "png")
    for record, findings in sorted(labels.items()):
        image_file = find_image(data_path, record, input_format)
        # TODO(your logic): read and transform one raw record.
        if image_file.endswith(".dcm"):
            image = read_dicom(image_file, record)
        else:
            with Image.open(image_file) as png:
                image = png.convert("L")
        image = image.convert("L" if channels == 1 else "RGB").resize((width, height))
        array = np.asarray(image, dtype=np.uint8).reshape(height, width, channels)
        np.save(os.path.join(output_path, f"{record}.npy"), array)
        np.save(os.path.join(output_labels_path, f"{record}.npy"), encode(record, findings, parameters["labels_list"]))
    print(f"prepared {len(labels)} records")


def record_ids(path):
    return {name[: -len(".npy")] for name in os.listdir(path) if name.endswith(".npy")}


def sanity_check(data_path, labels_path, parameters):
    """Raise ValueError naming the first record that is not as the benchmark expects."""
    shape = tuple(parameters["image_output_size"])
    num_labels = len(parameters["labels_list"])
    data, labels = record_ids(data_path), record_ids(labels_path)
    if not data:
        raise ValueError("no prepared records (<id>.npy) in data_path")
    for record in sorted(data ^ labels):
        raise ValueError(f"record {record}: has {'no label' if record in data else 'a label but no image'}")
    for record in sorted(data):
        # TODO(your logic): what must hold for every prepared record of your benchmark.
        image = np.load(os.path.join(data_path, f"{record}.npy"))
        label = np.load(os.path.join(labels_path, f"{record}.npy"))
        if image.dtype != np.uint8 or image.shape != shape:
            raise ValueError(f"record {record}: image is {image.dtype} {image.shape}, expected uint8 {shape}")
        if label.shape != (num_labels,) or not np.isin(label, (0, 1)).all():
            raise ValueError(f"record {record}: label must be {num_labels} values of 0 or 1, got {label.tolist()}")
    print(f"sanity check passed: {len(data)} records")


def statistics(data_path, labels_path, parameters, output_path):
    """Write a summary of the prepared data to output_path (a YAML file). Counts only: nothing identifying."""
    sanity_check(data_path, labels_path, parameters)
    records = sorted(record_ids(data_path))
    labels = np.stack([np.load(os.path.join(labels_path, f"{record}.npy")) for record in records])
    intensity = [float(np.load(os.path.join(data_path, f"{record}.npy")).mean()) for record in records]
    # TODO(your logic): the statistics your benchmark asks for.
    stats = {
        "num_cases": len(records),
        "labels_count": {name: int(n) for name, n in zip(parameters["labels_list"], labels.sum(axis=0))},
        "cases_without_finding": int((labels.sum(axis=1) == 0).sum()),
        "mean_intensity": round(float(np.mean(intensity)), 3),
    }
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    with open(output_path, "w") as f:
        yaml.safe_dump(stats, f, sort_keys=False)
    print(f"wrote statistics of {len(records)} records to {output_path}")
