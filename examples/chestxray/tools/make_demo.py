#!/usr/bin/env python3
"""Rebuild demo_data/demo_data.tar.gz: a small generated data set in MedPerf's demo layout.

    python3 examples/chestxray/tools/make_demo.py [--count 40] [--seed 0] [--size 128] [--dicom-share 0.2]

The tarball holds `paths.yaml` at its root ({data_path: demo/images, labels_path: demo/labels}) next to
`demo/images/*.png` and `*.dcm` (a --dicom-share of the images as DICOM files, `generate_data.py --format
mixed`) and `demo/labels/labels.csv`. It is deterministic: members sorted, mtime 0, uid/gid 0,
no user names, gzip header without name or time. Print its sha256 for benchmark.yaml.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import generate_data  # noqa: E402

DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "demo_data", "demo_data.tar.gz")
PATHS_YAML = b"data_path: demo/images\nlabels_path: demo/labels\n"


def _add(tar, name, data: bytes | None):
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    if data is None:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
    else:
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))


def build(output: str, count: int, seed: int, size: int, dicom_share: float = 0.2) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        generate_data.generate(tmp, count, seed, multi_label=False, size=size, workers=1, fmt="mixed",
                               dicom_share=dicom_share)
        members = {"paths.yaml": PATHS_YAML, "demo": None, "demo/images": None, "demo/labels": None}
        for sub in ("images", "labels"):
            for name in os.listdir(os.path.join(tmp, sub)):
                with open(os.path.join(tmp, sub, name), "rb") as f:
                    members[f"demo/{sub}/{name}"] = f.read()
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    with open(output, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
                for name in sorted(members):
                    _add(tar, name, members[name])
    with open(output, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--dicom-share", type=float, default=0.2, help="share of the images written as DICOM")
    p.add_argument("--output", default=DEFAULT_OUT)
    args = p.parse_args(argv)
    digest = build(args.output, args.count, args.seed, args.size, args.dicom_share)
    print(f"{args.output}\nsha256: {digest}")


if __name__ == "__main__":
    main()
