"""The preparator's direct PNG decoding (images.plain_gray_png) gives exactly Pillow's pixels, and leaves every
other PNG, and every damaged one, to Image.open."""

from __future__ import annotations

import importlib.util
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

PROJECT = Path(__file__).resolve().parents[1] / "examples" / "chestxray" / "data_preparator" / "project"
_spec = importlib.util.spec_from_file_location("chestxray_prep_images", PROJECT / "images.py")
assert _spec is not None and _spec.loader is not None
images = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(images)


def png_bytes(img: Image.Image, **save) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", **save)
    return buf.getvalue()


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        out.append((kind, data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return out


def build(parts: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in parts:
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return out


def pillow_pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        return img.tobytes()


def gray(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8))


@pytest.mark.parametrize("width,height,level", [(256, 256, 6), (256, 256, 0), (256, 256, 9), (1, 1, 6),
                                                (7, 13, 1), (300, 200, 6)])
def test_gray_png_pixels_equal_pillows(width, height, level):
    data = png_bytes(gray(width, height, seed=width + height), compress_level=level)
    img = images.plain_gray_png(data)
    assert img is not None
    assert img.mode == "L" and img.size == (width, height)
    assert img.tobytes() == pillow_pixels(data)


def test_split_image_data_and_ancillary_chunks_read_alike():
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "test")
    data = png_bytes(gray(64, 64, seed=3), pnginfo=info)
    parts = chunks(data)
    idat = b"".join(body for kind, body in parts if kind == b"IDAT")
    head = [p for p in parts if p[0] not in (b"IDAT", b"IEND")]
    split = build(head + [(b"IDAT", idat[:100]), (b"IDAT", idat[100:1000]), (b"IDAT", idat[1000:]), (b"IEND", b"")])
    img = images.plain_gray_png(split)
    assert img is not None and img.tobytes() == pillow_pixels(split)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "P", "I;16", "1"])
def test_other_pngs_are_left_to_pillow(mode, tmp_path):
    img = gray(32, 32).convert(mode) if mode != "I;16" else Image.fromarray(
        (np.arange(1024, dtype=np.uint16) * 60).reshape(32, 32))
    data = png_bytes(img)
    assert images.plain_gray_png(data) is None
    path = tmp_path / "x.png"
    path.write_bytes(data)
    with Image.open(path) as ref:
        expected = images.resize(ref, (28, 28, 1))
    assert np.array_equal(images.load_resized(path, (28, 28, 1)), expected)


def damaged(kind: str) -> bytes:
    data = png_bytes(gray(40, 40, seed=5))
    parts = chunks(data)
    if kind == "bad header checksum":
        return data[:29] + bytes([data[29] ^ 0xFF]) + data[30:]  # the IHDR CRC
    if kind == "truncated image data":
        return build([(k, b[: len(b) // 2] if k == b"IDAT" else b) for k, b in parts])
    if kind == "no end chunk":
        return build([p for p in parts if p[0] != b"IEND"])
    if kind == "cut short":
        return data[: len(data) // 2]
    if kind == "not a png":
        return b"GIF89a" + data[6:]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["bad header checksum", "truncated image data", "no end chunk", "cut short",
                                  "not a png"])
def test_damaged_pngs_are_left_to_pillow(kind, tmp_path):
    data = damaged(kind)
    assert images.plain_gray_png(data) is None
    path = tmp_path / "x.png"
    path.write_bytes(data)
    try:
        with Image.open(path) as ref:
            expected = images.resize(ref, (28, 28, 1))
    except Exception as e:  # Pillow refuses it: so does load_resized, with Pillow's own error
        with pytest.raises(type(e)):
            images.load_resized(path, (28, 28, 1))
    else:
        assert np.array_equal(images.load_resized(path, (28, 28, 1)), expected)


def test_image_over_pillows_pixel_limit_is_left_to_pillow(monkeypatch):
    data = png_bytes(gray(64, 64))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64 * 64 - 1)
    assert images.plain_gray_png(data) is None
