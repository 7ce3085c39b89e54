"""evaluate(..., challenge=, labels=) adds a membership-inference section to the report."""

from __future__ import annotations

import json

import polars as pl
import pytest
from _data import DOMAIN, population

import synthrisk
from synthrisk.errors import InvalidArgumentError


def test_report_has_a_section_per_attack(tmp_path) -> None:
    train, holdout = population(150, 1), population(300, 2)
    challenge = pl.concat([train[:60], holdout[:60]])
    labels = [1] * 60 + [0] * 60
    report = synthrisk.evaluate(
        train=train,
        holdout=holdout,
        synthetic=train,  # a copying generator
        domain=DOMAIN,
        challenge=challenge,
        labels=labels,
        attacks=["ganleaks", "domias"],
        seed=0,
    )
    assert [r.attack for r in report.mia] == ["ganleaks", "domias"]
    assert report.mia[0].auc.value > 0.95
    assert report.summary()["mia_max_auc"] > 0.95
    assert any("left out of the attacks' reference" in w for w in report.warnings)
    data = json.loads(report.to_json())
    assert len(data["privacy"]["membership_inference"]) == 2
    page = report.to_html(tmp_path / "r.html")
    assert (
        page.count('aria-label="ROC: ') == 2
        and "log scale" in page
        and "Privacy: membership" in page
    )


def test_challenge_needs_labels() -> None:
    df = population(50, 1)
    with pytest.raises(InvalidArgumentError, match="labels="):
        synthrisk.evaluate(train=df, holdout=df, synthetic=df, domain=DOMAIN, challenge=df)
