"""Fidelity: how closely synthetic data reproduces the real data's distributions.

Per column: total variation distance (categorical and boolean columns, missing values as a
category) or the two-sample Kolmogorov–Smirnov statistic (numeric columns, on non-missing values)
together with the difference in missing-value rates. Per pair of columns: the absolute difference
of an association measure in [0, 1] (|Pearson r| for numeric pairs, Cramér's V for categorical
pairs, the correlation ratio η for mixed pairs).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from synthrisk.data.domain import Column, Domain
from synthrisk.data.encode import MISSING_CODE, category_codes


@dataclass(frozen=True)
class ColumnFidelity:
    """One column's distance between real and synthetic marginals (0 = identical)."""

    column: str
    kind: str
    metric: str  # "tvd" or "ks"
    distance: float
    null_rate_real: float
    null_rate_synthetic: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PairFidelity:
    """One column pair's association in real and synthetic data, and their difference."""

    columns: tuple[str, str]
    measure: str
    real: float
    synthetic: float

    @property
    def difference(self) -> float:
        return abs(self.real - self.synthetic)

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "measure": self.measure,
            "real": self.real,
            "synthetic": self.synthetic,
            "difference": self.difference,
        }


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov statistic sup |F_a − F_b| (exact, on the pooled sample)."""
    a, b = np.sort(a), np.sort(b)
    if a.size == 0 or b.size == 0:
        return 1.0 if a.size != b.size else 0.0
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def tvd(a: np.ndarray, b: np.ndarray, size: int) -> float:
    """Total variation distance between the distributions of two code arrays over 0..size-1."""
    pa = np.bincount(a, minlength=size) / max(a.size, 1)
    pb = np.bincount(b, minlength=size) / max(b.size, 1)
    return float(0.5 * np.abs(pa - pb).sum())


def _numeric(s: pl.Series, col: Column) -> np.ndarray:
    if col.kind.value == "datetime":
        s = s.dt.epoch("s").cast(pl.Float64) / 86400.0
    return s.cast(pl.Float64).to_numpy()


def _codes(s: pl.Series, col: Column) -> np.ndarray:
    codes = category_codes(s, col).astype(np.int64)
    return np.where(codes == MISSING_CODE, len(col.categories), codes)


def column_fidelity(
    real: pl.DataFrame, synthetic: pl.DataFrame, domain: Domain
) -> list[ColumnFidelity]:
    """Per-column marginal distances between two validated frames."""
    out = []
    for col in domain:
        r, s = real.get_column(col.name), synthetic.get_column(col.name)
        rates = (r.null_count() / len(r), s.null_count() / len(s))
        if col.is_categorical:
            size = len(col.categories) + 1
            dist, metric = tvd(_codes(r, col), _codes(s, col), size), "tvd"
        else:
            a, b = _numeric(r, col), _numeric(s, col)
            dist, metric = ks_statistic(a[~np.isnan(a)], b[~np.isnan(b)]), "ks"
        out.append(ColumnFidelity(col.name, str(col.kind), metric, dist, *rates))
    return out


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(abs(np.corrcoef(x, y)[0, 1]))


def _cramers_v(x: np.ndarray, y: np.ndarray) -> float:
    if x.size == 0:
        return 0.0
    _, xi = np.unique(x, return_inverse=True)
    _, yi = np.unique(y, return_inverse=True)
    table = np.zeros((xi.max() + 1, yi.max() + 1))
    np.add.at(table, (xi, yi), 1)
    if min(table.shape) < 2:
        return 0.0
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (table.sum() * (min(table.shape) - 1))))


def _correlation_ratio(codes: np.ndarray, values: np.ndarray) -> float:
    if values.size < 2 or np.ptp(values) == 0:
        return 0.0
    _, groups = np.unique(codes, return_inverse=True)
    counts = np.bincount(groups)
    means = np.bincount(groups, weights=values) / counts
    between = float((counts * (means - values.mean()) ** 2).sum())
    total = float(((values - values.mean()) ** 2).sum())
    return float(np.sqrt(between / total))


def _association(df: pl.DataFrame, a: Column, b: Column) -> tuple[str, float]:
    """Association of two columns on the rows where both are present."""
    sa, sb = df.get_column(a.name), df.get_column(b.name)
    present = (sa.is_not_null() & sb.is_not_null()).to_numpy()
    va = _codes(sa, a) if a.is_categorical else _numeric(sa, a)
    vb = _codes(sb, b) if b.is_categorical else _numeric(sb, b)
    va, vb = va[present], vb[present]
    if a.is_categorical and b.is_categorical:
        return "cramers_v", _cramers_v(va, vb)
    if a.is_categorical:
        return "correlation_ratio", _correlation_ratio(va, vb)
    if b.is_categorical:
        return "correlation_ratio", _correlation_ratio(vb, va)
    return "abs_pearson", _pearson(va, vb)


def pair_fidelity(
    real: pl.DataFrame, synthetic: pl.DataFrame, domain: Domain
) -> list[PairFidelity]:
    """Association differences over every pair of columns."""
    out = []
    for a, b in itertools.combinations(domain.columns, 2):
        measure, real_value = _association(real, a, b)
        _, synth_value = _association(synthetic, a, b)
        out.append(PairFidelity((a.name, b.name), measure, real_value, synth_value))
    return out
