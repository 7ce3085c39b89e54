"""Privacy risk measures for synthetic data."""

from synthrisk.privacy.distance import (
    AuthenticityResult,
    DCRResult,
    DistanceRisks,
    ExposureResult,
    HittingRateResult,
    IdentifiabilityResult,
    MedianDCRRatio,
    NNAAResult,
    NNDRResult,
    authenticity,
    dcr,
    distance_risks,
    entropy_weights,
    exposed_records,
    hitting_rate,
    identifiability,
    median_dcr_ratio,
    nnaa,
    nndr,
)

__all__ = [
    "AuthenticityResult",
    "DCRResult",
    "DistanceRisks",
    "ExposureResult",
    "HittingRateResult",
    "IdentifiabilityResult",
    "MedianDCRRatio",
    "NNAAResult",
    "NNDRResult",
    "authenticity",
    "dcr",
    "distance_risks",
    "entropy_weights",
    "exposed_records",
    "hitting_rate",
    "identifiability",
    "median_dcr_ratio",
    "nnaa",
    "nndr",
]

# Membership-inference attacks and anonymeter-style risks.
from synthrisk.privacy import attacks, risks
from synthrisk.privacy.attacks import attack

__all__ += ["attack", "attacks", "risks"]
