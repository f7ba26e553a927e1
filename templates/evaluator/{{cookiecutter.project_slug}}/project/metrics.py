"""Evaluation: the model's predictions against the prepared labels -> results.yaml.

The example below computes MedPerf's chest X-ray benchmark metrics; replace the parts marked
TODO(your logic) for your own benchmark.
  in:  predictions/predictions.json = {"<id>": [probabilities in 0..1]}, labels/<id>.npy (0/1 per label)
  out: output_path (results.yaml) = {Accuracy: mean per-label accuracy at threshold, AUC: mean per-label ROC AUC}
Raise ValueError naming the record for bad input: mlcube.py turns it into a one-line error and exit code 1.
"""

import json
import os

import numpy as np
import yaml


def roc_auc(truth, scores):
    """Area under the ROC curve: how often a positive case scores above a negative one (ties count half).
    None when the labels hold a single class (the AUC is undefined)."""
    positive, negative = scores[truth == 1], scores[truth == 0]
    if len(positive) == 0 or len(negative) == 0:
        return None
    wins = (positive[:, None] > negative[None, :]).sum() + 0.5 * (positive[:, None] == negative[None, :]).sum()
    return float(wins / (len(positive) * len(negative)))


def load(predictions_path, labels_path, parameters):
    with open(os.path.join(predictions_path, parameters["predictions_file"])) as f:
        predictions = json.load(f)
    records = sorted(name[: -len(".npy")] for name in os.listdir(labels_path) if name.endswith(".npy"))
    if not records:
        raise ValueError("no labels (<id>.npy) in the labels folder")
    truth = np.stack([np.load(os.path.join(labels_path, f"{record}.npy")) for record in records])
    scores = []
    for record in records:
        if record not in predictions:
            raise ValueError(f"record {record}: no prediction in {parameters['predictions_file']}")
        if len(predictions[record]) != truth.shape[1]:
            raise ValueError(f"record {record}: {len(predictions[record])} predicted values, expected {truth.shape[1]}")
        scores.append(predictions[record])
    return truth, np.asarray(scores, dtype=float)


def evaluate(predictions_path, labels_path, parameters, output_path):
    truth, scores = load(predictions_path, labels_path, parameters)
    # TODO(your logic): the metrics of your benchmark.
    accuracy = float(((scores > parameters["threshold"]) == (truth == 1)).mean())
    aucs = [roc_auc(truth[:, k], scores[:, k]) for k in range(truth.shape[1])]
    defined = [auc for auc in aucs if auc is not None]
    if not defined:
        raise ValueError("AUC is undefined: every label has a single class in these labels (evaluate more cases)")
    results = {
        "Accuracy": round(accuracy, 6),
        "AUC": round(float(np.mean(defined)), 6),  # over the labels where it is defined
        "num_cases": int(truth.shape[0]),
    }
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    with open(output_path, "w") as f:
        yaml.safe_dump(results, f, sort_keys=False)
    print(f"Accuracy {results['Accuracy']:.4f}, AUC {results['AUC']:.4f} on {results['num_cases']} cases -> {output_path}")
