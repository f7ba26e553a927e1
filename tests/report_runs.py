"""A small generated run folder and the report dict naming it, for the HTML report tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

LABELS = ["atelectasis", "cardiomegaly", "effusion"]
HOSTILE = '</pre><script>alert("x")</script><img src=x onerror=alert(1)><a href="https://evil.example/">'


def make_run(root: Path, cases: int = 12, seed: int = 0) -> dict:
    """A run folder with prepared images, labels, predictions and logs, and the report dict naming it."""
    rng = np.random.default_rng(seed)
    for d in ("data", "labels", "predictions", "logs"):
        (root / d).mkdir(parents=True, exist_ok=True)
    preds = {}
    for i in range(cases):
        rid = f"rec{i:03d}"
        np.save(root / "data" / f"{rid}.npy", rng.integers(0, 256, (28, 28, 1), dtype=np.uint8))
        truth = np.array([i % 2, int(i < 3), 0], dtype=np.int64)  # the last label has one class: undefined AUC
        np.save(root / "labels" / f"{rid}.npy", truth)
        preds[rid] = [float(0.6 * truth[0] + 0.4 * rng.random()), float(rng.random()), float(rng.random())]
    (root / "predictions" / "predictions.json").write_text(json.dumps(preds))
    (root / "logs" / "1-prepare.log").write_text("prepared 12 records\n")
    tasks = [{"task": "prepare", "role": "data_preparator", "cube": "/x/prep", "status": "passed", "exit_code": 0,
              "seconds": 1.5, "peak_memory_bytes": 40 * 2**20, "log_path": str(root / "logs" / "1-prepare.log"),
              "message": "", "runner": "docker", "image": "p:1", "command": ["docker", "run", "p:1"], "findings": []},
             {"task": "infer", "role": "model", "cube": "/x/model", "status": "failed", "exit_code": 3, "seconds": 4.0,
              "peak_memory_bytes": 200 * 2**20, "log_path": str(root / "logs" / "4-infer.log"),
              "message": "exited with code 3", "runner": "docker", "image": "m:1", "command": [],
              "findings": [{"severity": "error", "code": "MC610", "file": "/x/model/container_config.yaml", "line": 7,
                            "column": None, "message": "infer exited with code 3", "hint": "read the log"}]}]
    return {"ok": False, "benchmark": "chestxray", "runner": "docker", "image_built": True, "run_dir": str(root),
            "seconds": 9.0, "notes": [], "findings": [], "probes": [
                {"name": "faults", "status": "passed", "message": "refused 4 of 4", "seconds": 2.0, "runs": 4, "findings": []}],
            "builds": [{"cube": "/x/prep", "role": "data_preparator", "image": "p:1", "status": "cached", "seconds": 0.1,
                        "log_path": None, "message": "", "findings": []},
                       {"cube": "/x/model", "role": "model", "image": "m:1", "status": "built", "seconds": 3.0,
                        "log_path": None, "message": "", "findings": []}],
            "tasks": tasks,
            "results": {"Accuracy": 0.75, "AUC": 0.5, "threshold": 0.5,
                        "per_label_AUC": {LABELS[0]: 0.9, LABELS[1]: 0.4, LABELS[2]: None}}}
