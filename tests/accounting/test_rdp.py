"""RDP: the exact subsampled-Gaussian series against mpmath, opacus and dp_accounting."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference
from conftest import DPSGD, OPACUS_DPSGD_EPSILON

from synthrisk import _native
from synthrisk.accounting import (
    ExponentialMechanism,
    Gaussian,
    Laplace,
    PoissonSampledGaussian,
    RandomizedResponse,
    RdpAccountant,
    SampledWithoutReplacementGaussian,
    default_orders,
    get_epsilon,
)
from synthrisk.errors import InvalidArgumentError


def log_a(q: float, sigma: float, alpha: float) -> float:
    return _native.rdp_curve([("poisson_gaussian", sigma, q, 1)], [alpha])[0] * (alpha - 1)


FRACTIONAL = [
    (0.01, 1.0, 2.5),
    (0.3, 0.8, 1.5),
    (1e-4, 5.0, 20.7),
    (0.5, 2.0, 7.3),
    (256 / 60000, 1.1, 8.1),
    (0.1, 0.5, 1.1),
    (0.05, 3.0, 33.3),
    (0.2, 1.5, 4.05),
]
INTEGER = [(0.01, 1.0, 3), (0.5, 0.7, 64), (1e-4, 10.0, 1024), (0.2, 3.0, 500), (0.001, 0.6, 12)]


@pytest.mark.parametrize(("q", "sigma", "alpha"), FRACTIONAL)
def test_fractional_orders_match_mpmath(q: float, sigma: float, alpha: float) -> None:
    ref = reference.log_a(q, sigma, alpha)
    ours = log_a(q, sigma, alpha)
    assert ours == pytest.approx(ref, rel=1e-9)
    assert ours >= ref * (1 - 1e-12)  # rounded up, never truncated down


@pytest.mark.parametrize(("q", "sigma", "alpha"), INTEGER)
def test_integer_orders_match_mpmath(q: float, sigma: float, alpha: int) -> None:
    assert log_a(q, sigma, alpha) == pytest.approx(reference.log_a_int(q, sigma, alpha), rel=1e-9)


def test_default_grid_contains_opacus_and_dp_accounting_grids() -> None:
    from dp_accounting.rdp.rdp_privacy_accountant import DEFAULT_RDP_ORDERS
    from opacus.accountants import RDPAccountant

    ours = set(default_orders())
    assert set(RDPAccountant.DEFAULT_ALPHAS) <= ours
    assert set(DEFAULT_RDP_ORDERS) <= ours
    assert min(ours) == pytest.approx(1.1) and max(ours) >= 1024


def test_reference_point_is_at_most_opacus() -> None:
    r = RdpAccountant().compose(PoissonSampledGaussian(**DPSGD)).privacy_spent(delta=1e-5)
    assert r.epsilon <= OPACUS_DPSGD_EPSILON + 1e-9
    assert r.epsilon == pytest.approx(OPACUS_DPSGD_EPSILON, abs=1e-8)
    assert r.order == pytest.approx(8.1)
    refined = RdpAccountant(refine=True).compose(PoissonSampledGaussian(**DPSGD)).get_epsilon(1e-5)
    assert refined <= r.epsilon


GRID = [  # (noise, q, steps, δ): a sample of the grid, kept small for runtime
    (0.5, 0.5, 1, 1e-3),
    (0.5, 1e-4, 100_000, 1e-10),
    (0.8, 0.05, 1000, 1e-6),
    (1.1, 256 / 60000, 14040, 1e-5),
    (2.0, 0.01, 100_000, 1e-10),
    (4.0, 0.3, 10, 1e-8),
    (10.0, 1e-4, 1, 1e-5),
    (10.0, 0.5, 100_000, 1e-3),
]


@pytest.mark.parametrize(("z", "q", "steps", "delta"), GRID)
@pytest.mark.filterwarnings("ignore:Optimal order is the largest alpha")
def test_never_above_opacus(z: float, q: float, steps: int, delta: float) -> None:
    from opacus.accountants import RDPAccountant

    acc = RDPAccountant()
    acc.history = [(z, q, steps)]
    theirs = acc.get_epsilon(delta)
    ours = get_epsilon(PoissonSampledGaussian(z, q, count=steps), delta)
    # opacus truncates the fractional series (up to 2e-9 relative below the true value, see
    # test_opacus_truncation_under_reports); we round up, so allow that much relative slack.
    assert ours <= theirs * (1 + 1e-9) + 1e-9
    # On opacus' own grid the two agree (same series, same conversion).
    same = RdpAccountant(orders=RDPAccountant.DEFAULT_ALPHAS).compose(
        PoissonSampledGaussian(z, q, count=steps)
    )
    assert same.get_epsilon(delta) == pytest.approx(theirs, rel=1e-8, abs=1e-12)


def test_opacus_truncation_under_reports() -> None:
    from opacus.accountants.analysis import rdp as opacus_rdp

    q, sigma, alpha = 1e-4, 0.5, 4.3
    ref = reference.log_a(q, sigma, alpha, dps=40)
    assert opacus_rdp._compute_log_a(q, sigma, alpha) < ref * (1 - 1e-9)  # below the truth
    assert ref <= log_a(q, sigma, alpha) <= ref * (1 + 1e-9)  # ours: at or just above it


@pytest.mark.parametrize(("z", "q", "steps", "delta"), GRID[:5])
def test_agrees_with_dp_accounting_rdp(z: float, q: float, steps: int, delta: float) -> None:
    import dp_accounting as dpa
    from dp_accounting.rdp.rdp_privacy_accountant import RdpAccountant as DpaRdp

    ev = dpa.SelfComposedDpEvent(dpa.PoissonSampledDpEvent(q, dpa.GaussianDpEvent(z)), steps)
    theirs = DpaRdp().compose(ev).get_epsilon(delta)
    ours = get_epsilon(PoissonSampledGaussian(z, q, count=steps), delta)
    # dp_accounting bounds fractional orders by |terms| (looser) and adds a KL bound at small α.
    assert ours <= theirs * (1 + 1e-6) + 1e-9 or theirs < 0.05


def test_pure_mechanisms_agree_with_dp_accounting_curves() -> None:
    from dp_accounting.rdp import rdp_privacy_accountant as r

    orders = [1.5, 2.0, 3.0, 10.0, 64.0]
    for eps in (0.3, 1.0, 3.0):
        ours = Laplace.from_epsilon(eps).rdp(orders)
        theirs = [r._laplace_rdp(eps, a) for a in orders]
        np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    assert Gaussian(2.0).rdp(orders) == pytest.approx([a / 8 for a in orders], rel=1e-15)
    rr = RandomizedResponse(1.0).rdp([2.0])[0]
    p = math.e / (1 + math.e)
    assert rr == pytest.approx(math.log(p**2 / (1 - p) + (1 - p) ** 2 / p), rel=1e-12)
    # bounded range is at most ε²/8·α (zCDP) and at most ε
    br = ExponentialMechanism(1.0).rdp(orders)
    assert all(v <= min(1.0, a / 8) + 1e-12 for v, a in zip(br, orders, strict=True))


@pytest.mark.parametrize(("z", "q"), [(1.0, 0.01), (2.0, 0.1), (0.8, 0.05)])
def test_sampling_without_replacement_within_dp_accounting(z: float, q: float) -> None:
    from dp_accounting.rdp import rdp_privacy_accountant as r

    orders = [2.0, 3.0, 4.0, 8.0, 16.0, 2.5]
    theirs = r._compute_rdp_sample_wor_gaussian(q, z, orders)
    ours = SampledWithoutReplacementGaussian(z, q).rdp(orders)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_overflow_gives_infinity_never_nan() -> None:
    for m in (
        PoissonSampledGaussian(1e-200, 0.5, count=10),
        Gaussian(1e-200, count=3),
        PoissonSampledGaussian(1e-3, 0.5, count=10**15),
    ):
        e = get_epsilon(m, 1e-5)
        assert not math.isnan(e) and (math.isinf(e) or e > 1e3)
    assert RdpAccountant().compose(Gaussian(1e-200)).get_delta(1.0) == 1.0


@pytest.mark.parametrize(
    "bad",
    [
        lambda: PoissonSampledGaussian(0.0, 0.1),
        lambda: PoissonSampledGaussian(-1.0, 0.1),
        lambda: PoissonSampledGaussian(1.0, 0.0),
        lambda: PoissonSampledGaussian(1.0, 1.5),
        lambda: PoissonSampledGaussian(1.0, 0.1, count=10.5),
        lambda: PoissonSampledGaussian(1.0, 0.1, count=0),
        lambda: PoissonSampledGaussian(float("nan"), 0.1),
        lambda: get_epsilon(Gaussian(1.0), 0.0),
        lambda: get_epsilon(Gaussian(1.0), 1.0),
        lambda: RdpAccountant(orders=[1.0, 2.0]),
        lambda: RdpAccountant(orders=[0.5]),
        lambda: RdpAccountant(orders=[]),
        lambda: RdpAccountant().compose(Gaussian(1.0)).get_delta(-1.0),
    ],
)
def test_bad_input_is_a_clear_error(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError):
        bad()
