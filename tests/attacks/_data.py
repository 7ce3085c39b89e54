"""Small tables for the attack tests: a mixed-type population and simple generators."""

from __future__ import annotations

import numpy as np
import polars as pl

from synthrisk import Domain

DOMAIN = Domain.from_dict(
    {
        "columns": {
            "x": {"kind": "continuous", "lower": -6, "upper": 6},
            "y": {"kind": "continuous", "lower": -8, "upper": 8},
            "z": {"kind": "continuous", "lower": 0, "upper": 12},
            "c": {"kind": "categorical", "categories": ["a", "b", "c"]},
        }
    }
)


def population(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    c = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    shift = np.select([c == "a", c == "b"], [0.0, 1.0], 2.0)
    return pl.DataFrame(
        {
            "x": np.clip(x, -6, 6),
            "y": np.clip(0.8 * x + 0.6 * rng.normal(size=n) + shift, -8, 8),
            "z": np.clip(rng.gamma(2.0, 1.0, n), 0, 12),
            "c": c,
        }
    )


def exercise(n_members: int = 200, seed: int = 0) -> dict[str, pl.DataFrame | np.ndarray]:
    """Members (training data), non-members, a reference population, and the challenge set."""
    train = population(n_members, seed)
    holdout = population(n_members, seed + 1)
    reference = population(2000, seed + 2)
    challenge = pl.concat([train, holdout])
    labels = np.r_[np.ones(n_members, int), np.zeros(n_members, int)]
    return {
        "train": train,
        "holdout": holdout,
        "reference": reference,
        "challenge": challenge,
        "labels": labels,
    }
