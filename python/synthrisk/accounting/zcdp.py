"""Zero-concentrated DP (ρ-zCDP): budgets, Gaussian calibration and the tight (ε, δ) conversion.

The conversion is Canonne, Kamath & Steinke (2020), Proposition 12; it is computed in the Rust core
and rounded to the safe side (ε up, ρ down).
"""

from __future__ import annotations

from synthrisk import _native


def epsilon_from_rho(rho: float, delta: float) -> float:
    """The smallest ε (rounded up) such that ρ-zCDP implies (ε, δ)-DP.

    Example:
        >>> round(epsilon_from_rho(0.5, 1e-5), 3) < 0.5 + 2 * (0.5 * 11.5129) ** 0.5
        True
    """
    return float(_native.zcdp_epsilon(float(rho), float(delta)))


def delta_from_rho(rho: float, epsilon: float) -> float:
    """δ such that ρ-zCDP implies (ε, δ)-DP."""
    return float(_native.zcdp_delta(float(rho), float(epsilon)))


def rho_from_epsilon(epsilon: float, delta: float) -> float:
    """The largest ρ (rounded down) whose zCDP guarantee implies (ε, δ)-DP.

    Example:
        >>> rho = rho_from_epsilon(1.0, 1e-6)
        >>> epsilon_from_rho(rho, 1e-6) <= 1.0
        True
    """
    return float(_native.zcdp_rho(float(epsilon), float(delta)))


def gaussian_sigma(rho: float, sensitivity: float = 1.0) -> float:
    """The noise scale (rounded up) of a Gaussian mechanism that spends at most ρ."""
    return float(_native.gaussian_sigma_for_rho(float(sensitivity), float(rho)))


def gaussian_rho(sigma: float, sensitivity: float = 1.0) -> float:
    """ρ = Δ² / (2σ²) of the Gaussian mechanism."""
    return sensitivity * sensitivity / (2.0 * sigma * sigma)
