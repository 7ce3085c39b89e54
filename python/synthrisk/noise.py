"""Exact integer noise for differential privacy.

Floating-point noise samplers leak through the gaps in their output (Mironov 2012; Jin et al.
2022), so synthrisk adds noise to counts from the discrete Gaussian and discrete Laplace
distributions, sampled exactly with integer arithmetic (Canonne, Kamath & Steinke 2020) from a
ChaCha20 stream in the Rust core. The discrete Gaussian with scale σ and L2 sensitivity Δ is
Δ²/(2σ²)-zCDP, the same cost as the continuous Gaussian; σ² is rounded up, never down.

With ``seed=None`` the stream is seeded from the operating system; with an integer seed the draws
are reproducible (for tests and audits — a released model should not use a guessable seed).
"""

from __future__ import annotations

import numpy as np

from synthrisk import _native
from synthrisk.errors import InvalidArgumentError


def discrete_gaussian(sigma: float, size: int, *, seed: int | None = None) -> np.ndarray:
    """``size`` draws with P(x) ∝ exp(−x² / 2σ²), as int64.

    Example:
        >>> draws = discrete_gaussian(3.0, 5, seed=0)
        >>> draws.dtype, draws.shape
        (dtype('int64'), (5,))
    """
    _check_size(size)
    return _native.discrete_gaussian(float(sigma), int(size), _seed(seed))


def discrete_laplace(scale: int, size: int, *, seed: int | None = None) -> np.ndarray:
    """``size`` draws with P(x) ∝ exp(−|x| / scale) for a positive integer scale, as int64."""
    _check_size(size)
    if not isinstance(scale, int | np.integer) or scale < 1:
        raise InvalidArgumentError(f"scale must be a positive integer, got {scale!r}")
    return _native.discrete_laplace(int(scale), int(size), _seed(seed))


def _check_size(size: int) -> None:
    if not isinstance(size, int | np.integer) or size < 0:
        raise InvalidArgumentError(f"size must be a non-negative integer, got {size!r}")


def _seed(seed: int | None) -> int | None:
    if seed is None:
        return None
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidArgumentError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed) % 2**64
