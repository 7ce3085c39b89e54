"""Utility measures: how useful the synthetic data is."""

from synthrisk.utility.fidelity import (
    ColumnFidelity,
    PairFidelity,
    column_fidelity,
    ks_statistic,
    pair_fidelity,
    tvd,
)

__all__ = [
    "ColumnFidelity",
    "PairFidelity",
    "column_fidelity",
    "ks_statistic",
    "pair_fidelity",
    "tvd",
]
