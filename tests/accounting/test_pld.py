"""PLD: pessimistic (never below the true ε), tight, and consistent with dp_accounting."""

from __future__ import annotations

import math

import pytest
from conftest import DPSGD, DPSGD_TRUE_EPSILON
from scipy.stats import norm

from synthrisk.accounting import (
    ExponentialMechanism,
    Gaussian,
    Laplace,
    PldAccountant,
    PoissonSampledGaussian,
    RandomizedResponse,
    SampledWithoutReplacementGaussian,
    compose,
    get_delta,
    get_epsilon,
)
from synthrisk.errors import InvalidArgumentError


def gaussian_delta(mu: float, eps: float) -> float:
    return norm.cdf(-eps / mu + mu / 2) - math.exp(eps) * norm.cdf(-eps / mu - mu / 2)


def gaussian_epsilon(mu: float, delta: float) -> float:
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if gaussian_delta(mu, mid) > delta else (lo, mid)
    return hi


@pytest.mark.parametrize(
    ("z", "count", "delta"), [(1.0, 1, 1e-5), (4.0, 50, 1e-10), (30.0, 10_000, 1e-3)]
)
def test_gaussian_compositions_are_exact(z: float, count: int, delta: float) -> None:
    mu = math.sqrt(count) / z
    r = PldAccountant().compose(Gaussian(z, count=count)).privacy_spent(delta=delta)
    assert r.discretization == 0 and "exact" in r.conversion
    assert r.epsilon == pytest.approx(gaussian_epsilon(mu, delta), rel=1e-9)
    assert get_delta(Gaussian(z, count=count), r.epsilon, accountant="pld") <= delta * (1 + 1e-9)


@pytest.mark.parametrize(
    ("z", "count", "delta"), [(1.0, 1, 1e-5), (5.0, 100, 1e-8), (20.0, 5000, 1e-3)]
)
def test_discretised_path_never_below_the_exact_value(z: float, count: int, delta: float) -> None:
    # A negligible Laplace term forces the Gaussian through discretisation and the FFT.
    mu = math.sqrt(count) / z
    exact = gaussian_epsilon(mu, delta)
    m = compose(Gaussian(z, count=count), Laplace(1e6))
    r = PldAccountant(error_estimate=True).compose(m).privacy_spent(delta=delta)
    assert r.epsilon >= exact - 1e-12
    assert r.epsilon - exact <= max(r.error_estimate or 0.0, 1e-6)


def test_reference_point_is_within_its_error_of_the_truth() -> None:
    for h in (1e-3, 1e-4):
        r = (
            PldAccountant(discretization=h, error_estimate=True)
            .compose(PoissonSampledGaussian(**DPSGD))
            .privacy_spent(delta=1e-5)
        )
        assert r.epsilon >= DPSGD_TRUE_EPSILON
        assert r.epsilon - DPSGD_TRUE_EPSILON <= r.error_estimate
    default = get_epsilon(PoissonSampledGaussian(**DPSGD), 1e-5, accountant="pld")
    assert DPSGD_TRUE_EPSILON <= default <= DPSGD_TRUE_EPSILON + 2e-4


GRID = [  # (noise, q, steps, δ), sampled from the grid
    (0.8, 0.05, 100, 1e-6),
    (1.1, 256 / 60000, 1000, 1e-5),
    (2.0, 0.01, 3000, 1e-10),
    (5.0, 0.3, 20, 1e-3),
]


@pytest.mark.parametrize(("z", "q", "steps", "delta"), GRID)
def test_agrees_with_dp_accounting_pld(z: float, q: float, steps: int, delta: float) -> None:
    import dp_accounting as dpa
    from dp_accounting.pld import pld_privacy_accountant

    h = 1e-3
    ev = dpa.SelfComposedDpEvent(dpa.PoissonSampledDpEvent(q, dpa.GaussianDpEvent(z)), steps)
    acc = pld_privacy_accountant.PLDAccountant(value_discretization_interval=h)
    theirs = acc.compose(ev).get_epsilon(delta)
    r = (
        PldAccountant(discretization=h, error_estimate=True)
        .compose(PoissonSampledGaussian(z, q, count=steps))
        .privacy_spent(delta=delta)
    )
    # Same discretisation (connect-the-dots) on the same grid: the same value, up to the
    # tails and the FFT noise we count and they do not.
    assert r.epsilon == pytest.approx(theirs, rel=1e-4, abs=1e-6)
    # And a finer grid of ours stays below and within the stated error.
    fine = get_epsilon(
        PoissonSampledGaussian(z, q, count=steps), delta, accountant="pld", discretization=h / 4
    )
    assert fine <= r.epsilon + 1e-9
    assert r.epsilon - fine <= r.error_estimate + 1e-9


def test_pure_dp_mechanisms() -> None:
    # Laplace alone: δ(ε) = 1 − exp((ε − ε₀)/2), so ε(δ) = ε₀ + 2·log(1 − δ).
    eps0, delta = 1.0, 1e-3
    exact = eps0 + 2 * math.log1p(-delta)
    ours = get_epsilon(Laplace.from_epsilon(eps0), delta, accountant="pld")
    assert exact - 1e-12 <= ours <= exact + 1e-3
    # Pure DP: δ = 0 just above ε₀ (the grid rounds the top atom up by less than h), and k
    # runs are at most kε₀-DP.
    for m in (Laplace.from_epsilon(0.5), RandomizedResponse(0.5, 3), ExponentialMechanism(0.5)):
        assert get_delta(m, 0.51, accountant="pld") <= 1e-12
        assert get_epsilon(m.repeat(10), 1e-9, accountant="pld") <= 5.0 + 1e-9


def test_randomized_response_matches_dp_accounting() -> None:
    from dp_accounting.pld import privacy_loss_distribution as pld

    eps0, k, n = 1.2, 4, 30
    theirs = (
        pld.from_randomized_response(
            noise_parameter=k / (math.exp(eps0) + k - 1),
            num_buckets=k,
            value_discretization_interval=1e-4,
        )
        .self_compose(n)
        .get_epsilon_for_delta(1e-6)
    )
    ours = get_epsilon(RandomizedResponse(eps0, k, count=n), 1e-6, accountant="pld")
    assert ours == pytest.approx(theirs, abs=2e-3)


def test_refusals_and_bad_input() -> None:
    with pytest.raises(InvalidArgumentError):
        PldAccountant().compose(SampledWithoutReplacementGaussian(1.0, 0.1))
    with pytest.raises(InvalidArgumentError):
        PldAccountant(discretization=0)
    with pytest.raises(InvalidArgumentError):
        PldAccountant().compose(Gaussian(1.0)).get_epsilon(0.0)


def test_extreme_parameters_are_safe() -> None:
    e = get_epsilon(PoissonSampledGaussian(1e-200, 0.5, count=10), 1e-5, accountant="pld")
    assert math.isinf(e) or e > 1e3
    assert not math.isnan(e)
