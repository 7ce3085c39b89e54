"""Statistics shared by every risk and utility measure: intervals and summaries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from synthrisk.errors import InvalidArgumentError


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a confidence interval."""

    value: float
    low: float
    high: float
    confidence: float = 0.95

    def to_dict(self) -> dict[str, float]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
        }


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise InvalidArgumentError(f"confidence must lie in (0, 1), got {confidence}")
    return NormalDist().inv_cdf((1 + confidence) / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """The Wilson score interval of a binomial proportion; ``value`` is the plain rate k/n.

    Example:
        >>> e = wilson_interval(100, 500)
        >>> round(e.value, 3), round(e.low, 4), round(e.high, 4)
        (0.2, 0.1673, 0.2373)
    """
    if n <= 0 or not 0 <= successes <= n:
        raise InvalidArgumentError(f"need 0 ≤ successes ≤ n and n > 0, got {successes}/{n}")
    z = _z(confidence)
    centre = (successes + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(successes * (n - successes) / n + z * z / 4)
    return Estimate(successes / n, max(centre - half, 0.0), min(centre + half, 1.0), confidence)


def mean_interval(values: np.ndarray, confidence: float = 0.95) -> Estimate:
    """The mean with a normal-approximation interval (for bounded per-record scores)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise InvalidArgumentError("cannot summarise an empty array")
    mean = float(x.mean())
    if x.size == 1:
        return Estimate(mean, mean, mean, confidence)
    half = _z(confidence) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return Estimate(mean, mean - half, mean + half, confidence)


def median_interval(values: np.ndarray, confidence: float = 0.95) -> Estimate:
    """The median with the distribution-free order-statistic interval."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    if n == 0:
        raise InvalidArgumentError("cannot summarise an empty array")
    half = _z(confidence) * math.sqrt(n) / 2
    lo = max(math.floor(n / 2 - half), 0)
    hi = min(math.ceil(n / 2 + half), n - 1)
    return Estimate(float(np.median(x)), float(x[lo]), float(x[hi]), confidence)


def quantiles(
    values: np.ndarray, qs: tuple[float, ...] = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95)
) -> dict[str, float]:
    """Named quantiles, e.g. ``{"q05": ...}``."""
    x = np.asarray(values, dtype=np.float64)
    return {f"q{round(q * 100):02d}": float(np.quantile(x, q)) for q in qs}


# --- membership-inference statistics ----------------------------------------------------------

#: The FPR levels at which TPR is reported (DESIGN.md: the MIDST rule).
DEFAULT_ALPHAS = (0.001, 0.01, 0.1)


def check_labels_scores(labels: object, scores: object) -> tuple[np.ndarray, np.ndarray]:
    """Validates membership labels (0/1, both classes present) and finite scores of equal length.

    Example:
        >>> y, s = check_labels_scores([1, 0], [0.3, 0.1])
        >>> y.tolist(), s.tolist()
        ([1, 0], [0.3, 0.1])
    """
    from synthrisk.errors import ShapeError

    y = np.asarray(labels)
    s = np.asarray(scores, dtype=np.float64)
    if y.ndim != 1 or s.ndim != 1:
        raise ShapeError(
            f"labels and scores must be 1-d, got shapes {y.shape} and {s.shape} "
            "(one value per challenge record)"
        )
    if y.shape != s.shape:
        raise ShapeError(
            f"{y.size} labels but {s.size} scores: give one score per challenge record, "
            "in the same order"
        )
    if y.size == 0:
        raise InvalidArgumentError("no labels: the challenge set is empty")
    if y.dtype == bool:
        y = y.astype(np.int64)
    try:
        as_float = y.astype(np.float64)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"labels must be 0 (non-member) or 1 (member), got values such as {y[:3].tolist()}"
        ) from None
    bad = ~np.isin(as_float, (0.0, 1.0))
    if bad.any():
        raise InvalidArgumentError(
            f"labels must be 0 (non-member) or 1 (member); {int(bad.sum())} are not, e.g. "
            f"{np.unique(y[bad])[:5].tolist()} (row {int(np.flatnonzero(bad)[0])})"
        )
    y = as_float.astype(np.int64)
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == y.size:
        which = "members (1)" if n_pos == y.size else "non-members (0)"
        raise InvalidArgumentError(
            f"all {y.size} labels are {which}: TPR, FPR and AUC need both members and "
            "non-members in the challenge set"
        )
    if not np.all(np.isfinite(s)):
        bad_rows = np.flatnonzero(~np.isfinite(s))
        raise InvalidArgumentError(
            f"{bad_rows.size} scores are NaN or infinite (first at row {int(bad_rows[0])}): "
            "every challenge record needs a finite score"
        )
    return y, s


def roc_curve(labels: object, scores: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve: ``(fpr, tpr, thresholds)`` at every distinct score, starting at (0, 0).

    A record is predicted a member when its score is ≥ the threshold; the first threshold is
    +∞ (nobody predicted a member).

    Example:
        >>> fpr, tpr, thr = roc_curve([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
        >>> fpr.tolist(), tpr.tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    y, s = check_labels_scores(labels, scores)
    return _roc(y, s)


def _roc(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(s_sorted)), y.size - 1]
    tps = np.cumsum(y_sorted)[last_of_value]
    fps = (last_of_value + 1) - tps
    n_pos, n_neg = int(y.sum()), int(y.size - y.sum())
    tpr = np.r_[0.0, tps / n_pos]
    fpr = np.r_[0.0, fps / n_neg]
    thresholds = np.r_[np.inf, s_sorted[last_of_value]]
    return fpr, tpr, thresholds


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    # Mann–Whitney: P(score of a member > score of a non-member), ties ½ (= trapezoidal ROC area).
    ranks = _average_ranks(s)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(s: np.ndarray) -> np.ndarray:
    order = np.argsort(s, kind="mergesort")
    sorted_s = s[order]
    ranks = np.empty(s.size, dtype=np.float64)
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_s)) + 1]
    ends = np.r_[starts[1:], s.size]
    average = (starts + ends + 1) / 2.0  # 1-based average rank of each tie group
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def _tpr_at(fpr: np.ndarray, tpr: np.ndarray, alpha: float) -> float:
    # The MIDST rule: max{TPR_i : FPR_i < α} (strict); (0, 0) is always a point.
    return float(tpr[fpr < alpha].max())


def auc(labels: object, scores: object) -> float:
    """Area under the ROC curve (ties count ½).

    Example:
        >>> auc([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
        0.75
    """
    y, s = check_labels_scores(labels, scores)
    return _auc(y, s)


def tpr_at_fpr(labels: object, scores: object, alpha: float) -> float:
    """TPR at FPR < α by the MIDST rule ``max{TPR_i : FPR_i < α}`` over the ROC points.

    Example:
        >>> tpr_at_fpr([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 0.1)
        0.5
    """
    if not 0 < alpha <= 1:
        raise InvalidArgumentError(f"alpha must lie in (0, 1], got {alpha}")
    fpr, tpr, _ = roc_curve(labels, scores)
    return _tpr_at(fpr, tpr, alpha)


def membership_advantage(labels: object, scores: object) -> float:
    """max over thresholds of TPR − FPR (Yeom et al.)."""
    fpr, tpr, _ = roc_curve(labels, scores)
    return float(np.max(tpr - fpr))


def _bootstrap_indices(y: np.ndarray, n_boot: int, rng: np.random.Generator) -> list[np.ndarray]:
    # Stratified: members and non-members are resampled separately, so both stay present.
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    return [np.r_[rng.choice(pos, pos.size), rng.choice(neg, neg.size)] for _ in range(n_boot)]


def _percentile_estimate(value: float, replicates: np.ndarray, confidence: float) -> Estimate:
    lo, hi = np.quantile(replicates, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Estimate(float(value), float(lo), float(hi), confidence)


def bootstrap_auc(
    labels: object,
    scores: object,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> Estimate:
    """AUC with a stratified percentile-bootstrap interval.

    Example:
        >>> e = bootstrap_auc([1, 0] * 50, list(range(100)), n_boot=200, seed=0)
        >>> round(e.value, 2), e.low <= e.value <= e.high
        (0.49, True)
    """
    y, s = check_labels_scores(labels, scores)
    _z(confidence)
    rng = np.random.default_rng(seed)
    reps = np.array([_auc(y[i], s[i]) for i in _bootstrap_indices(y, n_boot, rng)])
    return _percentile_estimate(_auc(y, s), reps, confidence)


def bootstrap_tpr_at_fpr(
    labels: object,
    scores: object,
    alphas: tuple[float, ...] = DEFAULT_ALPHAS,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> dict[float, Estimate]:
    """TPR at FPR < α (MIDST rule) for each α, with stratified percentile-bootstrap intervals."""
    y, s = check_labels_scores(labels, scores)
    _z(confidence)
    for a in alphas:
        if not 0 < a <= 1:
            raise InvalidArgumentError(f"every alpha must lie in (0, 1], got {a}")
    rng = np.random.default_rng(seed)
    fpr, tpr, _ = _roc(y, s)
    reps = np.empty((n_boot, len(alphas)))
    for b, idx in enumerate(_bootstrap_indices(y, n_boot, rng)):
        f, t, _ = _roc(y[idx], s[idx])
        reps[b] = [_tpr_at(f, t, a) for a in alphas]
    return {
        a: _percentile_estimate(_tpr_at(fpr, tpr, a), reps[:, j], confidence)
        for j, a in enumerate(alphas)
    }


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b) (continued fraction, Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _betainc(b, a, 1.0 - x)
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 10000):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return math.exp(log_front) * f / a


def _beta_ppf(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b), by bisection on I_x(a, b)."""
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if _betainc(a, b, mid) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-16:
            break
    return (lo + hi) / 2


def clopper_pearson(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """The exact (Clopper–Pearson) interval of a binomial proportion; ``value`` is k/n.

    Example:
        >>> e = clopper_pearson(5, 20)
        >>> round(e.low, 4), round(e.high, 4)
        (0.0866, 0.491)
    """
    if n <= 0 or not 0 <= successes <= n:
        raise InvalidArgumentError(f"need 0 ≤ successes ≤ n and n > 0, got {successes}/{n}")
    _z(confidence)
    tail = (1 - confidence) / 2
    k = int(successes)
    # The exact limits are Beta quantiles: Beta(k, n−k+1) and Beta(k+1, n−k).
    low = 0.0 if k == 0 else _beta_ppf(tail, k, n - k + 1)
    high = 1.0 if k == n else _beta_ppf(1 - tail, k + 1, n - k)
    return Estimate(k / n, low, high, confidence)


@dataclass(frozen=True)
class EpsilonLowerBound:
    """An empirical ε lower bound from a membership-inference attack.

    The threshold is chosen on one split of the challenge records and the counts are measured on
    the other; ``epsilon`` is the bound from exact Clopper–Pearson limits (each at level
    ``1 − (1 − confidence)/2``), ``epsilon_point`` the plug-in value on the measuring split.
    """

    epsilon: float
    epsilon_point: float
    threshold: float
    direction: str
    tpr: Estimate
    fpr: Estimate
    delta: float
    confidence: float
    n_members: int
    n_nonmembers: int

    def to_dict(self) -> dict[str, object]:
        def finite(x: float) -> float | None:  # JSON has no infinity
            return x if math.isfinite(x) else None

        return {
            "epsilon": self.epsilon,
            "epsilon_point": finite(self.epsilon_point),
            "threshold": finite(self.threshold),
            "direction": self.direction,
            "tpr": self.tpr.to_dict(),
            "fpr": self.fpr.to_dict(),
            "delta": self.delta,
            "confidence": self.confidence,
            "n_members": self.n_members,
            "n_nonmembers": self.n_nonmembers,
        }


def _eps_bound(tp: int, n_pos: int, fp: int, n_neg: int, delta: float, level: float) -> float:
    """ε lower bound at one threshold, both directions, from one-sided exact limits."""
    two_sided = 2 * level - 1  # one-sided level ↔ two-sided confidence of the CP interval
    t = clopper_pearson(tp, n_pos, two_sided)
    f = clopper_pearson(fp, n_neg, two_sided)
    best = 0.0
    if f.high > 0 and t.low - delta > 0:
        best = max(best, math.log((t.low - delta) / f.high))
    # the complement: records below the threshold are called non-members
    if (1 - t.low) > 0 and (1 - f.high) - delta > 0:
        best = max(best, math.log(((1 - f.high) - delta) / (1 - t.low)))
    return best


def _select_threshold(y: np.ndarray, s: np.ndarray, delta: float, level: float) -> float:
    """The threshold with the largest ε bound on the selection split (Wilson limits, vectorised:
    the choice needs no exactness, the measurement on the other split does)."""
    fpr, tpr, thr = _roc(y, s)
    z = NormalDist().inv_cdf(level)
    n_pos, n_neg = int(y.sum()), int(y.size - y.sum())

    def wilson(p: np.ndarray, n: int, sign: float) -> np.ndarray:
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return np.clip(centre + sign * half, 1e-12, 1.0)

    t_lo, f_hi = wilson(tpr, n_pos, -1.0), wilson(fpr, n_neg, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        forward = np.log(np.clip(t_lo - delta, 1e-300, None) / f_hi)
        backward = np.log(np.clip(1 - f_hi - delta, 1e-300, None) / np.clip(1 - t_lo, 1e-12, None))
    value = np.maximum(forward, backward)
    return float(thr[int(np.argmax(value))])


def _eps_point(tp: int, n_pos: int, fp: int, n_neg: int, delta: float) -> float:
    tpr, fpr = tp / n_pos, fp / n_neg
    vals = [0.0]
    if tpr - delta > 0:
        vals.append(math.log((tpr - delta) / fpr) if fpr > 0 else math.inf)
    if 1 - fpr - delta > 0:
        vals.append(math.log((1 - fpr - delta) / (1 - tpr)) if tpr < 1 else math.inf)
    return max(vals)


def empirical_epsilon(
    labels: object,
    scores: object,
    *,
    delta: float = 0.0,
    confidence: float = 0.95,
    select_fraction: float = 0.5,
    seed: int | None = None,
) -> EpsilonLowerBound:
    """An empirical lower bound on ε: a (ε, δ)-DP generator cannot let this attack do better.

    For a threshold τ, ``TPR ≤ e^ε FPR + δ`` (and the same for the complements) must hold for any
    (ε, δ)-DP training. The records are split (stratified, ``select_fraction`` to select): τ is
    the threshold with the largest bound on the selection split; on the other split exact
    Clopper–Pearson limits give ``ε_lo = max(0, log((TPR_lo − δ) / FPR_hi))`` (TAPAS), each
    limit at level ``1 − (1 − confidence)/2`` so the bound holds with probability ≥ confidence.

    Example:
        >>> y = [1] * 200 + [0] * 200
        >>> s = [1.0] * 150 + [0.0] * 250
        >>> round(empirical_epsilon(y, s, seed=0).epsilon, 2) > 1.5
        True
    """
    y, s = check_labels_scores(labels, scores)
    if not 0 <= delta < 1:
        raise InvalidArgumentError(f"delta must lie in [0, 1), got {delta}")
    if not 0 < select_fraction < 1:
        raise InvalidArgumentError(f"select_fraction must lie in (0, 1), got {select_fraction}")
    _z(confidence)
    rng = np.random.default_rng(seed)
    select = np.zeros(y.size, dtype=bool)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        take = max(1, min(idx.size - 1, round(idx.size * select_fraction)))
        select[rng.choice(idx, take, replace=False)] = True
    ys, ss, ym, sm = y[select], s[select], y[~select], s[~select]
    if ym.sum() == 0 or ym.sum() == ym.size:
        raise InvalidArgumentError(
            "too few members or non-members to split for an ε bound: need at least 2 of each"
        )
    level = 1 - (1 - confidence) / 2
    best_thr = _select_threshold(ys, ss, delta, level)
    pred = sm >= best_thr
    n_pos, n_neg = int(ym.sum()), int(ym.size - ym.sum())
    tp, fp = int(np.sum(pred & (ym == 1))), int(np.sum(pred & (ym == 0)))
    two_sided = 2 * level - 1
    t_est, f_est = clopper_pearson(tp, n_pos, two_sided), clopper_pearson(fp, n_neg, two_sided)
    eps = _eps_bound(tp, n_pos, fp, n_neg, delta, level)
    fwd = (
        math.log((t_est.low - delta) / f_est.high)
        if f_est.high > 0 and t_est.low - delta > 0
        else -math.inf
    )
    return EpsilonLowerBound(
        epsilon=eps,
        epsilon_point=_eps_point(tp, n_pos, fp, n_neg, delta),
        threshold=best_thr,
        direction="score ≥ threshold → member" if fwd >= eps else "score < threshold → non-member",
        tpr=t_est,
        fpr=f_est,
        delta=delta,
        confidence=confidence,
        n_members=n_pos,
        n_nonmembers=n_neg,
    )


def vulnerability_ranking(
    scores: object, labels: object | None = None, *, top: int | None = None
) -> list[dict[str, float | int]]:
    """Challenge records ordered from most to least exposed by an attack's score.

    Each entry has ``row`` (index in the challenge set), ``score``, ``rank`` (1 = most exposed),
    ``percentile`` (share of records with a lower score, ties ½) and ``label`` when given.

    Example:
        >>> [r["row"] for r in vulnerability_ranking([0.1, 0.9, 0.5])]
        [1, 2, 0]
    """
    s = np.asarray(scores, dtype=np.float64)
    y = None if labels is None else check_labels_scores(labels, s)[0]
    order = np.argsort(-s, kind="mergesort")
    pct = (_average_ranks(s) - 0.5) / s.size
    rows = order if top is None else order[:top]
    out: list[dict[str, float | int]] = []
    for rank, i in enumerate(rows, start=1):
        entry: dict[str, float | int] = {
            "row": int(i),
            "score": float(s[i]),
            "rank": rank,
            "percentile": float(pct[i]),
        }
        if y is not None:
            entry["label"] = int(y[i])
        out.append(entry)
    return out


@dataclass(frozen=True)
class MIAResult:
    """The statistics of one membership-inference attack on a labelled challenge set."""

    attack: str
    auc: Estimate
    tpr_at_fpr: dict[float, Estimate]
    advantage: Estimate
    epsilon: EpsilonLowerBound | None
    fpr: np.ndarray
    tpr: np.ndarray
    n_members: int
    n_nonmembers: int
    n_boot: int

    def to_dict(self, *, curve_points: int = 200) -> dict[str, object]:
        """JSON-ready; the ROC curve is thinned to at most ``curve_points`` points."""
        keep = np.unique(np.r_[0, np.linspace(0, self.fpr.size - 1, curve_points).astype(int)])
        return {
            "attack": self.attack,
            "auc": self.auc.to_dict(),
            "tpr_at_fpr": {f"{a:g}": e.to_dict() for a, e in self.tpr_at_fpr.items()},
            "advantage": self.advantage.to_dict(),
            "epsilon_lower_bound": None if self.epsilon is None else self.epsilon.to_dict(),
            "roc": {"fpr": self.fpr[keep].tolist(), "tpr": self.tpr[keep].tolist()},
            "n_members": self.n_members,
            "n_nonmembers": self.n_nonmembers,
            "n_boot": self.n_boot,
            "rule": "TPR at FPR < α = max{TPR_i : FPR_i < α} over ROC points (MIDST)",
        }


def mia_statistics(
    labels: object,
    scores: object,
    *,
    attack: str = "attack",
    alphas: tuple[float, ...] = DEFAULT_ALPHAS,
    n_boot: int = 1000,
    confidence: float = 0.95,
    delta: float = 0.0,
    seed: int | None = None,
) -> MIAResult:
    """ROC, AUC, TPR at FPR < α and membership advantage with bootstrap intervals, and an
    empirical ε lower bound, for one attack's scores on a labelled challenge set.

    Example:
        >>> r = mia_statistics([1, 0] * 50, list(range(100)), n_boot=100, seed=0)
        >>> round(r.auc.value, 2)
        0.49
    """
    y, s = check_labels_scores(labels, scores)
    _z(confidence)
    rng = np.random.default_rng(seed)
    fpr, tpr, _ = _roc(y, s)
    reps = np.empty((n_boot, len(alphas) + 2))
    for b, idx in enumerate(_bootstrap_indices(y, n_boot, rng)):
        yb, sb = y[idx], s[idx]
        f, t, _ = _roc(yb, sb)
        reps[b, : len(alphas)] = [_tpr_at(f, t, a) for a in alphas]
        reps[b, -2] = _auc(yb, sb)
        reps[b, -1] = float(np.max(t - f))
    try:
        eps = empirical_epsilon(y, s, delta=delta, confidence=confidence, seed=seed)
    except InvalidArgumentError:
        eps = None  # too few records of a class to split
    n_pos = int(y.sum())
    return MIAResult(
        attack=attack,
        auc=_percentile_estimate(_auc(y, s), reps[:, -2], confidence),
        tpr_at_fpr={
            a: _percentile_estimate(_tpr_at(fpr, tpr, a), reps[:, j], confidence)
            for j, a in enumerate(alphas)
        },
        advantage=_percentile_estimate(float(np.max(tpr - fpr)), reps[:, -1], confidence),
        epsilon=eps,
        fpr=fpr,
        tpr=tpr,
        n_members=n_pos,
        n_nonmembers=int(y.size - n_pos),
        n_boot=n_boot,
    )
