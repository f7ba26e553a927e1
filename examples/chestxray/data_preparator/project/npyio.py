"""Fast .npy reading and writing for many small arrays.

np.save / np.load spend most of their time building and parsing the header, which is the same for every
record of one shape and dtype. Here the header is made once (by numpy itself) and reused: `save` writes
byte-for-byte what np.save writes; `load` takes the raw body when a file starts with the expected header
and has the expected length, and falls back to np.load for anything else.
"""

from __future__ import annotations

import functools
import io
import os

import numpy as np


@functools.lru_cache(maxsize=32)
def header(dtype: str, shape: tuple) -> bytes:
    arr = np.zeros(shape, dtype=np.dtype(dtype))
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()[: len(buf.getvalue()) - arr.nbytes]


def encode(arr: np.ndarray) -> bytes:
    """The bytes np.save writes for `arr`."""
    arr = np.ascontiguousarray(arr)
    return header(arr.dtype.str, arr.shape) + arr.tobytes()


def write(path, data: bytes) -> None:
    """Write a whole file in one system call, without a Python file object (open(path, "wb") semantics)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def save(path, arr: np.ndarray) -> None:
    write(path, encode(arr))


def load(path, dtype, shape) -> np.ndarray:
    """The array in `path`; any dtype/shape, but fastest for the expected ones."""
    dt = np.dtype(dtype)
    hdr = header(dt.str, tuple(shape))
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) == len(hdr) + dt.itemsize * int(np.prod(shape)) and raw.startswith(hdr):
        return np.frombuffer(raw, dtype=dt, offset=len(hdr)).reshape(shape)
    return np.load(io.BytesIO(raw), allow_pickle=False)
