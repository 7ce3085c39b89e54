"""Turning the tables of an attack into the encodings the kernels use.

An attack sees up to three tables: the synthetic data, an optional reference population (real
records known not to be members) and the records to score. :class:`TableEncoder` fixes, once per
``fit``, which columns are used, the public (or, if none is given, inferred) Domain that codes
categories, how numeric columns are scaled, and the numeric matrix used by densities and
classifiers (scaled numerics with missing values filled by the synthetic median plus a missing
flag, and one-hot categoricals).

Numeric scaling (``scale``):

* ``"range"``: ``(x − lower)/range`` with the Domain's public bounds, the convention of every
  distance measure of DESIGN.md (DCR and its relatives).
* ``"quantile"`` (the attacks' default): the empirical CDF of the column over the synthetic and
  reference data the attack was fitted on, so that every column spreads evenly over [0, 1]
  whatever its tails; densities see its Gaussian quantile ``Φ⁻¹(u)``. Tabular generators
  (TabDDPM, CTGAN, ...) model numerics after a similar transform, so their near-copies are near
  in this space; on the MIDST data it makes distance attacks markedly stronger. The attacker may
  choose any metric: this one uses no information beyond the attack's own inputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from synthrisk.data.domain import Column, Domain, Kind
from synthrisk.data.encode import (
    MISSING_CODE,
    DistanceBlock,
    _numeric_values,
    encode_for_distance,
)
from synthrisk.data.frames import to_polars
from synthrisk.errors import (
    DataDerivedDomainWarning,
    EmptyDataError,
    InvalidArgumentError,
    SchemaError,
)


def as_frame(data: Any, what: str) -> pl.DataFrame:
    """A polars frame from any supported table (or file path), with rows."""
    df = to_polars(data, what=what)
    if df.height == 0:
        raise EmptyDataError(f"{what} has no rows")
    return df


def drop_columns(df: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """``df`` without the given columns (those it lacks are ignored)."""
    present = [c for c in columns if c in df.columns]
    return df.drop(present) if present else df


def _cast_like(df: pl.DataFrame, domain: Domain) -> pl.DataFrame:
    """Columns in domain order, cast to what the encoder expects; no bounds or category checks."""
    out = []
    for col in domain.columns:
        s = df.get_column(col.name)
        if col.kind is Kind.DATETIME:
            if s.dtype != pl.Date and not isinstance(s.dtype, pl.Datetime):
                s = s.cast(pl.Float64, strict=False)
                s = pl.from_epoch((s * 86400.0).round().cast(pl.Int64), time_unit="s").alias(
                    col.name
                )
        elif col.kind.is_numeric:
            s = s.cast(pl.Float64, strict=False)
            s = s.fill_nan(None) if s.dtype.is_float() else s
        elif col.kind is Kind.BOOLEAN:
            s = s.cast(pl.Boolean, strict=False)
        elif isinstance(col.categories[0], int):
            s = s.cast(pl.Int64, strict=False)
        else:
            s = s.cast(pl.String, strict=False)
        out.append(s)
    return pl.DataFrame(out)


def infer_domain(frames: Sequence[pl.DataFrame], categorical: Sequence[str] = ()) -> Domain:
    """A Domain read from the attack's own inputs (the auditor's side: no privacy at stake).

    Columns named in ``categorical`` become categorical with their observed values (useful for
    integer codes); the others follow :meth:`Domain.infer`.
    """
    joined = pl.concat([f for f in frames], how="vertical_relaxed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDerivedDomainWarning)
        domain = Domain.infer(joined, max_categories=100_000)
    if not categorical:
        return domain
    columns = []
    for col in domain.columns:
        if col.name in categorical and col.kind is not Kind.CATEGORICAL:
            s = joined.get_column(col.name).drop_nulls()
            if s.dtype.is_float() and bool((s == s.floor()).all()):
                s = s.cast(pl.Int64)
            values = s.unique().to_list()
            if not all(isinstance(v, int) for v in values):
                values = sorted({str(v) for v in values})
            col = Column(
                col.name, Kind.CATEGORICAL, categories=tuple(values), nullable=col.nullable
            )
        columns.append(col)
    return Domain(tuple(columns), data_derived=True, description=domain.description)


class TableEncoder:
    """Column selection, Domain and numeric encodings, fixed on the synthetic data."""

    def __init__(
        self,
        domain: Domain | None = None,
        drop: Sequence[str] = (),
        categorical: Sequence[str] = (),
        scale: str = "quantile",
    ) -> None:
        if scale not in ("range", "quantile"):
            raise InvalidArgumentError(f"scale must be 'range' or 'quantile', got {scale!r}")
        self.domain = domain
        self.drop = tuple(drop)
        self.categorical = tuple(categorical)
        self.scale = scale

    def fit(self, synthetic: pl.DataFrame, *others: pl.DataFrame | None) -> TableEncoder:
        synthetic = drop_columns(synthetic, self.drop)
        self.columns_ = tuple(synthetic.columns)
        rest = [self.select(o, "reference") for o in others if o is not None]
        if self.domain is None:
            self.domain_ = infer_domain([synthetic, *rest], self.categorical)
        else:
            missing = [c for c in self.columns_ if c not in self.domain]
            if missing:
                raise SchemaError(
                    f"the synthetic data has columns {missing} that the domain lacks; add them "
                    "to the domain or drop them (drop_columns=...)"
                )
            self.domain_ = self.domain.select(self.columns_)
        self.knots_: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if self.scale == "quantile":
            self._fit_knots([synthetic, *rest])
        block = self.block(synthetic)
        self._fit_matrix(block)
        return self

    def select(self, df: pl.DataFrame, what: str) -> pl.DataFrame:
        """The fitted columns of ``df``, in order; clear errors for missing or extra columns."""
        df = drop_columns(df, self.drop)
        missing = [c for c in self.columns_ if c not in df.columns]
        if missing:
            raise SchemaError(
                f"{what} lacks columns {missing} that the synthetic data has; add them or drop "
                f"them from the synthetic data (drop_columns={missing})"
            )
        extra = [c for c in df.columns if c not in self.columns_]
        if extra:
            raise SchemaError(
                f"{what} has columns {extra} that the synthetic data lacks (identifiers?); drop "
                f"them with drop_columns={extra} (CLI: --drop-columns {','.join(extra)})"
            )
        return df.select(self.columns_)

    def block(self, df: pl.DataFrame) -> DistanceBlock:
        """Mixed-distance encoding (range-scaled numerics, category codes)."""
        frame = _cast_like(df.select(self.domain_.names), self.domain_)
        block = encode_for_distance(frame, self.domain_, validate=False)
        numeric64 = self._numeric64(frame)
        if self.scale == "quantile":
            block = DistanceBlock(
                numeric64.astype(np.float32),
                block.codes,
                block.numeric_columns,
                block.categorical_columns,
            )
        # float64 copy of the scaled numerics for densities and classifiers (the distance kernels
        # use float32)
        object.__setattr__(block, "numeric64", numeric64)
        return block

    def _fit_knots(self, frames: Sequence[pl.DataFrame], n_knots: int = 2001) -> None:
        levels = np.linspace(0.0, 1.0, n_knots)
        for col in self.domain_.columns:
            if not col.kind.is_numeric:
                continue
            frame = pl.concat(
                [_cast_like(f.select(col.name), self.domain_.select([col.name])) for f in frames],
                how="vertical_relaxed",
            )
            values = _numeric_values(frame.get_column(col.name), col).drop_nulls().to_numpy()
            values = values[np.isfinite(values)]
            if values.size == 0:
                values = np.array([0.0])
            knots = np.quantile(values, levels)
            # tied knots (a value with a mass, e.g. many zeros) map to their mid level
            unique, inverse = np.unique(knots, return_inverse=True)
            mid = np.bincount(inverse, levels) / np.bincount(inverse)
            self.knots_[col.name] = (unique, mid)

    def _numeric64(self, frame: pl.DataFrame) -> np.ndarray:
        cols = [c for c in self.domain_.columns if c.kind.is_numeric]
        out = np.empty((frame.height, len(cols)), dtype=np.float64)
        for j, col in enumerate(cols):
            assert col.lower is not None
            values = _numeric_values(frame.get_column(col.name), col)
            if self.scale == "quantile":
                x = values.fill_null(float("nan")).to_numpy()
                knots, levels = self.knots_[col.name]
                u = np.interp(x, knots, levels) if knots.size > 1 else np.full(x.shape, 0.5)
                out[:, j] = np.where(np.isnan(x), np.nan, u)
            else:
                out[:, j] = ((values - col.lower) / col.range).fill_null(float("nan")).to_numpy()
        return out

    def _fit_matrix(self, block: DistanceBlock) -> None:
        num = getattr(block, "numeric64", block.numeric.astype(np.float64))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(num, axis=0) if num.size else np.zeros(num.shape[1])
        self.fill_ = np.where(np.isfinite(med), med, 0.5)
        self.flags_ = np.flatnonzero(np.isnan(num).any(axis=0))
        levels = []
        for j in range(block.codes.shape[1]):
            values, counts = np.unique(block.codes[:, j], return_counts=True)
            levels.append((values, values[np.argmax(counts)]))
        self.levels_ = levels

    def matrix(self, block: DistanceBlock, *, drop_first: bool = False) -> np.ndarray:
        """float64 matrix: scaled numerics (filled), missing flags, one-hot categoricals.

        With quantile scaling the numerics are Gaussianised (``Φ⁻¹`` of their CDF level).
        ``drop_first`` leaves out each categorical column's most frequent synthetic level, so
        that the one-hot columns are not linearly dependent (needed by a full covariance).
        """
        num = getattr(block, "numeric64", block.numeric.astype(np.float64))
        nan = np.isnan(num)
        filled = np.where(nan, self.fill_, num)
        if self.scale == "quantile":
            filled = _probit(np.clip(filled, 1e-4, 1 - 1e-4))
        parts = [filled, nan[:, self.flags_].astype(np.float64)]
        for j, (values, mode) in enumerate(self.levels_):
            keep = values[values != mode] if drop_first else values
            parts.append((block.codes[:, j][:, None] == keep[None, :]).astype(np.float64))
        return np.ascontiguousarray(np.concatenate(parts, axis=1))

    def matrix_names(self, *, drop_first: bool = False) -> list[str]:
        numeric_columns = [c.name for c in self.domain_.columns if c.kind.is_numeric]
        names = list(numeric_columns)
        names += [f"{numeric_columns[j]}_missing" for j in self.flags_]
        cat_columns = [c for c in self.domain_.columns if c.is_categorical]
        for col, (values, mode) in zip(cat_columns, self.levels_, strict=True):
            keep = values[values != mode] if drop_first else values
            names += [
                f"{col.name}={'<missing>' if v == MISSING_CODE else col.categories[v]}"
                for v in keep
            ]
        return names


def _probit(u: np.ndarray) -> np.ndarray:
    """Φ⁻¹(u) for u in (0, 1): scipy's ``ndtri`` when installed, else the standard library."""
    try:
        from scipy.special import ndtri
    except ImportError:
        from statistics import NormalDist

        inv = np.vectorize(NormalDist().inv_cdf, otypes=[np.float64])
        return inv(u.ravel()).reshape(u.shape)
    return np.asarray(ndtri(u), dtype=np.float64)


def row_hashes(df: pl.DataFrame) -> np.ndarray:
    """A hash per row of an already column-aligned frame (numerics compared as float64)."""
    cast = df.with_columns(
        [pl.col(c).cast(pl.Float64) for c, t in df.schema.items() if t.is_numeric()]
    )
    return cast.hash_rows(seed=0).to_numpy()
