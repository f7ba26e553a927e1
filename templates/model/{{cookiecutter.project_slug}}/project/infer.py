"""Inference: one prediction per prepared record, written to predictions.json.

The model below is a placeholder that runs out of the box: it scores each label from the image's mean
intensity with the weights in additional_files/weights.yaml. Replace the parts marked TODO(your logic)
with your model; keep the input and output formats, which the benchmark fixes:
  in:  data_path/<id>.npy, one uint8 image of shape (28, 28, 1) per record
  out: output_path/predictions.json = {"<id>": [num_classes probabilities in 0..1], ...}
"""

import json
import math
import os

import numpy as np
import yaml


def load_model(additional_files, parameters):
    # TODO(your logic): load your weights, e.g. torch.load(os.path.join(additional_files, "cnn_weights.pth")).
    with open(os.path.join(additional_files, parameters["weights_file"])) as f:
        weights = yaml.safe_load(f)
    if len(weights["bias"]) != parameters["num_classes"]:
        raise ValueError(f"{parameters['weights_file']}: {len(weights['bias'])} biases, expected num_classes={parameters['num_classes']}")
    return weights


def predict(model, image):
    # TODO(your logic): run your model on one image (or batch the records for speed).
    x = float(image.mean()) / 255.0
    return [1.0 / (1.0 + math.exp(-(b + model["slope"] * (x - 0.5)))) for b in model["bias"]]


def infer(data_path, parameters, additional_files, output_path):
    model = load_model(additional_files, parameters)
    predictions = {}
    for name in sorted(os.listdir(data_path)):
        if name.endswith(".npy"):
            predictions[name[: -len(".npy")]] = predict(model, np.load(os.path.join(data_path, name)))
    os.makedirs(output_path, exist_ok=True)
    with open(os.path.join(output_path, "predictions.json"), "w") as f:
        json.dump(predictions, f)
    print(f"wrote {len(predictions)} predictions to {os.path.join(output_path, 'predictions.json')}")
