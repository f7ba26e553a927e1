"""The run folder: where one chain run keeps the outputs each task hands to the next, and the logs.

    data/ labels/ metadata/ report/report.yaml      prepare's outputs
    statistics/statistics.yaml                       statistics' output
    predictions/                                     infer's output
    results/results.yaml                             evaluate's output
    logs/<n>-<task>.log, logs/build-<image>.log      full logs
    report.html                                      the HTML report, with --html (validator.commands.common)

Default `~/.cache/medcube/runs/<timestamp>/` (`MEDCUBE_CACHE_DIR` moves it; `--run-dir` picks one); old ones are
pruned (validator.chain.runcache, `medcube clean`).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from validator.cachedir import cache_dir
from validator.chain.demo_data import DemoData


@dataclass
class RunFolder:
    root: Path

    @classmethod
    def create(cls, run_dir: Path | None = None) -> RunFolder:
        if run_dir is None:
            from validator.chain.runcache import auto_prune

            auto_prune()  # the cache stays bounded (validator.chain.runcache)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            # Outside the working directory: a run folder inside a cube would change its build context.
            run_dir = cache_dir() / "runs" / f"{stamp}-{secrets.token_hex(2)}"
        root = Path(run_dir).absolute()
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o755)
        (root / "logs").mkdir(exist_ok=True)
        (root / "metadata").mkdir(exist_ok=True)  # optional for prepare, an input of the next tasks
        return cls(root)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def bindings(self, task: str, demo: DemoData) -> dict[str, Path]:
        """Host paths of the volume labels of a task (MedPerf's fixed labels, see validator.manifest.roles)."""
        data, labels, metadata = self.path("data"), self.path("labels"), self.path("metadata")
        return {
            "prepare": {
                "data_path": demo.data_path,
                "labels_path": demo.labels_path,
                "output_path": data,
                "output_labels_path": labels,
                "metadata_path": metadata,
                "report_file": self.path("report", "report.yaml"),
            },
            "sanity_check": {"data_path": data, "labels_path": labels, "metadata_path": metadata},
            "statistics": {
                "data_path": data,
                "labels_path": labels,
                "metadata_path": metadata,
                "output_path": self.path("statistics", "statistics.yaml"),
            },
            "infer": {"data_path": data, "output_path": self.path("predictions")},
            "evaluate": {
                "predictions": self.path("predictions"),
                "labels": labels,
                "output_path": self.path("results", "results.yaml"),
                "local_outputs_path": self.path("local_outputs"),  # results a benchmark keeps locally
            },
        }[task]


