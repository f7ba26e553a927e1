"""Decode one radiograph (PNG or DICOM) and resize it the way MedPerf's chest X-ray tutorial preparator does.

PNGs go through Pillow. The common case, an 8-bit grayscale non-interlaced PNG, is decoded straight from its
IDAT chunks by Pillow's own decoder (the same pixels, without the plugin machinery around it); any other PNG goes
through Image.open. DICOM files are decoded by pydicom (`dicom.py`) into the same 8-bit grayscale display image,
then resized by the same code.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np
from PIL import Image

_BICUBIC = getattr(Image, "Resampling", Image).BICUBIC  # Pillow's default filter for resize()
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_GRAY8 = (8, 0, 0, 0, 0)  # IHDR: bit depth 8, colour type 0 (grayscale), deflate, adaptive filters, no interlace
_DIRECT_MAX_BYTES = 64 << 20  # a larger file is read whole by nobody: Image.open streams its image data in blocks


def plain_gray_png(data: bytes):
    """The image Image.open(...) gives for an 8-bit grayscale, non-interlaced PNG, decoded from its IDAT chunks by
    Pillow's zlib decoder; None for anything else (another colour type or bit depth, interlacing, a damaged chunk,
    a checksum Pillow would refuse, an image over Pillow's pixel limit): Image.open then decides, errors included."""
    if not data.startswith(_PNG_SIGNATURE):
        return None
    pos, end, ihdr, idat = 8, len(data), None, []
    while True:
        if pos + 12 > end:
            return None  # no IEND
        length, kind = struct.unpack_from(">I4s", data, pos)
        body, after = pos + 8, pos + 12 + length
        if after > end:
            return None
        checked = not idat and kind != b"IDAT"  # Pillow checks the chunks before the image data
        if checked and zlib.crc32(data[pos + 4:body + length]) != struct.unpack_from(">I", data, body + length)[0]:
            return None
        if kind == b"IHDR":
            if pos != 8 or length != 13:
                return None
            ihdr = struct.unpack_from(">IIBBBBB", data, body)
        elif kind == b"IDAT":
            idat.append(data[body:body + length])
        elif kind == b"IEND":
            break
        pos = after
    if ihdr is None or ihdr[2:] != _GRAY8 or not idat:
        return None
    width, height = ihdr[0], ihdr[1]
    if not 0 < width * height <= Image.MAX_IMAGE_PIXELS:
        return None
    try:
        return Image.frombytes("L", (width, height), b"".join(idat), "zip", "L", 0)
    except (ValueError, OSError, zlib.error):
        return None


def to_gray8(img: Image.Image) -> Image.Image:
    """Any PNG flavour (8/16-bit gray, RGB(A), palette) as an 8-bit grayscale image."""
    if img.mode == "L":
        return img
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        return Image.fromarray(np.clip(arr * (255.0 / top) + 0.5, 0, 255).astype(np.uint8))
    return img.convert("L")


def resize(img: Image.Image, output_size) -> np.ndarray:
    """PIL image -> uint8 array of shape `output_size` (height, width, channels=1)."""
    height, width = int(output_size[0]), int(output_size[1])
    img = to_gray8(img)
    if img.size != (width, height):
        img = img.resize((width, height), _BICUBIC)
    return np.asarray(img, dtype=np.uint8).reshape(height, width, 1)


def load_resized(path, output_size) -> np.ndarray:
    """PNG (or any image Pillow reads) -> uint8 array of shape `output_size` (height, width, channels=1)."""
    with open(path, "rb") as f:
        img = plain_gray_png(f.read()) if os.fstat(f.fileno()).st_size <= _DIRECT_MAX_BYTES else None
    if img is not None:
        return resize(img, output_size)
    with Image.open(path) as img:
        return resize(img, output_size)


def load_dicom_resized(path, output_size) -> tuple[np.ndarray, str]:
    """DICOM file -> (uint8 array of shape `output_size`, the file's Modality or '')."""
    from dicom import read_display_image  # pydicom is imported only when a DICOM file is met

    gray8, modality = read_display_image(path)
    return resize(Image.fromarray(gray8), output_size), modality
