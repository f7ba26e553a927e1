#!/usr/bin/env python3
"""Synthesize a chest X-ray demo data set in MedPerf's raw layout.

    python3 generate_data.py --count 40 --seed 0 --output DIR [--multi-label] [--size 256] \
        [--format png|dicom|mixed] [--dicom-share 0.5]

writes

    DIR/images/<Image ID>.png     8-bit grayscale radiograph-like images (--format png, the default)
    DIR/images/<Image ID>.dcm     the same images as DICOM files (--format dicom; --format mixed: a random
                                  --dicom-share of them), see dicom_synth.py
    DIR/labels/labels.csv         columns `Image ID`, `Label`
    DIR/paths.yaml                {data_path: images, labels_path: labels}

The DICOM files carry realistic headers (Modality CR or DX, about 30 % MONOCHROME1, 10 to 16 bits stored,
Rescale Slope / Intercept, a window) chosen per image from (seed, index), random-looking UIDs derived from the
same, and no real patient data. Their display pipeline gives back the PNG's pixels exactly, so the same seed
gives the same prepared data in every format.

Labels follow the real NIH ChestX-ray14 label frequencies (nih_frequencies.py). By default each row holds
one finding, spelled as in the tutorial's `labels_list` (what MedPerf's tutorial preparator expects);
`--multi-label` writes NIH-style rows (`Effusion|Mass`, `No Finding`) with the number of findings per image
drawn from the real distribution.

Every finding has its own visual pattern, coarse enough to survive a resize to 28x28:
effusion blunts a costophrenic angle with a fluid meniscus, cardiomegaly widens the heart, nodule and mass
are dense blobs of two sizes, pneumothorax leaves a dark rim without lung markings beside a collapsed lung,
infiltration is several faint patches, consolidation a dense band with a sharp upper border, pneumonia one
round fuzzy mottled patch, edema a symmetric perihilar haze, emphysema large hyperlucent lungs with flat
diaphragms, fibrosis basal reticular lines with volume loss, pleural thickening a dense rim along the chest
wall, hernia an air bubble with a fluid level behind the lower heart, atelectasis a dense plate-like band
with an elevated hemidiaphragm.

Deterministic for a given --seed (and --size), whatever the number of worker processes: image i is drawn
from its own generator seeded with (seed, i). Needs numpy and Pillow, and pydicom for DICOM files.
"""

from __future__ import annotations

import argparse
import csv
import functools
import multiprocessing
import os
import sys
import time

import numpy as np
from PIL import Image

FORMATS = ("png", "dicom", "mixed")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nih_frequencies import FINDINGS_PER_IMAGE, LABEL_TABLE, LABELS, NIH_NAMES  # noqa: E402

__all__ = ["LABELS", "draw_labels", "render", "generate", "image_id"]

_MARGINAL = np.array([row[2] for row in LABEL_TABLE], dtype=np.float64)
_SINGLE = np.array([row[3] for row in LABEL_TABLE], dtype=np.float64)


# ----------------------------------------------------------------------------------------------- labels
def draw_labels(count: int, seed: int, multi_label: bool = False) -> list[tuple[str, ...]]:
    """Findings of each image, drawn from NIH ChestX-ray14 frequencies.

    Single-label: one finding per image, weighted by how often it is an image's only finding.
    Multi-label: the number of findings (0 = No Finding) from the real distribution, then that many distinct
    findings weighted by how often each occurs at all.
    """
    rng = np.random.default_rng([seed, 0x1AB])
    if not multi_label:
        picks = rng.choice(len(LABELS), size=count, p=_SINGLE / _SINGLE.sum())
        return [(LABELS[i],) for i in picks]
    ks = np.array(sorted(FINDINGS_PER_IMAGE))
    pk = np.array([FINDINGS_PER_IMAGE[k] for k in ks], dtype=np.float64)
    counts = rng.choice(ks, size=count, p=pk / pk.sum())
    out = []
    for k in counts:
        idx = rng.choice(len(LABELS), size=int(k), replace=False, p=_MARGINAL / _MARGINAL.sum())
        out.append(tuple(LABELS[i] for i in sorted(idx)))
    return out


def label_text(findings: tuple[str, ...], multi_label: bool) -> str:
    if not multi_label:
        return findings[0]
    if not findings:
        return "No Finding"
    return "|".join(NIH_NAMES[f] for f in findings)


def image_id(seed: int, index: int) -> str:
    return f"cxr{seed}_{index:06d}"


# --------------------------------------------------------------------------------------------- drawing
def _ramp(f, width):
    """Soft inside-mask of an implicit shape f < 1 (f = 1 on the border), edge `width` in f units."""
    return np.clip((1.0 - f) / width + 0.5, 0.0, 1.0)


def _sq(x):
    return x * x


def _ellipse(u, v, cx, cy, ax, ay):
    return _sq((u - cx) / ax) + _sq((v - cy) / ay)


@functools.lru_cache(maxsize=4)
def _grid(size):
    """Pixel-center coordinates in [0, 1]: u a (1, size) row, v a (size, 1) column (they broadcast)."""
    lin = (np.arange(size, dtype=np.float32) + 0.5) / size
    lin.flags.writeable = False
    return lin[None, :], lin[:, None]


@functools.lru_cache(maxsize=16)
def _interp(size, cells):
    """Indices and smoothstep weights that upsample `cells` grid points to `size` pixels."""
    pos = (np.arange(size) + 0.5) / size * (cells - 1)
    i0 = np.minimum(pos.astype(np.int64), cells - 2)
    f = (pos - i0).astype(np.float32)
    f = f * f * (3 - 2 * f)
    return i0, f


def _field(rng, size, cells):
    """Smooth random field, zero mean and about unit variance, with about `cells` features across."""
    g = rng.standard_normal((cells, cells), dtype=np.float32)
    i0, f = _interp(size, cells)
    rows = g[:, i0] * (1 - f) + g[:, i0 + 1] * f  # (cells, size)
    fy = f[:, None]
    return rows[i0] * (1 - fy) + rows[i0 + 1] * fy


@functools.lru_cache(maxsize=4)
def _noise_tile(size):
    tile = np.random.default_rng(20240917).standard_normal((2 * size, 2 * size), dtype=np.float32)
    tile.flags.writeable = False
    return tile


def _pixel_noise(rng, size):
    """Unit white noise: a random window of a fixed tile (much cheaper than fresh normals per image)."""
    oy, ox = rng.integers(0, size, 2)
    return _noise_tile(size)[oy : oy + size, ox : ox + size]


def _gauss(u, v, x, y, sx, sy):
    """Separable Gaussian bump (1 at its center)."""
    return np.exp(-_sq(u - x) / (2 * sx * sx)) * np.exp(-_sq(v - y) / (2 * sy * sy))


def _blob(u, v, x, y, r, sharp=True, lobes=0.0, rng=None):
    d2 = (u - x) ** 2 + (v - y) ** 2
    if lobes and rng is not None:
        theta = np.arctan2(v - y, u - x)
        r = r * (1.0 + lobes * np.sin(3 * theta + rng.uniform(0, 6.3)) + 0.5 * lobes * np.sin(5 * theta))
    if sharp:
        return np.sqrt(np.sqrt(np.clip(1.0 - d2 / r**2, 0.0, 1.0)))
    return _gauss(u, v, x, y, r / 1.6, r / 1.6)


class _Anatomy:
    """Per-image geometry; findings that change the anatomy edit it before drawing."""

    def __init__(self, rng):
        s = rng.uniform(0.93, 1.04)
        self.s = s
        self.cx = 0.5 + rng.normal(0, 0.012)
        self.dy = rng.normal(0, 0.012)
        self.lung_dx = 0.19 * s
        self.lung_ax = [0.155 * s * rng.uniform(0.96, 1.04) for _ in range(2)]
        self.lung_cy = 0.52 + self.dy
        self.lung_ay = [0.41 * rng.uniform(0.97, 1.03) for _ in range(2)]
        # diaphragm: image-left (patient right) a little higher
        self.dia_y = [0.745 + self.dy + rng.normal(0, 0.01), 0.77 + self.dy + rng.normal(0, 0.01)]
        self.dia_h = [0.065 * rng.uniform(0.8, 1.2), 0.06 * rng.uniform(0.8, 1.2)]
        self.lung_dark = rng.uniform(0.30, 0.36)
        self.markings = rng.uniform(0.045, 0.065)
        self.ctr = rng.uniform(0.38, 0.47)  # cardiothoracic ratio
        self.heart_cx = self.cx + 0.055 * s
        self.heart_cy = 0.61 + self.dy
        self.heart_ay = 0.13 * s
        self.heart_tilt = rng.uniform(0.25, 0.45)
        self.gastric = rng.random() < 0.5
        self.collapse = [None, None]  # pneumothorax: collapse factor per side


def _side_x(an, side):
    return an.cx + (-1 if side == 0 else 1) * an.lung_dx


def _lung_f(u, v, an, side):
    return _ellipse(u, v, _side_x(an, side), an.lung_cy, an.lung_ax[side], an.lung_ay[side])


def _diaphragm(u, an, side):
    x0 = _side_x(an, side)
    t = np.clip((u - x0) / (1.6 * an.lung_ax[side]), -1, 1)
    return an.dia_y[side] - an.dia_h[side] * (1.0 - t**2)


def render(findings, rng, size: int = 256) -> np.ndarray:
    """One synthetic radiograph (uint8, size x size) showing the given findings."""
    findings = set(findings)
    an = _Anatomy(rng)
    u, v = _grid(size)  # u: column (image x), v: row (image y), both in [0, 1]
    lateral = np.abs(u - an.cx)

    def pick_side():
        return int(rng.integers(0, 2))

    def sides_one_or_both(p_both):
        return [0, 1] if rng.random() < p_both else [pick_side()]

    # how pronounced each finding is: faint cases are what makes the task not trivial
    sev = {name: rng.uniform(0.3, 1.0) for name in LABELS if name in findings}

    # ---- findings that change the anatomy
    if "cardiomegaly" in findings:
        an.ctr = 0.47 + 0.2 * sev["cardiomegaly"] + rng.uniform(0, 0.02)
        an.heart_ay *= 1 + 0.2 * sev["cardiomegaly"]
        an.heart_cx += 0.02 * an.s
    if "emphysema" in findings:
        for k in (0, 1):
            e = sev["emphysema"]
            an.lung_ay[k] *= 1 + 0.1 * e
            an.lung_ax[k] *= 1 + 0.08 * e
            an.dia_y[k] += 0.07 * e
            an.dia_h[k] *= 1 - 0.8 * e
        an.lung_dark += 0.12 * sev["emphysema"]
        an.markings *= 1 - 0.6 * sev["emphysema"]
        an.ctr *= 1 - 0.15 * sev["emphysema"]
    if "fibrosis" in findings:
        for k in (0, 1):
            an.lung_ay[k] *= 1 - 0.06 * sev["fibrosis"]
            an.dia_y[k] -= 0.035 * sev["fibrosis"]
    atel_side = None
    if "atelectasis" in findings:
        atel_side = pick_side()
        an.dia_y[atel_side] -= 0.07 * sev["atelectasis"]
        an.cx += (-1 if atel_side == 0 else 1) * 0.012
    ptx_side = None
    if "pneumothorax" in findings:
        ptx_side = pick_side()
        an.collapse[ptx_side] = 1 - 0.45 * sev["pneumothorax"]

    # ---- normal anatomy
    img = np.full((size, size), 0.05, dtype=np.float32)
    body = _ramp(_sq(_sq((u - an.cx) / (0.47 * an.s))) + _sq(_sq((v - 0.66) / 0.62)), 0.12)
    neck = _ramp(_sq(_sq((u - an.cx) / 0.09)) + _sq(_sq((v - 0.02) / 0.12)), 0.2)
    body = np.maximum(body, neck)
    img += body * (0.5 + 0.08 * (v - 0.5))

    ribs_phase = (v - 0.55 * lateral + 0.9 * lateral**2) / 0.085
    ribs = np.clip(np.cos(2 * np.pi * ribs_phase) - 0.55, 0, None) * 2.2
    thorax = _ramp(((u - an.cx) / (0.39 * an.s)) ** 2 + ((v - 0.47) / 0.42) ** 2, 0.15)

    lung = np.zeros_like(img)
    lungs_visible = []
    for side in (0, 1):
        f = _lung_f(u, v, an, side)
        m = _ramp(f, 0.08) * np.clip((_diaphragm(u, an, side) - v) / 0.012 + 0.5, 0, 1)
        lungs_visible.append(m)
        lung = np.maximum(lung, m)
    hila = sum(_gauss(u, v, an.cx + d * 0.1, 0.47 + an.dy, 0.077, 0.1) for d in (-1, 1))
    tex = _field(rng, size, 24)
    markings = an.markings * (0.6 * hila + 0.45) * (0.6 + 0.5 * tex)
    marking_mask = lung.copy()

    # pneumothorax: the lung collapses toward the hilum; the rim left behind is black, without markings
    ptx_rim = np.zeros_like(img)
    if ptx_side is not None:
        c = an.collapse[ptx_side]
        x0 = _side_x(an, ptx_side)
        shift = (1 if ptx_side == 0 else -1) * an.lung_ax[ptx_side] * (1 - c) * 0.9
        fc = _ellipse(u, v, x0 + shift, an.lung_cy + 0.05 * (1 - c), an.lung_ax[ptx_side] * c,
                      an.lung_ay[ptx_side] * (0.75 + 0.25 * c))
        inner = _ramp(fc, 0.05)
        rim = lungs_visible[ptx_side] * (1 - inner)
        ptx_rim = rim
        marking_mask = marking_mask - rim
        edge = np.exp(-((np.sqrt(fc) - 1.0) ** 2) / 0.0015) * lungs_visible[ptx_side]
        img += 0.09 * edge

    img -= an.lung_dark * lung
    img -= 0.15 * ptx_rim
    img += markings * np.clip(marking_mask, 0, 1)
    below = np.clip((np.maximum(*an.dia_y) - v) / 0.03, 0, 1)
    img += 0.06 * ribs * thorax * below
    clav = np.exp(-((v - (0.13 + an.dy) + 0.12 * lateral - 0.35 * lateral**2) ** 2) / 0.0003)
    img += 0.1 * clav * ((lateral > 0.05) & (lateral < 0.3)) * body

    # mediastinum + heart (in front of the lungs)
    med_half = np.where(v < 0.32, 0.07, 0.05) * (v < np.minimum(*an.dia_y) + 0.02)
    med = np.clip((med_half - np.abs(u - an.cx)) / 0.01 + 0.5, 0, 1)
    heart_ax = an.ctr * 0.39 * an.s
    # tilted ellipse as a quadratic form: a du^2 + b du dv + c dv^2 < 1
    ca, sa = np.cos(an.heart_tilt), np.sin(an.heart_tilt)
    ia, ib = 1 / heart_ax**2, 1 / an.heart_ay**2
    du, dv = u - an.heart_cx, v - an.heart_cy
    qa, qb, qc = ca * ca * ia + sa * sa * ib, 2 * ca * sa * (ia - ib), sa * sa * ia + ca * ca * ib
    heart = _ramp(qa * du * du + (qb * du) * dv + qc * dv * dv, 0.12)
    heart *= np.clip((np.maximum(*an.dia_y) + 0.015 - v) / 0.02, 0, 1)
    soft = np.maximum(med, heart)
    img = img * (1 - soft) + soft * (0.6 + 0.04 * tex)
    lung = lung * (1 - soft)  # from here on: the lung fields left visible beside the heart

    if an.gastric:
        gx = an.cx + 0.2 * an.s
        gb = _blob(u, v, gx, an.dia_y[1] + 0.05, 0.035, sharp=False)
        img -= 0.18 * gb * (v > an.dia_y[1])

    # ---- findings drawn over the anatomy
    def in_lung(side, vlo, vhi, margin=0.25):
        """A random point well inside one lung, between vertical fractions vlo..vhi of its height."""
        x0 = _side_x(an, side)
        for _ in range(50):
            y = an.lung_cy - an.lung_ay[side] + rng.uniform(vlo, vhi) * 2 * an.lung_ay[side]
            x = x0 + rng.uniform(-1, 1) * an.lung_ax[side] * 0.8
            fx = ((x - x0) / an.lung_ax[side]) ** 2 + ((y - an.lung_cy) / an.lung_ay[side]) ** 2
            ok = fx < (1 - margin) and y < float(_diaphragm(np.float32(x), an, side)) - 0.04
            ok = ok and (((x - an.heart_cx) / heart_ax) ** 2 + ((y - an.heart_cy) / an.heart_ay) ** 2) > 1.2
            if ok:
                return x, y
        return x0, an.lung_cy

    def opacify(mask, density):
        """Blend toward soft-tissue density inside the lungs."""
        nonlocal img
        a = np.clip(mask * density, 0, 1) * lung
        img = img * (1 - a) + a * 0.55

    if "effusion" in findings:
        for side in sides_one_or_both(0.25):
            x0 = _side_x(an, side)
            t = np.clip(np.abs(u - x0) / an.lung_ax[side], 0, 1)
            lat = np.where((u < x0) if side == 0 else (u > x0), t, 0.0)
            h = 0.2 * sev["effusion"]
            level = _diaphragm(u, an, side) - h * (0.35 + 0.65 * lat * np.sqrt(lat))
            fluid = np.clip((v - level) / 0.02, 0, 1) * (np.abs(u - x0) < an.lung_ax[side] * 1.1)
            opacify(fluid * lungs_visible[side], rng.uniform(0.85, 1.0))
    if "consolidation" in findings:
        side = pick_side()
        x0 = _side_x(an, side)
        top = an.lung_cy + rng.uniform(-0.05, 0.08)
        tilt = rng.uniform(-0.15, 0.15)
        depth = rng.uniform(0.13, 0.2)
        vv = v - top - tilt * (u - x0)
        band = np.clip(vv / 0.008, 0, 1) * np.clip((depth - vv) / 0.05, 0, 1)
        dens = (0.4 + 0.5 * sev["consolidation"]) * (0.9 + 0.1 * _field(rng, size, 20))
        opacify(band * lungs_visible[side], dens)
    if "pneumonia" in findings:
        side = pick_side()
        x, y = in_lung(side, 0.45, 0.8, margin=0.35)
        r = rng.uniform(0.08, 0.11)
        mottle = np.clip(0.75 + 0.5 * _field(rng, size, 48), 0, 1)
        opacify(np.clip(1.3 * _blob(u, v, x, y, r, sharp=False), 0, 1) * mottle, 0.75 * sev["pneumonia"])
    if "infiltration" in findings:
        patches = np.zeros_like(img)
        for _ in range(int(rng.integers(4, 7))):
            side = pick_side()
            x, y = in_lung(side, 0.2, 0.75, margin=0.15)
            patches = np.maximum(patches, _blob(u, v, x, y, rng.uniform(0.04, 0.06), sharp=False))
        patchy = np.clip(0.7 + 0.6 * _field(rng, size, 40), 0, 1)
        img += 0.17 * sev["infiltration"] * patches * patchy * lung
    if "edema" in findings:
        haze = sum(_gauss(u, v, an.cx + d * 0.12 * an.s, 0.5 + an.dy, 0.075, 0.13) for d in (-1, 1))
        opacify(np.clip(haze, 0, 1), 0.65 * sev["edema"])
    if "fibrosis" in findings:
        warp = 2.5 * _field(rng, size, 12)
        net = np.maximum(
            np.clip(np.cos(2 * np.pi * (u + 0.3 * v) / 0.05 + warp) - 0.55, 0, None),
            np.clip(np.cos(2 * np.pi * (v - 0.3 * u) / 0.05 + warp) - 0.55, 0, None),
        ) * 2.2
        where = np.clip((v - 0.45) / 0.2, 0, 1) * np.clip((lateral - 0.08) / 0.12, 0, 1)
        img += 0.26 * sev["fibrosis"] * net * where * lung
    if "pleural" in findings:
        for side in sides_one_or_both(0.4):
            x0 = _side_x(an, side)
            f = np.sqrt(_lung_f(u, v, an, side))
            thick = rng.uniform(0.16, 0.22)
            rim = np.clip((f - (1 - thick)) / 0.03, 0, 1)
            lat = np.clip(((x0 - u) if side == 0 else (u - x0)) / (0.4 * an.lung_ax[side]), 0, 1)
            apex = np.clip((an.lung_cy - 0.2 - v) / 0.05, 0, 1)
            opacify(rim * np.maximum(lat, apex) * lungs_visible[side], 0.95 * sev["pleural"])
    if atel_side is not None:
        x, y = in_lung(atel_side, 0.55, 0.72, margin=0.3)
        ang = rng.uniform(-0.3, 0.3)
        along = (u - x) * np.cos(ang) + (v - y) * np.sin(ang)
        across = -(u - x) * np.sin(ang) + (v - y) * np.cos(ang)
        half_len, half_w = rng.uniform(0.09, 0.13), rng.uniform(0.014, 0.02)
        band = np.clip((half_len - np.abs(along)) / 0.02, 0, 1) * np.clip((half_w - np.abs(across)) / 0.006 + 0.5, 0, 1)
        opacify(band, sev["atelectasis"])
    if "nodule" in findings:
        for _ in range(1 if rng.random() < 0.75 else 2):
            x, y = in_lung(pick_side(), 0.15, 0.8)
            img += 0.36 * sev["nodule"] * _blob(u, v, x, y, rng.uniform(0.02, 0.028)) * lung
    if "mass" in findings:
        x, y = in_lung(pick_side(), 0.2, 0.75, margin=0.35)
        img += 0.34 * sev["mass"] * _blob(u, v, x, y, rng.uniform(0.06, 0.085), lobes=0.12, rng=rng) * lung
    if "hernia" in findings:
        hx = an.cx + rng.uniform(-0.01, 0.04)
        hy = an.heart_cy + an.heart_ay * rng.uniform(0.35, 0.6)
        r = rng.uniform(0.045, 0.06)
        d2 = ((u - hx) ** 2 + (v - hy) ** 2) / r**2
        inside = np.clip((1 - d2) / 0.15, 0, 1)
        air = inside * (v < hy + r * 0.25)
        rim = np.exp(-((np.sqrt(d2) - 1) ** 2) / 0.03)
        img = img - 0.32 * sev["hernia"] * air + 0.08 * rim

    # ---- exposure, noise, quantization
    img += 0.03 * _field(rng, size, 6)
    img += 0.012 * _pixel_noise(rng, size)
    q = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    # exposure: gamma and window as a lookup table on the 8-bit values
    gamma = rng.uniform(0.85, 1.15)
    lo, hi = rng.uniform(0.0, 0.05), rng.uniform(0.9, 1.0)
    lut = (lo + (hi - lo) * (np.arange(256) / 255.0) ** gamma) * 255 + 0.5
    return np.asarray(Image.fromarray(q).point([int(x) for x in lut]))


# ------------------------------------------------------------------------------------------- data set
def _render_chunk(job):
    seed, start, findings_list, size, images_dir, fmt, dicom_share = job
    for offset, findings in enumerate(findings_list):
        i = start + offset
        arr = render(findings, np.random.default_rng([seed, i + 1]), size)
        header_rng = np.random.default_rng([seed, i + 1, 0xD1C])  # own stream: the pixels do not depend on it
        as_dicom = fmt == "dicom" or (fmt == "mixed" and header_rng.random() < dicom_share)
        if as_dicom:
            from dicom_synth import random_variant, write_dicom  # needs pydicom

            path = os.path.join(images_dir, image_id(seed, i) + ".dcm")
            write_dicom(path, arr, random_variant(header_rng), uid_seed=image_id(seed, i))
        else:
            Image.fromarray(arr).save(os.path.join(images_dir, image_id(seed, i) + ".png"), compress_level=6)
    return len(findings_list)


def default_workers(requested=None):
    if requested:
        return max(1, int(requested))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def generate(output, count: int, seed: int = 0, multi_label: bool = False, size: int = 256, workers=None,
             fmt: str = "png", dicom_share: float = 0.5):
    """Write `count` images, labels.csv and paths.yaml under `output` (MedPerf raw layout)."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    images_dir = os.path.join(output, "images")
    labels_dir = os.path.join(output, "labels")
    os.makedirs(images_dir, exist_ok=True)
    os.makedirs(labels_dir, exist_ok=True)
    findings = draw_labels(count, seed, multi_label)

    with open(os.path.join(labels_dir, "labels.csv"), "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["Image ID", "Label"])
        for i, fs in enumerate(findings):
            writer.writerow([image_id(seed, i), label_text(fs, multi_label)])
    with open(os.path.join(output, "paths.yaml"), "w") as f:
        f.write("data_path: images\nlabels_path: labels\n")

    chunk = 64
    jobs = [(seed, s, findings[s : s + chunk], size, images_dir, fmt, dicom_share) for s in range(0, count, chunk)]
    n_workers = min(default_workers(workers), len(jobs)) if jobs else 1
    if n_workers <= 1:
        for job in jobs:
            _render_chunk(job)
    else:
        with multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn").Pool(n_workers) as pool:
            for _ in pool.imap_unordered(_render_chunk, jobs):
                pass
    return findings


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--count", type=int, required=True, help="number of images")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same data)")
    p.add_argument("--output", required=True, help="output folder (created)")
    p.add_argument("--multi-label", action="store_true", help="NIH-style rows: 'A|B' and 'No Finding'")
    p.add_argument("--size", type=int, default=256, help="image side in pixels (default 256)")
    p.add_argument("--workers", type=int, default=0, help="processes (default: all available cores)")
    p.add_argument("--format", choices=FORMATS, default="png", help="image files: png (default), dicom or mixed")
    p.add_argument("--dicom-share", type=float, default=0.5, help="--format mixed: share of DICOM files (0.5)")
    args = p.parse_args(argv)
    if args.count < 1 or args.size < 32:
        p.error("--count must be >= 1 and --size >= 32")
    if not 0.0 <= args.dicom_share <= 1.0:
        p.error("--dicom-share must be between 0 and 1")
    t0 = time.time()
    generate(args.output, args.count, args.seed, args.multi_label, args.size, args.workers, args.format,
             args.dicom_share)
    print(f"wrote {args.count} images to {args.output} in {time.time() - t0:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
