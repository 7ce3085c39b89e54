"""Small mixed-type tables with a public domain, shared by the tests."""

from __future__ import annotations

import numpy as np
import polars as pl

SPEC = {
    "columns": {
        "age": {"kind": "integer", "lower": 0, "upper": 120},
        "weight": {"kind": "continuous", "lower": 0, "upper": 300, "nullable": True},
        "sex": {"kind": "categorical", "categories": ["male", "female"]},
        "smoker": {"kind": "boolean"},
        "ward": {"kind": "categorical", "categories": ["A", "B", "C"], "nullable": True},
        "admitted": {"kind": "datetime", "lower": "2020-01-01", "upper": "2021-12-31"},
    }
}


def make_frame(n: int, seed: int = 0) -> pl.DataFrame:
    """A random table that fits SPEC, with some missing values."""
    rng = np.random.default_rng(seed)
    weight = rng.normal(75, 15, n).clip(1, 299)
    ward = rng.choice(["A", "B", "C"], n).astype(object)
    weight_mask = rng.random(n) < 0.1
    ward_mask = rng.random(n) < 0.1
    return pl.DataFrame(
        {
            "age": rng.integers(0, 100, n),
            "weight": pl.Series(weight).scatter(np.flatnonzero(weight_mask), None),
            "sex": rng.choice(["male", "female"], n),
            "smoker": rng.random(n) < 0.3,
            "ward": pl.Series([None if m else w for w, m in zip(ward, ward_mask, strict=True)]),
            "admitted": pl.date_range(
                pl.date(2020, 1, 1), pl.date(2021, 12, 31), "1d", eager=True
            ).sample(n, with_replacement=True, seed=seed),
        }
    )
