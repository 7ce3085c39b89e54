"""Encoders from a validated frame to the numeric blocks the Rust core works on.

Two encodings, both driven only by the public Domain:

* :func:`encode_for_distance` → :class:`DistanceBlock`: numeric columns scaled by their public range
  (float32, NaN = missing) and categorical columns as codes into the sorted public categories
  (uint32, ``MISSING_CODE`` = missing). This is what every distance and neighbour search uses.
* :class:`Discretizer` → integer codes with bins from the public bounds, for marginal generators,
  and back again to values (sampled uniformly inside their bin).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from synthrisk.data.domain import Column, Domain, Kind
from synthrisk.errors import InvalidArgumentError

#: The code of a missing categorical value in a DistanceBlock (the Rust core's MISSING_CODE).
MISSING_CODE = np.iinfo(np.uint32).max


@dataclass(frozen=True)
class DistanceBlock:
    """A table encoded for distances: scaled numerics and categorical codes.

    ``numeric[:, j] = (x - lower_j) / range_j`` so the mixed distance's numeric term is
    ``min(|Δ|, 1)``; ``codes[:, j]`` indexes the column's sorted public categories.
    """

    numeric: np.ndarray
    codes: np.ndarray
    numeric_columns: tuple[str, ...]
    categorical_columns: tuple[str, ...]

    @property
    def n_rows(self) -> int:
        return int(self.numeric.shape[0])

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric_columns + self.categorical_columns


def _numeric_values(s: pl.Series, col: Column) -> pl.Series:
    if col.kind is Kind.DATETIME:
        return s.dt.epoch("s").cast(pl.Float64) / 86400.0
    return s.cast(pl.Float64)


def category_codes(s: pl.Series, col: Column) -> np.ndarray:
    """Codes of a validated categorical/boolean column into its sorted public categories."""
    lookup = {value: code for code, value in enumerate(col.categories)}
    codes = s.replace_strict(lookup, default=None, return_dtype=pl.UInt32)
    return codes.fill_null(int(MISSING_CODE)).to_numpy().astype(np.uint32, copy=False)


def encode_for_distance(
    data: Any, domain: Domain, *, validate: bool = True, what: str = "data", **validate_kwargs: Any
) -> DistanceBlock:
    """Encodes a frame for the mixed-type distance, using the Domain's public ranges.

    Example:
        >>> import polars as pl
        >>> d = Domain.from_dict({"columns": {
        ...     "x": {"kind": "continuous", "lower": 0, "upper": 10},
        ...     "c": {"kind": "categorical", "categories": ["a", "b"]}}})
        >>> b = encode_for_distance(pl.DataFrame({"x": [5.0], "c": ["b"]}), d)
        >>> b.numeric.tolist(), b.codes.tolist()
        ([[0.5]], [[1]])
    """
    df = domain.validate(data, what=what, **validate_kwargs) if validate else data
    numeric_cols = [c for c in domain.columns if c.kind.is_numeric]
    cat_cols = [c for c in domain.columns if c.is_categorical]
    n = df.height
    numeric = np.empty((n, len(numeric_cols)), dtype=np.float32)
    for j, col in enumerate(numeric_cols):
        assert col.lower is not None
        values = _numeric_values(df.get_column(col.name), col)
        scaled = ((values - col.lower) / col.range).to_numpy()  # nulls become NaN
        numeric[:, j] = scaled
    codes = np.empty((n, len(cat_cols)), dtype=np.uint32)
    for j, col in enumerate(cat_cols):
        codes[:, j] = category_codes(df.get_column(col.name), col)
    return DistanceBlock(
        numeric=numeric,
        codes=codes,
        numeric_columns=tuple(c.name for c in numeric_cols),
        categorical_columns=tuple(c.name for c in cat_cols),
    )


@dataclass(frozen=True)
class ColumnBins:
    """How one column maps to integer codes ``0..size-1`` (the last one is null if nullable)."""

    column: Column
    edges: tuple[float, ...]  # numeric kinds: bin edges over the public bounds
    integral: bool  # bins hold whole numbers (integer kind, or datetime from a Date column)

    @property
    def n_values(self) -> int:
        if self.column.kind.is_numeric:
            return len(self.edges) - 1
        return len(self.column.categories)

    @property
    def size(self) -> int:
        return self.n_values + int(self.column.nullable)

    @property
    def null_code(self) -> int | None:
        return self.n_values if self.column.nullable else None


def _column_bins(col: Column, bins: int, edges: Sequence[float] | None = None) -> ColumnBins:
    if not col.kind.is_numeric:
        return ColumnBins(col, (), False)
    assert col.lower is not None and col.upper is not None
    integral = col.kind in (Kind.INTEGER, Kind.DATETIME)
    if edges is not None:
        return ColumnBins(col, _check_edges(col, edges, integral), integral)
    if integral and col.upper - col.lower + 1 <= bins:
        # One bin per whole value: [v, v+1) for v in lower..upper.
        edges = tuple(float(v) for v in range(int(col.lower), int(col.upper) + 2))
    elif integral:
        cuts = np.unique(np.floor(np.linspace(col.lower, col.upper + 1, bins + 1)))
        edges = tuple(float(v) for v in cuts)
    else:
        edges = tuple(float(v) for v in np.linspace(col.lower, col.upper, bins + 1))
    return ColumnBins(col, edges, integral)


def _check_edges(col: Column, edges: Sequence[float], integral: bool) -> tuple[float, ...]:
    """Validates public (or DP) cut points: increasing, from ``lower`` to ``upper`` (``upper + 1``
    for whole-number columns, whose bins are ``[v, v + 1)``)."""
    e = tuple(float(v) for v in edges)
    top = float(col.upper) + 1.0 if integral else float(col.upper)  # type: ignore[arg-type]
    ok = (
        len(e) >= 2
        and all(b > a for a, b in itertools.pairwise(e))
        and e[0] == col.lower
        and e[-1] == top
        and (not integral or all(v == np.floor(v) for v in e))
    )
    if not ok:
        raise InvalidArgumentError(
            f"column {col.name!r}: edges must increase from lower={col.lower} to {top}"
            + (" in whole numbers" if integral else "")
            + f", got {list(e)[:6]}{'...' if len(e) > 6 else ''}"
        )
    return e


class Discretizer:
    """Maps a validated frame to integer codes and back, using only public domain information.

    Numeric columns get ``bins`` equal-width bins over their public bounds (integer columns with
    at most ``bins`` values get one bin per value); categorical columns get their public codes;
    nullable columns get one extra code for missing values. ``edges`` gives cut points for some
    numeric columns instead (public ones, or DP quantiles from :mod:`synthrisk.data.preprocess`).

    Example:
        >>> import polars as pl
        >>> d = Domain.from_dict({"columns": {"x": {"kind": "continuous", "lower": 0, "upper": 1}}})
        >>> Discretizer(d, bins=4).encode(pl.DataFrame({"x": [0.1, 0.99]})).tolist()
        [[0], [3]]
    """

    def __init__(
        self,
        domain: Domain,
        *,
        bins: int = 32,
        edges: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        if not isinstance(bins, int) or bins < 1:
            raise InvalidArgumentError(f"bins must be a positive integer, got {bins!r}")
        edges = dict(edges or {})
        unknown = [n for n in edges if n not in domain or not domain[n].kind.is_numeric]
        if unknown:
            raise InvalidArgumentError(f"edges given for {unknown}, which are not numeric columns")
        self.domain = domain
        self.bins = bins
        self.edges = edges
        self.columns: tuple[ColumnBins, ...] = tuple(
            _column_bins(c, bins, edges.get(c.name)) for c in domain
        )

    @property
    def sizes(self) -> tuple[int, ...]:
        """The number of codes of each column."""
        return tuple(b.size for b in self.columns)

    def encode(self, df: pl.DataFrame) -> np.ndarray:
        """Codes of a validated frame, shape (rows, columns), dtype int64."""
        out = np.empty((df.height, len(self.columns)), dtype=np.int64)
        for j, b in enumerate(self.columns):
            s = df.get_column(b.column.name)
            if b.column.kind.is_numeric:
                values = _numeric_values(s, b.column).to_numpy()
                codes = np.searchsorted(np.asarray(b.edges), values, side="right") - 1
                codes = np.clip(codes, 0, b.n_values - 1)  # the upper bound is inside the last bin
                missing = np.isnan(values)
            else:
                raw = category_codes(s, b.column)
                missing = raw == MISSING_CODE
                codes = raw.astype(np.int64)
            if missing.any():
                assert b.null_code is not None, f"{b.column.name}: validate before encoding"
                codes = np.where(missing, b.null_code, codes)
            out[:, j] = codes
        return out

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
        """Values for codes: categories as they are, numerics uniform inside their bin."""
        series = [self._decode_column(b, codes[:, j], rng) for j, b in enumerate(self.columns)]
        return pl.DataFrame(series)

    def _decode_column(
        self, b: ColumnBins, codes: np.ndarray, rng: np.random.Generator
    ) -> pl.Series:
        col = b.column
        is_null = codes == b.null_code if b.null_code is not None else np.zeros(len(codes), bool)
        safe = np.where(is_null, 0, codes)
        if col.kind.is_numeric:
            edges = np.asarray(b.edges)
            lo, hi = edges[safe], edges[safe + 1]
            if b.integral:
                values = np.floor(lo + rng.random(len(codes)) * (hi - lo))
                values = np.minimum(values, hi - 1)
            else:
                values = lo + rng.random(len(codes)) * (hi - lo)
            values = np.clip(values, col.lower, col.upper)
            s = pl.Series(col.name, values, dtype=pl.Float64)
            s = s.scatter(np.flatnonzero(is_null), None) if is_null.any() else s
            if col.kind is Kind.INTEGER:
                return s.cast(pl.Int64)
            if col.kind is Kind.DATETIME:
                return s.cast(pl.Int32).cast(pl.Date)  # bins hold whole days
            return s
        values_list: list[Any] = [col.categories[c] for c in safe]
        dtype = (
            pl.Boolean
            if col.kind is Kind.BOOLEAN
            else (pl.Int64 if isinstance(col.categories[0], int) else pl.String)
        )
        s = pl.Series(col.name, values_list, dtype=dtype)
        return s.scatter(np.flatnonzero(is_null), None) if is_null.any() else s


def check_weights(weights: Sequence[float] | None, n: int) -> np.ndarray:
    """Per-column weights for the mixed distance (default: all 1)."""
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise InvalidArgumentError(
            f"weights must be {n} finite non-negative numbers with a positive sum"
        )
    return w
