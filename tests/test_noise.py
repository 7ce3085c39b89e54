"""Exact discrete noise: the right distribution, reproducible seeds, clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthrisk.errors import InvalidArgumentError
from synthrisk.noise import discrete_gaussian, discrete_laplace


def test_discrete_gaussian_pmf() -> None:
    sigma, n = 4.0, 100_000
    draws = discrete_gaussian(sigma, n, seed=1)
    support = np.arange(-40, 41)
    pmf = np.exp(-(support**2) / (2 * sigma**2))
    pmf /= pmf.sum()
    counts = np.bincount(draws - support[0], minlength=support.size)
    expected = pmf * n
    keep = expected > 5
    chi2 = float((((counts - expected) ** 2) / expected)[keep].sum())
    assert chi2 < keep.sum() + 6 * math.sqrt(2 * keep.sum())  # χ² within ~6 sd of its mean


def test_discrete_laplace_variance() -> None:
    draws = discrete_laplace(5, 50_000, seed=2)
    q = math.exp(-1 / 5)
    assert draws.var() == pytest.approx(2 * q / (1 - q) ** 2, rel=0.05)
    assert abs(draws.mean()) < 0.15


def test_seeds() -> None:
    np.testing.assert_array_equal(
        discrete_gaussian(9.0, 50, seed=3), discrete_gaussian(9.0, 50, seed=3)
    )
    assert not np.array_equal(
        discrete_gaussian(9.0, 50, seed=3), discrete_gaussian(9.0, 50, seed=4)
    )
    # Without a seed the stream comes from the operating system.
    assert not np.array_equal(discrete_gaussian(9.0, 50), discrete_gaussian(9.0, 50))


@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan"), float("inf"), 1e7])
def test_bad_sigma(sigma: float) -> None:
    with pytest.raises(InvalidArgumentError, match="sigma"):
        discrete_gaussian(sigma, 3)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidArgumentError, match="size"):
        discrete_gaussian(1.0, -1)
    with pytest.raises(InvalidArgumentError, match="scale"):
        discrete_laplace(0, 3)
    with pytest.raises(InvalidArgumentError, match="seed"):
        discrete_gaussian(1.0, 3, seed=-5)
