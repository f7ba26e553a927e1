"""Decode one radiograph (PNG or DICOM) and resize it the way MedPerf's chest X-ray tutorial preparator does.

PNGs go through Pillow as before. DICOM files are decoded by pydicom (`dicom.py`) into the same 8-bit
grayscale display image, then resized by the same code.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_BICUBIC = getattr(Image, "Resampling", Image).BICUBIC  # Pillow's default filter for resize()


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
    with Image.open(path) as img:
        return resize(img, output_size)


def load_dicom_resized(path, output_size) -> tuple[np.ndarray, str]:
    """DICOM file -> (uint8 array of shape `output_size`, the file's Modality or '')."""
    from dicom import read_display_image  # pydicom is imported only when a DICOM file is met

    gray8, modality = read_display_image(path)
    return resize(Image.fromarray(gray8), output_size), modality
