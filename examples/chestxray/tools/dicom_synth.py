"""Write a synthetic 8-bit radiograph as a DICOM file with realistic headers (pydicom, numpy, Pillow).

    write_dicom(path, gray8, DicomVariant(...), uid_seed="cxr0_000001")

The 8-bit display image is stored as a CR or DX image the way scanners store them: BitsStored 8 to 16,
MONOCHROME2 or MONOCHROME1 (inverted), Rescale Slope / Intercept, and a window (Window Center / Width, or a
VOI LUT Sequence) that maps the stored values back onto exactly the display image, so a correct DICOM display
pipeline recovers `gray8` pixel for pixel. Transfer syntaxes: Explicit VR Little Endian, Deflated Explicit VR
Little Endian, RLE Lossless, JPEG Baseline (8-bit), JPEG 2000 (lossless, via Pillow), or a deliberately
undecodable JPEG-LS file for tests.
UIDs are random-looking but derived from `uid_seed` (same seed, same file); no real patient data.
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    RLELossless,
    generate_uid,
)

SOP_CLASS = {
    "CR": "1.2.840.10008.5.1.4.1.1.1",  # Computed Radiography Image Storage
    "DX": "1.2.840.10008.5.1.4.1.1.1.1",  # Digital X-Ray Image Storage - For Presentation
}
TRANSFER_SYNTAXES = {
    "explicit": ExplicitVRLittleEndian,
    "deflate": DeflatedExplicitVRLittleEndian,  # the whole dataset zlib-compressed
    "rle": RLELossless,
    "jpeg": JPEGBaseline8Bit,
    "jpeg2000": JPEG2000Lossless,
    "jpegls": JPEGLSLossless,  # no decoder in the image: the undecodable case
}
PYDICOM_3 = int(pydicom.__version__.split(".")[0]) >= 3


@dataclasses.dataclass(frozen=True)
class DicomVariant:
    modality: str = "DX"
    photometric: str = "MONOCHROME2"  # or MONOCHROME1, or RGB (8-bit, uncompressed, the gray value in R, G and B)
    bits_stored: int = 12  # 8..16
    slope: float = 1.0
    intercept: float = 0.0
    voi: str = "window"  # window | lut (VOI LUT Sequence) | none
    transfer_syntax: str = "explicit"  # a key of TRANSFER_SYNTAXES
    signed: bool = False  # PixelRepresentation 1: stored values shifted by -2**(bits-1), the intercept makes up for it


def random_variant(rng: np.random.Generator) -> DicomVariant:
    """A plausible uncompressed radiograph header: CR/DX, a MONOCHROME1 share, rescale and windowing."""
    return DicomVariant(
        modality=str(rng.choice(["CR", "DX"])),
        photometric="MONOCHROME1" if rng.random() < 0.3 else "MONOCHROME2",
        bits_stored=int(rng.choice([10, 12, 14, 16])),
        slope=float(rng.choice([1.0, 0.5, 2.0])),
        intercept=float(rng.choice([0.0, -1024.0, 100.0])),
        voi="window",
    )


def stored_values(gray8: np.ndarray, v: DicomVariant) -> tuple[np.ndarray, int, int]:
    """(stored pixel values, first, step): display d is stored as first + step * d (inverted for MONOCHROME1)."""
    d = gray8.astype(np.int64)
    if v.photometric == "MONOCHROME1":
        d = 255 - d
    top = 2**v.bits_stored - 1
    step = max(1, top // 1024) if v.bits_stored > 8 else 1  # spread over part of the range, as detectors do
    first = (top - 255 * step) // 3 if v.bits_stored > 8 else 0
    return first + step * d, first, step


def _window_text(x: float) -> str:
    return f"{x:.6g}"


def build_dataset(gray8: np.ndarray, v: DicomVariant, uid_seed: str) -> Dataset:
    if gray8.dtype != np.uint8 or gray8.ndim != 2:
        raise ValueError("gray8 must be a 2-D uint8 array")
    if not 8 <= v.bits_stored <= 16:
        raise ValueError("bits_stored must be 8..16")
    if v.transfer_syntax == "jpeg" and v.bits_stored != 8:
        raise ValueError("JPEG Baseline holds 8-bit data only")
    if v.photometric == "RGB" and (v.bits_stored != 8 or v.transfer_syntax != "explicit" or v.voi != "none"):
        raise ValueError("the RGB variant is 8-bit, uncompressed, without a window")
    stored, first, step = stored_values(gray8, v)
    rows, cols = gray8.shape

    sop_uid = generate_uid(entropy_srcs=[uid_seed, "sop"])
    ts = TRANSFER_SYNTAXES[v.transfer_syntax]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SOP_CLASS[v.modality]
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = generate_uid(entropy_srcs=["medcube synthetic chest x-ray"])
    meta.ImplementationVersionName = "MEDCUBE_SYNTH_1"  # not pydicom's own: the bytes do not depend on its version

    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.SOPClassUID = SOP_CLASS[v.modality]
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = generate_uid(entropy_srcs=[uid_seed, "study"])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=[uid_seed, "series"])
    ds.Modality = v.modality
    ds.PatientName = "Synthetic^Phantom"
    ds.PatientID = "SYN-" + uid_seed
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.StudyDate = ds.SeriesDate = "20240101"
    ds.StudyTime = "120000"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = "medcube synthetic"
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PixelSpacing = ["0.143", "0.143"]
    ds.SamplesPerPixel = 3 if v.photometric == "RGB" else 1
    if v.photometric == "RGB":
        ds.PlanarConfiguration = 0
        stored = np.repeat(stored[:, :, None], 3, axis=2)
    ds.PhotometricInterpretation = v.photometric
    ds.Rows, ds.Columns = rows, cols
    ds.BitsStored = v.bits_stored
    ds.BitsAllocated = 8 if v.bits_stored == 8 else 16
    ds.HighBit = v.bits_stored - 1
    ds.PixelRepresentation = 1 if v.signed else 0
    intercept = v.intercept
    if v.signed:  # same modality values from negative stored ones
        shift = 2 ** (v.bits_stored - 1)
        stored, first, intercept = stored - shift, first - shift, v.intercept + v.slope * shift
    if v.modality == "DX":
        ds.PresentationIntentType = "FOR PRESENTATION"
    if v.slope != 1.0 or intercept != 0.0 or v.voi != "none":
        ds.RescaleSlope = _window_text(v.slope)
        ds.RescaleIntercept = _window_text(intercept)
        ds.RescaleType = "US"
    lo = first * v.slope + intercept  # modality value of display 0 (MONOCHROME2) / 255 (MONOCHROME1)
    hi = (first + 255 * step) * v.slope + intercept
    if v.voi == "window":  # DICOM linear window with width w maps [c - 0.5 - (w-1)/2, c - 0.5 + (w-1)/2]
        ds.WindowCenter = _window_text((lo + hi + 1) / 2)
        ds.WindowWidth = _window_text(hi - lo + 1)
        ds.VOILUTFunction = "LINEAR"
    elif v.voi == "lut":  # one entry per integer modality value lo..hi, 16-bit output
        if v.slope != 1.0:
            raise ValueError("the VOI LUT variant needs integer modality values (slope 1)")
        entries = int(hi - lo) + 1
        lut = np.rint(np.linspace(0, 65535, entries)).astype(np.uint16)
        item = Dataset()
        item.add_new(0x00283002, "US", [entries % 65536, int(lo) % 65536, 16])  # LUTDescriptor
        item.add_new(0x00283006, "OW", lut.astype("<u2").tobytes())  # LUTData
        ds.VOILUTSequence = [item]

    dtype = (np.int8 if v.signed else np.uint8) if ds.BitsAllocated == 8 else (np.int16 if v.signed else np.uint16)
    raw = np.ascontiguousarray(stored.astype(dtype))
    if ts in (ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian):
        ds.PixelData = raw.astype("<" + raw.dtype.str[1:]).tobytes()
    elif ts == RLELossless:
        ds.PixelData = raw.astype("<" + raw.dtype.str[1:]).tobytes()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        if PYDICOM_3:
            ds.compress(RLELossless, raw, generate_instance_uid=False)
        else:  # pydicom 2.2+
            ds.compress(RLELossless, raw)
            ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID = sop_uid
    else:
        ds.PixelData = encapsulate([_encode_frame(raw, v)])
        ds["PixelData"].VR = "OB"
        if v.transfer_syntax in ("jpeg", "jpeg2000"):
            ds.LossyImageCompression = "01" if v.transfer_syntax == "jpeg" else "00"
    return ds


def _encode_frame(raw: np.ndarray, v: DicomVariant) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    if v.transfer_syntax == "jpeg":
        Image.fromarray(raw.astype(np.uint8)).save(buf, format="JPEG", quality=95)
    elif v.transfer_syntax == "jpeg2000":
        img = Image.fromarray(raw)  # L or I;16
        img.save(buf, format="JPEG2000", irreversible=False, no_jp2=True)
    else:  # jpegls: a JPEG-LS start-of-frame marker and nothing a decoder could use
        buf.write(b"\xff\xd8\xff\xf7\x00\x0b" + bytes(16) + b"\xff\xd9")
    return buf.getvalue()


def write_dicom(path, gray8: np.ndarray, variant: DicomVariant, uid_seed: str) -> str:
    """Write the file; returns its SOP Instance UID."""
    ds = build_dataset(gray8, variant, uid_seed)
    if PYDICOM_3:
        ds.save_as(path, enforce_file_format=True)
    else:
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(path, write_like_original=False)
    return str(ds.SOPInstanceUID)
