"""The distance-based risk measures against slow NumPy oracles written from FORMULAS.md.

Data sit on a dyadic grid with equal weights over 4 columns, so float32 and float64 arithmetic
agree exactly and the oracles can be compared with ``==`` (ties included).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from synthrisk import Domain
from synthrisk.data import MISSING_CODE, DistanceBlock
from synthrisk.errors import InvalidArgumentError, SchemaError
from synthrisk.privacy import (
    authenticity,
    dcr,
    distance_risks,
    entropy_weights,
    exposed_records,
    hitting_rate,
    identifiability,
    median_dcr_ratio,
    nnaa,
    nndr,
)


def grid_block(n: int, seed: int, levels: int = 8, missing: float = 0.1) -> DistanceBlock:
    rng = np.random.default_rng(seed)
    num = rng.integers(0, levels + 1, (n, 2)) / levels
    num[rng.random((n, 2)) < missing] = np.nan
    codes = rng.integers(0, 3, (n, 2)).astype(np.uint32)
    codes[rng.random((n, 2)) < missing] = MISSING_CODE
    return DistanceBlock(num.astype(np.float32), codes, ("a", "b"), ("c", "d"))


def matrix(q: DistanceBlock, r: DistanceBlock, w: np.ndarray | None = None) -> np.ndarray:
    """Mixed distances, float64, column by column (DESIGN.md)."""
    w = np.ones(4) if w is None else np.asarray(w, float)
    w = w / w.sum()
    out = np.zeros((q.n_rows, r.n_rows))
    for j in range(2):
        a, b = q.numeric[:, j][:, None].astype(float), r.numeric[:, j][None, :].astype(float)
        na, nb = np.isnan(a), np.isnan(b)
        t = np.minimum(np.abs(np.nan_to_num(a) - np.nan_to_num(b)), 1.0)
        out += w[j] * np.where(na & nb, 0.0, np.where(na | nb, 1.0, t))
    for j in range(2):
        out += w[2 + j] * (q.codes[:, j][:, None] != r.codes[:, j][None, :])
    return out


def loo(m: np.ndarray) -> np.ndarray:
    m = m.copy()
    np.fill_diagonal(m, np.inf)
    return m


S, T, H = grid_block(120, 1), grid_block(150, 2), grid_block(130, 3)


def test_sdmetrics_vector() -> None:
    d = Domain.from_dict(
        {
            "columns": {
                "A": {"kind": "continuous", "lower": 0, "upper": 10, "nullable": True},
                "B": {"kind": "categorical", "categories": ["q", "x", "y", "z"]},
            }
        }
    )
    real = pl.DataFrame({"A": [0.0, 10, 3, 4, 1], "B": ["x", "y", "x", "z", "y"]})
    synth = pl.DataFrame({"A": [5.0, 10, None], "B": ["x", "q", "y"]})
    r = dcr(synth, real, real, domain=d)
    np.testing.assert_allclose(r.dcr_train, [0.1, 0.5, 0.5], atol=1e-7)


def test_dcr_shares_follow_formulas() -> None:
    r = dcr(S, T, H)
    d_t, d_h = matrix(S, T).min(axis=1), matrix(S, H).min(axis=1)
    np.testing.assert_array_equal(r.dcr_train, d_t)
    np.testing.assert_array_equal(r.dcr_holdout, d_h)
    share = np.mean((d_t < d_h) + 0.5 * (d_t == d_h))
    assert r.closer_to_train.value == pytest.approx(share)
    assert r.holdout_share == r.closer_to_train
    assert (d_t == d_h).any()  # the grid makes ties, so the ½ rule matters here
    assert r.identical_match_share.value == pytest.approx(np.mean(d_t == 0))
    assert r.overfitting_protection == pytest.approx(min(2 * (1 - np.mean(d_t < d_h)), 1))
    assert r.ideal_closer_to_train == 150 / 280
    assert r.closer_to_train.low <= r.closer_to_train.value <= r.closer_to_train.high
    sub = dcr(S, T, H, max_queries=50, seed=3)
    assert sub.subsampled and sub.n_queries_used == 50 and sub.n_queries_total == 120
    assert sub.to_dict()["queries_subsampled"] is True


def test_median_dcr_ratio() -> None:
    r = median_dcr_ratio(S, T)
    want = np.median(matrix(S, T).min(axis=1)) / np.median(loo(matrix(T, T)).min(axis=1))
    assert r.ratio.value == pytest.approx(want)
    assert r.ratio.low <= r.ratio.value <= r.ratio.high
    # Subsampled train queries use leave-one-out against the full train set.
    sub = median_dcr_ratio(S, T, max_queries=40, seed=1)
    full_loo = loo(matrix(T, T)).min(axis=1)
    assert np.isin(sub.dcr_train_loo, full_loo).all() and len(sub.dcr_train_loo) == 40


def test_nndr_in_both_directions() -> None:
    for direction, (q, r) in (("synthetic→train", (S, T)), ("train→synthetic", (T, S))):
        res = nndr(S, T, direction=direction)
        m = np.sort(matrix(q, r), axis=1)
        d1, d2 = m[:, 0], m[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            want = np.where(d2 > 0, d1 / d2, np.where(d1 == 0, 1.0, np.inf))
        np.testing.assert_allclose(res.values, want)
        assert res.name == f"nndr {direction}"
        assert res.to_dict()["direction"] == direction
    assert nndr(S, T, direction="train->synthetic").direction == "train→synthetic"
    with pytest.raises(InvalidArgumentError, match="direction"):
        nndr(S, T, direction="both")


def test_identifiability_with_entropy_weights() -> None:
    w = entropy_weights(T)
    # Oracle weights: 1/H over 20 bins (numeric) or codes, missing as a value.
    for j in range(2):
        x = T.numeric[:, j].astype(float)
        b = np.where(np.isnan(x), -1, np.clip(np.floor(x * 20), 0, 19))
        _, c = np.unique(b, return_counts=True)
        p = c / c.sum()
        assert w[j] == pytest.approx(1 / -(p * np.log(p)).sum())
    res = identifiability(S, T)
    r = loo(matrix(T, T, w)).min(axis=1)
    r_hat = matrix(T, S, w).min(axis=1)
    np.testing.assert_allclose(res.r, r, rtol=1e-6)
    np.testing.assert_allclose(res.r_hat, r_hat, rtol=1e-6)
    assert res.epsilon.value == pytest.approx(np.mean(res.r_hat < res.r))
    assert abs(res.epsilon.value - np.mean(r_hat < r)) <= 2 / T.n_rows


def nnaa_oracle(r: DistanceBlock, s: DistanceBlock) -> float:
    d_rs, d_rr = matrix(r, s).min(axis=1), loo(matrix(r, r)).min(axis=1)
    d_sr, d_ss = matrix(s, r).min(axis=1), loo(matrix(s, s)).min(axis=1)
    return 0.5 * (np.mean(d_rs > d_rr) + np.mean(d_sr > d_ss))


def test_nnaa_and_privacy_loss() -> None:
    res = nnaa(S, T, H)
    assert res.nnaa_train.value == pytest.approx(nnaa_oracle(T, S))
    assert res.nnaa_holdout is not None and res.privacy_loss is not None
    assert res.nnaa_holdout.value == pytest.approx(nnaa_oracle(H, S))
    assert res.privacy_loss.value == pytest.approx(nnaa_oracle(H, S) - nnaa_oracle(T, S))
    assert nnaa(S, T).privacy_loss is None


def test_authenticity() -> None:
    res = authenticity(S, T)
    m = matrix(S, T)
    r_star = np.array([np.lexsort((np.arange(T.n_rows), row))[0] for row in m])
    own = loo(matrix(T, T)).min(axis=1)
    want = own[r_star] < m.min(axis=1)
    np.testing.assert_array_equal(res.nearest_train, r_star)
    np.testing.assert_array_equal(res.authentic, want)
    assert res.authenticity.value == pytest.approx(want.mean())


def test_hitting_rate_against_brute_force() -> None:
    for seed in range(4):
        s, t = grid_block(200, 10 + seed, levels=30), grid_block(150, 20 + seed, levels=30)
        for tol in (1 / 30, 0.1, 0.0):
            res = hitting_rate(s, t, tolerance=tol)
            tn = np.nan_to_num(t.numeric.astype(float), nan=1e30)
            sn = np.nan_to_num(s.numeric.astype(float), nan=1e30)
            close = (np.abs(tn[:, None, :] - sn[None, :, :]) <= tol).all(axis=2)
            same = (t.codes[:, None, :] == s.codes[None, :, :]).all(axis=2)
            np.testing.assert_array_equal(res.hit, (close & same).any(axis=1))
    assert hitting_rate(T, T).hitting_rate.value == 1.0


def test_exposed_records_ranks_a_planted_copy_first() -> None:
    rng = np.random.default_rng(5)
    t = DistanceBlock(
        rng.random((300, 3)).astype(np.float32), np.zeros((300, 0), np.uint32), ("a", "b", "c"), ()
    )
    h = DistanceBlock(
        rng.random((300, 3)).astype(np.float32), np.zeros((300, 0), np.uint32), ("a", "b", "c"), ()
    )
    s_num = rng.random((300, 3)).astype(np.float32)
    s_num[17] = t.numeric[42]  # an exact copy of training record 42
    s = DistanceBlock(s_num, np.zeros((300, 0), np.uint32), ("a", "b", "c"), ())
    res = exposed_records(s, t, h, alpha=0.01)
    top = res.table.row(0, named=True)
    assert top["train_index"] == 42 and top["nearest_synthetic"] == 17
    assert top["closeness"] == 0.0 and top["flagged"] and top["rank"] == 1
    assert res.n_flagged >= 1 and res.expected_by_chance == pytest.approx(3.0)
    assert res.table["closeness"].is_sorted()
    assert len(res.to_dict(top=5)["top"]) == 5
    # Without a holdout the threshold is alpha itself.
    assert exposed_records(s, t, alpha=0.05).threshold == 0.05


def test_distance_risks_agrees_with_the_single_measures() -> None:
    allr = distance_risks(S, T, H)
    one = dcr(S, T, H)
    np.testing.assert_array_equal(allr.dcr.dcr_train, one.dcr_train)
    assert allr.dcr.closer_to_train == one.closer_to_train
    assert allr.median_dcr_ratio.ratio == median_dcr_ratio(S, T).ratio
    np.testing.assert_array_equal(
        allr.nndr_train_to_synthetic.values, nndr(S, T, direction="train→synthetic").values
    )
    assert allr.nnaa == nnaa(S, T, H)
    assert allr.identifiability.epsilon == identifiability(S, T).epsilon
    assert allr.authenticity.authenticity == authenticity(S, T).authenticity
    assert allr.hitting_rate.hitting_rate == hitting_rate(S, T).hitting_rate
    assert allr.exposure.table.equals(exposed_records(S, T, H).table)
    d = allr.to_dict()
    assert set(d) >= {"dcr", "nnaa", "hitting_rate", "exposure", "nndr_train_to_synthetic"}
    sub = distance_risks(S, T, H, max_queries=60, seed=0)
    assert sub.dcr.n_queries_used == 60 and len(sub.exposure.table) == 60
    assert math.isfinite(sub.nnaa.nnaa_train.value)


def test_bad_input(domain, frame) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SchemaError):
        dcr(S, T, DistanceBlock(H.numeric, H.codes, ("x", "y"), ("c", "d")))
    with pytest.raises(InvalidArgumentError):
        dcr(frame, frame, frame)  # tables need a domain
    with pytest.raises(InvalidArgumentError, match="max_queries"):
        dcr(S, T, H, max_queries=0)
    with pytest.raises(InvalidArgumentError, match="alpha"):
        exposed_records(S, T, alpha=1.5)
    with pytest.raises(InvalidArgumentError, match="tolerance"):
        hitting_rate(S, T, tolerance=2)
    one = DistanceBlock(S.numeric[:1], S.codes[:1], S.numeric_columns, S.categorical_columns)
    with pytest.raises(InvalidArgumentError, match="at least 2"):
        distance_risks(S, T, one)
    r = dcr(frame.head(100), frame.head(200), frame.tail(100), domain=domain)
    assert r.identical_match_share.value == 1.0
