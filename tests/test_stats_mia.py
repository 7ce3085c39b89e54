"""MIA statistics: ROC/AUC against scikit-learn, the MIDST TPR rule, Clopper–Pearson against
scipy, the empirical ε bound, bootstrap intervals and input checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthrisk.errors import InvalidArgumentError, ShapeError
from synthrisk.stats import (
    auc,
    bootstrap_auc,
    bootstrap_tpr_at_fpr,
    clopper_pearson,
    empirical_epsilon,
    membership_advantage,
    mia_statistics,
    roc_curve,
    tpr_at_fpr,
    vulnerability_ranking,
)

labels_scores = st.integers(4, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < n),
        st.lists(st.integers(0, 5), min_size=n, max_size=n),  # many ties
    )
)


@settings(max_examples=60, deadline=None)
@given(labels_scores)
def test_roc_and_auc_match_sklearn(data: tuple[list[int], list[int]]) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y, s = np.array(data[0]), np.array(data[1], dtype=float)
    fpr, tpr, _ = roc_curve(y, s)
    f2, t2, _ = metrics.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, f2)
    np.testing.assert_allclose(tpr, t2)
    assert auc(y, s) == pytest.approx(metrics.roc_auc_score(y, s))
    # the MIDST rule, as the challenge computes it
    for a in (0.01, 0.1, 0.5):
        assert tpr_at_fpr(y, s, a) == pytest.approx(max(t2[f2 < a]))


def test_tpr_rule_is_strict() -> None:
    y = [0] * 10 + [1] * 10
    s = list(range(20))
    s[0] = 100  # one non-member on top: FPR 0.1 before any member
    assert tpr_at_fpr(y, s, 0.1) == 0.0
    assert tpr_at_fpr(y, s, 0.11) == 1.0
    assert membership_advantage(y, s) == pytest.approx(0.9)


def test_clopper_pearson_matches_scipy() -> None:
    beta = pytest.importorskip("scipy.stats").beta
    for k, n, c in [
        (0, 10, 0.95),
        (3, 10, 0.9),
        (10, 10, 0.99),
        (50, 2000, 0.95),
        (999, 1000, 0.95),
    ]:
        e = clopper_pearson(k, n, c)
        lo = 0.0 if k == 0 else beta.ppf((1 - c) / 2, k, n - k + 1)
        hi = 1.0 if k == n else beta.ppf((1 + c) / 2, k + 1, n - k)
        assert (e.low, e.high) == pytest.approx((lo, hi), abs=1e-12)


def test_epsilon_bound_is_zero_without_signal_and_large_with_it() -> None:
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(500, int), np.zeros(500, int)]
    none = empirical_epsilon(y, rng.normal(size=1000), seed=1)
    assert none.epsilon < 0.3
    strong = empirical_epsilon(y, y + rng.normal(scale=0.2, size=1000), seed=1)
    assert strong.epsilon > 3
    assert strong.epsilon <= strong.epsilon_point
    assert strong.n_members + strong.n_nonmembers == 500


def test_bootstrap_intervals_cover_the_value() -> None:
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(300, int), np.zeros(300, int)]
    s = y * 0.5 + rng.normal(size=600)
    a = bootstrap_auc(y, s, n_boot=300, seed=0)
    assert a.low < a.value < a.high and a.value > 0.55
    t = bootstrap_tpr_at_fpr(y, s, (0.01, 0.1), n_boot=300, seed=0)
    assert t[0.1].low <= t[0.1].value <= t[0.1].high
    r = mia_statistics(y, s, n_boot=200, seed=0)
    assert r.auc.value == pytest.approx(a.value)
    d = r.to_dict(curve_points=50)
    assert set(d["tpr_at_fpr"]) == {"0.001", "0.01", "0.1"} and len(d["roc"]["fpr"]) <= 51
    assert (
        mia_statistics(y, s, n_boot=50, seed=3).to_dict()
        == mia_statistics(y, s, n_boot=50, seed=3).to_dict()
    )


def test_vulnerability_ranking() -> None:
    r = vulnerability_ranking([0.2, 0.9, 0.5], [0, 1, 0])
    assert [e["row"] for e in r] == [1, 2, 0]
    assert r[0]["rank"] == 1 and r[0]["label"] == 1
    assert vulnerability_ranking([1.0, 2.0, 3.0], top=1)[0]["row"] == 2


@pytest.mark.parametrize(
    "labels, scores, error, match",
    [
        ([0, 1, 2], [1, 2, 3], InvalidArgumentError, "0 .non-member. or 1"),
        (["a", "b"], [1, 2], InvalidArgumentError, "0 .non-member. or 1"),
        ([1, 1, 1], [1, 2, 3], InvalidArgumentError, "all 3 labels are members"),
        ([0, 0], [1, 2], InvalidArgumentError, "non-members"),
        ([0, 1], [1, 2, 3], ShapeError, "2 labels but 3 scores"),
        ([0, 1], [1, float("nan")], InvalidArgumentError, "NaN"),
    ],
)
def test_bad_labels(labels, scores, error, match) -> None:
    with pytest.raises(error, match=match):
        auc(labels, scores)
