"""One DICOM radiograph -> the 8-bit grayscale image a viewer would display (pydicom, numpy).

The display pipeline of DICOM PS3.3 C.11, in order:
  1. pixel data decoded by pydicom (uncompressed, deflated, RLE Lossless natively; JPEG Baseline and JPEG 2000
     through Pillow when Pillow has those codecs); 8 to 16 bits stored, unsigned or signed;
  2. modality LUT: Rescale Slope / Intercept (default 1 / 0);
  3. VOI LUT: the first VOI LUT Sequence item when present, else the first Window Center / Width
     (VOI LUT Function LINEAR, LINEAR_EXACT or SIGMOID), else the range the stored bits allow (BitsStored,
     PixelRepresentation) through the modality LUT, so that an 8-bit file without a window gives its pixels
     unchanged, as a PNG of the same picture does (not a stretch to the image's own min..max);
  4. MONOCHROME1 (0 is white) is inverted so that, as in MONOCHROME2 and the PNGs, dense tissue is bright.
Steps 2-4 run once per distinct stored value (a lookup table over min..max), not once per pixel.
RGB files are converted to luminance. Anything else (multi-frame, palette colour, no pixel data, a transfer
syntax no installed decoder handles) raises DicomError with what was found and how to fix it.
"""

from __future__ import annotations

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

try:  # Pillow's guard against decompression bombs, applied to DICOM too
    from PIL import Image

    MAX_PIXELS = 2 * int(Image.MAX_IMAGE_PIXELS or 89_478_485)
except ImportError:  # pragma: no cover - Pillow is a requirement
    MAX_PIXELS = 178_956_970

DICOM_EXTENSIONS = (".dcm", ".dicom")


class DicomError(ValueError):
    """A DICOM file this preparator cannot turn into an image; the message says what and how to fix it."""


def has_dicom_preamble(path) -> bool:
    """True when the file carries the DICOM Part 10 marker ('DICM' after the 128-byte preamble)."""
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:] == b"DICM"


def _read(path, **kwargs):
    try:
        return pydicom.dcmread(path, **kwargs)
    except InvalidDicomError as e:
        raise DicomError(f"not a DICOM file ({e}); DICOM files need the 'DICM' preamble (Part 10 format)") from None
    except Exception as e:  # truncated or corrupt header
        raise DicomError(f"DICOM header cannot be read ({type(e).__name__}: {e})") from None


def sop_instance_uid(path) -> str:
    """The file's SOP Instance UID ('' when absent); reads the header only."""
    ds = _read(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"])
    return str(ds.get("SOPInstanceUID", "") or "").strip()


def _transfer_syntax(ds):
    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    return uid


def _ts_text(uid) -> str:
    if uid is None:
        return "no transfer syntax in the file meta"
    name = getattr(uid, "name", "") or ""
    return f"{uid} ({name})" if name and name != str(uid) else str(uid)


def decodable(uid) -> bool:
    """Whether this pydicom (2.x or 3.x) has a working decoder for the transfer syntax `uid`."""
    try:
        from pydicom.pixels import get_decoder  # pydicom >= 3
    except ImportError:  # pydicom 2.x: pixel data handlers
        from pydicom import config

        handlers = config.pixel_data_handlers
        return any(h.supports_transfer_syntax(uid) and h.is_available() for h in handlers)
    try:
        return bool(get_decoder(uid).is_available)
    except (NotImplementedError, ValueError, KeyError):
        return False


def _pixels(ds) -> np.ndarray:
    uid = _transfer_syntax(ds)
    if uid is not None and not decodable(uid):
        raise DicomError(
            f"pixel data in transfer syntax {_ts_text(uid)} cannot be decoded here "
            "(decodable: uncompressed, deflated, RLE Lossless, JPEG Baseline, JPEG 2000); "
            "convert the file first, e.g. `gdcmconv --raw in.dcm out.dcm`"
        )
    try:
        return ds.pixel_array
    except Exception as e:  # corrupt or truncated compressed data, inconsistent header
        raise DicomError(f"pixel data cannot be decoded ({_ts_text(uid)}): {type(e).__name__}: {e}") from None


def _number(ds, keyword, default):
    value = ds.get(keyword)
    if value is None or value == "":
        return default
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = value[0] if len(value) else default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DicomError(f"{keyword} is {value!r}, expected a number") from None


def _modality_lut(ds, arr: np.ndarray) -> np.ndarray:
    seq = ds.get("ModalityLUTSequence")
    if seq:
        return _lut_sequence(seq[0], arr, "Modality LUT Sequence")
    slope = _number(ds, "RescaleSlope", 1.0)
    intercept = _number(ds, "RescaleIntercept", 0.0)
    out = arr.astype(np.float64)
    if slope != 1.0:
        out *= slope
    if intercept != 0.0:
        out += intercept
    return out


def _lut_sequence(item, arr: np.ndarray, what: str) -> np.ndarray:
    """Apply one LUT item (LUTDescriptor, LUTData); values scaled to 0..1 of the LUT's bit depth."""
    desc = item.get("LUTDescriptor")
    data = item.get("LUTData")
    if desc is None or data is None or len(desc) != 3:
        raise DicomError(f"{what}: item without a 3-value LUTDescriptor and LUTData")
    entries, first, bits = int(desc[0]) or 65536, int(desc[1]), int(desc[2])
    if isinstance(data, bytes):
        lut = np.frombuffer(data[: 2 * entries], dtype="<u2" if bits > 8 else "u1").astype(np.float64)
    else:
        lut = np.asarray(data if not isinstance(data, (int, float)) else [data], dtype=np.float64)
    if lut.size == 0:
        raise DicomError(f"{what}: empty LUTData")
    index = np.clip(np.rint(arr).astype(np.int64) - first, 0, lut.size - 1)
    out = lut[index]
    return out / float(max(2 ** max(bits, 1) - 1, 1)) if what.startswith("VOI") else out


def _window(ds, arr: np.ndarray) -> np.ndarray | None:
    """Window Center / Width (first pair) as 0..1, or None when the file has no window."""
    if ds.get("WindowCenter") in (None, "") or ds.get("WindowWidth") in (None, ""):
        return None
    center, width = _number(ds, "WindowCenter", 0.0), _number(ds, "WindowWidth", 1.0)
    function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    if function == "SIGMOID":
        if width <= 0:
            raise DicomError(f"WindowWidth is {width:g}, expected > 0")
        return 1.0 / (1.0 + np.exp(-4.0 * (arr - center) / width))
    if function == "LINEAR_EXACT":
        if width <= 0:
            raise DicomError(f"WindowWidth is {width:g}, expected > 0")
        return np.clip((arr - center) / width + 0.5, 0.0, 1.0)
    if width < 1:
        raise DicomError(f"WindowWidth is {width:g}, expected >= 1 (VOI LUT Function LINEAR)")
    if width == 1:
        return (arr > center - 0.5).astype(np.float64)
    return np.clip((arr - (center - 0.5)) / (width - 1) + 0.5, 0.0, 1.0)


def _voi(ds, arr: np.ndarray) -> np.ndarray:
    seq = ds.get("VOILUTSequence")
    if seq:
        return np.clip(_lut_sequence(seq[0], arr, "VOI LUT Sequence"), 0.0, 1.0)
    out = _window(ds, arr)
    if out is not None:
        return out
    lo, hi = _modality_range(ds)
    return np.clip((arr - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(arr)


def _modality_range(ds) -> tuple[float, float]:
    """Smallest and largest modality value over every stored value BitsStored allows (signed when
    PixelRepresentation is 1): the full scale of a file that names no VOI."""
    bits = int(ds.get("BitsStored", 0) or 0)
    signed = int(ds.get("PixelRepresentation", 0) or 0) == 1
    first, last = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    values = _modality_lut(ds, np.arange(first, last + 1, dtype=np.int64))
    return float(values.min()), float(values.max())


def read_display_image(path) -> tuple[np.ndarray, str]:
    """(uint8 2-D display image, Modality or '') of a single-frame DICOM image file."""
    ds = _read(path)
    modality = str(ds.get("Modality", "") or "").strip()
    if "PixelData" not in ds:
        if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
            raise DicomError("float pixel data; only integer PixelData is supported")
        raise DicomError("no PixelData element: the file is truncated or holds no image")
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    frames = int(_number(ds, "NumberOfFrames", 1))
    if rows < 1 or cols < 1:
        raise DicomError(f"Rows x Columns is {rows} x {cols}, expected a non-empty image")
    if rows * cols * max(frames, 1) > MAX_PIXELS:
        raise DicomError(f"{rows} x {cols} x {frames} frame(s) is over the limit of {MAX_PIXELS} pixels")
    if frames > 1:
        raise DicomError(f"multi-frame image ({frames} frames); export the radiograph as a single-frame file")
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    bits = int(ds.get("BitsStored", 0) or 0)
    if photometric not in ("MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422"):
        raise DicomError(
            f"PhotometricInterpretation {photometric or 'missing'} is not supported "
            "(expected MONOCHROME1, MONOCHROME2 or RGB)"
        )
    if not 1 <= bits <= 16:
        raise DicomError(f"BitsStored is {bits}, expected 1 to 16")
    arr = _pixels(ds)
    if photometric in ("RGB", "YBR_FULL", "YBR_FULL_422"):  # pydicom returns RGB for decoded colour data
        if arr.ndim != 3 or arr.shape[-1] != 3:
            raise DicomError(f"colour image of shape {arr.shape}, expected rows x columns x 3")
        rgb = arr.astype(np.float64) * (255.0 / (2**bits - 1))
        gray = rgb @ np.array([0.299, 0.587, 0.114])
        return np.clip(gray + 0.5, 0, 255).astype(np.uint8), modality
    if arr.ndim != 2:
        raise DicomError(f"pixel array of shape {arr.shape}, expected rows x columns")
    invert = photometric == "MONOCHROME1"
    if arr.dtype.kind in "iu":  # integer pixels: run the pipeline once per value present, then look each pixel up
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo < arr.size:
            lut = _display(ds, np.arange(lo, hi + 1, dtype=np.int64), invert)
            return lut[arr.astype(np.int32) - lo], modality
    return _display(ds, arr, invert), modality


def _display(ds, values: np.ndarray, invert: bool) -> np.ndarray:
    """Stored values -> 0..255 display values (modality LUT, VOI, MONOCHROME1 inversion)."""
    display = _voi(ds, _modality_lut(ds, values))
    if invert:
        display = 1.0 - display
    return np.clip(display * 255.0 + 0.5, 0, 255).astype(np.uint8)
