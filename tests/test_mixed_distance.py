"""The Rust mixed-type kNN kernel against a slow, obviously correct NumPy reference."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import synthrisk
from synthrisk.data import MISSING_CODE, DistanceBlock
from synthrisk.errors import InvalidArgumentError, SchemaError


def reference_distances(q: DistanceBlock, r: DistanceBlock, weights: np.ndarray) -> np.ndarray:
    """All pairwise mixed distances, the slow way (DESIGN.md's rule, column by column)."""
    w = weights / weights.sum()
    out = np.zeros((q.n_rows, r.n_rows))
    for i in range(q.n_rows):
        for j in range(r.n_rows):
            total = 0.0
            for c in range(q.numeric.shape[1]):
                a, b = float(q.numeric[i, c]), float(r.numeric[j, c])
                if np.isnan(a) and np.isnan(b):
                    term = 0.0
                elif np.isnan(a) or np.isnan(b):
                    term = 1.0
                else:
                    term = min(abs(a - b), 1.0)
                total += w[c] * term
            for c in range(q.codes.shape[1]):
                total += w[q.numeric.shape[1] + c] * float(q.codes[i, c] != r.codes[j, c])
            out[i, j] = total
    return out


@st.composite
def blocks(draw: st.DrawFn) -> tuple[DistanceBlock, DistanceBlock, np.ndarray, int]:
    p, c = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    if p + c == 0:
        p = 1
    nq, nr = draw(st.integers(1, 12)), draw(st.integers(1, 15))
    # Few distinct values so ties and exact copies are common.
    num_values = st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.7, float("nan")])
    code_values = st.sampled_from([0, 1, 2, int(MISSING_CODE)])

    def block(n: int) -> DistanceBlock:
        num = np.array(draw(st.lists(num_values, min_size=n * p, max_size=n * p)), np.float32)
        cat = np.array(draw(st.lists(code_values, min_size=n * c, max_size=n * c)), np.uint32)
        names = tuple(f"n{j}" for j in range(p)), tuple(f"c{j}" for j in range(c))
        return DistanceBlock(num.reshape(n, p), cat.reshape(n, c), *names)

    weights = np.array(
        draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=p + c, max_size=p + c))
    )
    k = draw(st.integers(1, nr))
    return block(nq), block(nr), weights, k


@settings(max_examples=150, deadline=None)
@given(blocks())
def test_knn_matches_reference(case: tuple[DistanceBlock, DistanceBlock, np.ndarray, int]) -> None:
    q, r, weights, k = case
    dist, idx = synthrisk.neighbors(q, r, k=k, weights=weights)
    full = reference_distances(q, r, weights)
    for i in range(q.n_rows):
        # Sorted by distance, ties broken by the lower reference index.
        order = sorted(range(r.n_rows), key=lambda j: (round(full[i, j], 5), j))[:k]
        np.testing.assert_allclose(dist[i], full[i, order], atol=1e-5)
        np.testing.assert_allclose(full[i, idx[i]], full[i, order], atol=1e-5)
        assert np.all(np.diff(dist[i]) >= 0)


@settings(max_examples=60, deadline=None)
@given(blocks())
def test_exact_copies_have_distance_zero(
    case: tuple[DistanceBlock, DistanceBlock, np.ndarray, int],
) -> None:
    _, r, weights, _ = case
    dist, idx = synthrisk.neighbors(r, r, k=1, weights=weights)
    assert (dist[:, 0] == 0.0).all()
    # The first of several identical rows is found for each of them.
    full = reference_distances(r, r, weights)
    for i in range(r.n_rows):
        assert idx[i, 0] == np.flatnonzero(full[i] <= 1e-7)[0]


def test_leave_one_out(domain, frame) -> None:
    _, idx = synthrisk.neighbors(frame, frame, domain=domain, k=2, exclude_self=True)
    assert (idx[:, 0] != np.arange(frame.height)).all()
    with pytest.raises(InvalidArgumentError, match="same rows"):
        synthrisk.neighbors(frame, frame.head(10), domain=domain, exclude_self=True)


def test_sdmetrics_vector() -> None:
    # FORMULAS.md: DCR(synthetic → real) = [0.1, 0.5, 0.5].
    domain = synthrisk.Domain.from_dict(
        {
            "columns": {
                "A": {"kind": "continuous", "lower": 0, "upper": 10, "nullable": True},
                "B": {"kind": "categorical", "categories": ["q", "x", "y", "z"]},
            }
        }
    )
    real = pl.DataFrame({"A": [0.0, 10, 3, 4, 1], "B": ["x", "y", "x", "z", "y"]})
    synth = pl.DataFrame({"A": [5.0, 10, None], "B": ["x", "q", "y"]})
    dist, _ = synthrisk.neighbors(synth, real, domain=domain)
    np.testing.assert_allclose(dist[:, 0], [0.1, 0.5, 0.5], atol=1e-6)


def test_bad_arguments(domain, frame) -> None:
    with pytest.raises(InvalidArgumentError, match="k=400"):
        synthrisk.neighbors(frame, frame, domain=domain, k=400)
    with pytest.raises(InvalidArgumentError, match="k must be a positive integer"):
        synthrisk.neighbors(frame, frame, domain=domain, k=0)
    with pytest.raises(InvalidArgumentError, match="domain="):
        synthrisk.neighbors(frame, frame)
    with pytest.raises(InvalidArgumentError, match="weights"):
        synthrisk.neighbors(frame, frame, domain=domain, weights=[1.0])
    q = synthrisk.data.encode_for_distance(frame, domain)
    r = synthrisk.data.encode_for_distance(frame.drop("ward"), domain.drop(["ward"]))
    with pytest.raises(SchemaError):
        synthrisk.neighbors(q, r)


def test_threads_give_identical_answers(domain) -> None:
    from _fixtures import make_frame

    q, r = make_frame(400, 1), make_frame(500, 2)
    one = synthrisk.neighbors(q, r, domain=domain, k=5, n_jobs=1)
    two = synthrisk.neighbors(q, r, domain=domain, k=5, n_jobs=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    with pytest.raises(InvalidArgumentError, match="n_jobs"):
        synthrisk.neighbors(q, r, domain=domain, n_jobs=0)
