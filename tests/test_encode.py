"""Encoders: public scaling and codes, and a discretiser that round-trips."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from synthrisk import Domain
from synthrisk.data import MISSING_CODE, Discretizer, encode_for_distance


def test_distance_block_uses_public_ranges_and_sorted_codes(
    domain: Domain, frame: pl.DataFrame
) -> None:
    block = encode_for_distance(frame, domain)
    assert block.numeric_columns == ("age", "weight", "admitted")
    assert block.categorical_columns == ("sex", "smoker", "ward")
    assert block.numeric.dtype == np.float32 and block.codes.dtype == np.uint32
    np.testing.assert_allclose(block.numeric[:, 0], frame["age"].to_numpy() / 120, rtol=1e-6)
    # Codes index the sorted public categories, whatever order the data shows them in.
    expected_sex = (frame["sex"] == "male").cast(pl.UInt32).to_numpy()
    np.testing.assert_array_equal(block.codes[:, 0], expected_sex)
    weight_missing = frame["weight"].is_null().to_numpy()
    assert np.isnan(block.numeric[weight_missing, 1]).all()
    assert not np.isnan(block.numeric[~weight_missing, 1]).any()
    ward_missing = frame["ward"].is_null().to_numpy()
    assert (block.codes[ward_missing, 2] == MISSING_CODE).all()


def test_codes_do_not_depend_on_data_order(domain: Domain, frame: pl.DataFrame) -> None:
    a = encode_for_distance(frame, domain)
    b = encode_for_distance(frame.reverse(), domain)
    np.testing.assert_array_equal(a.codes[::-1], b.codes)


def test_discretizer_sizes(domain: Domain) -> None:
    disc = Discretizer(domain, bins=16)
    # age: 121 values > 16 bins; weight: 16 + null; sex 2; smoker 2; ward 3 + null; admitted 16.
    sizes = dict(zip(domain.names, disc.sizes, strict=True))
    assert sizes == {"age": 16, "weight": 17, "sex": 2, "smoker": 2, "ward": 4, "admitted": 16}
    small = Domain.from_dict({"columns": {"n": {"kind": "integer", "lower": 1, "upper": 5}}})
    assert Discretizer(small, bins=16).sizes == (5,)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), bins=st.integers(1, 40))
def test_discretizer_round_trip(seed: int, bins: int) -> None:
    from _fixtures import SPEC, make_frame

    domain = Domain.from_dict(SPEC)
    disc = Discretizer(domain, bins=bins)
    codes = disc.encode(domain.validate(make_frame(200, seed % 1000)))
    assert codes.min() >= 0 and (codes.max(axis=0) < np.array(disc.sizes)).all()
    decoded = disc.decode(codes, np.random.default_rng(seed))
    # Decoded values are valid under the domain and fall back into the same codes.
    np.testing.assert_array_equal(disc.encode(domain.validate(decoded)), codes)


def test_discretizer_edges_cover_upper_bound() -> None:
    d = Domain.from_dict({"columns": {"x": {"kind": "continuous", "lower": 0, "upper": 1}}})
    disc = Discretizer(d, bins=4)
    codes = disc.encode(pl.DataFrame({"x": [0.0, 0.25, 0.999, 1.0]}))
    assert codes[:, 0].tolist() == [0, 1, 3, 3]
