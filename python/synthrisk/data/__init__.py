"""The data layer: public Domains, validation, and encoders for distances and marginals."""

from synthrisk.data.domain import OTHER, Column, Domain, Kind
from synthrisk.data.encode import MISSING_CODE, Discretizer, DistanceBlock, encode_for_distance
from synthrisk.data.frames import read_table, to_polars, write_table

__all__ = [
    "MISSING_CODE",
    "OTHER",
    "Column",
    "Discretizer",
    "DistanceBlock",
    "Domain",
    "Kind",
    "encode_for_distance",
    "read_table",
    "to_polars",
    "write_table",
]
