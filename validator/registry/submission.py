"""A local model that passed a registered benchmark's chain, remembered; and the MedPerf commands that submit it and
associate it with that benchmark, for `medcube package` to print.

The record is `<cache>/medperf/passed/<sha256 of the cube's path>.json`: the benchmark's UID, name and server, and
the sha256 of the cube's config file when it passed (a changed config is not "passed" any more). Nothing is written
into the cube. MedPerf associates models with benchmarks (`medperf model associate -b BENCHMARK -m MODEL`, which runs
MedPerf's own compatibility test and sends the association request); a data preparator or a metrics cube is the
benchmark owner's, so only models are recorded.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from validator.registry.settings import DEFAULT_SERVER


def _record(cube: Path) -> Path:
    from validator.cachedir import cache_dir

    key = hashlib.sha256(str(Path(cube).resolve()).encode()).hexdigest()[:32]
    return cache_dir() / "medperf" / "passed" / f"{key}.json"


def _config_sha256(cube: Path) -> str | None:
    from validator.archive import sha256_file
    from validator.manifest.load import load_cube

    try:
        return sha256_file(load_cube(cube).config_file)
    except Exception:  # the cube cannot be read now: nothing to compare
        return None


def record_pass(cube: Path, uid: int, name: str, server: str) -> None:
    path = _record(cube)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"cube": str(Path(cube).resolve()), "benchmark": uid, "name": name, "server": server,
            "config_sha256": _config_sha256(cube), "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def passed(cube: Path) -> dict | None:
    """The record of the benchmark this cube passed, when its config is unchanged since."""
    try:
        data = json.loads(_record(cube).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("config_sha256") != _config_sha256(cube):
        return None
    return data


def association_lines(cube: Path, role: str | None) -> list[str]:
    """What `medcube package` adds after the submit command: the association, the benchmark's UID filled in."""
    if role != "model":
        return []
    record = passed(cube)
    if record is None:
        return ["", "To check this model against a benchmark registered on MedPerf before submitting it: "
                    "`medcube test --medperf-benchmark UID -m CUBE`; `medcube package` then prints the association."]
    uid, server = int(record["benchmark"]), str(record["server"])
    lines = ["", f"This model passed MedPerf benchmark {uid} ({record['name']}) on {server} "
                 f"(`medcube test --medperf-benchmark {uid}`, {record['at']})."]
    if server != DEFAULT_SERVER:
        lines.append(f"MedPerf's profile must name that server: medperf profile set --server {server}"
                     " (and --certificate PATH for a server with its own certificate)")
    lines += ["After submitting it, associate it with the benchmark (MODEL_UID: the UID the submission registered, "
              "`medperf model ls --mine` lists it):", "",
              f"medperf model associate --benchmark {uid} --model_uid MODEL_UID"]
    return lines
