"""The Rust marginal engine through its Python bindings, against slow numpy references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthrisk import _native
from synthrisk.errors import InvalidArgumentError, MemoryLimitError, ShapeError
from synthrisk.generators._engine import (
    GraphModel,
    NoisyMarginal,
    decode_array,
    downward_closure,
    encode_array,
    model_cells,
)


def brute_table(codes: np.ndarray, sizes: list[int], clique: tuple[int, ...]) -> np.ndarray:
    out = np.zeros([sizes[a] for a in clique])
    for row in codes:
        out[tuple(row[a] for a in clique)] += 1
    return out.ravel()


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=5),
    n=st.integers(0, 300),
    seed=st.integers(0, 1000),
    n_jobs=st.sampled_from([None, 1, 2]),
)
def test_counts_match_numpy(sizes: list[int], n: int, seed: int, n_jobs: int | None) -> None:
    rng = np.random.default_rng(seed)
    codes = np.column_stack([rng.integers(0, s, n) for s in sizes]).astype(np.uint32)
    codes = codes.reshape(n, len(sizes))
    cliques = [
        c for r in range(len(sizes) + 1) for c in itertools.combinations(range(len(sizes)), r)
    ]
    got = _native.marginal_counts(codes, sizes, [list(c) for c in cliques], None, n_jobs)
    for c, t in zip(cliques, got, strict=True):
        np.testing.assert_array_equal(t, brute_table(codes, sizes, c))


def test_count_errors_name_the_problem() -> None:
    codes = np.array([[0, 1], [2, 0]], dtype=np.uint32)
    with pytest.raises(InvalidArgumentError, match="row 1, column 0"):
        _native.marginal_counts(codes, [2, 2], [[0]])
    with pytest.raises(ShapeError):
        _native.marginal_counts(codes, [3], [[0]])
    with pytest.raises(InvalidArgumentError, match="increasing"):
        _native.marginal_counts(codes, [3, 2], [[1, 0]])
    with pytest.raises(MemoryLimitError, match="cells"):
        _native.marginal_counts(codes[:0], [2**40, 2**40], [[0, 1]])


def random_model(seed: int, sizes: list[int], cliques: list[tuple[int, ...]]) -> GraphModel:
    rng = np.random.default_rng(seed)
    model = GraphModel(sizes, cliques, max_cells=10**7, total=500.0)
    model.set_potentials([rng.normal(0, 1.5, p.size) for p in model.potentials()])
    return model


def brute_joint(model: GraphModel) -> np.ndarray:
    """The model's joint distribution (count scale) from its potentials, by brute force."""
    sizes = model.sizes
    logp = np.zeros(sizes)
    for clique, pot in zip(model.cliques, model.potentials(), strict=True):
        shape = [sizes[a] if a in clique else 1 for a in range(len(sizes))]
        logp = logp + pot.reshape([sizes[a] for a in clique]).reshape(shape)
    p = np.exp(logp - logp.max())
    return p / p.sum() * model.total


@pytest.mark.parametrize("seed", range(6))
def test_projection_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = 5
    sizes = [int(s) for s in rng.integers(2, 4, d)]
    cliques = [tuple(sorted(rng.choice(d, 2, replace=False))) for _ in range(4)]
    model = random_model(seed, sizes, cliques)
    joint = brute_joint(model)
    targets = downward_closure(itertools.combinations(range(d), 3))
    for t, got in zip(targets, model.project(targets), strict=True):
        axes = tuple(a for a in range(d) if a not in t)
        want = joint.sum(axis=axes).ravel()
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_projectable_says_which_targets_fit_the_walk_limit(monkeypatch) -> None:
    """Found on Adult at ε = 10: AIM scored a candidate whose projection needed a walk over
    1.7e10 cells and the fit died mid-way (after spending budget). The model now says which
    candidates it can project, from its structure alone, and AIM leaves the others out."""
    from synthrisk.generators import _engine

    sizes = [4, 5, 6, 3, 4]
    model = random_model(3, sizes, [(0, 1), (1, 2), (2, 3), (3, 4)])
    targets = [(0, 1), (0, 2, 4), (1, 3, 4)]
    walks = model._inner.projection_walks([model._in(t) for t in targets])
    assert walks[0] == 0 and min(walks[1:]) > 0
    assert model.projectable(targets) == [True, True, True]
    monkeypatch.setattr(_engine, "PROJECTION_CELLS", min(walks[1:]) - 1)
    assert model.projectable(targets) == [True, False, False]
    with pytest.raises(MemoryLimitError, match="walk"):
        model._inner.project([model._in((0, 2, 4))], max_cells=walks[1] - 1)


def test_fit_recovers_exact_marginals_and_samples_follow_them() -> None:
    truth = random_model(3, [3, 4, 2, 3], [(0, 1), (1, 2), (2, 3)])
    joint = brute_joint(truth)
    ms = [
        NoisyMarginal(c, joint.sum(axis=tuple(a for a in range(4) if a not in c)).ravel(), 1.0)
        for c in [(0, 1), (1, 2), (2, 3)]
    ]
    model = GraphModel(truth.sizes, [m.clique for m in ms], max_cells=10**6)
    report = model.fit(ms, iters=3000, tol=None, growth=1.1)
    assert report["loss"] < 1e-4 * report["initial_loss"]
    assert report["total"] == pytest.approx(500.0)
    for m, got in zip(ms, model.project([m.clique for m in ms]), strict=True):
        np.testing.assert_allclose(got, m.values, atol=0.05)
    codes = model.sample(20000, seed=1)
    assert codes.shape == (20000, 4)
    counts = brute_table(codes, list(truth.sizes), (0, 1, 2, 3)) / 20000
    assert 0.5 * np.abs(counts - joint.ravel() / 500.0).sum() < 0.03
    np.testing.assert_array_equal(model.sample(50, seed=4), model.sample(50, seed=4))


def test_state_round_trip_and_sizes() -> None:
    model = random_model(1, [3, 5, 2], [(0, 1), (1, 2)])
    again = GraphModel.from_state(model.sizes, model.state(), 10**6)
    for a, b in zip(model.project([(0, 2)]), again.project([(0, 2)]), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    x = np.arange(7.5, 0, -1.25)
    np.testing.assert_array_equal(decode_array(encode_array(x)), x)
    base, each = model_cells([3, 5, 2], [(0, 1), (1, 2)], [(0, 2), (1,)])
    assert base == 15 + 10 and each[1] == base and each[0] >= 30
    with pytest.raises(MemoryLimitError, match="fewer bins"):
        GraphModel([100, 100, 100], [(0, 1, 2)], max_cells=1000)


def test_lazy_exponential_mechanism_has_the_exact_distribution() -> None:
    """Scoring candidates lazily (Gumbel noise first, upper bounds to stop early) draws from
    exactly the exponential mechanism's distribution."""
    from synthrisk.accounting import PrivacyLedger
    from synthrisk.data.preprocess import AccessLog
    from synthrisk.generators._engine import PrivateTable

    codes = np.zeros((10, 2), dtype=np.uint32)
    quality = np.array([0.0, 3.0, 2.0, -40.0, 2.5, 1.0])
    slack = np.array([0.1, 0.0, 5.0, 1.0, 0.3, 20.0])  # any upper bound ≥ the quality
    candidates = [(0,), (1,), (0, 1), (0,), (1,), (0, 1)]
    eps, sens = 2.0, 1.0
    want = np.exp(0.5 * eps / sens * (quality - quality.max()))
    want /= want.sum()
    rng = np.random.default_rng(0)
    n = 1500
    draws, scored = np.zeros(len(quality)), 0
    for k in range(n):
        if k % 100 == 0:  # a fresh ledger now and then keeps recording cheap
            ledger = PrivacyLedger(epsilon=1e3, delta=1e-6)
            table = PrivateTable(codes, [1, 1], ledger, rng, AccessLog())
        i = table.exponential_bounded(
            candidates,
            upper=lambda _n: quality + slack,
            quality=lambda idx, _tables: quality[idx],
            epsilon=eps,
            sensitivity=sens,
            purpose="test",
            batch=2,
        )
        draws[i] += 1
        scored += table.scored
    freq = draws / n
    assert np.all(np.abs(freq - want) <= 4 * np.sqrt(want * (1 - want) / n) + 1e-3)
    assert scored < n * len(quality)  # and it did skip candidates
