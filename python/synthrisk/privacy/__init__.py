"""Privacy risk measures for synthetic data."""

from synthrisk.privacy.distance import DCRResult, dcr

__all__ = ["DCRResult", "dcr"]
