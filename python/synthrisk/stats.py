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
