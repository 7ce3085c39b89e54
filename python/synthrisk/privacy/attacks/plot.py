"""ROC curves as inline SVG, with a log-scale FPR axis (where low-FPR attacks show)."""

from __future__ import annotations

import html

import numpy as np

from synthrisk.stats import MIAResult


def roc_svg(
    result: MIAResult, *, width: int = 420, height: int = 320, fpr_min: float = 1e-3
) -> str:
    """The ROC curve of one attack: TPR against FPR on a log axis from ``fpr_min`` to 1, with
    the diagonal of random guessing and the α levels of TPR at FPR < α marked."""
    left, right, top, bottom = 52, width - 14, 26, height - 40
    lo = np.log10(fpr_min)

    def sx(f: np.ndarray | float) -> np.ndarray:
        return left + (np.log10(np.clip(f, fpr_min, 1.0)) - lo) / -lo * (right - left)

    def sy(t: np.ndarray | float) -> np.ndarray:
        return bottom - np.asarray(t) * (bottom - top)

    fpr, tpr = result.fpr, result.tpr
    keep = fpr >= fpr_min
    # the curve as steps; below fpr_min it starts at the TPR reached there
    start = float(tpr[fpr < fpr_min].max()) if (fpr < fpr_min).any() else 0.0
    xs = np.r_[fpr_min, fpr[keep]]
    ys = np.r_[start, tpr[keep]]
    points = []
    for i in range(xs.size):
        if i:
            points.append(f"{sx(xs[i]):.1f},{sy(ys[i - 1]):.1f}")
        points.append(f"{sx(xs[i]):.1f},{sy(ys[i]):.1f}")
    grid = np.logspace(lo, 0, 60)
    diag = " ".join(f"{sx(g):.1f},{sy(g):.1f}" for g in grid)
    parts = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#333"/>',
        f'<polyline fill="none" stroke="#999" stroke-dasharray="4 3" points="{diag}"/>',
        f'<polyline fill="none" stroke="#d62728" stroke-width="1.8" points="{" ".join(points)}"/>',
    ]
    decade = fpr_min
    while decade <= 1.0 + 1e-12:
        x = sx(decade)
        parts.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#333"/>'
            f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" font-size="10">'
            f"{decade:g}</text>"
        )
        decade *= 10
    for t in (0.0, 0.5, 1.0):
        parts.append(
            f'<text x="{left - 6}" y="{sy(t) + 3:.1f}" text-anchor="end" font-size="10">'
            f"{t:g}</text>"
        )
    for a, est in result.tpr_at_fpr.items():
        if a >= fpr_min:
            parts.append(
                f'<circle cx="{sx(a):.1f}" cy="{sy(est.value):.1f}" r="3" fill="#1f77b4">'
                f"<title>TPR at FPR &lt; {a:g}: {est.value:.3f}</title></circle>"
            )
    parts.append(
        f'<text x="{(left + right) / 2}" y="{height - 8}" text-anchor="middle" font-size="11">'
        "false positive rate (log scale)</text>"
        f'<text x="14" y="{(top + bottom) / 2}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 14 {(top + bottom) / 2})">true positive rate</text>'
    )
    title = f"ROC: {result.attack} (AUC {result.auc.value:.3f})"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">'
        f'<text x="{width / 2}" y="15" text-anchor="middle" font-size="13">'
        f"{html.escape(title)}</text>"
        f"{''.join(parts)}</svg>"
    )


PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#7f7f7f", "#17becf", "#bcbd22")  # fmt: skip


def roc_svg_many(
    results: list[MIAResult],
    *,
    title: str = "ROC curves",
    width: int = 640,
    height: int = 420,
    fpr_min: float = 1e-3,
) -> str:
    """Several attacks' ROC curves on one log-FPR plot, with a legend (TPR at FPR < 0.1)."""
    left, right, top, bottom = 52, width - 190, 26, height - 40
    lo = np.log10(fpr_min)

    def sx(f: float) -> float:
        return float(left + (np.log10(min(max(f, fpr_min), 1.0)) - lo) / -lo * (right - left))

    def sy(t: float) -> float:
        return float(bottom - t * (bottom - top))

    grid = np.logspace(lo, 0, 60)
    parts = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#333"/>',
        '<polyline fill="none" stroke="#999" stroke-dasharray="4 3" points="'
        + " ".join(f"{sx(g):.1f},{sy(g):.1f}" for g in grid)
        + '"/>',
    ]
    decade = fpr_min
    while decade <= 1.0 + 1e-12:
        parts.append(
            f'<text x="{sx(decade):.1f}" y="{bottom + 15}" text-anchor="middle" font-size="10">'
            f"{decade:g}</text>"
        )
        decade *= 10
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<text x="{left - 6}" y="{sy(t) + 3:.1f}" text-anchor="end" font-size="10">'
            f"{t:g}</text>"
        )
    for i, r in enumerate(results):
        colour = PALETTE[i % len(PALETTE)]
        start = float(r.tpr[r.fpr < fpr_min].max()) if (r.fpr < fpr_min).any() else 0.0
        keep = r.fpr >= fpr_min
        xs, ys = np.r_[fpr_min, r.fpr[keep]], np.r_[start, r.tpr[keep]]
        pts = []
        for j in range(xs.size):
            if j:
                pts.append(f"{sx(xs[j]):.1f},{sy(ys[j - 1]):.1f}")
            pts.append(f"{sx(xs[j]):.1f},{sy(ys[j]):.1f}")
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{" ".join(pts)}"/>'
        )
        y = top + 6 + 16 * i
        parts.append(
            f'<rect x="{right + 12}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{right + 26}" y="{y + 9}" font-size="11">{html.escape(r.attack)} '
            f"({r.tpr_at_fpr[0.1].value:.3f})</text>"
        )
    parts.append(
        f'<line x1="{sx(0.1):.1f}" y1="{top}" x2="{sx(0.1):.1f}" y2="{bottom}" stroke="#bbb"/>'
        f'<text x="{(left + right) / 2}" y="{height - 8}" text-anchor="middle" font-size="11">'
        "false positive rate (log scale)</text>"
        f'<text x="14" y="{(top + bottom) / 2}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 14 {(top + bottom) / 2})">true positive rate</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">'
        f'<rect width="{width}" height="{height}" fill="white"/>'
        f'<text x="{width / 2}" y="15" text-anchor="middle" font-size="13">'
        f"{html.escape(title)}</text>{''.join(parts)}</svg>"
    )
