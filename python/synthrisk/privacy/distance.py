"""Distance-based privacy risk: distance to closest record (DCR) and its relatives.

Direction is explicit everywhere: DCR of synthetic records is query = synthetic, reference = real
training data. Numeric ranges come from the public Domain and are the same for every distance of
one evaluation. The reference set is never subsampled; queries may be (``max_queries``), and the
result says so. Every measure follows ``FORMULAS.md``:

========================  =====================================================================
:func:`dcr`               DCR synthetic→train and →holdout, holdout share (ties ½), identical
                          matches, SDMetrics' overfitting-protection score
:func:`median_dcr_ratio`  median DCR(s; T) / median DCR(t; T without t)
:func:`nndr`              d₁/d₂, named by direction (``"synthetic→train"``, ``"train→synthetic"``)
:func:`identifiability`   ε-identifiability (Yoon et al.) with entropy weights
:func:`nnaa`              nearest-neighbour adversarial accuracy (Yale et al.), privacy loss
:func:`authenticity`      share of synthetic records that are not closer to their real
                          neighbour than that neighbour's own real neighbour (Alaa et al.)
:func:`hitting_rate`      share of training records matched within range/30 (numeric) and
                          exactly (categorical)
:func:`exposed_records`   training records with an unusually close synthetic record, ranked
:func:`distance_risks`    all of the above, sharing every neighbour search
========================  =====================================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from synthrisk.data.domain import Domain
from synthrisk.data.encode import DistanceBlock, check_weights, encode_for_distance
from synthrisk.errors import InvalidArgumentError, SchemaError
from synthrisk.neighbors import neighbors
from synthrisk.stats import Estimate, mean_interval, median_interval, quantiles, wilson_interval

# --- shared plumbing ----------------------------------------------------------------------------


def _encode(data: Any, domain: Domain | None, what: str) -> DistanceBlock:
    if isinstance(data, DistanceBlock):
        return data
    if domain is None:
        raise InvalidArgumentError(f"{what} is a table: pass domain= to encode it")
    return encode_for_distance(data, domain, what=what, out_of_bounds="clip")


def _rows(block: DistanceBlock, rows: np.ndarray | None) -> DistanceBlock:
    if rows is None:
        return block
    return DistanceBlock(
        block.numeric[rows], block.codes[rows], block.numeric_columns, block.categorical_columns
    )


def _query_rows(n: int, max_queries: int | None, rng: np.random.Generator) -> np.ndarray | None:
    """Sorted rows of a subsample of ``max_queries`` query rows, or None for all of them."""
    if max_queries is None:
        return None
    if isinstance(max_queries, bool) or not isinstance(max_queries, int) or max_queries < 1:
        raise InvalidArgumentError(f"max_queries must be a positive integer, got {max_queries}")
    if n <= max_queries:
        return None
    return np.sort(rng.choice(n, max_queries, replace=False))


def _subsample(block: DistanceBlock, max_queries: int | None, seed: int | None) -> DistanceBlock:
    return _rows(block, _query_rows(block.n_rows, max_queries, np.random.default_rng(seed)))


def _same_columns(*blocks: DistanceBlock) -> None:
    first = blocks[0]
    for b in blocks[1:]:
        if b.columns != first.columns:
            raise SchemaError(
                f"columns {list(b.columns)} differ from {list(first.columns)}: encode every "
                "table with the same Domain"
            )


class _Searcher:
    """Neighbour searches of one evaluation: same weights and threads for every call."""

    def __init__(self, weights: Sequence[float] | None, n_jobs: int | None) -> None:
        self.weights = weights
        self.n_jobs = n_jobs

    def knn(self, q: DistanceBlock, r: DistanceBlock, k: int) -> tuple[np.ndarray, np.ndarray]:
        return neighbors(q, r, k=k, weights=self.weights, n_jobs=self.n_jobs)

    def loo(
        self, block: DistanceBlock, rows: np.ndarray | None, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """k nearest other rows of ``block[rows]`` within ``block`` (leave-one-out)."""
        if rows is None:
            return neighbors(
                block, block, k=k, weights=self.weights, exclude_self=True, n_jobs=self.n_jobs
            )
        d, i = neighbors(
            _rows(block, rows), block, k=k + 1, weights=self.weights, n_jobs=self.n_jobs
        )
        # Drop each query's own row if it is among its k+1 nearest, else the (k+1)-th.
        own = i == rows[:, None]
        keep = ~own
        keep[~own.any(axis=1), k] = False
        return d[keep].reshape(-1, k), i[keep].reshape(-1, k)


def _ratio(num: np.ndarray, den: np.ndarray, zero_over_zero: float) -> np.ndarray:
    """num/den with x/0 = inf (x > 0) and 0/0 = ``zero_over_zero``."""
    out = np.full(num.shape, np.inf)
    pos = den > 0
    out[pos] = num[pos] / den[pos]
    out[(den == 0) & (num == 0)] = zero_over_zero
    return out


def _share(flags: np.ndarray, confidence: float = 0.95) -> Estimate:
    return wilson_interval(int(np.sum(flags)), int(flags.size), confidence)


# --- DCR ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DCRResult:
    """DCR of synthetic records to the training and holdout sets, and the derived shares.

    Attributes:
        dcr_train, dcr_holdout: per synthetic record (query), distance to the closest training /
            holdout record.
        closer_to_train: the holdout share: mean of 1[DCR(s;T) < DCR(s;H)] + ½·1[equal]. With no
            leakage it is near ``ideal_closer_to_train = |T| / (|T| + |H|)``.
        identical_match_share: share of synthetic records at distance exactly 0 from a training
            record (exact copies); ``identical_match_share_holdout`` the same against holdout.
        overfitting_protection: SDMetrics' DCROverfittingProtection, min(2(1 − p), 1) with
            p = mean 1[DCR(s;T) < DCR(s;H)] (ties count 0), meant for |T| = |H|.
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
    overfitting_protection: float = float("nan")

    @property
    def subsampled(self) -> bool:
        return self.n_queries_used < self.n_queries_total

    @property
    def holdout_share(self) -> Estimate:
        """The FORMULAS.md name of :attr:`closer_to_train`."""
        return self.closer_to_train

    def to_dict(self) -> dict[str, Any]:
        return {
            "closer_to_train": self.closer_to_train.to_dict(),
            "ideal_closer_to_train": self.ideal_closer_to_train,
            "identical_match_share": self.identical_match_share.to_dict(),
            "identical_match_share_holdout": self.identical_match_share_holdout.to_dict(),
            "median_dcr_train": self.median_dcr_train.to_dict(),
            "median_dcr_holdout": self.median_dcr_holdout.to_dict(),
            "overfitting_protection": self.overfitting_protection,
            "dcr_train_quantiles": quantiles(self.dcr_train),
            "dcr_holdout_quantiles": quantiles(self.dcr_holdout),
            "n_queries_used": self.n_queries_used,
            "n_queries_total": self.n_queries_total,
            "queries_subsampled": self.subsampled,
            "n_train": self.n_train,
            "n_holdout": self.n_holdout,
        }


def _dcr_result(
    d_train: np.ndarray, d_holdout: np.ndarray, n_total: int, n_train: int, n_holdout: int
) -> DCRResult:
    closer = np.where(d_train < d_holdout, 1.0, np.where(d_train == d_holdout, 0.5, 0.0))
    p_strict = float(np.mean(d_train < d_holdout))
    return DCRResult(
        dcr_train=d_train,
        dcr_holdout=d_holdout,
        closer_to_train=mean_interval(closer),
        ideal_closer_to_train=n_train / (n_train + n_holdout),
        identical_match_share=_share(d_train == 0),
        identical_match_share_holdout=_share(d_holdout == 0),
        median_dcr_train=median_interval(d_train),
        median_dcr_holdout=median_interval(d_holdout),
        n_queries_used=len(d_train),
        n_queries_total=n_total,
        n_train=n_train,
        n_holdout=n_holdout,
        overfitting_protection=min(2 * (1 - p_strict), 1.0),
    )


def dcr(
    synthetic: Any,
    train: Any,
    holdout: Any,
    *,
    domain: Domain | None = None,
    weights: Sequence[float] | None = None,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> DCRResult:
    """Distance to closest record of synthetic rows against train and holdout.

    Tables are encoded through ``domain`` (out-of-bounds values clipped); DistanceBlocks are used
    as they are. ``max_queries`` subsamples synthetic rows (never the references).

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
    _same_columns(s_all, t, h)
    s = _subsample(s_all, max_queries, seed)
    search = _Searcher(weights, n_jobs)
    d_train = search.knn(s, t, 1)[0][:, 0]
    d_holdout = search.knn(s, h, 1)[0][:, 0]
    return _dcr_result(d_train, d_holdout, s_all.n_rows, t.n_rows, h.n_rows)


# --- median DCR ratio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MedianDCRRatio:
    """median DCR(s; T) / median DCR(t; T without t).

    Near 1 or above: synthetic records are as far from the training data as training records are
    from each other; well below 1: synthetic records sit closer to training records than those
    do to each other (copying). The interval combines the two medians' distribution-free
    intervals at level 1 − (1 − c)/2 each (Bonferroni), so it covers with probability ≥ c.
    """

    ratio: Estimate
    median_dcr_synthetic: float
    median_dcr_train_loo: float
    dcr_synthetic: np.ndarray
    dcr_train_loo: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "ratio": self.ratio.to_dict(),
            "median_dcr_synthetic_to_train": self.median_dcr_synthetic,
            "median_dcr_train_to_train_loo": self.median_dcr_train_loo,
        }


def _median_ratio(d_s: np.ndarray, d_t: np.ndarray, confidence: float = 0.95) -> MedianDCRRatio:
    level = 1 - (1 - confidence) / 2
    ms, mt = median_interval(d_s, level), median_interval(d_t, level)

    def div(a: float, b: float) -> float:
        return a / b if b > 0 else (math.inf if a > 0 else math.nan)

    est = Estimate(div(ms.value, mt.value), div(ms.low, mt.high), div(ms.high, mt.low), confidence)
    return MedianDCRRatio(est, ms.value, mt.value, d_s, d_t)


def median_dcr_ratio(
    synthetic: Any,
    train: Any,
    *,
    domain: Domain | None = None,
    weights: Sequence[float] | None = None,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> MedianDCRRatio:
    """median DCR(synthetic → train) over median leave-one-out DCR(train → train).

    Example:
        >>> import numpy as np, polars as pl
        >>> from synthrisk import Domain
        >>> d = Domain.from_dict({"columns": {"x": {"kind": "continuous", "lower": 0, "upper": 1}}})
        >>> t = pl.DataFrame({"x": [0.0, 0.2, 0.4, 0.6]})
        >>> r = median_dcr_ratio(pl.DataFrame({"x": [0.1, 0.3]}), t, domain=d)
        >>> round(r.ratio.value, 3)
        0.5
    """
    s = _encode(synthetic, domain, "synthetic")
    t = _encode(train, domain, "train")
    _same_columns(s, t)
    rng = np.random.default_rng(seed)
    search = _Searcher(weights, n_jobs)
    d_s = search.knn(_rows(s, _query_rows(s.n_rows, max_queries, rng)), t, 1)[0][:, 0]
    d_t = search.loo(t, _query_rows(t.n_rows, max_queries, rng), 1)[0][:, 0]
    return _median_ratio(d_s, d_t)


# --- NNDR ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NNDRResult:
    """Nearest-neighbour distance ratio d₁/d₂ of each query record against a reference set.

    ``direction`` names the quantity: ``"synthetic→train"`` (MIDST toolkit) or
    ``"train→synthetic"`` (SynthEval). d₂ = 0 gives ratio 1 when d₁ = 0 too (two identical
    nearest records single nothing out). Low values: a query record has one distinctly nearest
    neighbour.
    """

    direction: str
    values: np.ndarray
    mean: Estimate
    median: Estimate

    @property
    def name(self) -> str:
        return f"nndr {self.direction}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "mean": self.mean.to_dict(),
            "median": self.median.to_dict(),
            "quantiles": quantiles(self.values),
        }


def _nndr_result(direction: str, d: np.ndarray) -> NNDRResult:
    v = _ratio(d[:, 0], d[:, 1], 1.0)
    return NNDRResult(direction, v, mean_interval(v), median_interval(v))


_DIRECTIONS = {
    "synthetic→train": "synthetic→train",
    "synthetic->train": "synthetic→train",
    "train→synthetic": "train→synthetic",
    "train->synthetic": "train→synthetic",
}


def nndr(
    synthetic: Any,
    train: Any,
    *,
    direction: str,
    domain: Domain | None = None,
    weights: Sequence[float] | None = None,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> NNDRResult:
    """NNDR d₁/d₂ in the named ``direction``: ``"synthetic→train"`` or ``"train→synthetic"``.

    Example:
        >>> import polars as pl
        >>> from synthrisk import Domain
        >>> d = Domain.from_dict({"columns": {"x": {"kind": "continuous", "lower": 0, "upper": 1}}})
        >>> r = nndr(pl.DataFrame({"x": [0.1]}), pl.DataFrame({"x": [0.0, 0.3]}), domain=d,
        ...          direction="synthetic→train")
        >>> r.name, round(float(r.values[0]), 3)
        ('nndr synthetic→train', 0.5)
    """
    if direction not in _DIRECTIONS:
        raise InvalidArgumentError(
            f"direction must be 'synthetic→train' or 'train→synthetic', got {direction!r}"
        )
    direction = _DIRECTIONS[direction]
    s = _encode(synthetic, domain, "synthetic")
    t = _encode(train, domain, "train")
    _same_columns(s, t)
    q, r = (s, t) if direction == "synthetic→train" else (t, s)
    if r.n_rows < 2:
        raise InvalidArgumentError(f"NNDR needs at least 2 reference rows, got {r.n_rows}")
    d, _ = _Searcher(weights, n_jobs).knn(_subsample(q, max_queries, seed), r, 2)
    return _nndr_result(direction, d)


# --- ε-identifiability --------------------------------------------------------------------------


def entropy_weights(block: DistanceBlock, *, bins: int = 20) -> np.ndarray:
    """w_j = 1/H(X_j), the inverse Shannon entropy (nats) of each column of ``block``.

    Numeric columns are binned into ``bins`` equal-width bins over their public range (the block
    is already scaled to it); missing values are one more value. Constant columns (H = 0) get
    weight 0: they separate no records. Order: numeric columns, then categorical.
    """

    def inv_entropy(values: np.ndarray) -> float:
        _, counts = np.unique(values, return_counts=True)
        p = counts / counts.sum()
        h = float(-(p * np.log(p)).sum())
        return 1.0 / h if h > 1e-12 else 0.0

    w = []
    for j in range(block.numeric.shape[1]):
        x = block.numeric[:, j].astype(np.float64)
        b = np.where(np.isnan(x), -1, np.clip(np.floor(x * bins), 0, bins - 1))
        w.append(inv_entropy(b))
    for j in range(block.codes.shape[1]):
        w.append(inv_entropy(block.codes[:, j]))
    out = np.asarray(w)
    if not out.any():
        raise InvalidArgumentError("every column is constant: ε-identifiability is undefined")
    return out


@dataclass(frozen=True)
class IdentifiabilityResult:
    """ε-identifiability (Yoon et al.): the share of training records closer to some synthetic
    record than to any other training record, under entropy-weighted distances.

    ``r`` is each training record's leave-one-out distance within train, ``r_hat`` its distance
    to the synthetic set; ε = mean 1[r̂ < r].
    """

    epsilon: Estimate
    r: np.ndarray
    r_hat: np.ndarray
    weights: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon.to_dict(), "weights": self.weights.tolist()}


def identifiability(
    synthetic: Any,
    train: Any,
    *,
    domain: Domain | None = None,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> IdentifiabilityResult:
    """ε-identifiability with entropy weights computed on ``train`` (FORMULAS.md)."""
    s = _encode(synthetic, domain, "synthetic")
    t = _encode(train, domain, "train")
    _same_columns(s, t)
    return _identifiability(
        s, t, _query_rows(t.n_rows, max_queries, np.random.default_rng(seed)), n_jobs
    )


def _identifiability(
    s: DistanceBlock, t: DistanceBlock, rows: np.ndarray | None, n_jobs: int | None
) -> IdentifiabilityResult:
    w = entropy_weights(t)
    search = _Searcher(w, n_jobs)
    r = search.loo(t, rows, 1)[0][:, 0]
    r_hat = search.knn(_rows(t, rows), s, 1)[0][:, 0]
    return IdentifiabilityResult(_share(r_hat < r), r, r_hat, w)


# --- NNAA ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NNAAResult:
    """Nearest-neighbour adversarial accuracy (Yale et al.).

    NNAA(R, S) = ½[mean over r of 1[d_RS(r) > d_RR(r)] + mean over s of 1[d_SR(s) > d_SS(s)]],
    self excluded in d_RR and d_SS. ``nnaa_train`` uses R = train, ``nnaa_holdout`` R = holdout;
    ``privacy_loss`` = NNAA(holdout, S) − NNAA(train, S) (> 0: the generator is closer to its
    training data than to fresh data). Intervals: normal approximations, the two halves and the
    two sets taken as independent.
    """

    nnaa_train: Estimate
    nnaa_holdout: Estimate | None
    privacy_loss: Estimate | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "nnaa_train": self.nnaa_train.to_dict(),
            "nnaa_holdout": None if self.nnaa_holdout is None else self.nnaa_holdout.to_dict(),
            "privacy_loss": None if self.privacy_loss is None else self.privacy_loss.to_dict(),
        }


def _nnaa_parts(
    d_rs: np.ndarray, d_rr: np.ndarray, d_sr: np.ndarray, d_ss: np.ndarray
) -> tuple[float, float]:
    """NNAA and its variance."""
    a = (d_rs > d_rr).astype(float)
    b = (d_sr > d_ss).astype(float)
    value = 0.5 * (a.mean() + b.mean())
    var = 0.25 * (a.var(ddof=1) / a.size if a.size > 1 else 0.0) + 0.25 * (
        b.var(ddof=1) / b.size if b.size > 1 else 0.0
    )
    return float(value), float(var)


def _normal(value: float, var: float, confidence: float = 0.95) -> Estimate:
    from statistics import NormalDist

    half = NormalDist().inv_cdf((1 + confidence) / 2) * math.sqrt(max(var, 0.0))
    return Estimate(value, value - half, value + half, confidence)


def nnaa(
    synthetic: Any,
    train: Any,
    holdout: Any | None = None,
    *,
    domain: Domain | None = None,
    weights: Sequence[float] | None = None,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> NNAAResult:
    """NNAA of synthetic against train (and holdout, with the privacy loss, if given)."""
    s = _encode(synthetic, domain, "synthetic")
    t = _encode(train, domain, "train")
    h = None if holdout is None else _encode(holdout, domain, "holdout")
    _same_columns(*(b for b in (s, t, h) if b is not None))
    rng = np.random.default_rng(seed)
    search = _Searcher(weights, n_jobs)
    s_rows = _query_rows(s.n_rows, max_queries, rng)
    d_ss = search.loo(s, s_rows, 1)[0][:, 0]

    def one(r: DistanceBlock) -> tuple[float, float]:
        rows = _query_rows(r.n_rows, max_queries, rng)
        d_rs = search.knn(_rows(r, rows), s, 1)[0][:, 0]
        d_rr = search.loo(r, rows, 1)[0][:, 0]
        d_sr = search.knn(_rows(s, s_rows), r, 1)[0][:, 0]
        return _nnaa_parts(d_rs, d_rr, d_sr, d_ss)

    vt, var_t = one(t)
    if h is None:
        return NNAAResult(_normal(vt, var_t), None, None)
    vh, var_h = one(h)
    return NNAAResult(_normal(vt, var_t), _normal(vh, var_h), _normal(vh - vt, var_t + var_h))


# --- authenticity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthenticityResult:
    """Authenticity (Alaa et al.): the share of synthetic records s whose nearest training record
    r* is closer to its own nearest training neighbour than to s (so s is not a copy of r*).

    ``authentic`` holds the per-record flags; ``nearest_train`` the index of r* for each s.
    """

    authenticity: Estimate
    authentic: np.ndarray
    nearest_train: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {"authenticity": self.authenticity.to_dict()}


def _authenticity(d_st: np.ndarray, i_st: np.ndarray, d_tt_all: np.ndarray) -> AuthenticityResult:
    flags = d_tt_all[i_st] < d_st
    return AuthenticityResult(_share(flags), flags, i_st)


def authenticity(
    synthetic: Any,
    train: Any,
    *,
    domain: Domain | None = None,
    weights: Sequence[float] | None = None,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> AuthenticityResult:
    """Authenticity of synthetic records against ``train`` (needs every training record's
    leave-one-out distance, so ``max_queries`` subsamples the synthetic side only)."""
    s = _encode(synthetic, domain, "synthetic")
    t = _encode(train, domain, "train")
    _same_columns(s, t)
    search = _Searcher(weights, n_jobs)
    d, i = search.knn(_subsample(s, max_queries, seed), t, 1)
    d_tt = search.loo(t, None, 1)[0][:, 0]
    return _authenticity(d[:, 0], i[:, 0], d_tt)


# --- hitting rate -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HittingRateResult:
    """Share of training records with a synthetic record within range/``1/tolerance`` on every
    numeric column (scaled |Δ| ≤ ``tolerance``, 1/30 by default) and equal on every categorical
    column; missing matches missing only."""

    hitting_rate: Estimate
    hit: np.ndarray
    tolerance: float

    def to_dict(self) -> dict[str, Any]:
        return {"hitting_rate": self.hitting_rate.to_dict(), "tolerance": self.tolerance}


def _bisect(
    arr: np.ndarray, lo: np.ndarray, hi: np.ndarray, target: np.ndarray, right: bool
) -> np.ndarray:
    """Vectorised bisection: for each i, the insertion point of target[i] in the sorted slice
    arr[lo[i]:hi[i]] (after equal values if ``right``)."""
    lo, hi = lo.copy(), hi.copy()
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        v = arr[np.minimum(mid, len(arr) - 1)]
        go = active & ((v <= target) if right else (v < target))
        lo = np.where(go, mid + 1, lo)
        hi = np.where(active & ~go, mid, hi)


def _hits(t: DistanceBlock, s: DistanceBlock, tol: float) -> np.ndarray:
    """For each row of ``t``: is there a row of ``s`` inside its box? Exact, vectorised."""
    big = np.float64(1e30)  # missing matches only missing
    tn = np.where(np.isnan(t.numeric), big, t.numeric).astype(np.float64)
    sn = np.where(np.isnan(s.numeric), big, s.numeric).astype(np.float64)
    # Group rows by their categorical codes (t rows whose codes no s row has cannot hit).
    if s.codes.shape[1]:
        keys, s_group = np.unique(s.codes, axis=0, return_inverse=True)
        s_group = s_group.ravel()
        both, t_inv = np.unique(np.vstack([keys, t.codes]), axis=0, return_inverse=True)
        t_inv = t_inv.ravel()
        # Map t's code rows to s's group ids through the joint unique table.
        joint_to_s = np.full(len(both), -1)
        joint_to_s[t_inv[: len(keys)]] = np.arange(len(keys))
        t_group = joint_to_s[t_inv[len(keys) :]]
    else:
        s_group = np.zeros(s.n_rows, np.int64)
        t_group = np.zeros(t.n_rows, np.int64)
    if tn.shape[1] == 0:
        return t_group >= 0
    # Sort synthetic rows by (group, first numeric column); find each group's slice.
    order = np.lexsort((sn[:, 0], s_group))
    g_s, x_s = s_group[order], sn[order]
    n_groups = int(s_group.max()) + 1
    starts = np.searchsorted(g_s, np.arange(n_groups), side="left")
    ends = np.searchsorted(g_s, np.arange(n_groups), side="right")
    hit = np.zeros(t.n_rows, bool)
    idx = np.flatnonzero(t_group >= 0)
    g = t_group[idx]
    x0 = tn[idx, 0]
    lo = _bisect(x_s[:, 0], starts[g], ends[g], x0 - tol, right=False)
    hi = _bisect(x_s[:, 0], starts[g], ends[g], x0 + tol, right=True)
    # Walk each window until a candidate matches on every numeric column (vectorised over t).
    cand = lo
    while idx.size:
        live = cand < hi
        idx, cand, hi = idx[live], cand[live], hi[live]
        if not idx.size:
            break
        ok = np.all(np.abs(x_s[cand] - tn[idx]) <= tol, axis=1)
        hit[idx[ok]] = True
        idx, cand, hi = idx[~ok], cand[~ok] + 1, hi[~ok]
    return hit


def hitting_rate(
    synthetic: Any,
    train: Any,
    *,
    domain: Domain | None = None,
    tolerance: float = 1 / 30,
) -> HittingRateResult:
    """Hitting rate (FORMULAS.md): share of training records matched by some synthetic record.

    Example:
        >>> import polars as pl
        >>> from synthrisk import Domain
        >>> spec = {"x": {"kind": "continuous", "lower": 0, "upper": 30}}
        >>> d = Domain.from_dict({"columns": spec})
        >>> s, t = pl.DataFrame({"x": [10.5]}), pl.DataFrame({"x": [10.0, 12.0]})
        >>> r = hitting_rate(s, t, domain=d)
        >>> r.hit.tolist()
        [True, False]
    """
    if not 0 <= tolerance < 1:
        raise InvalidArgumentError(f"tolerance must lie in [0, 1), got {tolerance}")
    s = _encode(synthetic, domain, "synthetic")
    t = _encode(train, domain, "train")
    _same_columns(s, t)
    hit = _hits(t, s, tolerance)
    return HittingRateResult(_share(hit), hit, tolerance)


# --- exposed records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExposureResult:
    """Training records with a synthetic record unusually close, ranked (most exposed first).

    For a training record t: ``dcr_to_synthetic`` = d(t, S), ``loo_distance`` = its distance to
    the nearest other training record, and ``closeness`` = d(t, S) / loo_distance (0/0 = 1: a
    record with an exact twin in train is not singled out by a synthetic copy). Low closeness
    means a synthetic record sits nearer to t than any other real record does. Holdout records
    give the null distribution of the same ratio (d(h, S) / d(h, T)); t is ``flagged`` when its
    closeness is below the ``alpha`` quantile of the holdout ratios (without holdout: below
    ``alpha`` itself, i.e. the synthetic record is ≥ 1/alpha times closer). About alpha·|T|
    records are flagged by chance.

    ``table`` (polars): train_index, rank, closeness, dcr_to_synthetic, loo_distance,
    nearest_synthetic, flagged — sorted by closeness, then dcr_to_synthetic, then index.
    """

    table: pl.DataFrame
    threshold: float
    alpha: float
    n_flagged: int
    expected_by_chance: float
    holdout_ratios: np.ndarray | None = field(default=None, repr=False)

    def top(self, n: int = 20) -> pl.DataFrame:
        return self.table.head(n)

    def to_dict(self, *, top: int = 20) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "alpha": self.alpha,
            "n_flagged": self.n_flagged,
            "expected_by_chance": self.expected_by_chance,
            "top": self.table.head(top).to_dicts(),
        }


def _exposure(
    d_ts: np.ndarray,
    i_ts: np.ndarray,
    d_tt: np.ndarray,
    rows: np.ndarray | None,
    holdout_ratio: np.ndarray | None,
    alpha: float,
) -> ExposureResult:
    closeness = _ratio(d_ts, d_tt, 1.0)
    index = np.arange(len(d_ts)) if rows is None else rows
    if holdout_ratio is not None and holdout_ratio.size:
        threshold = float(np.quantile(holdout_ratio, alpha, method="lower"))
    else:
        threshold = alpha
    flagged = closeness < threshold
    order = np.lexsort((index, d_ts, closeness))
    table = pl.DataFrame(
        {
            "train_index": index[order].astype(np.int64),
            "rank": np.arange(1, len(order) + 1, dtype=np.int64),
            "closeness": closeness[order],
            "dcr_to_synthetic": d_ts[order],
            "loo_distance": d_tt[order],
            "nearest_synthetic": i_ts[order].astype(np.int64),
            "flagged": flagged[order],
        }
    )
    return ExposureResult(
        table, threshold, alpha, int(flagged.sum()), alpha * len(d_ts), holdout_ratio
    )


def exposed_records(
    synthetic: Any,
    train: Any,
    holdout: Any | None = None,
    *,
    domain: Domain | None = None,
    weights: Sequence[float] | None = None,
    alpha: float = 0.01,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> ExposureResult:
    """Ranks training records by how unusually close a synthetic record is (see
    :class:`ExposureResult`); ``max_queries`` subsamples the training records ranked."""
    if not 0 < alpha < 1:
        raise InvalidArgumentError(f"alpha must lie in (0, 1), got {alpha}")
    s = _encode(synthetic, domain, "synthetic")
    t = _encode(train, domain, "train")
    h = None if holdout is None else _encode(holdout, domain, "holdout")
    _same_columns(*(b for b in (s, t, h) if b is not None))
    rng = np.random.default_rng(seed)
    search = _Searcher(weights, n_jobs)
    rows = _query_rows(t.n_rows, max_queries, rng)
    d_ts, i_ts = search.knn(_rows(t, rows), s, 1)
    d_tt = search.loo(t, rows, 1)[0][:, 0]
    null = None
    if h is not None:
        hs = _rows(h, _query_rows(h.n_rows, max_queries, rng))
        null = _ratio(search.knn(hs, s, 1)[0][:, 0], search.knn(hs, t, 1)[0][:, 0], 1.0)
    return _exposure(d_ts[:, 0], i_ts[:, 0], d_tt, rows, null, alpha)


# --- everything at once -------------------------------------------------------------------------


@dataclass(frozen=True)
class DistanceRisks:
    """Every distance-based measure of one synthetic table, from shared neighbour searches."""

    dcr: DCRResult
    median_dcr_ratio: MedianDCRRatio
    nndr_synthetic_to_train: NNDRResult
    nndr_train_to_synthetic: NNDRResult
    identifiability: IdentifiabilityResult
    nnaa: NNAAResult
    authenticity: AuthenticityResult
    hitting_rate: HittingRateResult
    exposure: ExposureResult

    def to_dict(self) -> dict[str, Any]:
        return {
            "dcr": self.dcr.to_dict(),
            "median_dcr_ratio": self.median_dcr_ratio.to_dict(),
            "nndr_synthetic_to_train": self.nndr_synthetic_to_train.to_dict(),
            "nndr_train_to_synthetic": self.nndr_train_to_synthetic.to_dict(),
            "identifiability": self.identifiability.to_dict(),
            "nnaa": self.nnaa.to_dict(),
            "authenticity": self.authenticity.to_dict(),
            "hitting_rate": self.hitting_rate.to_dict(),
            "exposure": self.exposure.to_dict(),
        }


def distance_risks(
    synthetic: Any,
    train: Any,
    holdout: Any,
    *,
    domain: Domain | None = None,
    weights: Sequence[float] | None = None,
    alpha: float = 0.01,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
) -> DistanceRisks:
    """All distance-based risks of ``synthetic`` against ``train`` and ``holdout``.

    Each neighbour search runs once and feeds every measure that needs it. ``max_queries``
    subsamples each query side (synthetic, train, holdout) to at most that many rows, with one
    seeded generator; references are always complete. Authenticity needs the leave-one-out
    distance of every training record and computes it in full.
    """
    s = _encode(synthetic, domain, "synthetic")
    t = _encode(train, domain, "train")
    h = _encode(holdout, domain, "holdout")
    _same_columns(s, t, h)
    if weights is not None:
        check_weights(weights, len(s.columns))
    for b, what in ((s, "synthetic"), (t, "train"), (h, "holdout")):
        if b.n_rows < 2:
            raise InvalidArgumentError(f"{what} needs at least 2 rows, got {b.n_rows}")
    if not 0 < alpha < 1:
        raise InvalidArgumentError(f"alpha must lie in (0, 1), got {alpha}")
    rng = np.random.default_rng(seed)
    sr = _query_rows(s.n_rows, max_queries, rng)
    tr = _query_rows(t.n_rows, max_queries, rng)
    hr = _query_rows(h.n_rows, max_queries, rng)
    sq, tq, hq = _rows(s, sr), _rows(t, tr), _rows(h, hr)
    search = _Searcher(weights, n_jobs)

    d_st, i_st = search.knn(sq, t, 2)  # DCR, NNDR s→t, authenticity, NNAA
    d_sh = search.knn(sq, h, 1)[0][:, 0]  # DCR holdout, NNAA(H)
    d_ts, i_ts = search.knn(tq, s, 2)  # NNDR t→s, NNAA, exposure
    d_tt_all = search.loo(t, None, 1)[0][:, 0]  # every training record: authenticity
    d_tt = d_tt_all if tr is None else d_tt_all[tr]
    d_ss = search.loo(s, sr, 1)[0][:, 0]
    d_hs = search.knn(hq, s, 1)[0][:, 0]
    d_hh = search.loo(h, hr, 1)[0][:, 0]
    d_ht = search.knn(hq, t, 1)[0][:, 0]

    hits = _hits(tq, s, 1 / 30)
    dcr_result = _dcr_result(d_st[:, 0], d_sh, s.n_rows, t.n_rows, h.n_rows)
    vt, var_t = _nnaa_parts(d_ts[:, 0], d_tt, d_st[:, 0], d_ss)
    vh, var_h = _nnaa_parts(d_hs, d_hh, d_sh, d_ss)
    nnaa_result = NNAAResult(
        _normal(vt, var_t), _normal(vh, var_h), _normal(vh - vt, var_t + var_h)
    )
    return DistanceRisks(
        dcr=dcr_result,
        median_dcr_ratio=_median_ratio(d_st[:, 0], d_tt),
        nndr_synthetic_to_train=_nndr_result("synthetic→train", d_st),
        nndr_train_to_synthetic=_nndr_result("train→synthetic", d_ts),
        identifiability=_identifiability(s, t, tr, n_jobs),
        nnaa=nnaa_result,
        authenticity=_authenticity(d_st[:, 0], i_st[:, 0], d_tt_all),
        hitting_rate=HittingRateResult(_share(hits), hits, 1 / 30),
        exposure=_exposure(d_ts[:, 0], i_ts[:, 0], d_tt, tr, _ratio(d_hs, d_ht, 1.0), alpha),
    )
