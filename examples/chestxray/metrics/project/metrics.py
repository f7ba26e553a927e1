"""Multi-label classification metrics in plain numpy (no scikit-learn in the base image).

`Accuracy` and `AUC` follow MedPerf's chest X-ray tutorial evaluator:
  Accuracy = mean over labels of the accuracy of (score > threshold)
  AUC      = sum of the per-label ROC AUCs that are defined, divided by the number of labels
Labels whose ground truth holds a single class have no ROC AUC; they are reported as null, listed in
`undefined_labels` ({label: the one class present, 0 or 1}; results.yaml holds numbers only) and left out
of the macro averages.
"""

from __future__ import annotations

import json
import os

import numpy as np

# The tutorial's labels_list: names for the per-label maps when the parameters give none.
TUTORIAL_LABELS = (
    "atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia",
    "pneumothorax", "consolidation", "edema", "emphysema", "fibrosis", "pleural", "hernia",
)


class EvaluationError(ValueError):
    pass


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of x, ties sharing their average rank."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    boundaries = np.flatnonzero(np.diff(xs)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(xs)]))
    avg = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def roc_auc(y_true, y_score) -> float | None:
    """Area under the ROC curve (Mann-Whitney U / (n_pos * n_neg)); None when only one class is present."""
    y = np.asarray(y_true).astype(bool).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = _average_ranks(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def f1(y_true, y_pred) -> float | None:
    y, p = np.asarray(y_true).astype(bool), np.asarray(y_pred).astype(bool)
    tp = int((y & p).sum())
    denom = 2 * tp + int((~y & p).sum()) + int((y & ~p).sum())
    return None if denom == 0 else 2.0 * tp / denom


def _mean(values):
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def compute_metrics(labels: np.ndarray, scores: np.ndarray, label_names, threshold: float = 0.5) -> dict:
    """labels, scores: (cases, labels) arrays. Returns the results.yaml mapping."""
    labels = np.asarray(labels).astype(np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    n_cases, n_labels = labels.shape
    if label_names is None and n_labels == len(TUTORIAL_LABELS):
        label_names = TUTORIAL_LABELS
    names = [str(n) for n in label_names] if label_names is not None else [str(i) for i in range(n_labels)]
    if len(names) != n_labels:
        raise EvaluationError(f"labels_list has {len(names)} names but the labels have {n_labels} values")
    pred = scores > threshold

    per_acc, per_auc, per_f1, undefined = {}, {}, {}, {}
    for j, name in enumerate(names):
        y = labels[:, j]
        per_acc[name] = float((pred[:, j] == y.astype(bool)).mean())
        single_class = y.min() == y.max()
        if single_class:
            undefined[name] = int(y[0]) if n_cases else 0  # the only class present
            per_auc[name], per_f1[name] = None, None
        else:
            per_auc[name] = roc_auc(y, scores[:, j])
            per_f1[name] = f1(y, pred[:, j])

    defined_auc = [v for v in per_auc.values() if v is not None]
    micro_auc = roc_auc(labels.ravel(), scores.ravel())
    return {
        # MedPerf's chest X-ray evaluator
        "Accuracy": float(np.mean(list(per_acc.values()))),
        "AUC": float(sum(defined_auc) / n_labels),
        # more detail
        "num_cases": int(n_cases),
        "threshold": float(threshold),
        "macro_AUC": _mean(per_auc.values()),
        "micro_AUC": micro_auc,
        "macro_F1": _mean(per_f1.values()),
        "micro_F1": f1(labels.ravel(), pred.ravel()),
        "per_label_AUC": per_auc,
        "per_label_F1": per_f1,
        "per_label_accuracy": per_acc,
        "undefined_labels": undefined,
    }


def load_predictions_and_labels(predictions_path: str, labels_path: str, num_labels: int | None = None):
    """predictions.json + labels/<id>.npy -> (ids, labels array, scores array); every problem names its record."""
    pred_file = predictions_path
    if os.path.isdir(predictions_path):
        pred_file = os.path.join(predictions_path, "predictions.json")
    with open(pred_file) as f:
        preds = json.load(f)
    if not isinstance(preds, dict) or not preds:
        raise EvaluationError(f"{pred_file}: expected a non-empty JSON object {{id: [probabilities]}}")

    label_ids = {e.name[:-4] for e in os.scandir(labels_path) if e.name.endswith(".npy")}
    errors = [f"record {r}: no prediction" for r in sorted(label_ids - preds.keys())]
    errors += [f"record {r}: prediction without a label file" for r in sorted(preds.keys() - label_ids)]
    ids = sorted(preds.keys() & label_ids)
    labels, scores = [], []
    for record in ids:
        y = np.load(os.path.join(labels_path, record + ".npy"), allow_pickle=False).ravel()
        p = preds[record]
        if not isinstance(p, list) or not all(isinstance(v, (int, float)) for v in p):
            errors.append(f"record {record}: prediction is not a list of numbers")
            continue
        p = np.asarray(p, dtype=np.float64)
        n = num_labels or y.size
        if y.size != n:
            errors.append(f"record {record}: label has {y.size} values, expected {n}")
            continue
        if p.size != n:
            errors.append(f"record {record}: prediction has {p.size} values, expected {n}")
            continue
        if not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
            errors.append(f"record {record}: prediction values must be probabilities in [0, 1]")
            continue
        labels.append(y)
        scores.append(p)
    if errors:
        raise EvaluationError("\n".join(errors))
    return ids, np.stack(labels), np.stack(scores)
