"""evaluate(): DCR shares behave as they must on copies and fresh samples; reports are complete."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from _fixtures import make_frame

import synthrisk
from synthrisk import Domain, IndependentMarginals
from synthrisk.errors import SchemaError


def test_copying_generator_is_caught(domain: Domain) -> None:
    train, holdout = make_frame(400, 1), make_frame(400, 2)
    report = synthrisk.evaluate(train=train, holdout=holdout, synthetic=train, domain=domain)
    assert report.dcr.identical_match_share.value == 1.0
    assert report.dcr.closer_to_train.value > 0.95
    assert report.summary()["median_dcr_train"] == 0.0
    assert all(c.distance == 0.0 for c in report.columns)
    assert all(p.difference == 0.0 for p in report.pairs)


def test_fresh_samples_sit_at_the_ideal_share(domain: Domain) -> None:
    train, holdout, fresh = make_frame(600, 1), make_frame(300, 2), make_frame(1000, 3)
    report = synthrisk.evaluate(train=train, holdout=holdout, synthetic=fresh, domain=domain)
    share = report.dcr.closer_to_train
    assert report.dcr.ideal_closer_to_train == pytest.approx(600 / 900)
    assert share.low - 0.03 < 600 / 900 < share.high + 0.03


def test_holdout_share_counts_ties_half() -> None:
    d = Domain.from_dict({"columns": {"x": {"kind": "integer", "lower": 0, "upper": 10}}})
    train, holdout = pl.DataFrame({"x": [0, 10]}), pl.DataFrame({"x": [5, 10]})
    synth = pl.DataFrame({"x": [1, 6, 10, 10]})  # closer to train, to holdout, tie, tie
    r = synthrisk.privacy.dcr(synth, train, holdout, domain=d)
    assert r.closer_to_train.value == pytest.approx((1 + 0 + 0.5 + 0.5) / 4)
    assert r.identical_match_share.value == 0.5
    np.testing.assert_allclose(r.dcr_train, [0.1, 0.4, 0.0, 0.0], atol=1e-6)


def test_query_subsampling_is_reported(domain: Domain) -> None:
    train, holdout = make_frame(200, 1), make_frame(200, 2)
    report = synthrisk.evaluate(
        train=train,
        holdout=holdout,
        synthetic=make_frame(500, 3),
        domain=domain,
        max_queries=100,
        seed=0,
    )
    assert report.dcr.n_queries_used == 100 and report.dcr.subsampled
    assert any("100 of 500" in w for w in report.warnings)
    assert report.to_dict()["privacy"]["dcr"]["n_train"] == 200  # the reference is never subsampled


def test_report_outputs(domain: Domain, tmp_path) -> None:
    train, holdout = make_frame(300, 1), make_frame(300, 2)
    model = IndependentMarginals(epsilon=1.0, domain=domain, seed=0).fit(train)
    report = synthrisk.evaluate(
        train=train,
        holdout=holdout,
        synthetic=model.sample(300, seed=0),
        domain=domain,
        generator=model,
    )
    data = json.loads(report.to_json(tmp_path / "r.json"))
    assert data == json.loads((tmp_path / "r.json").read_text())
    assert data["ledger"]["spent"]["epsilon"] == pytest.approx(1.0, rel=1e-6)
    assert {c["column"] for c in data["utility"]["columns"]} == set(domain.names)
    assert len(data["utility"]["pairs"]) == len(domain) * (len(domain) - 1) // 2
    page = report.to_html(tmp_path / "r.html")
    assert page.count("<svg") >= 2 and "Distance to closest record" in page
    assert "<script" not in page and "src=" not in page  # self-contained: opens offline
    assert "one-way marginal of" in page
    assert "Most exposed training records" in page and "NNAA privacy loss" in page
    assert set(data["privacy"]["distance"]) >= {"nndr_synthetic_to_train", "nnaa", "exposure"}
    assert data["summary"]["exposed_training_records"] == report.distance.exposure.n_flagged


def test_mismatched_tables(domain: Domain) -> None:
    train = make_frame(50, 1)
    with pytest.raises(SchemaError, match="synthetic lacks columns"):
        synthrisk.evaluate(train=train, holdout=train, synthetic=train.drop("age"), domain=domain)
