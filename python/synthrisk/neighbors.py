"""Exact nearest neighbours between a query table and a reference table.

The direction is always explicit: for DCR of synthetic records, ``query`` is the synthetic table
and ``reference`` the real training data. The reference set is never subsampled, and the search
is exact: every path of the engine (SIMD scan, k-d tree, deduplicated rows) returns the same
answer. See ``docs/neighbors.md`` for the rule that picks a path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from synthrisk import _native
from synthrisk.data.domain import Domain
from synthrisk.data.encode import DistanceBlock, check_weights, encode_for_distance
from synthrisk.errors import (
    DtypeError,
    EmptyDataError,
    InvalidArgumentError,
    SchemaError,
    ShapeError,
)

METRICS = ("mixed", "l1", "l2", "hamming")
ALGORITHMS = ("auto", "brute", "tree")

_EMPTY_F = np.zeros((0, 0), np.float32)


def _as_block(data: Any, domain: Domain | None, what: str) -> DistanceBlock:
    if isinstance(data, DistanceBlock):
        return data
    if domain is None:
        raise InvalidArgumentError(
            f"{what} is a table: pass domain= so that its columns can be encoded with public "
            "ranges and categories (or pass numpy arrays with metric='l1', 'l2' or 'hamming')"
        )
    return encode_for_distance(data, domain, what=what)


def _array_block(data: np.ndarray, metric: str, what: str) -> DistanceBlock:
    """A numpy array as a block: floats for L1/L2, non-negative integer codes for Hamming."""
    if data.ndim != 2:
        raise ShapeError(f"{what} must be a 2-d array (rows × columns), got shape {data.shape}")
    names = tuple(f"x{j}" for j in range(data.shape[1]))
    n = data.shape[0]
    if metric in ("l1", "l2"):
        if not (np.issubdtype(data.dtype, np.floating) or np.issubdtype(data.dtype, np.integer)):
            raise DtypeError(f"{what} must hold numbers for metric={metric!r}, got {data.dtype}")
        return DistanceBlock(
            data.astype(np.float32, copy=False), np.zeros((n, 0), np.uint32), names, ()
        )
    if metric == "hamming":
        if not (np.issubdtype(data.dtype, np.integer) or data.dtype == np.bool_):
            raise DtypeError(
                f"{what} must hold integer codes for metric='hamming', got {data.dtype}"
            )
        if data.size and (data.min() < 0 or data.max() > np.iinfo(np.uint32).max):
            raise InvalidArgumentError(f"{what} codes must lie in [0, 2**32 - 1]")
        return DistanceBlock(np.zeros((n, 0), np.float32), data.astype(np.uint32), (), names)
    raise InvalidArgumentError(
        "metric='mixed' needs tables with a domain= (or DistanceBlocks), not plain arrays: "
        "the Domain gives the public ranges and categories"
    )


def _block(data: Any, metric: str, domain: Domain | None, what: str) -> DistanceBlock:
    if isinstance(data, np.ndarray) and not isinstance(data, DistanceBlock):
        return _array_block(data, metric, what)
    b = _as_block(data, domain, what)
    if metric in ("l1", "l2") and b.codes.shape[1]:
        raise SchemaError(
            f"metric={metric!r} works on numeric columns only, but {what} has categorical columns "
            f"{list(b.categorical_columns)}: use metric='mixed' or drop them from the domain"
        )
    if metric == "hamming" and b.numeric.shape[1]:
        raise SchemaError(
            f"metric='hamming' works on categorical columns only, but {what} has numeric columns "
            f"{list(b.numeric_columns)}: use metric='mixed' or drop them from the domain"
        )
    return b


def knn(
    query: Any,
    reference: Any,
    *,
    k: int = 1,
    metric: str = "mixed",
    domain: Domain | None = None,
    weights: Sequence[float] | None = None,
    exclude_self: bool = False,
    n_jobs: int | None = None,
    algorithm: str = "auto",
    dedup: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """:func:`neighbors`, also returning the plan the engine chose (path, SIMD level, groups)."""
    if metric not in METRICS:
        raise InvalidArgumentError(f"metric must be one of {METRICS}, got {metric!r}")
    if algorithm not in ALGORITHMS:
        raise InvalidArgumentError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InvalidArgumentError(f"k must be a positive integer, got {k!r}")
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs < 1
    ):
        raise InvalidArgumentError(f"n_jobs must be a positive integer or None, got {n_jobs!r}")
    if dedup not in (None, True, False):
        raise InvalidArgumentError(f"dedup must be None, True or False, got {dedup!r}")
    q = _block(query, metric, domain, "query")
    r = _block(reference, metric, domain, "reference")
    if q.columns != r.columns or q.numeric.shape[1] != r.numeric.shape[1]:
        raise SchemaError(
            f"query columns {list(q.columns)} differ from reference columns {list(r.columns)}: "
            "encode both with the same Domain"
        )
    for b, what in ((q, "query"), (r, "reference")):
        if b.n_rows == 0:
            raise EmptyDataError(f"{what} has no rows: pass at least one row")
    if exclude_self and q.n_rows != r.n_rows:
        raise InvalidArgumentError(
            f"exclude_self=True needs query and reference to be the same rows, but they have "
            f"{q.n_rows} and {r.n_rows} rows"
        )
    available = r.n_rows - int(bool(exclude_self))
    if k > available:
        raise InvalidArgumentError(
            f"k={k} but the reference has only {available} candidate rows"
            f"{' besides the query row itself' if exclude_self else ''}: choose k ≤ {available}"
        )
    n_num = q.numeric.shape[1]
    if metric == "mixed":
        w = check_weights(weights, len(q.columns))
    elif weights is not None:
        raise InvalidArgumentError(f"weights apply to metric='mixed' only, not {metric!r}")
    else:
        w = np.ones(len(q.columns))
    distances, indices, plan = _native.knn_py(
        np.ascontiguousarray(q.numeric, dtype=np.float32),
        np.ascontiguousarray(q.codes, dtype=np.uint32),
        np.ascontiguousarray(r.numeric, dtype=np.float32),
        np.ascontiguousarray(r.codes, dtype=np.uint32),
        metric,
        np.ascontiguousarray(w[:n_num], dtype=np.float64),
        np.ascontiguousarray(w[n_num:], dtype=np.float64),
        int(k),
        bool(exclude_self),
        None if n_jobs is None else int(n_jobs),
        algorithm,
        dedup,
    )
    return distances, indices.astype(np.int64), plan


def neighbors(
    query: Any,
    reference: Any,
    *,
    k: int = 1,
    metric: str = "mixed",
    domain: Domain | None = None,
    weights: Sequence[float] | None = None,
    exclude_self: bool = False,
    n_jobs: int | None = None,
    algorithm: str = "auto",
    dedup: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest reference records of every query record, exactly.

    Args:
        query, reference: tables (polars/pandas/arrow, encoded through ``domain``),
            :class:`~synthrisk.data.DistanceBlock` objects, or 2-d numpy arrays (floats for
            ``"l1"``/``"l2"``, integer codes for ``"hamming"``; stored as float32 / uint32).
        k: how many neighbours per query record.
        metric: ``"mixed"``: the weighted mean over columns of ``min(|Δ|/range, 1)`` for numeric
            columns and a 0/1 mismatch for categorical ones; both missing 0, one missing 1.
            ``"l1"``, ``"l2"`` (Euclidean): numeric columns, no missing values. ``"hamming"``:
            the share of categorical columns that differ.
        domain: the public Domain giving ranges and categories (tables only).
        weights: per-column weights of ``"mixed"``, numeric columns first, then categorical.
        exclude_self: query and reference are the same rows; skip each record's own row
            (leave-one-out distances). Duplicates of a record are still found, at distance 0.
        n_jobs: threads to use (default: all cores, or ``RAYON_NUM_THREADS``).
        algorithm: ``"auto"`` (documented rule), ``"brute"`` or ``"tree"``; all give the same
            answer.
        dedup: search identical rows once (``None``: when it pays).

    Returns:
        ``(distances, indices)``, float64 and int64 arrays of shape (n_query, k), sorted by
        distance with ties broken by the lower reference index. Distances are computed in
        float32 in one fixed order, so an exact copy is at distance exactly 0.

    Raises:
        SchemaError, ShapeError: the two sides have different columns.
        EmptyDataError, InvalidArgumentError: no rows, k too large, NaN under L1/L2, bad options.

    Example:
        >>> import polars as pl
        >>> from synthrisk import Domain
        >>> spec = {"x": {"kind": "continuous", "lower": 0, "upper": 10}}
        >>> d = Domain.from_dict({"columns": spec})
        >>> q, r = pl.DataFrame({"x": [4.0]}), pl.DataFrame({"x": [0.0, 5.0]})
        >>> dist, idx = neighbors(q, r, domain=d)
        >>> dist.round(6).tolist(), idx.tolist()
        ([[0.1]], [[1]])
        >>> import numpy as np
        >>> x, y = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [1.0, 1.0]])
        >>> neighbors(x, y, metric="l2", k=2)
        (array([[1.41421356, 5.        ]]), array([[1, 0]]))
    """
    distances, indices, _ = knn(
        query,
        reference,
        k=k,
        metric=metric,
        domain=domain,
        weights=weights,
        exclude_self=exclude_self,
        n_jobs=n_jobs,
        algorithm=algorithm,
        dedup=dedup,
    )
    return distances, indices
