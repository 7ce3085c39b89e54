"""DP preprocessing: a Domain read from the data *under the privacy budget*.

When a generator is given no public Domain, every fact it needs about the columns (bounds, bin
cut points, categories, whether values can be missing) must be paid for. :func:`private_domain`
does that with Gaussian noisy histograms, each recorded in the generator's ledger:

* numeric columns (integer, continuous, datetime as days since 1970-01-01): a histogram over
  fixed, data-independent logarithmic buckets (±[2ᵏ, 2ᵏ⁺¹) for k = −20…62 for continuous
  columns, 0…51 for integers (whole numbers stay exact in float64) and 0…18 for dates (days
  from 1970: years 535 to 3405, inside what a Domain can hold), plus one bucket around 0 and one
  for missing values; larger magnitudes fall in the outermost bucket). The bounds are the edges
  of the run of adjacent buckets whose noisy counts, less ``2σ`` each, add up to the most, so
  every bucket in it pays for itself; rarer extremes are clipped. (A per-bucket threshold such
  as 3σ lets one of the ~170 empty buckets through in one fit out of five and stretches the
  bounds to a random power of two.) With ``binning="quantile"`` a second histogram over a fine
  grid inside those bounds gives DP quantile cut points (and trims the bounds to the noisy
  support); with ``"uniform"`` the bins are equal-width over the bounds.
* categorical columns: noisy counts over a **public candidate list** (``categories={column:
  [...]}``, or the categories of a ``pl.Enum`` dtype) plus a bucket for everything else; kept
  are the candidates whose noisy count clears ``3σ``, and ``"<other>"`` for the rest. Without a
  candidate list the values themselves are released through a threshold (the Gaussian sparse
  histogram): every distinct value gets a noisy count, and only values whose count clears
  ``T`` are kept, ``T`` chosen so that a value held by a single record clears it with
  probability at most ``δᵢ``. That release costs its Gaussian ρ *and* ``δᵢ``, taken from the
  share of δ the ledger holds in reserve (``PrivacyLedger(delta_reserved=...)``; the generators
  set aside :data:`DISCOVERY_DELTA_SHARE` of δ when a column needs it). Rare values become
  ``"<other>"``; at most :data:`MAX_DISCOVERED` values are kept per column (fewer when the
  generator's tables would not fit otherwise: the cap is chosen before any spending).
* boolean columns: categories are public; one noisy histogram decides whether they can be
  missing. For every kind, missing values are a category of their own when their noisy count
  clears ``2σ``; records missing a value in a column found not nullable are dropped, one record
  at a time (which keeps the guarantee), as are values outside the bounds clipped.

Each histogram has L2 sensitivity 1 (one record changes one bucket by one) and gets exact
discrete Gaussian noise (:mod:`synthrisk.noise`), so it costs ``ρ = 1/(2σ²)``; the share of the
budget given is split evenly over the histograms.
Column names and dtypes are treated as public (they are the schema, not the data).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
import polars as pl

from synthrisk import _native
from synthrisk.accounting import LedgerEntry, PrivacyLedger, gaussian_rho, gaussian_sigma
from synthrisk.data.domain import OTHER, Column, Domain, Kind
from synthrisk.errors import InvalidArgumentError, PrivacyError
from synthrisk.noise import discrete_gaussian

__all__ = [
    "AccessLog",
    "DataAccess",
    "Magnitudes",
    "PrivateFrame",
    "discovered_columns",
    "key_threshold",
    "private_domain",
    "private_preparation",
    "project_to_simplex",
]

#: What each magnitude bucket in the DP bounds must pay, in noise standard deviations: an empty
#: bucket next to the data joins the bounds with probability 2.3%, a run of empty ones far from
#: it almost never (see :meth:`Magnitudes.bounds`).
RUN_COST_SIGMAS = 2.0
#: Noisy counts of candidate categories must exceed this many standard deviations (a spurious
#: category costs one code, so the per-bucket rule is enough here).
THRESHOLD_SIGMAS = 3.0
#: ... and this many to make a column nullable (a spurious null code costs little; records
#: missing a value their column cannot miss are dropped).
NULL_SIGMAS = 2.0
#: Share of δ the generators set aside for releasing the values of categorical columns that
#: have no public candidate list.
DISCOVERY_DELTA_SHARE = 0.1
#: Most values kept for a column without a candidate list (those with the largest noisy counts);
#: a public bound, so that memory can be checked before any budget is spent.
MAX_DISCOVERED = 1000


@dataclass(frozen=True)
class DataAccess:
    """One read of the private data: which mechanism(s) of the ledger cover it."""

    mechanism: str
    purpose: str
    entries: tuple[int, ...]
    tables: int


@dataclass
class AccessLog:
    """Every read of the private data during one ``fit``, in order (metadata only)."""

    accesses: list[DataAccess] = field(default_factory=list)

    def add(self, mechanism: str, purpose: str, entries: Sequence[int], tables: int) -> None:
        self.accesses.append(DataAccess(mechanism, purpose, tuple(entries), tables))


def count_tables(
    codes: np.ndarray,
    sizes: Sequence[int],
    cliques: Sequence[Sequence[int]],
    n_jobs: int | None = None,
) -> list[np.ndarray]:
    """Contingency tables of integer codes (the one raw read every mechanism goes through)."""
    arr = np.ascontiguousarray(codes, dtype=np.uint32)
    return list(
        _native.marginal_counts(
            arr, [int(s) for s in sizes], [list(c) for c in cliques], None, n_jobs
        )
    )


def project_to_simplex(counts: np.ndarray) -> np.ndarray:
    """The probability vector closest in L2 to ``counts / sum`` (non-negative, sums to 1).

    Noisy counts may be negative; the Euclidean projection onto the simplex keeps their shape
    better than clipping. Post-processing, so it costs no budget.
    """
    total = max(float(counts.sum()), 1.0)
    v = counts / total
    u = np.sort(v)[::-1]
    cumulative = np.cumsum(u) - 1.0
    idx = np.arange(1, len(u) + 1)
    rho = np.nonzero(u - cumulative / idx > 0)[0][-1]
    theta = cumulative[rho] / (rho + 1)
    return np.maximum(v - theta, 0.0)


class PrivateFrame:
    """Holds the raw training frame during DP preprocessing; the only way to read it.

    Every read is a Gaussian noisy histogram whose ledger entry is recorded *before* the data
    is touched, and is logged in :attr:`log`.
    """

    def __init__(
        self,
        df: pl.DataFrame,
        ledger: PrivacyLedger,
        rng: np.random.Generator,
        log: AccessLog | None = None,
    ) -> None:
        self._df = df
        self.ledger = ledger
        self.rng = rng
        self.log = log if log is not None else AccessLog()

    @property
    def schema(self) -> pl.Schema:
        """Column names and dtypes: public."""
        return self._df.schema

    def noisy_histogram(
        self,
        column: str,
        bucketize: Callable[[pl.Series], np.ndarray],
        n_buckets: int,
        sigma: float,
        purpose: str,
    ) -> np.ndarray:
        """Noisy counts of ``bucketize(column)`` (codes in ``0..n_buckets``) with discrete
        Gaussian noise of scale σ (exact sampler, :mod:`synthrisk.noise`)."""
        self._record("gaussian", purpose, sigma)
        return self._noisy_counts(bucketize(self._df.get_column(column)), n_buckets, sigma)

    def thresholded_keys(
        self, column: str, sigma: float, delta: float, limit: int, purpose: str
    ) -> tuple[list[str], float]:
        """The column's distinct values (as text) whose noisy count clears
        :func:`key_threshold` ``(σ, δ)``, at most ``limit`` of them (the largest noisy counts),
        and the noisy count of missing values. The ledger records it first: a discrete Gaussian
        of scale σ that may fail with probability ``delta``."""
        threshold = key_threshold(sigma, delta)
        self._record("gaussian_threshold", purpose, sigma, delta=delta, threshold=threshold)
        s = self._df.get_column(column)
        keys = s.drop_nulls().cast(pl.String).unique().sort().to_list()
        # Codes: the keys, an (empty) bucket for other values, missing values.
        noisy = self._noisy_counts(_category_buckets(keys)(s), len(keys) + 2, sigma)
        cleared = [i for i in range(len(keys)) if noisy[i] >= threshold]
        cleared = sorted(cleared, key=lambda i: -noisy[i])[:limit]
        return sorted(keys[i] for i in cleared), float(noisy[-1])

    def _record(
        self, mechanism: str, purpose: str, sigma: float, *, delta: float = 0.0, **extra: float
    ) -> None:
        """Records a discrete Gaussian of scale σ on a histogram (L2 sensitivity 1) in the
        ledger and the access log; every read comes after this."""
        parameters = {"sigma": float(sigma), "l2_sensitivity": 1.0, "discrete": 1.0}
        parameters |= {k: float(v) for k, v in extra.items()}
        entry = LedgerEntry(mechanism, purpose, parameters, gaussian_rho(sigma), delta=delta)
        self.ledger.record(entry)
        self.log.add(mechanism, purpose, [len(self.ledger.entries) - 1], 1)

    def _noisy_counts(self, codes: np.ndarray, n_buckets: int, sigma: float) -> np.ndarray:
        counts = count_tables(codes.reshape(-1, 1), [n_buckets], [[0]])[0]
        seed = int(self.rng.integers(0, 2**63 - 1))
        return counts + discrete_gaussian(sigma, n_buckets, seed=seed)


def upper_normal_quantile(p: float) -> float:
    """The smallest ``z ≥ 0`` with ``P(N(0, 1) ≥ z) ≤ p``: the lower-tail quantile (accurate
    for tiny ``p``, where ``1 − p`` would round away), nudged up until ``erfc`` confirms it.

    Example:
        >>> round(upper_normal_quantile(0.025), 4)
        1.96
    """
    if not 0 < p < 1:
        raise InvalidArgumentError(f"p must lie in (0, 1), got {p!r}")
    z = max(-NormalDist().inv_cdf(p), 0.0)
    while 0.5 * math.erfc(z / math.sqrt(2.0)) > p:
        z = math.nextafter(z, math.inf)
    return z


def key_threshold(sigma: float, delta: float) -> int:
    """The whole count ``T`` a noisy count must reach for a value to be released, so that a
    value held by one record is released with probability at most ``delta``.

    With discrete Gaussian noise ``Z`` of scale σ, ``P(1 + Z ≥ T) = P(Z ≥ T − 1)``, and for
    ``m ≥ 1`` the discrete tail ``P(Z ≥ m)`` is at most the continuous ``P(N(0, σ²) ≥ m − 1)``
    (the sum over ``k ≥ m`` is below the integral from ``m − 1``, and the normaliser is at least
    ``√(2π)σ``: Canonne, Kamath & Steinke 2020). So ``T = 2 + ⌈σ·z⌉`` with ``P(N(0,1) ≥ z) ≤ δ``.

    Example:
        >>> key_threshold(10.0, 1e-6)
        50
    """
    return 2 + math.ceil(sigma * upper_normal_quantile(delta))


# --- buckets --------------------------------------------------------------------------------


def _numeric(s: pl.Series) -> pl.Series:
    if s.dtype == pl.Date or isinstance(s.dtype, pl.Datetime):
        return s.dt.epoch("s").cast(pl.Float64) / 86400.0
    return s.cast(pl.Float64)


@dataclass(frozen=True)
class Magnitudes:
    """Fixed log-scale buckets for the DP bounds of one numeric kind (public, data-independent).

    Bucket 0 holds ``|x| < 2**lo_exp``, buckets ``1..n_mag`` the positive ``[2ᵏ, 2ᵏ⁺¹)`` for
    ``k = lo_exp..hi_exp``, the next ``n_mag`` the negative ones; larger magnitudes share the
    outermost buckets. Code ``n_buckets`` is for missing and non-finite values.

    Example:
        >>> m = Magnitudes.for_kind(Kind.INTEGER)
        >>> m.bucketize(pl.Series([0, 5, -5, None])).tolist(), m.span(3)
        ([0, 3, 55, 105], (4.0, 7.0))
    """

    lo_exp: int
    hi_exp: int
    integral: bool

    @staticmethod
    def for_kind(kind: Kind) -> Magnitudes:
        if kind is Kind.INTEGER:
            return Magnitudes(0, 51, True)  # bounds below 2**52: v + 1 is still exact
        if kind is Kind.DATETIME:
            return Magnitudes(0, 18, True)  # < 2**19 days from 1970: years 535 to 3405
        return Magnitudes(-20, 62, False)

    @property
    def n_mag(self) -> int:
        return self.hi_exp - self.lo_exp + 1

    @property
    def n_buckets(self) -> int:
        """Buckets of values (the missing-value bucket comes after them)."""
        return 1 + 2 * self.n_mag

    def bucketize(self, s: pl.Series) -> np.ndarray:
        x = _numeric(s).to_numpy()
        a = np.abs(x)
        missing = ~np.isfinite(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            safe = np.maximum(np.nan_to_num(a, nan=1.0, posinf=1.0), 2.0**self.lo_exp)
            k = np.floor(np.log2(safe))
        k = np.clip(k, self.lo_exp, self.hi_exp).astype(np.int64) - self.lo_exp
        out = np.where(a < 2.0**self.lo_exp, 0, np.where(x > 0, 1 + k, 1 + self.n_mag + k))
        return np.where(missing, self.n_buckets, out).astype(np.uint32)

    def span(self, b: int) -> tuple[float, float]:
        """The values of bucket ``b`` as a closed interval (whole numbers for integral kinds)."""
        small = 2.0**self.lo_exp
        if b == 0:
            return (0.0, 0.0) if self.integral else (-small, small)
        negative = b > self.n_mag
        k = (b - 1 - (self.n_mag if negative else 0)) + self.lo_exp
        lo, hi = 2.0**k, 2.0 ** (k + 1) - (1.0 if self.integral else 0.0)
        return (-hi, -lo) if negative else (lo, hi)

    def value_order(self) -> np.ndarray:
        """Bucket codes from the most negative values to the most positive."""
        negative = np.arange(2 * self.n_mag, self.n_mag, -1)
        return np.concatenate([negative, [0], np.arange(1, self.n_mag + 1)])

    def bounds(self, noisy: np.ndarray, sigma: float) -> tuple[float, float]:
        """DP bounds from the noisy counts of the value buckets (post-processing).

        The bounds span the run of adjacent buckets (in value order) with the largest total of
        ``noisy - RUN_COST_SIGMAS * σ``: each bucket must pay for itself, so the run covers the
        mass and its tails down to about 2σ a bucket, but rarely reaches into empty ones.
        """
        order = self.value_order()
        gain = noisy[order] - RUN_COST_SIGMAS * sigma
        best, best_run = -math.inf, (0, 0)
        total, start = 0.0, 0
        for i, g in enumerate(gain):  # Kadane's maximum-sum run
            if total <= 0:
                total, start = 0.0, i
            total += float(g)
            if total > best:
                best, best_run = total, (start, i)
        first, last = best_run
        spans = [self.span(int(b)) for b in order[first : last + 1]]
        return spans[0][0], spans[-1][1]


def _grid_buckets(lo: float, width: float, cells: int) -> Callable[[pl.Series], np.ndarray]:
    def bucketize(s: pl.Series) -> np.ndarray:
        x = _numeric(s).to_numpy()
        missing = ~np.isfinite(x)
        idx = np.floor((np.nan_to_num(x, nan=lo) - lo) / width)
        idx = np.clip(idx, 0, cells - 1).astype(np.int64)
        return np.where(missing, cells, idx).astype(np.uint32)

    return bucketize


def _category_buckets(candidates: Sequence[Any]) -> Callable[[pl.Series], np.ndarray]:
    lookup = {str(c): i for i, c in enumerate(candidates)}
    other, null = len(candidates), len(candidates) + 1

    def bucketize(s: pl.Series) -> np.ndarray:
        mapped = s.cast(pl.String).replace_strict(lookup, default=other, return_dtype=pl.UInt32)
        return mapped.fill_null(null).to_numpy().astype(np.uint32)

    return bucketize


# --- the domain -----------------------------------------------------------------------------


def _kind_of(dtype: pl.DataType) -> Kind:
    if dtype == pl.Boolean:
        return Kind.BOOLEAN
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return Kind.DATETIME
    if dtype.is_integer():
        return Kind.INTEGER
    if dtype.is_float():
        return Kind.CONTINUOUS
    return Kind.CATEGORICAL


def _plan(
    schema: pl.Schema, categories: Mapping[str, Sequence[Any]], binning: str
) -> dict[str, tuple[Kind, int, Sequence[Any] | None]]:
    """Per column: its kind, how many histograms it costs, and its public candidates."""
    plan: dict[str, tuple[Kind, int, Sequence[Any] | None]] = {}
    for name, dtype in schema.items():
        kind = _kind_of(dtype)
        if kind.is_numeric:
            plan[name] = (kind, 2 if binning == "quantile" else 1, None)
        elif kind is Kind.BOOLEAN:
            plan[name] = (kind, 1, None)
        else:
            cands = categories.get(name)
            if cands is None and isinstance(dtype, pl.Enum):
                cands = list(dtype.categories.to_list())
            plan[name] = (kind, 1, cands)
    return plan


def discovered_columns(
    schema: pl.Schema, categories: Mapping[str, Sequence[Any]] | None = None
) -> list[str]:
    """Categorical columns without a public candidate list: their values are released through
    a threshold, which needs δ in reserve (known from the schema alone)."""
    return _without_candidates(_plan(schema, dict(categories or {}), "uniform"))


def _without_candidates(plan: Mapping[str, tuple[Kind, int, Sequence[Any] | None]]) -> list[str]:
    return [n for n, (kind, _, cands) in plan.items() if kind is Kind.CATEGORICAL and cands is None]


def planned_sizes(
    schema: pl.Schema,
    *,
    bins: int,
    categories: Mapping[str, Sequence[Any]] | None = None,
    max_discovered: int = MAX_DISCOVERED,
) -> dict[str, int]:
    """An upper bound on every column's number of codes after :func:`private_domain`, known
    before any budget is spent (columns without candidates keep at most ``max_discovered``
    values)."""
    cats = dict(categories or {})
    out: dict[str, int] = {}
    for name, (kind, _, cands) in _plan(schema, cats, "quantile").items():
        if kind.is_numeric:
            out[name] = bins + 1
        elif kind is Kind.BOOLEAN:
            out[name] = 3
        elif cands is not None:
            out[name] = len(cands) + 2
        else:
            out[name] = max_discovered + 2
    return out


def private_domain(
    frame: PrivateFrame,
    *,
    rho: float,
    bins: int = 32,
    categories: Mapping[str, Sequence[Any]] | None = None,
    binning: str = "quantile",
    delta: float | None = None,
    max_discovered: int = MAX_DISCOVERED,
) -> tuple[Domain, dict[str, tuple[float, ...]]]:
    """A Domain and bin cut points for the frame's columns, spending at most ``rho`` (zCDP) and,
    for categorical columns without a candidate list, ``delta`` of the ledger's reserved δ.

    Returns the domain and, for numeric columns binned by DP quantiles, their cut points (for
    :class:`~synthrisk.data.Discretizer`'s ``edges``). ``delta`` (default: all the δ the
    ledger still holds in reserve) is split evenly over the columns whose values are released
    through a threshold; if there is none to spend, those columns are refused.

    Example:
        >>> import numpy as np, polars as pl
        >>> from synthrisk.accounting import PrivacyLedger
        >>> ledger = PrivacyLedger(epsilon=1.0, delta=1e-6, delta_reserved=1e-7)
        >>> df = pl.DataFrame({"age": np.arange(5000) % 90, "ward": ["A", "B"] * 2500})
        >>> frame = PrivateFrame(df, ledger, np.random.default_rng(0))
        >>> domain, edges = private_domain(frame, rho=ledger.rho_budget / 10, bins=8)
        >>> domain["age"].lower >= 0, domain["ward"].categories, len(ledger.entries)
        (True, ('<other>', 'A', 'B'), 3)
    """
    if binning not in ("quantile", "uniform"):
        raise InvalidArgumentError(f"binning must be 'quantile' or 'uniform', got {binning!r}")
    if not (math.isfinite(rho) and rho > 0):
        raise InvalidArgumentError(f"rho for preprocessing must be positive, got {rho!r}")
    cats = dict(categories or {})
    unknown = [n for n in cats if n not in frame.schema]
    if unknown:
        raise InvalidArgumentError(f"categories given for {unknown}, which the data lacks")
    plan = _plan(frame.schema, cats, binning)
    lacking = _without_candidates(plan)
    ledger = frame.ledger
    spare = ledger.delta_reserved - ledger.delta_spent
    delta = spare if delta is None else delta
    if lacking and not (0 < delta <= spare * (1 + 1e-12)):
        raise PrivacyError(
            f"columns {lacking} are categorical with no public candidate list: their values can "
            "only be released through a threshold, which needs δ in reserve (PrivacyLedger("
            f"delta_reserved=...); {spare:.3g} is left, {delta!r} was asked for). Or pass "
            "categories={column: [...]} or a public Domain"
        )
    n_hist = sum(cost for _, cost, _ in plan.values())
    sigma = gaussian_sigma(rho / n_hist) if n_hist else math.inf
    tau = THRESHOLD_SIGMAS * sigma
    tau_null = NULL_SIGMAS * sigma
    columns: list[Column] = []
    edges: dict[str, tuple[float, ...]] = {}
    for name, (kind, _, cands) in plan.items():
        if kind.is_numeric:
            col, cuts = _numeric_column(frame, name, kind, sigma, tau_null, bins, binning)
            columns.append(col)
            if cuts is not None:
                edges[name] = cuts
        elif kind is Kind.BOOLEAN:
            noisy = frame.noisy_histogram(
                name,
                _category_buckets([False, True]),
                4,
                sigma,
                f"DP missing-value check of {name!r}",
            )
            columns.append(Column(name, kind, nullable=bool(noisy[3] > tau_null)))
        elif cands is not None:
            noisy = frame.noisy_histogram(
                name,
                _category_buckets(cands),
                len(cands) + 2,
                sigma,
                f"DP categories of {name!r} among {len(cands)} public candidates",
            )
            kept = [c for c, v in zip(cands, noisy[: len(cands)], strict=True) if v > tau]
            if not kept:
                kept = [cands[int(np.argmax(noisy[: len(cands)]))]] if len(cands) else []
            values = [str(c) for c in kept] if not all(isinstance(c, int) for c in kept) else kept
            if all(isinstance(c, str) for c in values) and OTHER not in values:
                values = [*values, OTHER]
            columns.append(
                Column(name, kind, categories=tuple(values), nullable=bool(noisy[-1] > tau_null))
            )
        else:
            keys, missing = frame.thresholded_keys(
                name,
                sigma,
                delta / len(lacking) * (1 - 1e-12),  # the shares add up to at most delta
                max_discovered,
                f"DP categories of {name!r} released through a threshold (no candidate list)",
            )
            values = (*(k for k in keys if k != OTHER), OTHER)
            columns.append(Column(name, kind, categories=values, nullable=missing > tau_null))
    domain = Domain(
        columns=tuple(columns),
        description=f"DP preprocessing: {n_hist} noisy histograms, σ = {sigma:.4g}",
    )
    return domain, edges


def private_preparation(
    df: pl.DataFrame,
    *,
    epsilon: float,
    delta: float,
    bins: int,
    categories: Mapping[str, Sequence[Any]] | None,
    share: float,
    rng: np.random.Generator,
    log: AccessLog | None = None,
    max_discovered: int = MAX_DISCOVERED,
) -> tuple[Domain, dict[str, tuple[float, ...]], PrivacyLedger, pl.DataFrame]:
    """Everything a generator without a public Domain needs before it measures: a fresh ledger
    for (ε, δ) (with :data:`DISCOVERY_DELTA_SHARE` of δ set aside when a column has no candidate
    list), the domain and cut points from :func:`private_domain` for ``share`` of its ρ, and
    the frame cleaned for that domain one record at a time (which keeps the guarantee).

    Example:
        >>> import numpy as np, polars as pl
        >>> df = pl.DataFrame({"age": np.arange(4000) % 90, "ward": ["A", "B"] * 2000})
        >>> domain, edges, ledger, clean = private_preparation(
        ...     df, epsilon=1.0, delta=1e-6, bins=8, categories=None, share=0.2,
        ...     rng=np.random.default_rng(0))
        >>> ledger.delta_reserved, clean.height <= df.height, "age" in edges
        (1e-07, True, True)
    """
    cats = {k: list(v) for k, v in (categories or {}).items()}
    # A threshold release may fail with a small probability: set δ aside before any spending.
    reserve = DISCOVERY_DELTA_SHARE * delta if discovered_columns(df.schema, cats) else 0.0
    ledger = PrivacyLedger(epsilon=epsilon, delta=delta, delta_reserved=reserve)
    frame = PrivateFrame(df, ledger, rng, log)
    domain, edges = private_domain(
        frame,
        rho=share * ledger.rho_budget,
        bins=bins,
        categories=cats,
        max_discovered=max_discovered,
    )
    return domain, edges, ledger, clean_for(domain, df)


def clean_for(domain: Domain, df: pl.DataFrame) -> pl.DataFrame:
    """Prepares a frame for a DP-derived domain, one record at a time (so privacy is kept):
    NaN counts as missing, records missing a value their column cannot miss are dropped, values
    are clipped to the DP bounds and unknown categories become ``"<other>"``."""
    exprs = []
    for c in domain.columns:
        e = pl.col(c.name)
        if df.schema[c.name].is_float():
            e = e.fill_nan(None)
        exprs.append(e)
    out = df.select(exprs)
    required = [c.name for c in domain.columns if not c.nullable]
    if required:
        out = out.drop_nulls(subset=required)
    has_other = all(OTHER in c.categories for c in domain.columns if c.kind.value == "categorical")
    return domain.validate(
        out,
        out_of_bounds="clip",
        unknown_categories="other" if has_other else "error",
        what="training data",
    )


def _numeric_column(
    frame: PrivateFrame,
    name: str,
    kind: Kind,
    sigma: float,
    tau_null: float,
    bins: int,
    binning: str,
) -> tuple[Column, tuple[float, ...] | None]:
    mags = Magnitudes.for_kind(kind)
    noisy = frame.noisy_histogram(
        name,
        mags.bucketize,
        mags.n_buckets + 1,
        sigma,
        f"DP bounds of {name!r} (log-scale histogram)",
    )
    nullable = bool(noisy[-1] > tau_null)
    lo, hi = mags.bounds(noisy[:-1], sigma)
    integral = mags.integral
    if binning == "uniform" or (integral and hi - lo + 1 <= bins):
        return Column(name, kind, lower=lo, upper=hi, nullable=nullable), None
    # Fine grid inside the bounds: DP quantiles and the noisy support.
    cells = max(8 * bins, 64)
    if integral:
        cells = int(min(cells, hi - lo + 1))
    width = (hi - lo + (1.0 if integral else 0.0)) / cells
    fine = frame.noisy_histogram(
        name, _grid_buckets(lo, width, cells), cells + 1, sigma, f"DP quantiles of {name!r}"
    )
    p = project_to_simplex(fine[:-1])
    support = np.flatnonzero(p > 0)
    first, last = int(support[0]), int(support[-1])
    lo2 = lo + first * width
    hi2 = lo + (last + 1) * width
    cdf = np.cumsum(p)
    cuts = [
        lo + (int(np.searchsorted(cdf, q, side="left")) + 1) * width
        for q in np.arange(1, bins) / bins
    ]
    if integral:
        lo2, hi2 = float(math.floor(lo2)), float(math.ceil(hi2) - 1)
        inner = sorted({float(math.floor(c)) for c in cuts if lo2 < math.floor(c) <= hi2})
        e = (lo2, *inner, hi2 + 1.0)
    else:
        inner = sorted({float(c) for c in cuts if lo2 < c < hi2})
        e = (lo2, *inner, hi2)
    column = Column(name, kind, lower=lo2, upper=hi2, nullable=nullable)
    return column, tuple(e)
