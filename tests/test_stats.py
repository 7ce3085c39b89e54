"""Statistics against FORMULAS.md's test vectors."""

from __future__ import annotations

import numpy as np
import pytest

from synthrisk.errors import InvalidArgumentError
from synthrisk.stats import mean_interval, median_interval, wilson_interval


def test_wilson_vectors() -> None:
    # FORMULAS.md (n = 500, c = 0.95): k = 100 → p̃ = 0.2022873021, e = 0.0350018032.
    e = wilson_interval(100, 500)
    assert (e.low + e.high) / 2 == pytest.approx(0.2022873021, abs=1e-9)
    assert (e.high - e.low) / 2 == pytest.approx(0.0350018032, abs=1e-9)
    zero = wilson_interval(0, 500)
    assert zero.value == 0 and zero.low == 0.0 and zero.high > 0
    with pytest.raises(InvalidArgumentError):
        wilson_interval(5, 3)


def test_intervals_cover_their_point() -> None:
    x = np.random.default_rng(0).random(1000)
    for est in (mean_interval(x), median_interval(x)):
        assert est.low <= est.value <= est.high
    assert mean_interval(np.array([2.0])).low == 2.0
    with pytest.raises(InvalidArgumentError):
        mean_interval(np.array([]))
