"""Validation of a frame against a Domain: every problem is an error that names the column."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from synthrisk.data.frames import to_polars
from synthrisk.errors import (
    AllNullError,
    DtypeError,
    EmptyDataError,
    InvalidArgumentError,
    NonFiniteError,
    NullValueError,
    OutOfBoundsError,
    SchemaError,
    UnknownCategoryError,
)

if TYPE_CHECKING:
    from synthrisk.data.domain import Column, Domain

_SHOW = 5  # how many offending values an error message lists


def check_not_empty(df: pl.DataFrame, what: str) -> None:
    if df.height == 0 or df.width == 0:
        raise EmptyDataError(
            f"{what} is empty ({df.height} rows, {df.width} columns): pass a table with rows"
        )


def _check_policy(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidArgumentError(f"{name} must be one of {allowed}, got {value!r}")


def validate_frame(
    domain: Domain,
    data: Any,
    *,
    out_of_bounds: str,
    unknown_categories: str,
    extra_columns: str,
    what: str,
) -> pl.DataFrame:
    """See :meth:`synthrisk.data.Domain.validate`."""
    _check_policy("out_of_bounds", out_of_bounds, ("error", "clip"))
    _check_policy("unknown_categories", unknown_categories, ("error", "other"))
    _check_policy("extra_columns", extra_columns, ("error", "drop"))
    df = to_polars(data, what=what)
    check_not_empty(df, what)
    missing = [n for n in domain.names if n not in df.columns]
    if missing:
        raise SchemaError(
            f"{what} lacks columns {missing} that the domain lists; add them or use "
            f"domain.drop({missing})"
        )
    extra = [n for n in df.columns if n not in domain]
    if extra and extra_columns == "error":
        raise SchemaError(
            f"{what} has columns {extra} that the domain does not list; drop them "
            "(or pass extra_columns='drop')"
        )
    cleaned = [
        _validate_column(df.get_column(c.name), c, out_of_bounds, unknown_categories, what)
        for c in domain.columns
    ]
    return pl.DataFrame(cleaned)


def _validate_column(
    s: pl.Series, col: Column, out_of_bounds: str, unknown_categories: str, what: str
) -> pl.Series:
    where = f"{what} column {col.name!r}"
    if s.dtype == pl.Null or s.null_count() == len(s):
        raise AllNullError(f"{where} holds only missing values: drop it from the data and domain")
    from synthrisk.data.domain import Kind

    if col.kind is Kind.CATEGORICAL:
        s = _categorical(s, col, unknown_categories, where)
    elif col.kind is Kind.BOOLEAN:
        if s.dtype != pl.Boolean:
            raise DtypeError(f"{where} is boolean in the domain but has dtype {s.dtype}")
    else:
        s = _numeric(s, col, out_of_bounds, where)
    nulls = s.null_count()
    if nulls and not col.nullable:
        raise NullValueError(
            f"{where} has {nulls} missing values but the domain says nullable=false; set "
            "nullable=true in the domain or fill them"
        )
    return s


def _numeric(s: pl.Series, col: Column, out_of_bounds: str, where: str) -> pl.Series:
    from synthrisk.data.domain import Kind

    if col.kind is Kind.DATETIME:
        if s.dtype != pl.Date and not isinstance(s.dtype, pl.Datetime):
            raise DtypeError(
                f"{where} is datetime in the domain but has dtype {s.dtype}; parse it first "
                "(e.g. pl.col(name).str.to_date())"
            )
        values = s.dt.epoch("s").cast(pl.Float64) / 86400.0
    else:
        if not s.dtype.is_numeric():
            raise DtypeError(f"{where} is {col.kind} in the domain but has dtype {s.dtype}")
        values = s.cast(pl.Float64)
        if s.dtype.is_float():
            bad = (~s.is_finite()).fill_null(False)
            if bad.any():
                first = int(bad.arg_true()[0])
                raise NonFiniteError(
                    f"{where} has {int(bad.sum())} NaN/inf values (first at row {first}); "
                    "use null for missing values"
                )
        if col.kind is Kind.INTEGER and s.dtype.is_float():
            fractional = (values != values.floor()).fill_null(False)
            if fractional.any():
                raise DtypeError(
                    f"{where} is integer in the domain but has {int(fractional.sum())} "
                    "non-whole values; declare it continuous or round it"
                )
    assert col.lower is not None and col.upper is not None
    outside = ((values < col.lower) | (values > col.upper)).fill_null(False)
    n_out = int(outside.sum())
    if n_out:
        if out_of_bounds == "error":
            raise OutOfBoundsError(
                f"{where} has {n_out} values outside its public bounds "
                f"[{col.lower:g}, {col.upper:g}]; widen the bounds or pass out_of_bounds='clip'"
            )
        if col.kind is Kind.DATETIME:
            clipped = values.clip(col.lower, col.upper)
            s = _days_to_temporal(clipped, s.dtype).alias(s.name)
        else:
            s = s.clip(col.lower, col.upper)
    if col.kind is Kind.INTEGER:
        return s.cast(pl.Int64)
    if col.kind is Kind.CONTINUOUS:
        return s.cast(pl.Float64)
    return s


def _days_to_temporal(days: pl.Series, dtype: pl.DataType) -> pl.Series:
    seconds = (days * 86400.0).round().cast(pl.Int64)
    as_datetime = pl.from_epoch(seconds, time_unit="s")
    return as_datetime.cast(dtype)


def _categorical(s: pl.Series, col: Column, unknown_categories: str, where: str) -> pl.Series:
    from synthrisk.data.domain import OTHER

    integer_categories = isinstance(col.categories[0], int)
    if integer_categories:
        if not s.dtype.is_integer():
            raise DtypeError(f"{where} has integer categories in the domain but dtype {s.dtype}")
        s = s.cast(pl.Int64)
    elif s.dtype in (pl.String, pl.Categorical) or isinstance(s.dtype, pl.Enum):
        s = s.cast(pl.String)
    elif s.dtype.is_integer() or s.dtype == pl.Boolean:
        s = s.cast(pl.String)  # codes stored as numbers but declared as string categories
    else:
        raise DtypeError(f"{where} is categorical in the domain but has dtype {s.dtype}")
    known = pl.Series(list(col.categories), dtype=s.dtype)
    unknown_mask = (~s.is_in(known.implode())).fill_null(False)
    if unknown_mask.any():
        unknown = s.filter(unknown_mask).unique().sort().head(_SHOW).to_list()
        if unknown_categories == "error" or OTHER not in col.categories:
            hint = (
                "add them to the domain's categories or pass unknown_categories='other'"
                if unknown_categories == "error"
                else f'add {OTHER!r} to the column\'s categories ("other": true in the spec)'
            )
            raise UnknownCategoryError(
                f"{where} has {int(unknown_mask.sum())} values outside its public categories "
                f"(e.g. {unknown}); {hint}"
            )
        s = (
            pl.select(pl.when(pl.lit(unknown_mask)).then(pl.lit(OTHER)).otherwise(pl.lit(s)))
            .to_series()
            .alias(s.name)
        )
    return s
