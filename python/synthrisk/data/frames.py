"""Input conversion: every public function takes polars, pandas or pyarrow tables, or files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from synthrisk.errors import DtypeError, InvalidArgumentError


def to_polars(data: Any, *, what: str = "data") -> pl.DataFrame:
    """Converts a polars/pandas DataFrame, polars LazyFrame or pyarrow Table to polars.

    Example:
        >>> import pandas as pd
        >>> to_polars(pd.DataFrame({"a": [1, 2]})).shape
        (2, 1)
    """
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pl.from_pandas(data)
    if module == "pyarrow":
        converted = pl.from_arrow(data)
        if isinstance(converted, pl.DataFrame):
            return converted
    if isinstance(data, str | Path):
        return read_table(data)
    raise DtypeError(
        f"{what} must be a polars/pandas DataFrame, a pyarrow Table or a file path, "
        f"got {type(data).__name__}"
    )


def read_table(path: str | Path) -> pl.DataFrame:
    """Reads a CSV (optionally gzipped) or Parquet file into a polars DataFrame.

    Example:
        >>> read_table("train.parquet")  # doctest: +SKIP
    """
    p = Path(path)
    if not p.exists():
        raise InvalidArgumentError(f"file {p} does not exist")
    name = p.name.lower()
    if name.endswith((".parquet", ".pq")):
        return pl.read_parquet(p)
    if name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
        separator = "\t" if ".tsv" in name else ","
        # polars reads gzipped CSV directly; null values spelled as empty or NA are common.
        return pl.read_csv(
            p,
            separator=separator,
            null_values=["", "NA"],
            infer_schema_length=10000,
            try_parse_dates=True,
        )
    raise InvalidArgumentError(
        f"cannot tell the format of {p}: use a .csv, .csv.gz, .tsv or .parquet file"
    )


def write_table(df: pl.DataFrame, path: str | Path) -> None:
    """Writes a frame as CSV or Parquet, chosen by the file extension."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    name = p.name.lower()
    if name.endswith((".parquet", ".pq")):
        df.write_parquet(p)
    elif name.endswith(".csv"):
        df.write_csv(p)
    else:
        raise InvalidArgumentError(f"cannot write {p}: use a .csv or .parquet extension")
