"""Decode one radiograph and resize it the way MedPerf's chest X-ray tutorial preparator does."""

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
    """Image file -> uint8 array of shape `output_size` (height, width, channels=1)."""
    with Image.open(path) as img:
        return resize(img, output_size)
