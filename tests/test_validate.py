"""Validation: every kind of bad input gets a clear synthrisk error naming the column."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from synthrisk import Domain
from synthrisk.errors import (
    AllNullError,
    DtypeError,
    EmptyDataError,
    InvalidArgumentError,
    NonFiniteError,
    NullValueError,
    OutOfBoundsError,
    SchemaError,
    SynthriskError,
    UnknownCategoryError,
)


def test_valid_frame_passes_and_is_canonical(domain: Domain, frame: pl.DataFrame) -> None:
    out = domain.validate(frame.select(reversed(frame.columns)))
    assert out.columns == list(domain.names)
    assert out.schema["age"] == pl.Int64 and out.schema["weight"] == pl.Float64


def test_pandas_and_arrow_inputs(domain: Domain, frame: pl.DataFrame) -> None:
    expected = domain.validate(frame)
    assert domain.validate(frame.to_pandas()).equals(expected)
    assert domain.validate(frame.to_arrow()).equals(expected)
    assert isinstance(frame.to_arrow(), pa.Table) and isinstance(frame.to_pandas(), pd.DataFrame)


def test_wrong_container_type(domain: Domain) -> None:
    with pytest.raises(DtypeError, match="polars/pandas DataFrame"):
        domain.validate([[1, 2, 3]])


def test_empty_frame(domain: Domain, frame: pl.DataFrame) -> None:
    with pytest.raises(EmptyDataError, match="train is empty"):
        domain.validate(frame.head(0), what="train")


def test_missing_and_extra_columns(domain: Domain, frame: pl.DataFrame) -> None:
    with pytest.raises(SchemaError, match=r"lacks columns \['sex'\]"):
        domain.validate(frame.drop("sex"))
    extended = frame.with_columns(pl.lit(1).alias("patient_id"))
    with pytest.raises(SchemaError, match="patient_id"):
        domain.validate(extended)
    assert domain.validate(extended, extra_columns="drop").columns == list(domain.names)


def test_all_null_column(domain: Domain, frame: pl.DataFrame) -> None:
    bad = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("weight"))
    with pytest.raises(AllNullError, match="'weight' holds only missing values"):
        domain.validate(bad)


def test_nulls_where_not_nullable(domain: Domain, frame: pl.DataFrame) -> None:
    bad = frame.with_columns(
        pl.when(pl.col("age") < 10).then(None).otherwise(pl.col("age")).alias("age")
    )
    with pytest.raises(
        NullValueError, match=r"'age' has \d+ missing values but the domain says nullable=false"
    ):
        domain.validate(bad)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite(domain: Domain, frame: pl.DataFrame, value: float) -> None:
    bad = frame.with_columns(frame["weight"].fill_null(50.0).scatter(3, value))
    with pytest.raises(NonFiniteError, match="'weight' has 1 NaN/inf values \\(first at row 3\\)"):
        domain.validate(bad)


def test_wrong_dtypes(domain: Domain, frame: pl.DataFrame) -> None:
    with pytest.raises(DtypeError, match="'age' is integer in the domain but has dtype String"):
        domain.validate(frame.with_columns(pl.col("age").cast(pl.String)))
    with pytest.raises(DtypeError, match="non-whole"):
        domain.validate(frame.with_columns(pl.col("age").cast(pl.Float64) + 0.5))
    with pytest.raises(DtypeError, match="'smoker' is boolean"):
        domain.validate(frame.with_columns(pl.col("smoker").cast(pl.Int8)))
    with pytest.raises(DtypeError, match="'admitted' is datetime"):
        domain.validate(frame.with_columns(pl.col("admitted").cast(pl.String)))
    with pytest.raises(DtypeError, match="'sex' is categorical"):
        domain.validate(frame.with_columns(pl.lit(1.5).alias("sex")))
    # Whole-valued floats are accepted for integer columns and cast.
    assert (
        domain.validate(frame.with_columns(pl.col("age").cast(pl.Float64))).schema["age"]
        == pl.Int64
    )


def test_out_of_bounds_error_and_clip(domain: Domain, frame: pl.DataFrame) -> None:
    bad = frame.with_columns(frame["age"].scatter([0, 1], [130, -1]))
    with pytest.raises(
        OutOfBoundsError, match=r"'age' has 2 values outside its public bounds \[0, 120\]"
    ):
        domain.validate(bad)
    clipped = domain.validate(bad, out_of_bounds="clip")
    assert clipped["age"][0] == 120 and clipped["age"][1] == 0
    late = frame.with_columns(frame["admitted"].scatter(0, dt.date(2023, 5, 1)))
    with pytest.raises(OutOfBoundsError, match="'admitted'"):
        domain.validate(late)


def test_datetime_clip_value(domain: Domain, frame: pl.DataFrame) -> None:
    late = frame.with_columns(frame["admitted"].scatter(0, dt.date(2023, 5, 1)))
    assert domain.validate(late, out_of_bounds="clip")["admitted"][0] == dt.date(2021, 12, 31)


def test_unknown_categories(frame: pl.DataFrame, domain: Domain) -> None:
    bad = frame.with_columns(frame["sex"].scatter([0, 5], ["other", "unknown"]))
    with pytest.raises(UnknownCategoryError, match=r"'sex' has 2 values .* \['other', 'unknown'\]"):
        domain.validate(bad)
    with pytest.raises(UnknownCategoryError, match="<other>"):
        domain.validate(bad, unknown_categories="other")
    spec = domain.to_dict()
    spec["columns"]["sex"]["other"] = True
    mapped = Domain.from_dict(spec).validate(bad, unknown_categories="other")
    assert mapped["sex"][0] == "<other>" and mapped["sex"][5] == "<other>"
    assert mapped["sex"][1] == frame["sex"][1]


def test_policies_are_checked(domain: Domain, frame: pl.DataFrame) -> None:
    with pytest.raises(InvalidArgumentError, match="out_of_bounds"):
        domain.validate(frame, out_of_bounds="ignore")
    with pytest.raises(InvalidArgumentError, match="unknown_categories"):
        domain.validate(frame, unknown_categories="drop")


def test_integer_coded_categories() -> None:
    d = Domain.from_dict({"columns": {"code": {"kind": "categorical", "categories": [3, 1, 2]}}})
    assert d["code"].categories == (1, 2, 3)
    assert d.validate(pl.DataFrame({"code": [1, 2, 3]})).height == 3
    with pytest.raises(UnknownCategoryError):
        d.validate(pl.DataFrame({"code": [4]}))
    with pytest.raises(DtypeError):
        d.validate(pl.DataFrame({"code": ["1"]}))


def test_every_error_is_a_synthrisk_error() -> None:
    for cls in (AllNullError, DtypeError, EmptyDataError, NonFiniteError, OutOfBoundsError):
        assert issubclass(cls, SynthriskError)
    assert issubclass(DtypeError, TypeError) and issubclass(OutOfBoundsError, ValueError)
