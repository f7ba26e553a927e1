#!/usr/bin/env python3
"""A PNG of an HTML report, as headless chromium renders it: how docs/report.png is made.

    PYTHONPATH=$PWD python3 -m validator test examples/chestxray --run-dir /tmp/run1 --html /tmp/report.html
    python3 scripts/report-screenshot.py /tmp/report.html docs/report.png

Needs Debian's chromium (scripts/test.sh installs it) and Pillow (the examples extra). The page is rendered
1000 pixels wide, cut below its last line and reduced to a 128-colour palette to keep the file small.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--max-height", type=int, default=6000)
    args = parser.parse_args()
    from PIL import Image, ImageOps

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed: apt-get install -y chromium", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="medcube-shot-") as tmp:
        raw = Path(tmp) / "page.png"
        subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp}/profile", f"--window-size={args.width},{args.max_height}",
                        f"--screenshot={raw}", args.html.resolve().as_uri()], check=True, capture_output=True, timeout=120)
        image = Image.open(raw).convert("RGB")
        box = ImageOps.invert(image).getbbox()
        if box is None:
            print(f"{args.html}: the page rendered blank", file=sys.stderr)
            return 1
        image = image.crop((0, 0, image.width, min(image.height, box[3] + 24)))
        args.png.parent.mkdir(parents=True, exist_ok=True)
        image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(args.png, optimize=True)
    print(f"wrote {args.png} ({args.png.stat().st_size // 1024} KiB, {image.width}x{image.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
