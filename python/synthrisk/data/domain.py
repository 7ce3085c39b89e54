"""The Domain: public metadata about every column of a table.

Under differential privacy every data-dependent choice must be public or paid for. The Domain holds
the public part: each column's kind, its public bounds or its sorted list of public categories, and
whether it may be missing. A Domain written by hand (``from_dict``/``from_json``) is public. One
read from the data (``Domain.infer``) is marked ``data_derived``; that mark travels into every
ledger and report, and ``strict=True`` refuses it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl

from synthrisk.errors import DataDerivedDomainWarning, DomainError, PrivacyError

#: The category that unknown values map to under ``unknown_categories="other"``.
OTHER = "<other>"

_EPOCH = dt.date(1970, 1, 1)

Category = str | int


class Kind(StrEnum):
    """What a column holds."""

    CONTINUOUS = "continuous"
    INTEGER = "integer"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    DATETIME = "datetime"

    @property
    def is_numeric(self) -> bool:
        """Numeric kinds have bounds and enter distances as scaled numbers."""
        return self in (Kind.CONTINUOUS, Kind.INTEGER, Kind.DATETIME)


def _days_from_iso(value: Any, column: str) -> float:
    """Public datetime bounds are ISO strings; internally they are days since 1970-01-01."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime(value.year, value.month, value.day)
        else:
            moment = dt.datetime.fromisoformat(str(value))
    except ValueError as e:
        raise DomainError(
            f"column {column!r}: datetime bound {value!r} is not an ISO date such as '2020-01-31'"
        ) from e
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return (moment - dt.datetime(1970, 1, 1)).total_seconds() / 86400.0


#: Days from 1970-01-01 to the first and last dates Python's datetime holds.
_FIRST_DAY = float((dt.date.min - dt.date(1970, 1, 1)).days)
_LAST_DAY = float((dt.date.max - dt.date(1970, 1, 1)).days)


def _iso_from_days(days: float) -> str:
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(days=days)
    return moment.date().isoformat() if moment.time() == dt.time() else moment.isoformat()


@dataclass(frozen=True)
class Column:
    """One column of a Domain.

    Numeric kinds (continuous, integer, datetime) carry public ``lower``/``upper`` bounds; datetime
    bounds are stored as days since 1970-01-01. Categorical columns carry their sorted public
    ``categories``; boolean columns have the categories ``(False, True)``.

    Example:
        >>> Column("age", Kind.INTEGER, lower=0, upper=120).range
        120.0
    """

    name: str
    kind: Kind
    lower: float | None = None
    upper: float | None = None
    categories: tuple[Category, ...] = ()
    nullable: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Kind(self.kind))
        if self.kind.is_numeric:
            self._check_bounds()
        elif self.kind is Kind.BOOLEAN:
            object.__setattr__(self, "categories", (False, True))
        else:
            self._check_categories()

    def _check_bounds(self) -> None:
        if self.lower is None or self.upper is None:
            raise DomainError(
                f"column {self.name!r} ({self.kind}) needs public 'lower' and 'upper' bounds"
            )
        lower, upper = float(self.lower), float(self.upper)
        if not (math.isfinite(lower) and math.isfinite(upper)) or lower > upper:
            raise DomainError(
                f"column {self.name!r}: bounds must be finite with lower ≤ upper, "
                f"got [{self.lower}, {self.upper}]"
            )
        if self.kind is Kind.INTEGER and (lower != math.floor(lower) or upper != math.floor(upper)):
            raise DomainError(f"column {self.name!r}: integer bounds must be whole numbers")
        if self.kind is Kind.DATETIME and not (lower >= _FIRST_DAY and upper <= _LAST_DAY):
            raise DomainError(
                f"column {self.name!r}: datetime bounds must lie between 0001-01-01 and "
                f"9999-12-31, got {lower} to {upper} days from 1970-01-01"
            )
        if self.kind is Kind.INTEGER and max(abs(lower), abs(upper)) >= 2.0**53:
            raise DomainError(
                f"column {self.name!r}: integer bounds [{self.lower}, {self.upper}] reach past "
                "±2^53, where float64 no longer holds every whole number; declare the column "
                "'continuous' (or drop it if it is an identifier)"
            )
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)

    def _check_categories(self) -> None:
        cats = tuple(self.categories)
        if not cats:
            raise DomainError(f"column {self.name!r}: a categorical column needs its categories")
        types = {type(c) for c in cats}
        if not (types <= {str} or types <= {int}):
            raise DomainError(
                f"column {self.name!r}: categories must be all strings or all integers, "
                f"got {sorted(t.__name__ for t in types)}"
            )
        if len(set(cats)) != len(cats):
            raise DomainError(f"column {self.name!r}: categories contain duplicates")
        # Codes follow the sorted public list, never the order seen in the data.
        object.__setattr__(self, "categories", tuple(sorted(cats)))

    @property
    def range(self) -> float:
        """The public width of a numeric column (1 where lower = upper, so scaling stays finite)."""
        assert self.lower is not None and self.upper is not None
        width = self.upper - self.lower
        return width if width > 0 else 1.0

    @property
    def is_categorical(self) -> bool:
        """Categorical and boolean columns enter distances as codes."""
        return not self.kind.is_numeric

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready spec of this column."""
        spec: dict[str, Any] = {"kind": str(self.kind)}
        if self.kind is Kind.DATETIME:
            assert self.lower is not None and self.upper is not None
            spec |= {"lower": _iso_from_days(self.lower), "upper": _iso_from_days(self.upper)}
        elif self.kind.is_numeric:
            as_number = int if self.kind is Kind.INTEGER else float
            spec |= {"lower": as_number(self.lower), "upper": as_number(self.upper)}
        elif self.kind is Kind.CATEGORICAL:
            spec["categories"] = list(self.categories)
        spec["nullable"] = self.nullable
        return spec

    @classmethod
    def from_dict(cls, name: str, spec: Mapping[str, Any]) -> Column:
        """Builds a column from its spec (see :meth:`Domain.from_dict`)."""
        if not isinstance(spec, Mapping):
            raise DomainError(f"column {name!r}: the spec must be a mapping, got {spec!r}")
        known = {"kind", "lower", "upper", "categories", "nullable", "other", "description"}
        unknown = set(spec) - known
        if unknown:
            raise DomainError(
                f"column {name!r}: unknown keys {sorted(unknown)}; allowed: {sorted(known)}"
            )
        try:
            kind = Kind(spec.get("kind", ""))
        except ValueError as e:
            raise DomainError(
                f"column {name!r}: kind must be one of {[k.value for k in Kind]}, "
                f"got {spec.get('kind')!r}"
            ) from e
        lower, upper = spec.get("lower"), spec.get("upper")
        if kind is Kind.DATETIME:
            lower = None if lower is None else _days_from_iso(lower, name)
            upper = None if upper is None else _days_from_iso(upper, name)
        categories = tuple(spec.get("categories", ()))
        if spec.get("other") and OTHER not in categories:
            categories += (OTHER,)
        return cls(
            name=name,
            kind=kind,
            lower=lower,
            upper=upper,
            categories=categories,
            nullable=bool(spec.get("nullable", False)),
        )


@dataclass(frozen=True)
class Domain:
    """Public metadata of a table: one :class:`Column` per column, in order.

    Example:
        >>> domain = Domain.from_dict({"columns": {
        ...     "age": {"kind": "integer", "lower": 0, "upper": 120},
        ...     "sex": {"kind": "categorical", "categories": ["male", "female"]},
        ... }})
        >>> domain.names, domain["sex"].categories
        (('age', 'sex'), ('female', 'male'))
    """

    columns: tuple[Column, ...]
    data_derived: bool = False
    description: str = ""
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        columns = tuple(self.columns)
        if not columns:
            raise DomainError("a domain needs at least one column")
        names = [c.name for c in columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DomainError(f"duplicate column names in the domain: {dupes}")
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "_by_name", {c.name: c for c in columns})

    # --- access -------------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in domain order."""
        return tuple(c.name for c in self.columns)

    def __getitem__(self, name: str) -> Column:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(
                f"no column {name!r} in the domain; columns: {list(self.names)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def select(self, names: Sequence[str]) -> Domain:
        """The sub-domain of the given columns, in the given order."""
        return replace(self, columns=tuple(self[n] for n in names))

    def drop(self, names: Sequence[str]) -> Domain:
        """The domain without the given columns."""
        missing = [n for n in names if n not in self]
        if missing:
            raise KeyError(f"cannot drop {missing}: not in the domain {list(self.names)}")
        return replace(self, columns=tuple(c for c in self.columns if c.name not in set(names)))

    # --- privacy ------------------------------------------------------------------------------

    def require_public(self, *, strict: bool, purpose: str) -> None:
        """Refuses a data-derived domain when ``strict``; warns otherwise.

        Raises:
            PrivacyError: ``strict`` is set and the domain was read from the data.
        """
        if not self.data_derived:
            return
        message = (
            f"{purpose}: the domain was inferred from the data (bounds and categories read "
            "without privacy budget), so the DP guarantee does not cover them. Write a public "
            "domain with Domain.from_dict / from_json"
        )
        if strict:
            raise PrivacyError(message + " (refused because strict=True).")
        warnings.warn(message + ".", DataDerivedDomainWarning, stacklevel=3)

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Domain:
        """Builds a domain from a spec: ``{"columns": {name: column_spec, ...}}``.

        A column spec has ``kind`` (continuous, integer, categorical, boolean, datetime),
        ``lower``/``upper`` for numeric kinds (ISO dates for datetime), ``categories`` for
        categorical ones, optional ``nullable`` (default false) and ``other: true`` to add the
        ``"<other>"`` category that unknown values may be mapped to.

        Example:
            >>> Domain.from_dict({"columns": {"x": {"kind": "continuous", "lower": 0, "upper": 1}}})
            Domain(columns=(Column(name='x', kind=<Kind.CONTINUOUS: 'continuous'>, lower=0.0, \
upper=1.0, categories=(), nullable=False),), data_derived=False, description='')
        """
        if not isinstance(spec, Mapping) or not isinstance(spec.get("columns"), Mapping):
            raise DomainError('a domain spec is a mapping with a "columns" mapping inside')
        extra = set(spec) - {"columns", "data_derived", "description"}
        if extra:
            raise DomainError(f"unknown top-level keys in the domain spec: {sorted(extra)}")
        columns = tuple(Column.from_dict(str(n), s) for n, s in spec["columns"].items())
        return cls(
            columns=columns,
            data_derived=bool(spec.get("data_derived", False)),
            description=str(spec.get("description", "")),
        )

    @classmethod
    def from_json(cls, source: str | Path) -> Domain:
        """Reads a domain from JSON text or from a JSON file path."""
        text = str(source)
        if isinstance(source, Path) or not text.lstrip().startswith("{"):
            path = Path(source)
            if not path.exists():
                raise DomainError(f"domain file {path} does not exist")
            text = path.read_text()
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as e:
            raise DomainError(f"the domain is not valid JSON: {e}") from e

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready spec; ``Domain.from_dict(d.to_dict()) == d``."""
        spec: dict[str, Any] = {"columns": {c.name: c.to_dict() for c in self.columns}}
        if self.data_derived:
            spec["data_derived"] = True
        if self.description:
            spec["description"] = self.description
        return spec

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """The domain as JSON text, also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    @classmethod
    def infer(cls, data: Any, *, max_categories: int = 1000) -> Domain:
        """Reads a domain from the data: convenient, and **not** private.

        Bounds are the observed min/max and categories the observed values, so the result is
        marked ``data_derived`` and a :class:`~synthrisk.errors.DataDerivedDomainWarning` is
        issued. Generators warn when given it and refuse it under ``strict=True``.

        Example:
            >>> import polars as pl, warnings
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     d = Domain.infer(pl.DataFrame({"x": [1.5, 2.0], "c": ["a", "b"]}))
            >>> d.data_derived, d["c"].categories
            (True, ('a', 'b'))
        """
        from synthrisk.data.frames import to_polars

        df = to_polars(data, what="data")
        from synthrisk.data.validate import check_not_empty

        check_not_empty(df, "data")
        columns = tuple(_infer_column(df.get_column(n), max_categories) for n in df.columns)
        warnings.warn(
            "Domain.infer reads bounds and categories from the data: they are not covered by "
            "any DP guarantee. Publish a hand-written domain for private releases.",
            DataDerivedDomainWarning,
            stacklevel=2,
        )
        return cls(
            columns=columns,
            data_derived=True,
            description="inferred from the data (not private)",
        )

    # --- validation ---------------------------------------------------------------------------

    def validate(
        self,
        data: Any,
        *,
        out_of_bounds: str = "error",
        unknown_categories: str = "error",
        extra_columns: str = "error",
        what: str = "data",
    ) -> pl.DataFrame:
        """Checks a frame against the domain and returns it cleaned, in domain column order.

        Args:
            data: polars/pandas DataFrame or pyarrow Table.
            out_of_bounds: ``"error"`` or ``"clip"`` to the public bounds.
            unknown_categories: ``"error"`` or ``"other"`` (maps to ``"<other>"``, which must
                then be one of the column's categories: ``"other": true`` in the spec).
            extra_columns: ``"error"`` or ``"drop"``.
            what: the name used for the frame in error messages (e.g. ``"train"``).

        Raises:
            EmptyDataError, SchemaError, DtypeError, AllNullError, NullValueError,
            NonFiniteError, OutOfBoundsError, UnknownCategoryError.
        """
        from synthrisk.data.validate import validate_frame

        return validate_frame(
            self,
            data,
            out_of_bounds=out_of_bounds,
            unknown_categories=unknown_categories,
            extra_columns=extra_columns,
            what=what,
        )


def _infer_column(s: pl.Series, max_categories: int) -> Column:
    name, dtype = s.name, s.dtype
    nullable = s.null_count() > 0
    non_null = s.drop_nulls()
    if dtype == pl.Boolean:
        return Column(name, Kind.BOOLEAN, nullable=nullable)
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        days = non_null.dt.epoch("s").cast(pl.Float64) / 86400.0
        lo, hi = (float(days.min()), float(days.max())) if len(days) else (0.0, 1.0)  # type: ignore[arg-type]
        return Column(name, Kind.DATETIME, lower=lo, upper=hi, nullable=nullable)
    if dtype.is_numeric():
        finite = non_null.filter(non_null.is_finite()) if dtype.is_float() else non_null
        lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)  # type: ignore[arg-type]
        kind = Kind.INTEGER if dtype.is_integer() else Kind.CONTINUOUS
        return Column(name, kind, lower=lo, upper=hi, nullable=nullable)
    values = non_null.cast(pl.String).unique()
    if len(values) > max_categories:
        raise DomainError(
            f"column {name!r} has {len(values)} distinct values (more than max_categories="
            f"{max_categories}); drop it, bin it, or raise max_categories"
        )
    return Column(
        name, Kind.CATEGORICAL, categories=tuple(values.to_list()) or ("",), nullable=nullable
    )
