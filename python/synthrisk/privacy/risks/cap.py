"""Correct attribution probability (CAP) and disclosure protection (SDMetrics' definitions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from synthrisk.errors import InvalidArgumentError, SchemaError
from synthrisk.privacy.attacks._tables import as_frame


@dataclass(frozen=True)
class DisclosureResult:
    """CAP of real rows and the disclosure protection score derived from it.

    ``mean_cap``: over real rows, the share of synthetic rows with the row's key that carry its
    sensitive value (``method="cap"``: rows whose key no synthetic row has are skipped;
    ``"zero_cap"``: they count as 0). ``baseline_protection = 1 − 1/(number of distinct
    sensitive values)`` (random guessing); ``score = min((1 − mean_cap) / baseline_protection, 1)``
    (1 = no more disclosure than guessing).
    """

    mean_cap: float
    cap_protection: float
    baseline_protection: float
    score: float
    n_rows: int
    n_rows_matched: int
    method: str

    def to_dict(self) -> dict[str, float | int | str]:
        return dict(self.__dict__)


def disclosure_protection(
    real: Any,
    synthetic: Any,
    *,
    key_columns: Sequence[str],
    sensitive_columns: Sequence[str],
    method: str = "cap",
    bins: int | None = 10,
) -> DisclosureResult:
    """CAP-based disclosure protection of ``sensitive_columns`` given ``key_columns``.

    Numeric columns are binned into ``bins`` equal-width bins over the real ∪ synthetic range
    (``bins=None`` compares them exactly).

    Example:
        >>> import polars as pl
        >>> r = pl.DataFrame({"k": ["a", "a", "b"], "s": ["x", "y", "x"]})
        >>> disclosure_protection(r, r, key_columns=["k"], sensitive_columns=["s"]).mean_cap
        0.6666666666666666
    """
    if method not in ("cap", "zero_cap"):
        raise InvalidArgumentError(f"method must be 'cap' or 'zero_cap', got {method!r}")
    re, sy = as_frame(real, "real"), as_frame(synthetic, "synthetic")
    cols = list(key_columns) + list(sensitive_columns)
    if not key_columns or not sensitive_columns:
        raise InvalidArgumentError("give at least one key column and one sensitive column")
    missing = [c for c in cols if c not in re.columns or c not in sy.columns]
    if missing:
        raise SchemaError(f"columns {missing} are missing from the real or synthetic data")
    re, sy = re.select(cols), sy.select(cols)
    if bins is not None:
        exprs = []
        for c in cols:
            if re.schema[c].is_numeric() and re.schema[c] != pl.Boolean:
                both = pl.concat([re.get_column(c), sy.get_column(c)], how="vertical_relaxed")
                lo, hi = float(both.min()), float(both.max())  # type: ignore[arg-type]
                width = (hi - lo) / bins if hi > lo else 1.0
                exprs.append(((pl.col(c) - lo) / width).floor().clip(0, bins - 1).cast(pl.Int64))
            else:
                exprs.append(pl.col(c).cast(pl.String))
        re, sy = re.select(exprs), sy.select(exprs)
    else:
        re = re.with_columns(pl.all().cast(pl.String))
        sy = sy.with_columns(pl.all().cast(pl.String))
    keys, sens = list(key_columns), list(sensitive_columns)
    key_counts = sy.group_by(keys).len().rename({"len": "n_key"})
    pair_counts = sy.group_by(keys + sens).len().rename({"len": "n_pair"})
    joined = (
        re.join(key_counts, on=keys, how="left", nulls_equal=True)
        .join(pair_counts, on=keys + sens, how="left", nulls_equal=True)
        .with_columns(pl.col("n_pair").fill_null(0))
    )
    n_key = joined.get_column("n_key").to_numpy()
    matched = ~np.isnan(n_key.astype(np.float64))
    cap = np.where(
        matched, joined.get_column("n_pair").to_numpy() / np.where(matched, n_key, 1), 0.0
    )
    if method == "cap":
        if not matched.any():
            raise InvalidArgumentError(
                "no real row's key appears in the synthetic data: CAP is undefined"
            )
        mean_cap = float(cap[matched].mean())
    else:
        mean_cap = float(cap.mean())
    n_values = re.select(sens).unique().height
    baseline = 1 - 1 / n_values if n_values > 1 else 1.0
    protection = 1 - mean_cap
    return DisclosureResult(
        mean_cap=mean_cap,
        cap_protection=protection,
        baseline_protection=baseline,
        score=min(protection / baseline, 1.0) if baseline > 0 else 1.0,
        n_rows=re.height,
        n_rows_matched=int(matched.sum()),
        method=method,
    )
