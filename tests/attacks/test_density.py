"""The Rust Gaussian KDE against scipy.stats.gaussian_kde (1e-9 relative) and its input checks."""

from __future__ import annotations

import numpy as np
import pytest

from synthrisk.errors import InvalidArgumentError, NotFittedError
from synthrisk.privacy.attacks import GaussianKDE

stats = pytest.importorskip("scipy.stats")


def data(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d) * 5


@pytest.mark.parametrize("n, d", [(50, 1), (700, 3), (2000, 10)])
@pytest.mark.parametrize("bw", ["scott", "silverman", 0.3])
def test_matches_scipy(n: int, d: int, bw) -> None:
    x, q = data(n, d, 1), data(300, d, 2) * 1.5
    ours = GaussianKDE(bandwidth=bw).fit(x)
    ref = stats.gaussian_kde(x.T, bw_method=bw)
    np.testing.assert_allclose(ours.log_density(q), ref.logpdf(q.T), rtol=1e-9)
    assert ours.factor_ == pytest.approx(ref.factor, rel=1e-14)
    np.testing.assert_allclose(ours.covariance_, ref.covariance, rtol=1e-10)


def test_weights_match_scipy() -> None:
    x, q = data(400, 2, 3), data(50, 2, 4)
    w = np.random.default_rng(5).uniform(0.1, 3, 400)
    ours = GaussianKDE().fit(x, weights=w)
    ref = stats.gaussian_kde(x.T, weights=w)
    np.testing.assert_allclose(ours.log_density(q), ref.logpdf(q.T), rtol=1e-9)
    assert ours.n_eff_ == pytest.approx(ref.neff)


def test_diagonal_is_a_product_kernel() -> None:
    x, q = data(300, 3, 6), data(20, 3, 7)
    kde = GaussianKDE(covariance="diagonal").fit(x)
    var = np.var(x, axis=0, ddof=1) * kde.factor_**2
    terms = -0.5 * (((q[:, None, :] - x[None]) ** 2) / var).sum(axis=2)
    want = np.log(np.exp(terms).sum(axis=1)) - np.log(300) - 0.5 * np.log(2 * np.pi * var).sum()
    np.testing.assert_allclose(kde.log_density(q), want, rtol=1e-10)


def test_far_away_queries_are_finite() -> None:
    kde = GaussianKDE(bandwidth=0.05).fit(data(100, 2, 8))
    out = kde.log_density(np.array([[1e6, -1e6]]))
    assert np.isfinite(out[0]) and out[0] < -1e9


def test_bad_inputs() -> None:
    with pytest.raises(InvalidArgumentError, match="constant"):
        GaussianKDE().fit(np.c_[np.arange(10.0), np.ones(10)])
    with pytest.raises(InvalidArgumentError, match="singular"):
        GaussianKDE().fit(np.c_[np.arange(10.0), 2 * np.arange(10.0)])
    with pytest.raises(InvalidArgumentError, match="bandwidth"):
        GaussianKDE(bandwidth="wide").fit(data(10, 1, 0))
    with pytest.raises(InvalidArgumentError, match="non-finite"):
        GaussianKDE().fit(np.array([[1.0], [np.nan], [2.0]]))
    with pytest.raises(NotFittedError):
        GaussianKDE().log_density(np.zeros((1, 1)))
    kde = GaussianKDE().fit(data(10, 2, 0))
    with pytest.raises(ValueError, match="columns"):
        kde.log_density(np.zeros((3, 3)))
