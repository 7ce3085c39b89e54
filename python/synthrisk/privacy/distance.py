"""Distance-based privacy risk: distance to closest record (DCR) and its relatives.

Direction is explicit everywhere: DCR of synthetic records is query = synthetic, reference = real
training data. Numeric ranges come from the public Domain and are the same for every distance of
one evaluation. The reference set is never subsampled; queries may be, and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from synthrisk.data.domain import Domain
from synthrisk.data.encode import DistanceBlock, encode_for_distance
from synthrisk.errors import InvalidArgumentError
from synthrisk.neighbors import neighbors
from synthrisk.stats import Estimate, mean_interval, median_interval, quantiles, wilson_interval


@dataclass(frozen=True)
class DCRResult:
    """DCR of synthetic records to the training and holdout sets, and the derived shares.

    Attributes:
        dcr_train, dcr_holdout: per synthetic record (query), distance to the closest training /
            holdout record.
        closer_to_train: share of synthetic records closer to train than to holdout, ties ½.
            With no leakage it is near ``ideal_closer_to_train = |T| / (|T| + |H|)``.
        identical_match_share: share of synthetic records at distance exactly 0 from a training
            record (exact copies).
        n_queries_used / n_queries_total: queries are subsampled only if ``max_queries`` asked.
    """

    dcr_train: np.ndarray
    dcr_holdout: np.ndarray
    closer_to_train: Estimate
    ideal_closer_to_train: float
    identical_match_share: Estimate
    identical_match_share_holdout: Estimate
    median_dcr_train: Estimate
    median_dcr_holdout: Estimate
    n_queries_used: int
    n_queries_total: int
    n_train: int
    n_holdout: int

    @property
    def subsampled(self) -> bool:
        return self.n_queries_used < self.n_queries_total

    def to_dict(self) -> dict[str, Any]:
        return {
            "closer_to_train": self.closer_to_train.to_dict(),
            "ideal_closer_to_train": self.ideal_closer_to_train,
            "identical_match_share": self.identical_match_share.to_dict(),
            "identical_match_share_holdout": self.identical_match_share_holdout.to_dict(),
            "median_dcr_train": self.median_dcr_train.to_dict(),
            "median_dcr_holdout": self.median_dcr_holdout.to_dict(),
            "dcr_train_quantiles": quantiles(self.dcr_train),
            "dcr_holdout_quantiles": quantiles(self.dcr_holdout),
            "n_queries_used": self.n_queries_used,
            "n_queries_total": self.n_queries_total,
            "queries_subsampled": self.subsampled,
            "n_train": self.n_train,
            "n_holdout": self.n_holdout,
        }


def _encode(data: Any, domain: Domain, what: str) -> DistanceBlock:
    if isinstance(data, DistanceBlock):
        return data
    return encode_for_distance(data, domain, what=what, out_of_bounds="clip")


def _subsample(block: DistanceBlock, max_queries: int | None, seed: int | None) -> DistanceBlock:
    if max_queries is None or block.n_rows <= max_queries:
        return block
    if max_queries < 1:
        raise InvalidArgumentError(f"max_queries must be positive, got {max_queries}")
    rows = np.sort(np.random.default_rng(seed).choice(block.n_rows, max_queries, replace=False))
    return DistanceBlock(
        block.numeric[rows], block.codes[rows], block.numeric_columns, block.categorical_columns
    )


def dcr(
    synthetic: Any,
    train: Any,
    holdout: Any,
    *,
    domain: Domain,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> DCRResult:
    """Distance to closest record of synthetic rows against train and holdout.

    Example:
        >>> import polars as pl
        >>> from synthrisk import Domain
        >>> d = Domain.from_dict({"columns": {"x": {"kind": "continuous", "lower": 0, "upper": 1}}})
        >>> r = dcr(pl.DataFrame({"x": [0.1, 0.9]}), pl.DataFrame({"x": [0.1]}),
        ...         pl.DataFrame({"x": [0.8]}), domain=d)
        >>> r.closer_to_train.value, r.identical_match_share.value
        (0.5, 0.5)
    """
    s_all = _encode(synthetic, domain, "synthetic")
    t = _encode(train, domain, "train")
    h = _encode(holdout, domain, "holdout")
    s = _subsample(s_all, max_queries, seed)
    d_train = neighbors(s, t, k=1, n_jobs=n_jobs)[0][:, 0]
    d_holdout = neighbors(s, h, k=1, n_jobs=n_jobs)[0][:, 0]
    closer = np.where(d_train < d_holdout, 1.0, np.where(d_train == d_holdout, 0.5, 0.0))
    n = len(closer)
    return DCRResult(
        dcr_train=d_train,
        dcr_holdout=d_holdout,
        closer_to_train=mean_interval(closer),
        ideal_closer_to_train=t.n_rows / (t.n_rows + h.n_rows),
        identical_match_share=wilson_interval(int(np.sum(d_train == 0)), n),
        identical_match_share_holdout=wilson_interval(int(np.sum(d_holdout == 0)), n),
        median_dcr_train=median_interval(d_train),
        median_dcr_holdout=median_interval(d_holdout),
        n_queries_used=n,
        n_queries_total=s_all.n_rows,
        n_train=t.n_rows,
        n_holdout=h.n_rows,
    )
