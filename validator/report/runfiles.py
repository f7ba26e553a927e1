"""Reading what cubes left in a run folder, for the HTML report: predictions, label and image arrays, log tails.

Everything here was written by cubes, which are other people's code running as root in CI. So nothing is
trusted: a path is read only when every component from the run folder down is a plain directory or a plain
file (no symbolic link anywhere, nothing outside the run folder), each file is capped in size, arrays are
parsed by a small `.npy` reader that knows a few numeric dtypes and nothing else (no pickle), and every read
that fails returns None with nothing raised. Text returned here is raw: the caller escapes it.

No numpy: the report is part of the core package, whose dependencies do not include it.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import stat
import struct
import zlib
from pathlib import Path

MAX_JSON_BYTES = 20 * 1024 * 1024  # predictions.json
MAX_NPY_BYTES = 1024 * 1024  # one label array
MAX_IMAGE_NPY_BYTES = 16 * 1024 * 1024  # one prepared record shown in the strip
MAX_LOG_TAIL_BYTES = 16 * 1024  # what is read from the end of a log
MAX_RECORDS = 20_000  # records read for the ROC curves
_NESTING = 64  # levels a streamed predictions file may nest (deeper ones are read whole, as before)
_RECORD_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")

# .npy dtypes this reader accepts: descr -> (struct code, size); byte order from the descr's first character.
_DTYPES = {"b1": ("?", 1), "u1": ("B", 1), "i1": ("b", 1), "u2": ("H", 2), "i2": ("h", 2), "u4": ("I", 4),
           "i4": ("i", 4), "u8": ("Q", 8), "i8": ("q", 8), "f4": ("f", 4), "f8": ("d", 8)}


def safe_path(root: Path, rel: str | Path) -> Path | None:
    """root/rel when it lies inside root and no component from root down is a symbolic link; else None.

    `rel` may be absolute when it points inside root (the report JSON names logs by absolute path)."""
    try:
        root = Path(os.path.abspath(root))
        rel = Path(rel)
        if rel.is_absolute():
            rel = Path(os.path.abspath(rel)).relative_to(root)
        if any(part in ("..", "") for part in rel.parts) or not rel.parts:
            return None
        current = root  # the run folder itself is the user's choice (it may be reached through a link)
        for part in rel.parts:
            current = current / part
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return None
        return current
    except (OSError, ValueError):
        return None


def read_capped(root: Path, rel: str | Path, cap: int, tail: bool = False) -> bytes | None:
    """The bytes of a plain file under root (at most `cap`; None when larger, unless `tail`: then its last `cap`
    bytes). None when it is missing, a link, not a regular file, or outside root."""
    path = safe_path(root, rel)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > cap:
            if not tail:
                return None
            os.lseek(fd, info.st_size - cap, os.SEEK_SET)
        chunks, left = [], cap
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def log_tail(root: Path, log_path: str | None, lines: int = 60) -> str | None:
    """The last lines of a log inside the run folder (decoded leniently, control characters dropped)."""
    if not log_path:
        return None
    data = read_capped(root, log_path, MAX_LOG_TAIL_BYTES, tail=True)
    if data is None:
        return None
    text = data.decode("utf-8", "replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # ANSI colours
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def list_records(root: Path, folder: str, suffix: str = ".npy", limit: int = MAX_RECORDS) -> list[str]:
    """Record ids (file names without `suffix`) of the plain files in root/folder, sorted, at most `limit`."""
    path = safe_path(root, folder)
    if path is None:
        return []
    out: list[str] = []
    try:
        with os.scandir(path) as it:
            for entry in it:
                if len(out) >= limit * 2:
                    break
                name = entry.name
                if name.endswith(suffix) and _RECORD_NAME.match(name) and entry.is_file(follow_symlinks=False):
                    out.append(name[: -len(suffix)])
    except OSError:
        return []
    return sorted(out)[:limit]


def parse_npy(data: bytes) -> tuple[tuple[int, ...], list] | None:
    """(shape, values in C order) of a .npy file of a plain numeric dtype; None for anything else."""
    try:
        if data[:6] != b"\x93NUMPY":
            return None
        major = data[6]
        if major == 1:
            (hlen,), start = struct.unpack("<H", data[8:10]), 10
        elif major in (2, 3):
            (hlen,), start = struct.unpack("<I", data[8:12]), 12
        else:
            return None
        if hlen > 4096:
            return None
        header = ast.literal_eval(data[start : start + hlen].decode("latin1"))
        descr, fortran, shape = header["descr"], header["fortran_order"], tuple(header["shape"])
        if not isinstance(descr, str) or fortran is not False or len(descr) != 3 or descr[0] not in "<>|=":
            return None
        if not all(isinstance(n, int) and 0 <= n for n in shape) or len(shape) > 4:
            return None
        code, size = _DTYPES[descr[1:]]
        count = math.prod(shape)
        body = data[start + hlen :]
        if len(body) != count * size:
            return None
        order = ">" if descr[0] == ">" else "<"
        return shape, list(struct.unpack(f"{order}{count}{code}", body))
    except (KeyError, ValueError, SyntaxError, TypeError, struct.error, IndexError):
        return None


def read_npy(root: Path, rel: str, cap: int = MAX_NPY_BYTES) -> tuple[tuple[int, ...], list] | None:
    data = read_capped(root, rel, cap)
    return None if data is None else parse_npy(data)


def _first_records(path: Path) -> dict | None:
    """The first MAX_RECORDS records of a predictions JSON object (each with its last value, as Python's json reads
    it), streamed a record at a time (chain/predstream.py); None when it must be read whole."""
    from validator.chain.predstream import NotStreamed, records

    kept: dict = {}
    try:
        for key, value in records(path, MAX_JSON_BYTES, _NESTING):
            if len(kept) < MAX_RECORDS or key in kept:
                kept[key] = value
    except NotStreamed:
        return None
    return kept


def read_predictions(root: Path, rel: str = "predictions/predictions.json") -> dict[str, list[float]] | None:
    """{record id: [scores]} from a predictions JSON object; records whose value is not a list of finite numbers
    are left out. None when the file is missing, too large or not such an object."""
    path = safe_path(root, rel)
    obj = _first_records(path) if path is not None else None
    if obj is None:
        data = read_capped(root, rel, MAX_JSON_BYTES)
        if data is None:
            return None
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError):
            return None
    if not isinstance(obj, dict):
        return None
    out = {}
    for key, value in list(obj.items())[:MAX_RECORDS]:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = [value]
        if isinstance(value, list) and value and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and _finite(v) for v in value
        ):
            out[str(key)] = [float(v) for v in value]
    return out


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer too large for a float
        return False


def png(width: int, height: int, pixels: list[int], channels: int = 1) -> bytes:
    """A PNG of 8-bit grayscale (channels 1) or RGB (3) pixels in row order, written with zlib only."""
    kind = {1: 0, 3: 2}[channels]
    row = width * channels
    raw = b"".join(b"\x00" + bytes(pixels[y * row : (y + 1) * row]) for y in range(height))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    header = struct.pack(">IIBBBBB", width, height, 8, kind, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def image_png(shape: tuple[int, ...], values: list, side: int = 128) -> bytes | None:
    """A prepared record as a PNG when it looks like an image: H x W, H x W x 1 or H x W x 3, 4 to 4096 pixels a
    side; larger than `side` it is subsampled (nearest pixel) to at most `side`. Values are scaled to 0-255 from
    their own range unless they already are bytes."""
    if len(shape) == 3 and shape[2] in (1, 3):
        channels = shape[2]
    elif len(shape) == 2:
        channels = 1
    else:
        return None
    height, width = shape[0], shape[1]
    if not (4 <= height <= 4096 and 4 <= width <= 4096) or len(values) != height * width * channels:
        return None
    stride = max(1, math.ceil(max(height, width) / side))
    if stride > 1:
        rows = range(0, height, stride)
        cols = range(0, width, stride)
        values = [values[(y * width + x) * channels + c] for y in rows for x in cols for c in range(channels)]
        height, width = len(rows), len(cols)
    finite = [float(v) for v in values if math.isfinite(float(v))]
    if not finite:
        return None
    lo, hi = min(finite), max(finite)
    if lo >= 0 and hi <= 255 and all(isinstance(v, int) for v in values[:64]):
        pixels = [int(v) for v in values]
    else:
        span = (hi - lo) or 1.0
        pixels = [round(255 * (min(max(float(v), lo), hi) - lo) / span) if math.isfinite(float(v)) else 0
                  for v in values]
    return png(width, height, pixels, channels)
