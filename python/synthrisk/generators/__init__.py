"""Synthetic-data generators with formal differential privacy."""

from synthrisk.generators.base import Generator
from synthrisk.generators.independent import IndependentMarginals

__all__ = ["Generator", "IndependentMarginals"]
