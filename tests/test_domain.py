"""Domain: specs, JSON round trips, inference marked data-derived, strict refusal."""

from __future__ import annotations

import json

import polars as pl
import pytest
from _fixtures import SPEC

from synthrisk import Column, Domain, Kind
from synthrisk.errors import DataDerivedDomainWarning, DomainError, PrivacyError


def test_round_trip(domain: Domain, tmp_path) -> None:
    assert Domain.from_dict(domain.to_dict()) == domain
    assert Domain.from_json(domain.to_json()) == domain
    path = tmp_path / "domain.json"
    domain.to_json(path)
    assert Domain.from_json(path) == domain
    assert json.loads(path.read_text())["columns"]["admitted"]["lower"] == "2020-01-01"


def test_categories_are_sorted_public_list(domain: Domain) -> None:
    assert domain["sex"].categories == ("female", "male")
    assert domain["smoker"].categories == (False, True)
    assert domain["admitted"].lower == 18262.0  # days from 1970-01-01 to 2020-01-01


def test_other_flag_adds_other_category() -> None:
    d = Domain.from_dict(
        {"columns": {"c": {"kind": "categorical", "categories": ["a"], "other": True}}}
    )
    assert d["c"].categories == ("<other>", "a")


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ({}, "columns"),
        ({"columns": {}}, "at least one column"),
        ({"columns": {"x": {"kind": "numeric"}}}, "kind must be one of"),
        (
            {"columns": {"x": {"kind": "continuous", "lower": 0}}},
            "needs public 'lower' and 'upper'",
        ),
        ({"columns": {"x": {"kind": "continuous", "lower": 2, "upper": 1}}}, "lower ≤ upper"),
        ({"columns": {"x": {"kind": "integer", "lower": 0.5, "upper": 1}}}, "whole numbers"),
        ({"columns": {"x": {"kind": "integer", "lower": 0, "upper": 2**60}}}, "declare the col"),
        (
            {"columns": {"x": {"kind": "datetime", "lower": 0, "upper": 2**29}}},
            "between 0001-01-01 and 9999-12-31",
        ),
        ({"columns": {"x": {"kind": "categorical"}}}, "needs its categories"),
        ({"columns": {"x": {"kind": "categorical", "categories": ["a", "a"]}}}, "duplicates"),
        ({"columns": {"x": {"kind": "categorical", "categories": ["a", 1]}}}, "all strings"),
        ({"columns": {"x": {"kind": "datetime", "lower": "soon", "upper": "later"}}}, "ISO date"),
        ({"columns": {"x": {"kind": "boolean", "bounds": 1}}}, "unknown keys"),
        ({"columns": {"x": {"kind": "boolean"}}, "extra": 1}, "top-level"),
    ],
)
def test_bad_specs(spec: dict, fragment: str) -> None:
    with pytest.raises(DomainError, match=fragment):
        Domain.from_dict(spec)


def test_bad_json_text() -> None:
    with pytest.raises(DomainError, match="not valid JSON"):
        Domain.from_json("{not json")
    with pytest.raises(DomainError, match="does not exist"):
        Domain.from_json("no/such/file.json")


def test_infer_is_marked_and_warns(frame: pl.DataFrame) -> None:
    with pytest.warns(DataDerivedDomainWarning):
        d = Domain.infer(frame)
    assert d.data_derived
    assert d["age"].kind is Kind.INTEGER
    assert d["weight"].nullable and not d["age"].nullable
    assert d["admitted"].kind is Kind.DATETIME
    assert d["smoker"].kind is Kind.BOOLEAN
    assert d["ward"].categories == ("A", "B", "C")
    d.validate(frame)  # the inferred domain covers its own data
    with pytest.raises(PrivacyError, match="strict=True"):
        d.require_public(strict=True, purpose="test")
    with pytest.warns(DataDerivedDomainWarning):
        d.require_public(strict=False, purpose="test")
    assert Domain.from_dict(d.to_dict()).data_derived


def test_infer_refuses_identifier_like_columns() -> None:
    df = pl.DataFrame({"id": [f"p{i}" for i in range(50)]})
    with pytest.raises(DomainError, match="max_categories"):
        Domain.infer(df, max_categories=10)


def test_access_helpers(domain: Domain) -> None:
    assert domain.names == tuple(SPEC["columns"])
    assert "age" in domain and "nope" not in domain
    assert domain.select(["sex", "age"]).names == ("sex", "age")
    assert domain.drop(["sex"]).names == ("age", "weight", "smoker", "ward", "admitted")
    with pytest.raises(KeyError, match="no column"):
        domain["nope"]
    assert Column("x", Kind.CONTINUOUS, lower=3, upper=3).range == 1.0
