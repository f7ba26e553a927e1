"""Metrics of the chest X-ray metrics cube against hand-computed cases."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

CUBE = Path(__file__).resolve().parents[1] / "examples" / "chestxray" / "metrics"
_spec = importlib.util.spec_from_file_location("chestxray_metrics", CUBE / "project" / "metrics.py")
M = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(M)


@pytest.mark.parametrize(
    "y, s, expected",
    [
        ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75),  # one of four pairs misordered
        ([0, 1], [0.5, 0.5], 0.5),  # a tie counts half
        ([0, 0, 1, 1], [0.2, 0.6, 0.6, 0.9], 0.875),  # 3 wins + 1 tie out of 4 pairs
        ([1, 0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2, 0.7], 1.0),
        ([1, 0, 1, 0], [0.1, 0.9, 0.2, 0.8], 0.0),
        ([0, 1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3, 0.3], 0.5),  # all tied
    ],
)
def test_roc_auc_by_hand(y, s, expected):
    assert M.roc_auc(y, s) == pytest.approx(expected)


def test_roc_auc_matches_pair_counting():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.random(300), 1)  # many ties
    pos, neg = s[y == 1], s[y == 0]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert M.roc_auc(y, s) == pytest.approx(pairs / (len(pos) * len(neg)))


def test_roc_auc_undefined_for_one_class():
    assert M.roc_auc([1, 1, 1], [0.2, 0.5, 0.9]) is None
    assert M.roc_auc([0, 0], [0.2, 0.5]) is None


def test_small_case_all_metrics():
    labels = np.array([[0, 1], [1, 1], [0, 1]])
    scores = np.array([[0.2, 0.9], [0.7, 0.4], [0.6, 0.8]])
    r = M.compute_metrics(labels, scores, ["a", "b"], threshold=0.5)
    # a: predictions [0,1,1] vs [0,1,0] -> accuracy 2/3, F1 2/3, AUC 1 (0.7 above 0.2 and 0.6)
    # b: all positive -> AUC undefined; predictions [1,0,1] -> accuracy 2/3
    assert r["Accuracy"] == pytest.approx(2 / 3)
    assert r["AUC"] == pytest.approx(0.5)  # MedPerf: sum of defined AUCs / number of labels
    assert r["macro_AUC"] == pytest.approx(1.0)  # undefined labels left out
    assert r["per_label_AUC"] == {"a": pytest.approx(1.0), "b": None}
    assert r["per_label_F1"] == {"a": pytest.approx(2 / 3), "b": None}
    assert r["per_label_accuracy"] == {"a": pytest.approx(2 / 3), "b": pytest.approx(2 / 3)}
    assert r["undefined_labels"] == {"b": 1}  # its only class is positive
    # micro over the 6 cells: AUC 7/8 pairs; F1: tp 3, fp 1, fn 1 -> 6/8
    assert r["micro_AUC"] == pytest.approx(0.875)
    assert r["micro_F1"] == pytest.approx(0.75)
    assert r["macro_F1"] == pytest.approx(2 / 3)


def test_threshold_is_strict_as_medperf():
    r = M.compute_metrics(np.array([[1], [0]]), np.array([[0.5], [0.2]]), ["x"], threshold=0.5)
    assert r["Accuracy"] == pytest.approx(0.5)  # 0.5 is not > 0.5


def test_default_names_are_the_tutorial_labels():
    r = M.compute_metrics(np.eye(14, dtype=int), np.eye(14) * 0.9, None)
    assert list(r["per_label_AUC"]) == list(M.TUTORIAL_LABELS)
    assert r["AUC"] == pytest.approx(1.0) and r["Accuracy"] == pytest.approx(1.0)


def write_case(root: Path, labels: dict, preds: dict):
    (root / "labels").mkdir()
    (root / "preds").mkdir()
    for k, v in labels.items():
        np.save(root / "labels" / f"{k}.npy", np.array(v, dtype=np.int64))
    (root / "preds" / "predictions.json").write_text(json.dumps(preds))
    (root / "params.yaml").write_text("threshold: 0.5\nlabels_list: [a, b]\n")


def evaluate(root: Path):
    out = root / "out" / "results.yaml"
    out.parent.mkdir(exist_ok=True)
    r = subprocess.run(
        [sys.executable, str(CUBE / "project/mlcube.py"), "evaluate", f"--predictions={root / 'preds'}",
         f"--labels={root / 'labels'}", f"--parameters_file={root / 'params.yaml'}", f"--output_path={out}"],
        capture_output=True, text=True, timeout=120,
    )
    return r, out


def test_evaluate_task_writes_results_yaml(tmp_path):
    write_case(tmp_path, {"r1": [0, 1], "r2": [1, 1], "r3": [0, 1]},
               {"r1": [0.2, 0.9], "r2": [0.7, 0.4], "r3": [0.6, 0.8]})
    r, out = evaluate(tmp_path)
    assert r.returncode == 0, r.stderr
    res = yaml.safe_load(out.read_text())
    assert list(res)[:2] == ["Accuracy", "AUC"]
    assert res["AUC"] == pytest.approx(0.5) and res["Accuracy"] == pytest.approx(2 / 3)
    assert res["per_label_AUC"]["b"] is None and res["undefined_labels"] == {"b": 1}
    assert all(v is None or isinstance(v, (int, float, dict)) for v in res.values())  # numbers only


@pytest.mark.parametrize(
    "labels, preds, message",
    [
        ({"r1": [0, 1], "r2": [1, 0]}, {"r1": [0.1, 0.2]}, "record r2: no prediction"),
        ({"r1": [0, 1]}, {"r1": [0.1, 0.2], "r9": [0.3, 0.4]}, "record r9: prediction without a label"),
        ({"r1": [0, 1]}, {"r1": [0.1, 1.7]}, "record r1: prediction values must be probabilities"),
        ({"r1": [0, 1]}, {"r1": [0.1, 0.2, 0.3]}, "record r1: prediction has 3 values"),
    ],
)
def test_evaluate_rejects_bad_predictions_by_record(tmp_path, labels, preds, message):
    write_case(tmp_path, labels, preds)
    r, out = evaluate(tmp_path)
    assert r.returncode == 1
    assert message in r.stderr
    assert not out.exists()


# ------------------------------------------------------------------ predictions.json streamed a record at a time


def _random_case(root: Path, n: int, width: int, float32: bool, ties: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels, preds = {}, {}
    for i in range(n):
        labels[f"r{i:04d}"] = rng.integers(0, 2, width).tolist()
        p = rng.random(width)
        p = np.round(p, 1) if ties else p
        preds[f"r{i:04d}"] = (p.astype(np.float32) if float32 else p).astype(np.float64).tolist()
    write_case(root, labels, preds)


@pytest.mark.parametrize("float32, ties, names", [(True, False, None), (False, False, ["a", "b", "c"]),
                                                  (False, True, None), (True, True, ["a", "b", "c"])])
def test_streamed_predictions_give_the_metrics_of_the_file_read_whole(tmp_path, float32, ties, names):
    _random_case(tmp_path, 400, 3, float32, ties, seed=7)
    pred_file, labels = str(tmp_path / "preds" / "predictions.json"), str(tmp_path / "labels")
    streamed = M._load_streamed(pred_file, labels, len(names) if names else None)
    assert streamed is not None  # the plain file is streamed, not read whole
    y, s = streamed
    assert s.dtype == (np.float32 if float32 else np.float64)  # float32 only where it holds every value exactly
    assert y.dtype == np.int8
    y_whole, s_whole = M._load_whole(pred_file, labels, len(names) if names else None)
    assert M.compute_metrics(y, s, names, 0.3) == M.compute_metrics(y_whole, s_whole, names, 0.3)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"r1": [NaN, 0.2], "r2": [0.1, 0.2]}', "record r1: prediction values must be probabilities"),
        ('{"r1": [0.1, 0.2], "r2": [0.1, 0.2], "r1": [0.1]}', "record r1: prediction has 1 values"),  # the last counts
        ('{"r1": [0.1, 0.2], "r2": [0.1, 0.2]} "', "predictions.json: not valid JSON (Extra data"),
        ('{"r1": [0.1, 0.2], "\\ud800": [0.1, 0.2]}', "prediction without a label file"),
    ],
)
def test_evaluate_reads_whole_what_it_cannot_stream(tmp_path, text, message):
    write_case(tmp_path, {"r1": [0, 1], "r2": [1, 0]}, {})
    (tmp_path / "preds" / "predictions.json").write_text(text)
    r, out = evaluate(tmp_path)
    assert r.returncode == 1
    assert message in r.stderr
    assert not out.exists()
