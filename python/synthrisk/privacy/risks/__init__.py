"""anonymeter-style privacy risks (singling out, linkability, attribute inference) with a control
set and Wilson rates, and SDMetrics-style CAP disclosure protection."""

from synthrisk.privacy.risks._rates import (
    RiskResult,
    SuccessRate,
    residual_success,
    risk_result,
    success_rate,
)
from synthrisk.privacy.risks.cap import DisclosureResult, disclosure_protection
from synthrisk.privacy.risks.evaluators import (
    inference,
    inference_all,
    inference_success,
    linkability,
    multivariate_queries,
    singling_out,
    univariate_queries,
)

__all__ = [
    "DisclosureResult",
    "RiskResult",
    "SuccessRate",
    "disclosure_protection",
    "inference",
    "inference_all",
    "inference_success",
    "linkability",
    "multivariate_queries",
    "residual_success",
    "risk_result",
    "singling_out",
    "success_rate",
    "univariate_queries",
]
