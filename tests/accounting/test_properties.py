"""Hypothesis properties shared by the accountants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthrisk.accounting import (
    Gaussian,
    Laplace,
    PoissonSampledGaussian,
    RandomizedResponse,
    ZcdpAccountant,
    compose,
    get_epsilon,
    noise_multiplier,
    noise_scale,
)

noise = st.floats(0.5, 10.0)
rate = st.floats(1e-4, 0.5)
steps = st.integers(1, 100_000)
delta = st.floats(1e-10, 1e-3)
# Relative rounding of the series: a parameter change of one ulp may move a large ε by a few ulps.
_ROUNDING = 1e-12
fast = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(noise, rate, steps, delta, st.integers(1, 1000))
def test_monotone_in_steps(z: float, q: float, t: int, d: float, extra: int) -> None:
    a = get_epsilon(PoissonSampledGaussian(z, q, count=t), d)
    b = get_epsilon(PoissonSampledGaussian(z, q, count=t + extra), d)
    assert b >= a - _ROUNDING * max(1.0, a)


@fast
@given(noise, rate, st.floats(1.0, 2.0), steps, delta)
def test_monotone_in_sampling_rate(z: float, q: float, f: float, t: int, d: float) -> None:
    a = get_epsilon(PoissonSampledGaussian(z, q, count=t), d)
    b = get_epsilon(PoissonSampledGaussian(z, min(q * f, 1.0), count=t), d)
    assert b >= a - _ROUNDING * max(1.0, a)


@fast
@given(noise, st.floats(1.0, 2.0), rate, steps, delta)
def test_decreasing_in_noise(z: float, f: float, q: float, t: int, d: float) -> None:
    a = get_epsilon(PoissonSampledGaussian(z, q, count=t), d)
    b = get_epsilon(PoissonSampledGaussian(z * f, q, count=t), d)
    assert b <= a + _ROUNDING * max(1.0, a)


@fast
@given(noise, rate, st.integers(1, 1000), st.floats(0.1, 3.0), st.integers(1, 50))
def test_composition_is_additive_in_rdp(z: float, q: float, t: int, eps: float, k: int) -> None:
    orders = [1.5, 2.0, 4.5, 10.0, 32.0]
    a = PoissonSampledGaussian(z, q, count=t)
    b = Laplace.from_epsilon(eps, count=k)
    both = np.array(compose(a, b).rdp(orders))
    np.testing.assert_allclose(both, np.array(a.rdp(orders)) + np.array(b.rdp(orders)), rtol=1e-12)


@fast
@given(noise, st.integers(1, 1000), st.floats(0.1, 3.0), st.integers(1, 50))
def test_composition_is_additive_in_rho(z: float, t: int, eps: float, k: int) -> None:
    a, b = Gaussian(z, count=t), RandomizedResponse(eps, count=k)
    rho = ZcdpAccountant().compose(a).compose(b).rho
    assert rho == pytest.approx(a.rho + b.rho, rel=1e-12)
    assert a.rho == pytest.approx(t / (2 * z * z), rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.6, 10.0), st.floats(1e-3, 0.3), st.integers(1, 2000), delta)
def test_conversions_never_negative_nor_below_pld(z: float, q: float, t: int, d: float) -> None:
    m = PoissonSampledGaussian(z, q, count=t)
    rdp = get_epsilon(m, d)
    pld = get_epsilon(m, d, accountant="pld")
    assert rdp >= 0 and pld >= 0
    assert rdp >= pld - 1e-9
    g = Gaussian(z, count=t)
    zc = get_epsilon(g, d, accountant="zcdp")
    assert zc >= get_epsilon(g, d, accountant="pld") - 1e-9  # PLD is exact for Gaussians
    assert get_epsilon(g, d) >= get_epsilon(g, d, accountant="pld") - 1e-9


@settings(max_examples=20, deadline=None)
@given(st.floats(0.2, 10.0), rate, st.integers(1, 20_000), delta)
def test_calibrated_noise_meets_target_and_never_exceeds(
    eps: float, q: float, t: int, d: float
) -> None:
    z = noise_multiplier(epsilon=eps, delta=d, sample_rate=q, steps=t)
    assert get_epsilon(PoissonSampledGaussian(z, q, count=t), d) <= eps
    # Within tolerance: a little less noise would overspend.
    assert get_epsilon(PoissonSampledGaussian(z * (1 - 1e-4), q, count=t), d) > eps


@settings(max_examples=10, deadline=None)
@given(st.floats(0.3, 5.0), st.integers(1, 200), st.floats(1e-8, 1e-4))
def test_calibration_with_every_accountant(eps: float, t: int, d: float) -> None:
    m = Gaussian(1.0, count=t)
    for acc in ("rdp", "pld", "zcdp"):
        s = noise_scale(m, epsilon=eps, delta=d, accountant=acc)
        achieved = get_epsilon(Gaussian(s, count=t), d, accountant=acc)
        assert achieved <= eps
        assert math.isfinite(s) and s > 0


@settings(max_examples=60, deadline=None)
@given(
    st.floats(1e-3, 1e4),
    st.floats(1e-8, 1.0),
    st.integers(1, 10**15),
    st.floats(1e-15, 0.5),
    st.sampled_from(["poisson", "gaussian", "laplace", "rr", "exponential", "wor"]),
)
def test_rdp_never_nan_never_negative_anywhere(
    z: float, q: float, t: int, d: float, kind: str
) -> None:
    from synthrisk.accounting import ExponentialMechanism, SampledWithoutReplacementGaussian

    m = {
        "poisson": lambda: PoissonSampledGaussian(z, q, count=t),
        "gaussian": lambda: Gaussian(z, count=t),
        "laplace": lambda: Laplace(z, count=t),
        "rr": lambda: RandomizedResponse(1 / z, 3, count=t),
        "exponential": lambda: ExponentialMechanism(1 / z, count=t),
        "wor": lambda: SampledWithoutReplacementGaussian(z, q, count=min(t, 10**6)),
    }[kind]()
    e = get_epsilon(m, d)
    assert e >= 0 and not math.isnan(e)
    back = m.delta(min(e, 1e9))
    assert 0 <= back <= 1


@settings(max_examples=12, deadline=None)
@given(noise, rate, steps, delta)
def test_pld_never_nan_and_at_most_rdp(z: float, q: float, t: int, d: float) -> None:
    m = PoissonSampledGaussian(z, q, count=t)
    e = get_epsilon(m, d, accountant="pld")
    assert 0 <= e <= get_epsilon(m, d) + 1e-12
