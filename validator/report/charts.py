"""The numbers behind the report's pictures: ROC curves, and the geometry of bar charts and the timeline.

Pure functions from data to coordinates (pixels in an SVG viewBox); the template draws them. Nothing here
returns markup, so every label reaching the page goes through the template's autoescaping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Roc:
    points: list[tuple[float, float]]  # (false positive rate, true positive rate), from (0, 0) to (1, 1)
    auc: float
    positives: int
    negatives: int


def roc_curve(truth: list[int], scores: list[float]) -> Roc | None:
    """The ROC curve of scores against 0/1 truth (ties in score move diagonally); None with a single class."""
    pairs = sorted(zip(scores, truth, strict=True), key=lambda p: -p[0])
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    if pos == 0 or neg == 0:
        return None
    points, tp, fp, auc = [(0.0, 0.0)], 0, 0, 0.0
    i = 0
    while i < len(pairs):
        score = pairs[i][0]
        while i < len(pairs) and pairs[i][0] == score:
            if pairs[i][1]:
                tp += 1
            else:
                fp += 1
            i += 1
        x, y = fp / neg, tp / pos
        px, py = points[-1]
        auc += (x - px) * (y + py) / 2
        points.append((x, y))
    return Roc(points, auc, pos, neg)


def curve_path(points: list[tuple[float, float]], size: float, pad: float, max_points: int = 400) -> str:
    """SVG polyline points for unit-square points in a size x size plot with `pad` margins (y pointing up); long
    curves are thinned to `max_points` (first and last kept) so a big run still makes a small page."""
    if len(points) > max_points:
        step = (len(points) - 1) / (max_points - 1)
        points = [points[round(i * step)] for i in range(max_points)]
    inner = size - 2 * pad
    return " ".join(f"{pad + x * inner:.1f},{size - pad - y * inner:.1f}" for x, y in points)


@dataclass
class Bar:
    label: str
    value: float | None  # None: undefined (drawn as such, not as zero)
    text: str
    y: float
    width: float
    status: str = ""  # for colouring: passed, failed, ...


def value_bars(items: list[tuple[str, float | None]], width: float, lo: float = 0.0, hi: float = 1.0,
               row: float = 22) -> list[Bar]:
    """Horizontal bars of values on a fixed [lo, hi] scale (AUC: 0-1); None and non-finite values are undefined."""
    out = []
    for i, (label, value) in enumerate(items):
        if value is None or not math.isfinite(value):
            out.append(Bar(label, None, "undefined", i * row, 0.0))
            continue
        frac = min(max((value - lo) / ((hi - lo) or 1.0), 0.0), 1.0)
        out.append(Bar(label, value, f"{value:.3f}", i * row, frac * width))
    return out


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top`."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(math.ceil(top / step) + 1)]


@dataclass
class Span:
    label: str
    kind: str  # build | task | probe
    status: str
    seconds: float
    x: float = 0.0
    width: float = 0.0
    y: float = 0.0
    failed: bool = False


def timeline(spans: list[Span], width: float, row: float = 20) -> tuple[list[Span], list[tuple[float, str]], float]:
    """Spans laid end to end in the order they ran, scaled to `width`: (spans with x/width/y, axis ticks as
    (x, text), total seconds). The report records durations, not start times: the layout says so in its caption."""
    total = sum(max(s.seconds, 0.0) for s in spans)
    ticks = nice_ticks(total)
    scale = width / (ticks[-1] or 1.0)
    t = 0.0
    for i, s in enumerate(spans):
        s.x, s.width, s.y = t * scale, max(max(s.seconds, 0.0) * scale, 1.5), i * row
        t += max(s.seconds, 0.0)
    return spans, [(v * scale, f"{v:g}s") for v in ticks], total


def scaled_bars(items: list[tuple[str, float | None, str, str]], width: float, row: float = 22) -> tuple[list[Bar], list[tuple[float, str]]]:
    """Bars of (label, value, text, status) on a 0-based scale fitted to the largest value, with ticks."""
    top = max((v for _, v, _, _ in items if v is not None), default=0.0)
    ticks = nice_ticks(top)
    scale = width / (ticks[-1] or 1.0)
    bars = [Bar(label, value, text, i * row, 0.0 if value is None else max(value * scale, 1.0), status)
            for i, (label, value, text, status) in enumerate(items)]
    return bars, [(v * scale, f"{v:g}") for v in ticks]
