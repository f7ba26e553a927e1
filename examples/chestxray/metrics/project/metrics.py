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
import re

import numpy as np

# The tutorial's labels_list: names for the per-label maps when the parameters give none.
TUTORIAL_LABELS = (
    "atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia",
    "pneumothorax", "consolidation", "edema", "emphysema", "fibrosis", "pleural", "hernia",
)


_BLOCK = 1 << 16  # positive scores searched at a time by roc_auc
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")  # a surrogate escape in JSON text


class EvaluationError(ValueError):
    pass


def roc_auc(y_true, y_score) -> float | None:
    """Area under the ROC curve (Mann-Whitney U / (n_pos * n_neg)); None when only one class is present.

    U counts the (positive, negative) pairs the scores order right, ties half: found with a binary search of each
    positive score among the sorted negative ones, a block of positives at a time, so that the memory it takes beyond
    the scores is one copy of them (float32 scores stay float32: the cast to float64 is exact, the order the same).
    """
    y = np.asarray(y_true).astype(bool).ravel()
    s = np.asarray(y_score).ravel()
    if s.dtype not in (np.float32, np.float64):
        s = s.astype(np.float64)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    neg = s[~y]
    neg.sort()
    pos = s[y]
    twice_u = 0  # 2 * U, an exact integer
    for start in range(0, n_pos, _BLOCK):
        block = pos[start:start + _BLOCK]
        below = np.searchsorted(neg, block, side="left")
        twice_u += int(below.sum()) + int(np.searchsorted(neg, block, side="right").sum())
    return float((twice_u / 2.0) / (n_pos * n_neg))


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
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":  # integer labels are used as they are (no copy); others as MedPerf's int64
        labels = labels.astype(np.int64)
    scores = np.asarray(scores)
    if scores.dtype not in (np.float32, np.float64):
        scores = scores.astype(np.float64)
    n_cases, n_labels = labels.shape
    if label_names is None and n_labels == len(TUTORIAL_LABELS):
        label_names = TUTORIAL_LABELS
    names = [str(n) for n in label_names] if label_names is not None else [str(i) for i in range(n_labels)]
    if len(names) != n_labels:
        raise EvaluationError(f"labels_list has {len(names)} names but the labels have {n_labels} values")
    pred = np.empty(scores.shape, dtype=bool)
    for j in range(n_labels):  # compared in float64 (as the scores were read), one label's column at a time
        pred[:, j] = scores[:, j].astype(np.float64) > threshold

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
    """predictions.json + labels/<id>.npy -> (labels array, scores array), a row per record; every problem names its
    record.

    predictions.json holds every record of the data set: it is streamed, a record at a time (ijson), into two compact
    arrays (scores as float32 when that keeps every value exactly, else float64; labels as int8 when they fit), so
    that the memory this takes is a few bytes a record. Any problem, and any file the stream cannot read as Python's
    json reads it (NaN, broken JSON, a record twice), is then read again whole, which names every problem as before.
    The rows come in the order of the file (the metrics do not depend on the order of the records).
    """
    pred_file = predictions_path
    if os.path.isdir(predictions_path):
        pred_file = os.path.join(predictions_path, "predictions.json")
    try:
        streamed = _load_streamed(pred_file, labels_path, num_labels)
    except Exception:  # any error: the whole-file reader below names it
        streamed = None
    return streamed if streamed is not None else _load_whole(pred_file, labels_path, num_labels)


class _Unusual(Exception):
    """Something the whole-file reader must look at (a problem, or JSON that ijson reads otherwise)."""


def _load_streamed(pred_file: str, labels_path: str, num_labels: int | None):
    """(labels, scores) when every record is in order; None, or an exception, otherwise."""
    import ijson

    expected = sum(1 for e in os.scandir(labels_path) if e.name.endswith(".npy"))
    if expected == 0:
        return None
    width = num_labels
    labels = scores = None
    rows = 0
    seen = np.empty(expected, dtype=np.int64)  # hash of each id, to find a record given twice
    with open(pred_file, "rb") as f:
        for record, p in ijson.kvitems(_Plain(f), "", use_float=True):
            # "/" or NUL: never the name of a label file
            if "/" in record or "\0" in record or rows == expected:
                raise _Unusual
            if not isinstance(p, list) or not all(isinstance(v, (int, float)) for v in p):
                raise _Unusual
            p = np.asarray(p, dtype=np.float64)
            y = np.load(os.path.join(labels_path, record + ".npy"), allow_pickle=False).ravel()
            n = num_labels or y.size
            if width is None:
                width = n
            if y.size != n or p.size != n or n != width:
                raise _Unusual
            if not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
                raise _Unusual
            if labels is None:
                labels = np.zeros((expected, width), dtype=np.int8)
                scores = np.zeros((expected, width), dtype=np.float32)
            y = y.astype(np.int64)
            if labels.dtype == np.int8 and (y.min() < -128 or y.max() > 127):
                labels = labels.astype(np.int64)
            if scores.dtype == np.float32 and not np.array_equal(p.astype(np.float32), p):
                scores = scores.astype(np.float64)
            labels[rows], scores[rows] = y, p
            seen[rows] = hash(record)
            rows += 1
    if rows != expected or len(np.unique(seen)) != expected:  # a label without a prediction, or a record twice
        return None
    return labels, scores


class _Plain:
    """predictions.json as ijson reads it, refusing what ijson reads otherwise than Python's json: anything before the
    top-level object but JSON whitespace; a vertical tab or form feed (whitespace to ijson, not to Python's json); a
    surrogate escape (ijson's C backend turns a lone one into "?" or pairs it with the next escape). At the end it
    gives one newline more: ijson's C backend lets a string left open after the object pass (`{} "x`), not a raw
    newline in it."""

    def __init__(self, f) -> None:
        self._f, self._start, self._ended, self._tail = f, True, False, b""

    def read(self, n: int = -1) -> bytes:
        data = self._f.read(n)
        if not data and n and not self._ended:  # (ijson reads 0 bytes first, to tell bytes from text)
            self._ended = True
            return b"\n"
        if b"\x0b" in data or b"\x0c" in data or _SURROGATE.search(self._tail + data):
            raise _Unusual
        self._tail = data[-3:]
        if self._start and data.strip(b" \t\r\n"):
            if data.lstrip(b" \t\r\n")[:1] != b"{":
                raise _Unusual
            self._start = False
        return data


def _load_whole(pred_file: str, labels_path: str, num_labels: int | None):
    """The file read whole with Python's json: every problem, each naming its record."""
    with open(pred_file) as f:
        try:
            preds = json.load(f)
        except ValueError as e:  # JSONDecodeError, or text that is not UTF-8
            raise EvaluationError(f"{pred_file}: not valid JSON ({e})") from None
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
    return np.stack(labels), np.stack(scores)
