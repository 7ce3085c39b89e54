"""High-precision references (tests only): the subsampled Gaussian's RDP in mpmath."""

from __future__ import annotations

import mpmath as mp


def log_a_int(q: float, sigma: float, alpha: int, dps: int = 40) -> float:
    """log A_α = log Σ_i C(α,i) q^i (1−q)^(α−i) exp((i²−i)/(2σ²)), exactly."""
    with mp.workdps(dps):
        q_, s = mp.mpf(q), mp.mpf(sigma)
        c = 1 / (2 * s * s)
        total = mp.fsum(
            mp.binomial(alpha, i) * q_**i * (1 - q_) ** (alpha - i) * mp.exp((i * i - i) * c)
            for i in range(alpha + 1)
        )
        return float(mp.log(total))


def log_a(q: float, sigma: float, alpha: float, dps: int = 30) -> float:
    """log A_α = log E_{z~N(0,σ²)}[((1−q) + q·exp((2z−1)/(2σ²)))^α] by numerical integration."""
    with mp.workdps(dps):
        q_, s, a = mp.mpf(q), mp.mpf(sigma), mp.mpf(alpha)

        def f(z: mp.mpf) -> mp.mpf:
            mix = (1 - q_) + q_ * mp.exp((2 * z - 1) / (2 * s * s))
            return mp.npdf(z, 0, s) * mix**a

        # The integrand has a bump near 0 and (for large α) one near z = α; split generously.
        z0 = s * s * mp.log(1 / q_ - 1) + mp.mpf(1) / 2
        pts = sorted({-60 * s, -10 * s, 0, z0, a, a + 10 * s, a + 60 * s + 60})
        return float(mp.log(mp.quad(f, [mp.mpf(p) for p in pts], maxdegree=10)))
