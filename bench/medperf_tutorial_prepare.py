"""A single-process equivalent of MedPerf's chest X-ray tutorial preparator (`prepare` task), for bench/.

Written from a reading of `examples/chestxray_tutorial/data_preparator/project/prepare.py` in the MedPerf
repository: the same steps per labels.csv row, in one process — open `<Image ID>.png` with Pillow, `resize` to
`image_output_size[:-1]` with Pillow's default filter, `np.asarray`, add a channel axis, one-hot encode the label
with `np.eye(len(labels_list), dtype=int)`, and `np.save` the image and the label. The tutorial wraps the loop in a
tqdm progress bar; tqdm is not in the offline base image, so this loop has none (its cost is a few throttled
writes to stderr).

    python3 medperf_tutorial_prepare.py RAW_IMAGES RAW_LABELS PARAMETERS_FILE OUTPUT_PATH OUTPUT_LABELS_PATH
"""

import csv
import os
import sys

import numpy as np
import yaml
from PIL import Image


def prepare_dataset(data_path, labels_path, parameters, output_path, output_labels_path):
    labels_list = parameters["labels_list"]
    size = parameters["image_output_size"]
    with open(os.path.join(labels_path, "labels.csv")) as stream:
        for row in csv.DictReader(stream):
            image_id = row[parameters["image_column_id"]]
            img = Image.open(os.path.join(data_path, f"{image_id}.png"))
            array = np.expand_dims(np.asarray(img.resize(size[:-1])), -1)
            label = np.eye(len(labels_list), dtype=int)[labels_list.index(row[parameters["label_column_id"]]), :]
            np.save(os.path.join(output_path, f"{image_id}.npy"), array)
            np.save(os.path.join(output_labels_path, f"{image_id}.npy"), label)


if __name__ == "__main__":
    data, labels, params_file, out, out_labels = sys.argv[1:6]
    with open(params_file) as f:
        params = yaml.safe_load(f)
    prepare_dataset(data, labels, params, out, out_labels)
