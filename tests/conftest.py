"""Shared fixtures: small mixed-type tables with a public domain."""

from __future__ import annotations

import polars as pl
import pytest
from _fixtures import SPEC, make_frame

from synthrisk import Domain


@pytest.fixture
def domain() -> Domain:
    return Domain.from_dict(SPEC)


@pytest.fixture
def frame() -> pl.DataFrame:
    return make_frame(300)
