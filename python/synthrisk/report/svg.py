"""Small, dependency-free SVG charts, so an HTML report opens offline with no scripts."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def _frame(width: int, height: int, title: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">'
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="13">{html.escape(title)}</text>'
        f"{body}</svg>"
    )


def histograms(
    series: Mapping[str, np.ndarray],
    *,
    title: str,
    xlabel: str,
    bins: int = 40,
    width: int = 560,
    height: int = 300,
) -> str:
    """Overlaid step histograms (as densities) of several samples on a shared axis."""
    finite = [np.asarray(v, float)[np.isfinite(v)] for v in series.values()]
    lo = min((float(v.min()) for v in finite if v.size), default=0.0)
    hi = max((float(v.max()) for v in finite if v.size), default=1.0)
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    dens = [np.histogram(v, bins=edges)[0] / max(v.size, 1) for v in finite]
    top = max((float(d.max()) for d in dens), default=1.0) or 1.0
    left, right, upper, lower = 50, width - 10, 28, height - 40
    sx = (right - left) / (hi - lo)
    sy = (lower - upper) / top
    parts = [
        f'<line x1="{left}" y1="{lower}" x2="{right}" y2="{lower}" stroke="#333"/>',
        f'<line x1="{left}" y1="{upper}" x2="{left}" y2="{lower}" stroke="#333"/>',
        f'<text x="{(left + right) / 2}" y="{height - 8}" text-anchor="middle" font-size="11">'
        f"{html.escape(xlabel)}</text>",
        f'<text x="{left - 4}" y="{lower}" text-anchor="end" font-size="10">0</text>',
        f'<text x="{left - 4}" y="{upper + 8}" text-anchor="end" font-size="10">{top:.2f}</text>',
        f'<text x="{left}" y="{lower + 14}" text-anchor="middle" font-size="10">{lo:.3g}</text>',
        f'<text x="{right}" y="{lower + 14}" text-anchor="middle" font-size="10">{hi:.3g}</text>',
    ]
    for i, (name, d) in enumerate(zip(series, dens, strict=True)):
        colour = PALETTE[i % len(PALETTE)]
        points = []
        for j, h in enumerate(d):
            x0, x1, y = left + (edges[j] - lo) * sx, left + (edges[j + 1] - lo) * sx, lower - h * sy
            points += [f"{x0:.1f},{y:.1f}", f"{x1:.1f},{y:.1f}"]
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{" ".join(points)}"/>'
        )
        parts.append(
            f'<rect x="{right - 150}" y="{upper + 4 + 16 * i}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{right - 136}" y="{upper + 13 + 16 * i}" font-size="11">{html.escape(name)}</text>'
        )
    return _frame(width, height, title, "".join(parts))


def bars(labels: Sequence[str], values: Sequence[float], *, title: str, xmax: float = 1.0) -> str:
    """A horizontal bar chart of values in [0, xmax]."""
    row, left, width = 18, 160, 560
    height = 40 + row * len(labels)
    scale = (width - left - 60) / (xmax or 1.0)
    parts = []
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        y = 28 + i * row
        parts.append(
            f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" font-size="11">{html.escape(label)}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{max(v, 0) * scale:.1f}" height="{row - 5}" fill="{PALETTE[0]}"/>'
            f'<text x="{left + max(v, 0) * scale + 4:.1f}" y="{y + 12}" font-size="10">{v:.3f}</text>'
        )
    return _frame(width, height, title, "".join(parts))
