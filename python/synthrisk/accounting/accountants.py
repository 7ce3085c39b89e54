"""Privacy accountants: RDP, PLD and zCDP, all computed in the Rust core and rounded up.

An accountant collects mechanism records (``compose`` returns the accountant, so calls chain)
and answers ε for a δ or δ for an ε:

* :class:`RdpAccountant` — Rényi DP at a grid of orders (integer and fractional; the exact
  subsampled-Gaussian series), converted with Balle et al. (2020). Sub-millisecond.
* :class:`PldAccountant` — privacy loss distributions with pessimistic connect-the-dots
  discretisation and FFT composition: the tightest, for long DP-SGD runs.
* :class:`ZcdpAccountant` — zero-concentrated DP (ρ adds up), with the Canonne–Kamath–Steinke
  conversion; for mechanisms with a zCDP guarantee (not subsampled ones).

Example:
    >>> from synthrisk.accounting import RdpAccountant, PoissonSampledGaussian
    >>> acc = RdpAccountant().compose(PoissonSampledGaussian(1.1, 256 / 60000, count=14040))
    >>> round(acc.get_epsilon(1e-5), 3)
    2.594
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Self

from synthrisk import _native
from synthrisk.accounting.mechanisms import Mechanism, NativeComponent, as_mechanism, check_count
from synthrisk.errors import InvalidArgumentError

AccountantName = Literal["rdp", "pld", "zcdp"]
ACCOUNTANTS: tuple[str, ...] = ("rdp", "pld", "zcdp")

CONVERSIONS = {
    "rdp": "RDP to (ε, δ): Balle et al. 2020, Theorem 21",
    "pld": "PLD: pessimistic connect-the-dots discretisation, FFT composition",
    "pld-exact": "PLD: exact (a composition of Gaussian mechanisms is a Gaussian mechanism)",
    "pld-rdp": "the RDP (or, for pure-DP mechanisms, basic composition) bound, smaller here",
    "zcdp": "zCDP to (ε, δ): Canonne, Kamath & Steinke 2020, Proposition 12",
}


def check_delta(delta: Any) -> float:
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or not 0 < float(delta) < 1:
        raise InvalidArgumentError(
            f"delta must lie in (0, 1), got {delta!r}; 1/n² or smaller for n records is usual"
        )
    return float(delta)


def check_epsilon(epsilon: Any, *, positive: bool = False) -> float:
    ok = isinstance(epsilon, numbers.Real) and not isinstance(epsilon, bool)
    v = float(epsilon) if ok else math.nan
    if not (math.isfinite(v) and (v > 0 if positive else v >= 0)):
        need = "positive" if positive else "non-negative"
        raise InvalidArgumentError(f"epsilon must be {need} and finite, got {epsilon!r}")
    return v


def check_orders(orders: Any) -> list[float] | None:
    if orders is None:
        return None
    try:
        out = [float(a) for a in orders]
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"orders must be a sequence of numbers, got {orders!r}"
        ) from None
    if not out:
        raise InvalidArgumentError("orders must not be empty")
    bad = [a for a in out if not (a > 1 and math.isfinite(a))]
    if bad:
        raise InvalidArgumentError(
            f"every RDP order must be finite and greater than 1, got {bad[0]}"
        )
    return out


def default_orders() -> tuple[float, ...]:
    """The default RDP orders: opacus' and dp_accounting's grids together, with the gaps above
    63 filled and larger orders (up to 4096) for small ε."""
    return tuple(_native.rdp_default_orders())


@dataclass(frozen=True)
class PrivacySpent:
    """An (ε, δ) guarantee and how it was obtained."""

    epsilon: float
    delta: float
    accountant: str
    conversion: str
    order: float | None = None
    """The RDP order that gave the answer (RDP only)."""
    discretization: float | None = None
    """The PLD grid interval used (PLD only; 0 when the answer is exact)."""
    error_estimate: float | None = None
    """ε(2h) − ε(h), an estimate of the PLD discretisation error, when asked for."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Accountant:
    """The shared part: a list of composed mechanism records."""

    name: str = ""

    def __init__(self) -> None:
        self.mechanisms: list[Mechanism] = []
        self._native: list[NativeComponent] = []

    def compose(self, mechanism: Mechanism | Sequence[Mechanism], count: int = 1) -> Self:
        """Adds a mechanism (run ``count`` times); returns the accountant."""
        m = as_mechanism(mechanism)
        n = check_count(count)
        if n != 1:
            m = m.repeat(n)
        parts = m.components()
        self._check(parts)
        self.mechanisms.append(m)
        self._native.extend(parts)
        return self

    def _check(self, parts: list[NativeComponent]) -> None:
        pass

    def __len__(self) -> int:
        return len(self.mechanisms)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.mechanisms)} mechanisms)"

    def get_epsilon(self, delta: float) -> float:
        return self.privacy_spent(delta=delta).epsilon

    def get_delta(self, epsilon: float) -> float:
        return self.privacy_spent(epsilon=epsilon).delta

    def privacy_spent(
        self, *, delta: float | None = None, epsilon: float | None = None
    ) -> PrivacySpent:
        """ε at a given δ, or δ at a given ε (exactly one of the two)."""
        if (delta is None) == (epsilon is None):
            raise InvalidArgumentError("give exactly one of delta= and epsilon=")
        if not self._native:
            d = check_delta(delta) if delta is not None else 0.0
            e = check_epsilon(epsilon) if epsilon is not None else 0.0
            return PrivacySpent(e, d, self.name, "nothing spent")
        if delta is not None:
            return self._epsilon(check_delta(delta))
        return self._delta(check_epsilon(epsilon))

    def _epsilon(self, delta: float) -> PrivacySpent:
        raise NotImplementedError

    def _delta(self, epsilon: float) -> PrivacySpent:
        raise NotImplementedError


class RdpAccountant(_Accountant):
    """Rényi-DP accountant.

    Args:
        orders: the orders α > 1 to search (default: :func:`default_orders`).
        refine: also search the best order continuously (golden section between the grid
            neighbours): never worse, a little slower.

    The order search is certified: it returns the minimum over every order of the grid, skipping
    only orders that provably cannot win (RDP's log-moment is convex in α).
    """

    name = "rdp"

    def __init__(self, *, orders: Sequence[float] | None = None, refine: bool = False) -> None:
        super().__init__()
        self.orders = check_orders(orders)
        self.refine = bool(refine)

    def _epsilon(self, delta: float) -> PrivacySpent:
        eps, order = _native.rdp_epsilon(self._native, delta, self.orders, self.refine)
        return PrivacySpent(eps, delta, "rdp", CONVERSIONS["rdp"], order=order)

    def _delta(self, epsilon: float) -> PrivacySpent:
        d, order = _native.rdp_delta(self._native, epsilon, self.orders, self.refine)
        return PrivacySpent(epsilon, d, "rdp", CONVERSIONS["rdp"], order=order)

    def rdp(self, orders: Sequence[float] | None = None) -> list[float]:
        """The composed RDP ε(α) at each order."""
        o = check_orders(orders) or self.orders or list(default_orders())
        if not self._native:
            return [0.0] * len(o)
        return list(_native.rdp_curve(self._native, o))


class PldAccountant(_Accountant):
    """Privacy-loss-distribution accountant.

    Args:
        discretization: the loss grid interval ``h``; by default ``0.02·√(mean K(2))``, scaled
            to the per-step privacy loss so the relative error of ε stays near 1e-4. The answer
            is an upper bound for every ``h``; the excess shrinks quadratically with ``h`` (see
            ``docs/accounting.md``). A grid that would exceed memory is coarsened
            (``PrivacySpent.discretization`` says which interval was used).
        tail_mass: probability mass allowed outside the FFT window (counted as +∞ loss).
        error_estimate: also compute ε at ``2h`` and report ``ε(2h) − ε(h)``.

    Not for sampling without replacement (use :class:`RdpAccountant`). Never answers more than
    the RDP bound (both are upper bounds; the RDP one is smaller only where the FFT's dynamic
    range runs out, at tiny δ over very wide loss windows, and ``conversion`` then says so).
    """

    name = "pld"

    def __init__(
        self,
        *,
        discretization: float | None = None,
        tail_mass: float = 1e-15,
        error_estimate: bool = False,
    ) -> None:
        super().__init__()
        h = None if discretization is None else float(discretization)
        if h is not None and not (h > 0 and math.isfinite(h)):
            raise InvalidArgumentError(f"discretization must be positive, got {discretization!r}")
        t = float(tail_mass)
        if not (0 < t < 1e-3):
            raise InvalidArgumentError(f"tail_mass must lie in (0, 1e-3), got {tail_mass!r}")
        self.discretization = h
        self.tail_mass = t
        self.error_estimate = bool(error_estimate)

    def _check(self, parts: list[NativeComponent]) -> None:
        if any(k == "wor_gaussian" and b < 1 for k, _, b, _ in parts):
            raise InvalidArgumentError(
                "the PLD accountant does not support sampling without replacement; "
                "use RdpAccountant"
            )

    @staticmethod
    def _conversion(h: float, rdp: bool) -> str:
        return CONVERSIONS["pld-rdp" if rdp else "pld-exact" if h == 0 else "pld"]

    def _epsilon(self, delta: float) -> PrivacySpent:
        eps, h, err, rdp = _native.pld_epsilon(
            self._native, delta, self.discretization, self.tail_mass, self.error_estimate
        )
        conv = self._conversion(h, rdp)
        return PrivacySpent(eps, delta, "pld", conv, discretization=h, error_estimate=err)

    def _delta(self, epsilon: float) -> PrivacySpent:
        d, h, rdp = _native.pld_delta(self._native, epsilon, self.discretization, self.tail_mass)
        return PrivacySpent(epsilon, d, "pld", self._conversion(h, rdp), discretization=h)


class ZcdpAccountant(_Accountant):
    """zCDP accountant: ρ adds up; the tight Canonne–Kamath–Steinke conversion to (ε, δ).

    Gaussian: ρ = 1/(2·noise_multiplier²); Laplace and randomised response: ε²/2 (pure DP);
    exponential mechanism (bounded range): ε²/8. Subsampled mechanisms have no zCDP guarantee
    and are refused.
    """

    name = "zcdp"

    def _check(self, parts: list[NativeComponent]) -> None:
        _native.zcdp_composition_rho(parts)

    @property
    def rho(self) -> float:
        return float(_native.zcdp_composition_rho(self._native)) if self._native else 0.0

    def _epsilon(self, delta: float) -> PrivacySpent:
        return PrivacySpent(
            _native.zcdp_epsilon(self.rho, delta), delta, "zcdp", CONVERSIONS["zcdp"]
        )

    def _delta(self, epsilon: float) -> PrivacySpent:
        d = _native.zcdp_delta(self.rho, epsilon)
        return PrivacySpent(epsilon, d, "zcdp", CONVERSIONS["zcdp"])


def make_accountant(
    accountant: str, **options: Any
) -> RdpAccountant | PldAccountant | ZcdpAccountant:
    """An empty accountant by name: ``"rdp"``, ``"pld"`` or ``"zcdp"``."""
    if accountant == "rdp":
        return RdpAccountant(**options)
    if accountant == "pld":
        return PldAccountant(**options)
    if accountant == "zcdp":
        if options:
            raise InvalidArgumentError(
                f"the zCDP accountant takes no options, got {sorted(options)}"
            )
        return ZcdpAccountant()
    raise InvalidArgumentError(f"accountant must be one of {ACCOUNTANTS}, got {accountant!r}")


def privacy_spent(
    mechanism: Mechanism | Sequence[Mechanism],
    *,
    delta: float | None = None,
    epsilon: float | None = None,
    accountant: str = "rdp",
    **options: Any,
) -> PrivacySpent:
    """(ε, δ) of a mechanism record under one accountant: ε for a δ, or δ for an ε."""
    return (
        make_accountant(accountant, **options)
        .compose(mechanism)
        .privacy_spent(delta=delta, epsilon=epsilon)
    )


def get_epsilon(
    mechanism: Mechanism | Sequence[Mechanism],
    delta: float,
    *,
    accountant: str = "rdp",
    **options: Any,
) -> float:
    """ε (rounded up) at which ``mechanism`` is (ε, δ)-DP."""
    return privacy_spent(mechanism, delta=delta, accountant=accountant, **options).epsilon


def get_delta(
    mechanism: Mechanism | Sequence[Mechanism],
    epsilon: float,
    *,
    accountant: str = "rdp",
    **options: Any,
) -> float:
    """δ (rounded up) at which ``mechanism`` is (ε, δ)-DP."""
    return privacy_spent(mechanism, epsilon=epsilon, accountant=accountant, **options).delta
