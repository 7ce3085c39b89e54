"""anonymeter's statistics: Wilson-centred success rates and the residual risk over a control set.

``z = Φ⁻¹((1 + c)/2)``; a rate of k successes in n attacks is the Wilson centre
``p̃ = (k + z²/2)/(n + z²)`` with error ``e = z/(n + z²)·√(k(n−k)/n + z²/4)``. The risk is
``R = (p̃_a − p̃_c)/(1 − p̃_c)`` with the delta-method error
``σ_R = √((e_a/(1 − p̃_c))² + (e_c·(p̃_a − 1)/(1 − p̃_c)²)²)``, value and interval clipped to [0, 1]
(as anonymeter 1.1.0 does).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from statistics import NormalDist

from synthrisk.errors import InvalidArgumentError, SynthriskWarning


@dataclass(frozen=True)
class SuccessRate:
    """A Wilson-centred success rate with its symmetric error bound."""

    value: float
    error: float


def success_rate(n_success: int | float, n_total: int, confidence: float = 0.95) -> SuccessRate:
    """anonymeter's ``success_rate`` (Wilson centre and error).

    Example:
        >>> r = success_rate(100, 500)
        >>> round(r.value, 10), round(r.error, 10)
        (0.2022873021, 0.0350018032)
    """
    if not 0 < confidence < 1:
        raise InvalidArgumentError(f"confidence must lie in (0, 1), got {confidence}")
    if n_total <= 0 or not 0 <= n_success <= n_total:
        raise InvalidArgumentError(
            f"need 0 ≤ successes ≤ attacks and attacks > 0, got {n_success}/{n_total}"
        )
    z = NormalDist().inv_cdf(0.5 * (1 + confidence))
    z2 = z * z
    var = n_success * (n_total - n_success) / n_total
    denominator = n_total + z2
    return SuccessRate(
        value=(n_success + 0.5 * z2) / denominator,
        error=(z / denominator) * math.sqrt(var + 0.25 * z2),
    )


def residual_success(attack: SuccessRate, control: SuccessRate) -> SuccessRate:
    """The excess of the attack's success over the control's, normalised by ``1 − control``."""
    if control.value >= 1:
        return SuccessRate(0.0, 1.0)
    residual = (attack.value - control.value) / (1.0 - control.value)
    d_attack = 1 / abs(1 - control.value)
    d_control = (attack.value - 1) / (1 - control.value) ** 2
    error = math.sqrt((attack.error * d_attack) ** 2 + (control.error * d_control) ** 2)
    return SuccessRate(residual, error)


def _clip(x: float) -> float:
    return min(max(x, 0.0), 1.0)


@dataclass(frozen=True)
class RiskResult:
    """The outcome of an anonymeter-style attack: counts, rates and the privacy risk.

    ``risk`` is the residual risk over the control set when there is one (else the attack's
    success rate), with ``risk_low``/``risk_high`` its interval, all clipped to [0, 1].
    """

    kind: str
    n_attacks: int
    n_success: int
    n_baseline: int
    n_control: int | None
    attack_rate: SuccessRate
    baseline_rate: SuccessRate
    control_rate: SuccessRate | None
    risk: float
    risk_low: float
    risk_high: float
    confidence: float
    details: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        rate = lambda r: None if r is None else {"value": r.value, "error": r.error}  # noqa: E731
        return {
            "kind": self.kind,
            "risk": {"value": self.risk, "low": self.risk_low, "high": self.risk_high},
            "attack_rate": rate(self.attack_rate),
            "baseline_rate": rate(self.baseline_rate),
            "control_rate": rate(self.control_rate),
            "n_attacks": self.n_attacks,
            "n_success": self.n_success,
            "n_baseline": self.n_baseline,
            "n_control": self.n_control,
            "confidence": self.confidence,
            "details": self.details,
        }


def risk_result(
    kind: str,
    n_attacks: int | tuple[int, int, int],
    n_success: int,
    n_baseline: int,
    n_control: int | None,
    confidence: float = 0.95,
    details: dict[str, object] | None = None,
) -> RiskResult:
    """Rates and risk as anonymeter's ``EvaluationResults(...).risk()`` computes them.

    Example:
        >>> r = risk_result("x", 500, 100, 10, 50)
        >>> round(r.risk, 10), round(r.risk_low, 10), round(r.risk_high, 10)
        (0.1106388726, 0.0636646614, 0.1576130838)
    """
    n_ori, n_base, n_ctrl = (n_attacks,) * 3 if isinstance(n_attacks, int) else n_attacks
    attack = success_rate(n_success, n_ori, confidence)
    baseline = success_rate(n_baseline, n_base, confidence)
    control = None if n_control is None else success_rate(n_control, n_ctrl, confidence)
    if baseline.value >= attack.value:
        warnings.warn(
            f"{kind}: the attack does no better than the random baseline (attack "
            f"{attack.value:.4f}, baseline {baseline.value:.4f}): its risk cannot be trusted",
            SynthriskWarning,
            stacklevel=3,
        )
    final = attack if control is None else residual_success(attack, control)
    return RiskResult(
        kind=kind,
        n_attacks=n_ori,
        n_success=n_success,
        n_baseline=n_baseline,
        n_control=n_control,
        attack_rate=attack,
        baseline_rate=baseline,
        control_rate=control,
        risk=_clip(final.value),
        risk_low=_clip(final.value - final.error),
        risk_high=_clip(final.value + final.error),
        confidence=confidence,
        details=details or {},
    )
