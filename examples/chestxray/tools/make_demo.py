#!/usr/bin/env python3
"""Rebuild the demo tarballs: small generated data sets in MedPerf's demo layout.

    python3 examples/chestxray/tools/make_demo.py [--profile png|dicom|both] [--count 40] [--seed 0] [--size 128]

Two profiles, each with its own tarball and benchmark profile:
  png    demo_data/demo_data.tar.gz for benchmark.yaml: PNG only, within MedPerf's chest X-ray tutorial
         interface, so MedPerf's tutorial preparator and every default template run on it;
  dicom  demo_data/demo_data_dicom.tar.gz for benchmark-dicom.yaml: the same images and labels, a share of
         them (--dicom-share, 0.2 by default) written as DICOM files beside the PNGs (`generate_data.py
         --format mixed`), for preparators that read DICOM.
Each tarball holds `paths.yaml` at its root ({data_path: demo/images, labels_path: demo/labels}) next to
`demo/images/` and `demo/labels/labels.csv`. It is deterministic: members sorted, mtime 0, uid/gid 0,
no user names, gzip header without name or time. Prints each sha256 for its benchmark profile.
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

DEMO_DIR = os.path.join(os.path.dirname(HERE), "demo_data")
# profile -> (tarball, benchmark profile naming it)
PROFILES = {
    "png": (os.path.join(DEMO_DIR, "demo_data.tar.gz"), "benchmark.yaml"),
    "dicom": (os.path.join(DEMO_DIR, "demo_data_dicom.tar.gz"), "benchmark-dicom.yaml"),
}
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


def build(output: str, count: int, seed: int, size: int, dicom_share: float = 0.0) -> str:
    """Write one tarball; `dicom_share` 0 gives PNG only. Returns its sha256."""
    fmt = "mixed" if dicom_share > 0 else "png"
    with tempfile.TemporaryDirectory() as tmp:
        generate_data.generate(tmp, count, seed, multi_label=False, size=size, workers=1, fmt=fmt,
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
    p.add_argument("--profile", choices=("png", "dicom", "both"), default="both", help="which tarball(s) to build")
    p.add_argument("--count", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--dicom-share", type=float, default=0.2, help="dicom profile: share of the images as DICOM")
    p.add_argument("--output", help="write the (single) profile's tarball here instead")
    args = p.parse_args(argv)
    if not 0 < args.dicom_share <= 1:
        p.error("--dicom-share must be in (0, 1]")
    profiles = ("png", "dicom") if args.profile == "both" else (args.profile,)
    if args.output and len(profiles) > 1:
        p.error("--output needs --profile png or --profile dicom")
    for profile in profiles:
        output, benchmark = PROFILES[profile]
        output = args.output or output
        digest = build(output, args.count, args.seed, args.size, args.dicom_share if profile == "dicom" else 0.0)
        print(f"{output}\nsha256: {digest}   (demo_data.sha256 of {benchmark})")


if __name__ == "__main__":
    main()
