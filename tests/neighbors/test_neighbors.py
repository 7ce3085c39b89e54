"""``synthrisk.neighbors`` against a slow NumPy brute-force reference, for every metric.

Two kinds of oracle checks:

* exact: values on a dyadic grid and equal weights over 1, 2 or 4 columns, where float32 and
  float64 arithmetic agree exactly, so distances, ties and indices must match bit for bit;
* general: random floats and weights, where the answer must be a valid top-k of the float64
  reference up to float32 rounding.

Every path of the engine (brute force, k-d tree, deduplicated rows) must return identical arrays.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import synthrisk
from synthrisk.data import MISSING_CODE, DistanceBlock
from synthrisk.errors import (
    AllNullError,
    DtypeError,
    EmptyDataError,
    InvalidArgumentError,
    SchemaError,
    ShapeError,
    SynthriskError,
)
from synthrisk.neighbors import knn

PATHS = [{"algorithm": a, "dedup": d} for a in ("brute", "tree") for d in (False, True)] + [
    {"algorithm": "auto", "dedup": None}
]


def reference_matrix(q: DistanceBlock, r: DistanceBlock, metric: str, w: np.ndarray) -> np.ndarray:
    """All pairwise distances in float64, the slow way."""
    qn, rn = q.numeric.astype(np.float64), r.numeric.astype(np.float64)
    out = np.zeros((q.n_rows, r.n_rows))
    if metric == "mixed":
        w = w / w.sum()
        p = qn.shape[1]
        for j in range(p):
            a, b = qn[:, j][:, None], rn[:, j][None, :]
            na, nb = np.isnan(a), np.isnan(b)
            term = np.minimum(np.abs(np.nan_to_num(a) - np.nan_to_num(b)), 1.0)
            term = np.where(na & nb, 0.0, np.where(na | nb, 1.0, term))
            out += w[j] * term
        for j in range(q.codes.shape[1]):
            out += w[p + j] * (q.codes[:, j][:, None] != r.codes[:, j][None, :])
    elif metric == "l1":
        out = np.abs(qn[:, None, :] - rn[None, :, :]).sum(axis=2)
    elif metric == "l2":
        out = np.sqrt(((qn[:, None, :] - rn[None, :, :]) ** 2).sum(axis=2))
    else:
        out = (q.codes[:, None, :] != r.codes[None, :, :]).mean(axis=2)
    return out


def reference_knn(
    q: DistanceBlock, r: DistanceBlock, metric: str, w: np.ndarray, k: int, exclude_self: bool
) -> tuple[np.ndarray, np.ndarray]:
    m = reference_matrix(q, r, metric, w)
    if exclude_self:
        np.fill_diagonal(m, np.inf)
    cols = np.arange(r.n_rows)
    idx = np.array([np.lexsort((cols, row))[:k] for row in m])
    return np.take_along_axis(m, idx, axis=1), idx


def block(num: np.ndarray, codes: np.ndarray) -> DistanceBlock:
    return DistanceBlock(
        num.astype(np.float32),
        codes.astype(np.uint32),
        tuple(f"n{j}" for j in range(num.shape[1])),
        tuple(f"c{j}" for j in range(codes.shape[1])),
    )


@st.composite
def exact_case(draw: st.DrawFn) -> tuple[DistanceBlock, DistanceBlock, str, int, bool]:
    metric = draw(st.sampled_from(["mixed", "l1", "l2", "hamming"]))
    width = draw(st.sampled_from([1, 2, 4]))
    fixed = {"l1": width, "l2": width, "hamming": 0}
    p = draw(st.integers(0, width)) if metric == "mixed" else fixed[metric]
    c = width - p
    exclude_self = draw(st.booleans())
    nr = draw(st.integers(2 if exclude_self else 1, 40))
    nq = nr if exclude_self else draw(st.integers(1, 25))
    values = [i / 8 for i in range(15)]
    if metric == "mixed":
        values.append(float("nan"))
    codes = [0, 1, 2] + ([int(MISSING_CODE)] if metric != "hamming" or draw(st.booleans()) else [])

    def make(n: int) -> DistanceBlock:
        num = draw(st.lists(st.sampled_from(values), min_size=n * p, max_size=n * p))
        cat = draw(st.lists(st.sampled_from(codes), min_size=n * c, max_size=n * c))
        return block(np.array(num).reshape(n, p), np.array(cat, np.uint64).reshape(n, c))

    r = make(nr)
    q = r if exclude_self else make(nq)
    k = draw(st.integers(1, nr - int(exclude_self)))
    return q, r, metric, k, exclude_self


def run(q, r, metric, k, exclude_self, **kw):  # type: ignore[no-untyped-def]
    if metric in ("l1", "l2"):
        q, r = q.numeric, r.numeric
    elif metric == "hamming":
        q, r = q.codes.astype(np.int64), r.codes.astype(np.int64)
    return synthrisk.neighbors(q, r, k=k, metric=metric, exclude_self=exclude_self, **kw)


@settings(max_examples=150, deadline=None)
@given(exact_case())
def test_exact_on_a_dyadic_grid_every_metric_tie_and_missing_case(case) -> None:  # type: ignore[no-untyped-def]
    q, r, metric, k, exclude_self = case
    want_d, want_i = reference_knn(q, r, metric, np.ones(len(q.columns)), k, exclude_self)
    for path in PATHS:
        d, i = run(q, r, metric, k, exclude_self, **path)
        assert d.shape == i.shape == (q.n_rows, k)
        assert d.dtype == np.float64 and i.dtype == np.int64
        np.testing.assert_array_equal(i, want_i, err_msg=f"{metric} {path}")
        np.testing.assert_array_equal(d, want_d, err_msg=f"{metric} {path}")


@st.composite
def float_case(draw: st.DrawFn) -> tuple[DistanceBlock, DistanceBlock, str, np.ndarray, int]:
    metric = draw(st.sampled_from(["mixed", "l1", "l2"]))
    p = draw(st.integers(1, 6))
    c = draw(st.integers(0, 3)) if metric == "mixed" else 0
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    nq, nr = draw(st.integers(1, 30)), draw(st.integers(1, 60))

    def make(n: int) -> DistanceBlock:
        num = rng.random((n, p)) * 1.5 - 0.25
        if metric == "mixed":
            num[rng.random((n, p)) < 0.1] = np.nan
        return block(num, rng.integers(0, 3, (n, c)))

    w = rng.random(p + c) + 0.1
    return make(nq), make(nr), metric, w, draw(st.integers(1, nr))


@settings(max_examples=100, deadline=None)
@given(float_case())
def test_random_floats_give_a_valid_top_k(case) -> None:  # type: ignore[no-untyped-def]
    q, r, metric, w, k = case
    full = reference_matrix(q, r, metric, w)
    kw = {"weights": w} if metric == "mixed" else {}
    results = [run(q, r, metric, k, False, **kw, **path) for path in PATHS]
    d, i = results[0]
    for other in results[1:]:  # every path: bit-identical
        np.testing.assert_array_equal(other[0], d)
        np.testing.assert_array_equal(other[1], i)
    got = np.take_along_axis(full, i, axis=1)
    np.testing.assert_allclose(d, got, rtol=1e-5, atol=1e-6)
    assert np.all(np.diff(d, axis=1) >= 0)
    kth_true = np.sort(full, axis=1)[:, k - 1]
    np.testing.assert_allclose(d[:, -1], kth_true, rtol=1e-5, atol=1e-6)
    for row in i:
        assert len(set(row.tolist())) == k


def test_exact_copies_are_at_zero_under_every_metric() -> None:
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((500, 20)) * 1e3).astype(np.float32)
    for metric in ("l1", "l2"):
        for path in PATHS:
            d, i = synthrisk.neighbors(x, x, metric=metric, **path)
            assert np.all(d == 0) and np.array_equal(i[:, 0], np.arange(500))


def test_exclude_self_keeps_duplicates() -> None:
    x = np.array([[0.0], [0.0], [1.0], [3.0]])
    for path in PATHS:
        d, i = synthrisk.neighbors(x, x, metric="l1", k=1, exclude_self=True, **path)
        assert d[:, 0].tolist() == [0.0, 0.0, 1.0, 2.0]
        assert i[:, 0].tolist() == [1, 0, 0, 2]


def test_frames_through_a_domain(domain, frame) -> None:  # type: ignore[no-untyped-def]
    enc = synthrisk.data.encode_for_distance(frame, domain)
    d1, i1 = synthrisk.neighbors(frame.head(50), frame, domain=domain, k=3)
    d2, i2 = synthrisk.neighbors(
        DistanceBlock(
            enc.numeric[:50], enc.codes[:50], enc.numeric_columns, enc.categorical_columns
        ),
        enc,
        k=3,
    )
    np.testing.assert_array_equal(d1, d2)
    np.testing.assert_array_equal(i1, i2)
    assert np.all(d1[:, 0] == 0) and np.array_equal(i1[:, 0], np.arange(50))


def test_plan_reports_dedup_and_tree() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (3000, 2)).astype(np.float64)
    _, _, plan = knn(x, x, metric="l1", k=1)
    assert plan["dedup_reference"] and plan["reference_groups"] == 16
    y = rng.random((20000, 2))
    _, _, plan = knn(y[:5000], y, metric="l2")
    assert plan["algorithm"] == "tree"
    assert plan["simd"] in ("avx512", "avx2+fma", "scalar")


def test_n_jobs_gives_the_same_answer() -> None:
    x = np.random.default_rng(2).random((3000, 5))
    one = synthrisk.neighbors(x, x, metric="l2", k=3, n_jobs=1, algorithm="brute")
    two = synthrisk.neighbors(x, x, metric="l2", k=3, n_jobs=2, algorithm="brute")
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])


def test_bad_input_gives_clear_errors(domain, frame) -> None:  # type: ignore[no-untyped-def]
    x = np.zeros((5, 2))
    with pytest.raises(InvalidArgumentError, match="NaN"):
        synthrisk.neighbors(np.array([[np.nan, 0.0]]), x, metric="l2")
    with pytest.raises(InvalidArgumentError, match="NaN"):
        synthrisk.neighbors(x, np.array([[np.nan, 0.0]]), metric="l1")
    with pytest.raises((ShapeError, SchemaError)):
        synthrisk.neighbors(x, np.zeros((5, 3)), metric="l2")
    with pytest.raises(InvalidArgumentError, match="k=6"):
        synthrisk.neighbors(x, x, metric="l2", k=6)
    with pytest.raises(InvalidArgumentError, match="k=5"):
        synthrisk.neighbors(x, x, metric="l2", k=5, exclude_self=True)
    with pytest.raises(EmptyDataError):
        synthrisk.neighbors(np.zeros((0, 2)), x, metric="l2")
    with pytest.raises(EmptyDataError):
        synthrisk.neighbors(x, np.zeros((0, 2)), metric="l2")
    with pytest.raises(EmptyDataError):
        synthrisk.neighbors(frame.head(0), frame, domain=domain)
    with pytest.raises(ShapeError):
        synthrisk.neighbors(np.zeros(5), x, metric="l2")
    with pytest.raises(DtypeError):
        synthrisk.neighbors(np.array([["a"]]), np.array([["b"]]), metric="l2")
    with pytest.raises(DtypeError):
        synthrisk.neighbors(x, x, metric="hamming")
    with pytest.raises(InvalidArgumentError, match="mixed"):
        synthrisk.neighbors(x, x)
    with pytest.raises(InvalidArgumentError, match="metric"):
        synthrisk.neighbors(x, x, metric="cosine")
    with pytest.raises(InvalidArgumentError, match="algorithm"):
        synthrisk.neighbors(x, x, metric="l2", algorithm="ball")
    with pytest.raises(InvalidArgumentError, match="n_jobs"):
        synthrisk.neighbors(x, x, metric="l2", n_jobs=0)
    with pytest.raises(InvalidArgumentError, match="weights"):
        synthrisk.neighbors(x, x, metric="l2", weights=[1, 2])
    with pytest.raises(InvalidArgumentError):
        synthrisk.neighbors(np.full((1, 1), 1e20), x[:, :1], metric="l2")
    # Frames: kinds that do not fit the metric, columns that differ, all-missing columns.
    with pytest.raises(SchemaError, match="categorical"):
        synthrisk.neighbors(frame, frame, domain=domain, metric="l2")
    with pytest.raises(SchemaError, match="numeric"):
        synthrisk.neighbors(frame, frame, domain=domain, metric="hamming")
    with pytest.raises(SchemaError):
        synthrisk.neighbors(frame.drop("ward"), frame, domain=domain)
    all_null = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("weight"))
    with pytest.raises(AllNullError):
        synthrisk.neighbors(all_null, frame, domain=domain)
    q = synthrisk.data.encode_for_distance(frame, domain)
    r = DistanceBlock(q.numeric, q.codes, q.numeric_columns[::-1], q.categorical_columns)
    with pytest.raises(SchemaError):
        synthrisk.neighbors(q, r)
    # Everything raised is a SynthriskError.
    assert issubclass(SchemaError, SynthriskError)
