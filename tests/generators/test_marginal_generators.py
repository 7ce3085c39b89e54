"""MST, AIM and PrivBayes: the estimator contract, a ledger that adds up to the budget, every
read of the data covered by it, free and reproducible sampling, saving without raw rows, and
clear errors before any budget is spent."""

from __future__ import annotations

import itertools
import json
import math
import warnings

import numpy as np
import polars as pl
import pytest
from _fixtures import make_frame

from synthrisk import AIM, MST, Domain, Generator, IndependentMarginals, PrivBayes, _native
from synthrisk.data import Discretizer
from synthrisk.errors import (
    BudgetError,
    DataDerivedDomainWarning,
    InvalidArgumentError,
    MemoryLimitError,
    NotFittedError,
    PrivacyError,
    SchemaError,
    SynthriskWarning,
)
from synthrisk.generators.privbayes import R_SENSITIVITY, r_score

# Small settings so that every test runs in well under a second.
FAST = {
    "mst": (MST, {"bins": 8}),
    "aim": (AIM, {"bins": 8, "rounds": 24}),
    "privbayes": (PrivBayes, {"bins": 8}),
}
KINDS = list(FAST)


def make(kind: str, **kw):
    cls, base = FAST[kind]
    return cls(**(base | kw))


@pytest.fixture
def spy(monkeypatch):
    """Records every call of the Rust counting kernel: the only way rows are read."""
    calls: list[tuple[tuple[int, ...], int]] = []
    real = _native.marginal_counts

    def counting(codes, sizes, cliques, *args):
        calls.append((tuple(codes.shape), len(cliques)))
        return real(codes, sizes, cliques, *args)

    monkeypatch.setattr(_native, "marginal_counts", counting)
    return calls


# --- the contract ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_estimator_contract(kind: str, domain: Domain, frame: pl.DataFrame) -> None:
    model = make(kind, epsilon=0.5, domain=domain, seed=0)
    params = model.get_params()
    assert params["epsilon"] == 0.5 and params["domain"] is domain
    with pytest.raises(NotFittedError):
        model.sample(3)
    assert model.fit(frame) is model
    assert model.get_params() == params  # hyperparameters stay as given
    assert repr(model).startswith(type(model).__name__ + "(")
    assert Generator.registry[kind] is type(model)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("epsilon", [0.3, 3.0])
def test_ledger_adds_up_to_the_budget(
    kind: str, epsilon: float, domain: Domain, frame: pl.DataFrame
) -> None:
    model = make(kind, epsilon=epsilon, delta=1e-7, domain=domain, seed=0).fit(frame)
    ledger = model.ledger_
    assert ledger.rho_spent <= ledger.rho_budget
    assert ledger.rho_spent == pytest.approx(ledger.rho_budget, rel=1e-6)
    assert ledger.epsilon_spent <= epsilon * (1 + 1e-9)
    assert ledger.epsilon_spent == pytest.approx(epsilon, rel=1e-3)
    assert ledger.domain_public
    kinds = {e.mechanism for e in ledger.entries}
    assert "gaussian" in kinds and kinds <= {"gaussian", "exponential"}
    for e in ledger.entries:
        if e.mechanism == "gaussian":
            assert e.rho == pytest.approx(1 / (2 * e.parameters["sigma"] ** 2))
        else:
            assert e.rho == pytest.approx(e.parameters["epsilon"] ** 2 / 8)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("public", [True, False])
def test_every_data_access_is_covered_by_the_ledger(
    kind: str, public: bool, spy, domain: Domain, frame: pl.DataFrame
) -> None:
    """Counts every read of the training rows during fit (every read goes through the Rust
    counting kernel) and checks that each belongs to a mechanism already in the ledger."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDerivedDomainWarning)
        cats = {"sex": ["female", "male", "other"], "ward": ["A", "B", "C", "D"]}
        model = make(kind, epsilon=1.0, domain=domain if public else None, categories=cats, seed=0)
        model.fit(frame)
    ledger, accesses = model.ledger_, model.accesses_
    assert len(spy) == len(accesses) > 0
    for (shape, tables), access in zip(spy, accesses, strict=True):
        # The training rows themselves (DP preprocessing may drop records that miss a value
        # their column was found not to miss).
        assert shape[0] == frame.height or (not public and 0 < shape[0] <= frame.height)
        assert tables == access.tables
        assert access.entries, "a read outside any mechanism"
        for i in access.entries:
            entry = ledger.entries[i]
            assert entry.mechanism == access.mechanism
    # Every mechanism of the ledger is accounted; together exactly the budget, never more.
    assert ledger.rho_spent <= ledger.rho_budget
    assert ledger.rho_spent == pytest.approx(ledger.rho_budget, rel=1e-6)
    if not public:
        assert any("DP bounds" in e.purpose for e in ledger.entries)
        assert any("DP categories" in e.purpose for e in ledger.entries)
    # Nothing holding the rows survives the fit.
    for name, value in vars(model).items():
        if isinstance(value, np.ndarray):
            assert value.shape[0] != frame.height, name


@pytest.mark.parametrize("kind", KINDS)
def test_samples_are_valid_reproducible_and_free(
    kind: str, domain: Domain, frame: pl.DataFrame
) -> None:
    model = make(kind, epsilon=1.0, domain=domain, seed=3).fit(frame)
    spent = model.ledger_.rho_spent
    a, b = model.sample(400, seed=7), model.sample(400, seed=7)
    assert a.equals(b) and not a.equals(model.sample(400, seed=8))
    domain.validate(a)
    assert a.columns == list(domain.names) and a.schema["admitted"] == pl.Date
    assert model.ledger_.rho_spent == spent  # sampling costs nothing
    again = make(kind, epsilon=1.0, domain=domain, seed=3).fit(frame)
    assert again.sample(100, seed=1).equals(model.sample(100, seed=1))


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trip_without_raw_rows(
    kind: str, tmp_path, domain: Domain, frame: pl.DataFrame
) -> None:
    rng = np.random.default_rng(0)
    data = frame.with_columns(pl.Series("weight", rng.uniform(1, 299, frame.height)))
    model = make(kind, epsilon=1.0, domain=domain, seed=0).fit(data)
    path = tmp_path / "model.json"
    model.save(path)
    text = path.read_text()
    loaded = Generator.load(path)
    assert type(loaded) is type(model)
    assert loaded.sample(200, seed=5).equals(model.sample(200, seed=5))
    assert loaded.ledger_.to_dict() == model.ledger_.to_dict()
    # No raw value survives: exact weights (15 significant digits) never appear in the file.
    for w in data["weight"].to_list()[:50]:
        assert repr(w) not in text
    payload = json.loads(text)
    assert set(payload["state"]) >= {"measurements", "model", "edges"}


def test_dp_preprocessing_model_round_trips(tmp_path, frame: pl.DataFrame) -> None:
    cats = {"sex": ["female", "male"], "ward": ["A", "B", "C"]}
    model = MST(epsilon=2.0, bins=8, categories=cats, seed=0).fit(frame)
    assert not model.domain_.data_derived and model.ledger_.domain_public
    model.save(tmp_path / "m.json")
    loaded = Generator.load(tmp_path / "m.json")
    assert loaded.sample(50, seed=1).equals(model.sample(50, seed=1))


# --- utility -----------------------------------------------------------------------------------


def correlated(n: int, seed: int = 0) -> tuple[pl.DataFrame, Domain]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, n)
    b = (a + (rng.random(n) < 0.1)) % 4
    c = np.where(rng.random(n) < 0.85, b % 2, rng.integers(0, 2, n))
    e = rng.integers(0, 3, n)
    df = pl.DataFrame({"a": a, "b": b, "c": c.astype(bool), "e": e})
    domain = Domain.from_dict(
        {
            "columns": {
                "a": {"kind": "integer", "lower": 0, "upper": 3},
                "b": {"kind": "integer", "lower": 0, "upper": 3},
                "c": {"kind": "boolean"},
                "e": {"kind": "integer", "lower": 0, "upper": 2},
            }
        }
    )
    return df, domain


def three_way_error(real: pl.DataFrame, synth: pl.DataFrame, domain: Domain) -> float:
    disc = Discretizer(domain)
    r, s = disc.encode(domain.validate(real)), disc.encode(domain.validate(synth))
    errs = []
    for c in itertools.combinations(range(r.shape[1]), 3):
        sizes = [disc.sizes[a] for a in c]
        hr = np.histogramdd(r[:, c], bins=[np.arange(k + 1) for k in sizes])[0].ravel()
        hs = np.histogramdd(s[:, c], bins=[np.arange(k + 1) for k in sizes])[0].ravel()
        errs.append(np.abs(hr / hr.sum() - hs / hs.sum()).sum())
    return float(np.mean(errs))


@pytest.mark.parametrize("kind", KINDS)
def test_marginal_models_beat_independent_marginals(kind: str) -> None:
    df, domain = correlated(3000)
    base = IndependentMarginals(epsilon=5.0, domain=domain, seed=0).fit(df)
    err_base = three_way_error(df, base.sample(3000, seed=0), domain)
    model = make(kind, epsilon=5.0, domain=domain, seed=0).fit(df)
    err = three_way_error(df, model.sample(3000, seed=0), domain)
    assert err < 0.6 * err_base, (err, err_base)


def test_aim_error_shrinks_with_budget() -> None:
    df, domain = correlated(3000, seed=1)

    def err(eps: float) -> float:
        return np.mean(
            [
                three_way_error(
                    df, AIM(epsilon=eps, domain=domain, seed=s).fit(df).sample(3000, seed=s), domain
                )
                for s in range(3)
            ]
        )

    assert err(10.0) < err(0.1)


def test_aim_workload_and_rounds(domain: Domain, frame: pl.DataFrame) -> None:
    model = AIM(
        epsilon=1.0, domain=domain, bins=8, workload=[("age", "sex"), (("sex", "ward"), 2.0)]
    ).fit(frame)
    measured = set(model.cliques_)
    assert {("age",), ("sex",), ("ward",)} <= measured
    assert all(set(c) <= {"age", "sex", "ward"} for c in measured)
    assert 1 <= model.rounds_ <= 16 * len(domain)
    with pytest.raises(InvalidArgumentError, match="lacks"):
        AIM(domain=domain, workload=[("age", "nope")]).fit(frame)
    with pytest.raises(InvalidArgumentError, match="rounds"):
        AIM(domain=domain, rounds=0).fit(frame)
    with pytest.raises(InvalidArgumentError, match="degree"):
        PrivBayes(domain=domain, degree=-1).fit(frame)


def test_mst_selects_a_spanning_tree(domain: Domain, frame: pl.DataFrame) -> None:
    model = MST(epsilon=1.0, domain=domain, bins=8, seed=0).fit(frame)
    pairs = [c for c in model.cliques_ if len(c) == 2]
    assert len(pairs) == len(domain) - 1
    selections = [e for e in model.ledger_.entries if e.mechanism == "exponential"]
    assert len(selections) == len(domain) - 1


def test_privbayes_network_and_score_sensitivity() -> None:
    df, domain = correlated(2000)
    model = PrivBayes(epsilon=2.0, domain=domain, seed=0, degree=2).fit(df)
    children = [c for c, _ in model.network_]
    assert sorted(children) == sorted(domain.names)
    assert all(len(p) <= 2 for _, p in model.network_)
    # |R(D) − R(D ± one record)| ≤ 2 on random tables, including tiny ones.
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(3000):
        shape = tuple(int(k) for k in rng.integers(1, 4, rng.integers(2, 4)))
        counts = rng.integers(0, rng.choice([2, 5, 50]), shape).astype(float)
        cell = tuple(int(rng.integers(k)) for k in shape)
        more = counts.copy()
        more[cell] += 1
        for axis in range(len(shape)):
            worst = max(worst, abs(r_score(more, shape, axis) - r_score(counts, shape, axis)))
    assert worst <= R_SENSITIVITY


# --- guards and bad input ------------------------------------------------------------------------


@pytest.fixture
def no_reads(monkeypatch):
    """Fails the test if the rows are read (and so if any budget could be spent)."""

    def refuse(*args, **kwargs):
        raise AssertionError("the data were read before the error")

    monkeypatch.setattr(_native, "marginal_counts", refuse)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_budget_and_parameters_fail_before_any_read(
    kind: str, no_reads, domain: Domain, frame: pl.DataFrame
) -> None:
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(BudgetError, match="epsilon"):
            make(kind, epsilon=bad, domain=domain).fit(frame)
    for bad in (0.0, 1.0, -1e-6, 2.0):
        with pytest.raises(BudgetError, match="delta"):
            make(kind, delta=bad, domain=domain).fit(frame)
    for key, value in [("bins", 0), ("max_model_size", -1.0), ("max_time", 0.0), ("iters", 0)]:
        with pytest.raises(InvalidArgumentError, match=key):
            make(kind, domain=domain, **{key: value}).fit(frame)


@pytest.mark.parametrize("kind", KINDS)
def test_columns_outside_the_domain_fail_before_any_read(
    kind: str, no_reads, domain: Domain, frame: pl.DataFrame
) -> None:
    with pytest.raises(SchemaError, match="does not list"):
        make(kind, domain=domain).fit(frame.with_columns(pl.lit(1).alias("extra")))
    with pytest.raises(SchemaError, match="lacks columns"):
        make(kind, domain=domain).fit(frame.drop("ward"))


@pytest.mark.parametrize("kind", KINDS)
def test_domains_too_large_for_memory_fail_before_any_read(kind: str, no_reads) -> None:
    cats = [f"v{i}" for i in range(300_000)]
    spec = {"columns": {c: {"kind": "categorical", "categories": cats} for c in "abcd"}}
    domain = Domain.from_dict(spec)
    df = pl.DataFrame({c: ["v1", "v2"] for c in "abcd"})
    with pytest.raises(MemoryLimitError, match=r"GiB.*bins") as err:
        make(kind, domain=domain).fit(df)
    assert "cells" in str(err.value)


def test_strict_refuses_data_derived_domains(no_reads, frame: pl.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDerivedDomainWarning)
        inferred = Domain.infer(frame)
    for kind in KINDS:
        with pytest.raises(PrivacyError, match="strict"):
            make(kind, domain=inferred, strict=True).fit(frame)


@pytest.mark.parametrize("kind", KINDS)
def test_columns_without_candidates_are_released_privately(kind: str) -> None:
    """No domain and no candidate lists: the string columns' values go through the threshold
    release, paid from a tenth of δ set aside; nothing is data-derived, so strict=True fits."""
    frame = make_frame(6000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataDerivedDomainWarning)
        model = make(kind, epsilon=4.0, delta=1e-6, bins=8, strict=True, seed=0).fit(frame)
    ledger = model.ledger_
    assert not model.domain_.data_derived and ledger.domain_public
    released = [e for e in ledger.entries if e.mechanism == "gaussian_threshold"]
    assert sorted(e.purpose.split("'")[1] for e in released) == ["sex", "ward"]
    assert ledger.delta_reserved == pytest.approx(1e-7)
    assert ledger.delta_spent == pytest.approx(1e-7) and ledger.delta_spent <= 1e-7 * (1 + 1e-12)
    assert ledger.epsilon_spent <= 4.0 * (1 + 1e-9)
    assert set(model.domain_["sex"].categories) == {"female", "male", "<other>"}
    assert model.sample(50, seed=1).height == 50


def test_aim_leaves_out_candidates_it_cannot_project(
    monkeypatch, domain: Domain, frame: pl.DataFrame
) -> None:
    from synthrisk.generators import _engine

    monkeypatch.setattr(_engine, "PROJECTION_CELLS", 0)  # nothing outside the model projects
    model = AIM(epsilon=1.0, domain=domain, bins=8, seed=0).fit(frame)
    assert all(len(c) == 1 for c in model.cliques_)
    assert model.ledger_.rho_spent == pytest.approx(model.ledger_.rho_budget, rel=1e-6)


def test_columns_without_candidates_keep_what_memory_allows(monkeypatch) -> None:
    """The cap on released values is chosen before any spending so that the tables fit: with
    room for little, AIM keeps fewer values per column instead of refusing; with room for
    nothing it refuses before reading a row."""
    from synthrisk.generators import _marginal

    frame = make_frame(3000)
    monkeypatch.setattr(_marginal, "memory_bytes", lambda: 4 * 8 * 40_000)  # 40,000 cells
    model = AIM(epsilon=2.0, bins=8, seed=0)
    cap = model._discovery_cap(frame.schema, {})
    assert 1 <= cap < 1000
    model.fit(frame)
    assert all(len(c.categories) <= cap + 1 for c in model.domain_.columns)
    monkeypatch.setattr(_marginal, "memory_bytes", lambda: 4 * 8 * 10)
    monkeypatch.setattr(_native, "marginal_counts", _refuse_reads)
    with pytest.raises(MemoryLimitError, match="GiB"):
        AIM(epsilon=2.0, bins=8, seed=0).fit(frame)


def _refuse_reads(*args, **kwargs):
    raise AssertionError("the data were read before the error")


def test_time_limit_spends_the_rest_and_warns(domain: Domain, frame: pl.DataFrame) -> None:
    with pytest.warns(SynthriskWarning, match="max_time"):
        model = AIM(epsilon=1.0, domain=domain, bins=8, max_time=1e-6, seed=0).fit(frame)
    assert model.rounds_ == 1
    assert model.ledger_.rho_spent == pytest.approx(model.ledger_.rho_budget, rel=1e-6)


def test_model_size_limit_shapes_the_model(domain: Domain, frame: pl.DataFrame) -> None:
    model = AIM(epsilon=5.0, domain=domain, bins=8, max_model_size=0.002, seed=0).fit(frame)
    assert model.model_.cells * 8 <= 0.002 * 2**20 or all(len(c) == 1 for c in model.cliques_)
    with pytest.raises(MemoryLimitError, match="max_model_size"):
        from synthrisk.generators._engine import GraphModel

        GraphModel([50, 50, 50], [(0, 1, 2)], max_cells=1000)
