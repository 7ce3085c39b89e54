"""IndependentMarginals: noise calibrated to the budget, a ledger that adds up, free sampling."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import polars as pl
import pytest
from _fixtures import make_frame

from synthrisk import Domain, IndependentMarginals
from synthrisk.accounting import epsilon_from_rho, rho_from_epsilon
from synthrisk.data import Discretizer
from synthrisk.errors import (
    BudgetError,
    DataDerivedDomainWarning,
    ModelFileError,
    NotFittedError,
    PrivacyError,
    UnknownCategoryError,
)
from synthrisk.generators import Generator
from synthrisk.generators.independent import project_to_simplex


def test_noise_scale_matches_budget(domain: Domain, frame: pl.DataFrame) -> None:
    model = IndependentMarginals(epsilon=2.0, delta=1e-7, domain=domain, seed=0).fit(frame)
    rho = rho_from_epsilon(2.0, 1e-7)
    # Each one-way histogram has L2 sensitivity 1; ρ is split evenly over the columns.
    assert model.sigma_ == pytest.approx(math.sqrt(len(domain) / (2 * rho)), rel=1e-9)
    assert model.sigma_ >= math.sqrt(len(domain) / (2 * rho))


def test_ledger_adds_up_and_never_exceeds(domain: Domain, frame: pl.DataFrame) -> None:
    model = IndependentMarginals(epsilon=1.0, delta=1e-6, domain=domain, seed=0).fit(frame)
    ledger = model.ledger_
    assert len(ledger.entries) == len(domain)
    assert {e.purpose for e in ledger.entries} == {
        f"one-way marginal of {n!r}" for n in domain.names
    }
    assert ledger.rho_spent <= ledger.rho_budget
    assert ledger.rho_spent == pytest.approx(ledger.rho_budget, rel=1e-9)
    assert ledger.epsilon_spent <= 1.0 + 1e-12
    assert ledger.epsilon_spent == pytest.approx(1.0, rel=1e-6)
    assert epsilon_from_rho(ledger.rho_spent, 1e-6) == ledger.epsilon_spent
    assert ledger.domain_public


def test_noise_is_gaussian_with_that_scale(domain: Domain) -> None:
    """Across seeds, (noisy − true) / σ has mean 0 and variance 1 in every cell."""
    data = make_frame(500, 3)
    true = [
        np.bincount(col, minlength=size)
        for col, size in zip(
            Discretizer(domain, bins=8).encode(domain.validate(data)).T,
            Discretizer(domain, bins=8).sizes,
            strict=True,
        )
    ]
    z = []
    for seed in range(150):
        model = IndependentMarginals(epsilon=1.0, domain=domain, bins=8, seed=seed).fit(data)
        z.append(
            np.concatenate(
                [(n - t) / model.sigma_ for n, t in zip(model.noisy_counts_, true, strict=True)]
            )
        )
    z = np.concatenate(z)
    assert abs(z.mean()) < 4 / math.sqrt(z.size)
    assert abs(z.var() - 1) < 6 * math.sqrt(2 / z.size)


def test_utility_improves_with_budget(domain: Domain) -> None:
    data = make_frame(2000, 4)
    truth = Discretizer(domain).encode(domain.validate(data))
    sizes = Discretizer(domain).sizes

    def error(epsilon: float) -> float:
        errs = []
        for seed in range(5):
            m = IndependentMarginals(epsilon=epsilon, domain=domain, seed=seed).fit(data)
            for j, p in enumerate(m.marginals_):
                errs.append(
                    np.abs(p - np.bincount(truth[:, j], minlength=sizes[j]) / len(data)).sum()
                )
        return float(np.mean(errs))

    assert error(10.0) < error(0.1)


def test_samples_follow_domain_and_seed(domain: Domain, frame: pl.DataFrame) -> None:
    model = IndependentMarginals(epsilon=1.0, domain=domain, seed=1).fit(frame)
    a, b = model.sample(400, seed=7), model.sample(400, seed=7)
    assert a.equals(b)
    assert not a.equals(model.sample(400, seed=8))
    domain.validate(a)  # every value inside public bounds and categories
    assert a.columns == list(domain.names)
    assert a.schema["admitted"] == pl.Date


def test_model_seed_makes_sampling_reproducible(domain: Domain, frame: pl.DataFrame) -> None:
    def draws() -> list[pl.DataFrame]:
        model = IndependentMarginals(epsilon=1.0, domain=domain, seed=3).fit(frame)
        return [model.sample(50), model.sample(50)]

    first, second = draws(), draws()
    assert first[0].equals(second[0]) and first[1].equals(second[1])
    assert not first[0].equals(first[1])


def test_fit_is_reproducible(domain: Domain, frame: pl.DataFrame) -> None:
    m1 = IndependentMarginals(epsilon=1.0, domain=domain, seed=5).fit(frame)
    m2 = IndependentMarginals(epsilon=1.0, domain=domain, seed=5).fit(frame)
    for a, b in zip(m1.noisy_counts_, m2.noisy_counts_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_estimator_contract(domain: Domain, frame: pl.DataFrame) -> None:
    model = IndependentMarginals(epsilon=0.5, domain=domain, seed=0)
    assert model.get_params()["epsilon"] == 0.5 and model.get_params()["domain"] is domain
    assert not hasattr(model, "ledger_")
    with pytest.raises(NotFittedError, match="call fit"):
        model.sample(3)
    assert model.fit(frame) is model
    with pytest.raises(TypeError):
        IndependentMarginals(0.5)  # type: ignore[misc]


def test_save_load_holds_no_raw_rows(domain: Domain, tmp_path) -> None:
    data = make_frame(300, 9)
    model = IndependentMarginals(epsilon=1.0, domain=domain, seed=2).fit(data)
    path = tmp_path / "model.json"
    model.save(path)
    payload = json.loads(path.read_text())
    assert set(payload) == {"format", "version", "generator", "params", "domain", "ledger", "state"}
    assert set(payload["state"]) == {"sigma", "noisy_counts", "edges"}
    # The released state is one noisy count per histogram cell: nothing row-shaped.
    assert [len(c) for c in payload["state"]["noisy_counts"]] == list(Discretizer(domain).sizes)
    loaded = Generator.load(path)
    assert isinstance(loaded, IndependentMarginals)
    assert loaded.sample(50, seed=3).equals(model.sample(50, seed=3))
    assert loaded.ledger_.to_dict() == model.ledger_.to_dict()
    path.write_text("{}")
    with pytest.raises(ModelFileError):
        Generator.load(path)


def test_data_derived_domain_is_refused_when_strict(frame: pl.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDerivedDomainWarning)
        inferred = Domain.infer(frame)
        with pytest.raises(PrivacyError, match="strict=True"):
            IndependentMarginals(epsilon=1.0, domain=inferred, strict=True).fit(frame)


def test_without_a_domain_everything_is_paid_for(tmp_path) -> None:
    """DP preprocessing as the other generators do: bounds, cut points and thresholded
    categories in the ledger, the whole budget and never more, and a saved model that
    reproduces its samples (the DP cut points travel with it)."""
    data = make_frame(5000, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataDerivedDomainWarning)
        model = IndependentMarginals(epsilon=2.0, seed=1, strict=True).fit(data)
    ledger = model.ledger_
    assert not model.domain_.data_derived and ledger.domain_public
    assert any("DP bounds" in e.purpose for e in ledger.entries)
    assert {e.mechanism for e in ledger.entries} == {"gaussian", "gaussian_threshold"}
    assert ledger.rho_spent <= ledger.rho_budget
    assert ledger.rho_spent == pytest.approx(ledger.rho_budget, rel=1e-6)
    assert ledger.delta_spent <= ledger.delta_reserved * (1 + 1e-12)
    assert model.edges_ and set(model.domain_["sex"].categories) == {"female", "male", "<other>"}
    model.save(tmp_path / "m.json")
    loaded = Generator.load(tmp_path / "m.json")
    assert loaded.sample(40, seed=2).equals(model.sample(40, seed=2))
    assert loaded.ledger_.to_dict() == ledger.to_dict()


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"epsilon": 0}, "epsilon"),
        ({"epsilon": -1}, "epsilon"),
        ({"epsilon": float("inf")}, "epsilon"),
        ({"delta": 0}, "delta"),
        ({"delta": 1}, "delta"),
    ],
)
def test_bad_budgets_fail_before_spending(
    domain: Domain, frame: pl.DataFrame, kwargs, fragment
) -> None:
    with pytest.raises(BudgetError, match=fragment):
        IndependentMarginals(domain=domain, **kwargs).fit(frame)


def test_bad_data_fails_before_spending(domain: Domain, frame: pl.DataFrame) -> None:
    model = IndependentMarginals(domain=domain)
    with pytest.raises(UnknownCategoryError):
        model.fit(frame.with_columns(frame["sex"].scatter(0, "x")))
    assert not hasattr(model, "ledger_")


def test_projection_onto_simplex() -> None:
    p = project_to_simplex(np.array([5.0, -3.0, 10.0, 0.0]))
    assert p.min() >= 0 and p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(project_to_simplex(np.array([1.0, 3.0])), [0.25, 0.75])
    assert project_to_simplex(np.array([-5.0, -5.0])).sum() == pytest.approx(1.0)
