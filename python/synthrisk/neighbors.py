"""Exact nearest neighbours between a query table and a reference table.

The direction is always explicit: for DCR of synthetic records, ``query`` is the synthetic table
and ``reference`` the real training data. The reference set is never subsampled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from synthrisk import _native
from synthrisk.data.domain import Domain
from synthrisk.data.encode import DistanceBlock, check_weights, encode_for_distance
from synthrisk.errors import InvalidArgumentError, SchemaError


def _as_block(data: Any, domain: Domain | None, what: str) -> DistanceBlock:
    if isinstance(data, DistanceBlock):
        return data
    if domain is None:
        raise InvalidArgumentError(
            f"{what} is a table: pass domain= so that its columns can be encoded with public "
            "ranges and categories"
        )
    return encode_for_distance(data, domain, what=what)


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
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest reference records of every query record, exactly.

    Args:
        query, reference: tables (polars/pandas/arrow, encoded through ``domain``) or
            :class:`~synthrisk.data.DistanceBlock` objects.
        k: how many neighbours per query record.
        metric: ``"mixed"``: the weighted mean over columns of ``min(|Δ|/range, 1)`` for numeric
            columns and a 0/1 mismatch for categorical ones; both missing 0, one missing 1.
        domain: the public Domain giving ranges and categories.
        weights: per-column weights, in the order numeric columns then categorical columns.
        exclude_self: query and reference are the same rows; skip each record's own row
            (leave-one-out distances).
        n_jobs: threads to use (default: all cores, or ``RAYON_NUM_THREADS``).

    Returns:
        ``(distances, indices)``, each of shape (n_query, k), sorted by distance with ties broken
        by the lower reference index.

    Example:
        >>> import polars as pl
        >>> from synthrisk import Domain
        >>> d = Domain.from_dict({"columns": {"x": {"kind": "continuous", "lower": 0, "upper": 10}}})
        >>> dist, idx = neighbors(pl.DataFrame({"x": [4.0]}), pl.DataFrame({"x": [0.0, 5.0]}), domain=d)
        >>> dist.tolist(), idx.tolist()
        ([[0.1]], [[1]])
    """
    if metric != "mixed":
        raise InvalidArgumentError(f"metric must be 'mixed', got {metric!r}")
    if not isinstance(k, int | np.integer) or k < 1:
        raise InvalidArgumentError(f"k must be a positive integer, got {k!r}")
    q = _as_block(query, domain, "query")
    r = _as_block(reference, domain, "reference")
    if q.columns != r.columns:
        raise SchemaError(
            f"query columns {list(q.columns)} differ from reference columns {list(r.columns)}"
        )
    w = check_weights(weights, len(q.columns))
    n_num = len(q.numeric_columns)
    distances, indices = _native.knn_mixed_py(
        np.ascontiguousarray(q.numeric, dtype=np.float32),
        np.ascontiguousarray(q.codes, dtype=np.uint32),
        np.ascontiguousarray(r.numeric, dtype=np.float32),
        np.ascontiguousarray(r.codes, dtype=np.uint32),
        np.ascontiguousarray(w[:n_num]),
        np.ascontiguousarray(w[n_num:]),
        int(k),
        exclude_self,
        n_jobs,
    )
    return distances, indices.astype(np.int64)
