"""Use synthrisk's accountants inside opacus (imported only when asked for: the rest of
synthrisk never imports torch or opacus).

Importing this module registers two accountants with opacus, ``"synthrisk-rdp"`` and
``"synthrisk-pld"``, so ``PrivacyEngine(accountant="synthrisk-rdp")`` and
``make_private_with_epsilon`` (whose noise search then runs on our accountant) work unchanged.
:func:`attach` swaps the accountant of an existing engine, keeping its history.

Example (needs the ``deep`` extra)::

    from opacus import PrivacyEngine
    import synthrisk.accounting.opacus_adapter  # registers the accountants
    engine = PrivacyEngine(accountant="synthrisk-rdp")
"""

from __future__ import annotations

from typing import Any

from opacus.accountants import IAccountant, register_accountant

from synthrisk.accounting.accountants import PrivacySpent, make_accountant
from synthrisk.accounting.mechanisms import PoissonSampledGaussian


class SynthriskAccountant(IAccountant):
    """An opacus accountant backed by synthrisk's RDP accountant (``history`` as in opacus:
    ``(noise_multiplier, sample_rate, steps)`` triples)."""

    kind = "rdp"

    def __init__(self) -> None:
        self.history: list[tuple[float, float, int]] = []

    def step(self, *, noise_multiplier: float, sample_rate: float) -> None:
        if self.history and self.history[-1][:2] == (noise_multiplier, sample_rate):
            z, q, n = self.history[-1]
            self.history[-1] = (z, q, n + 1)
        else:
            self.history.append((noise_multiplier, sample_rate, 1))

    def privacy_spent(self, delta: float, **options: Any) -> PrivacySpent:
        """The full answer (ε, order or discretisation, conversion)."""
        acc = make_accountant(self.kind, **options)
        for z, q, n in self.history:
            if z <= 0:
                return PrivacySpent(float("inf"), delta, self.kind, "no noise: no privacy")
            acc.compose(PoissonSampledGaussian(z, q, count=n))
        return acc.privacy_spent(delta=delta)

    def get_epsilon(self, delta: float, *args: Any, **kwargs: Any) -> float:
        kwargs.pop("alphas", None)
        if "alphas" not in kwargs and args:
            args = ()
        return self.privacy_spent(delta, **kwargs).epsilon

    def get_privacy_spent(self, *, delta: float, **kwargs: Any) -> tuple[float, float | None]:
        """``(ε, best order)`` like opacus' ``RDPAccountant.get_privacy_spent``."""
        r = self.privacy_spent(delta, **kwargs)
        return r.epsilon, r.order

    def __len__(self) -> int:
        return len(self.history)

    @classmethod
    def mechanism(cls) -> str:
        return "synthrisk-rdp"


class SynthriskPldAccountant(SynthriskAccountant):
    """An opacus accountant backed by synthrisk's PLD accountant."""

    kind = "pld"

    @classmethod
    def mechanism(cls) -> str:
        return "synthrisk-pld"


def register() -> None:
    """Registers ``"synthrisk-rdp"`` and ``"synthrisk-pld"`` with opacus (idempotent)."""
    register_accountant("synthrisk-rdp", SynthriskAccountant, force=True)
    register_accountant("synthrisk-pld", SynthriskPldAccountant, force=True)


def attach(privacy_engine: Any, accountant: str = "rdp") -> SynthriskAccountant:
    """Replaces ``privacy_engine.accountant`` by ours, keeping the steps already taken.

    Call it before ``make_private`` (opacus hooks the accountant into the optimizer there).
    """
    cls = {"rdp": SynthriskAccountant, "pld": SynthriskPldAccountant}[accountant]
    new = cls()
    old = getattr(privacy_engine, "accountant", None)
    new.history = list(getattr(old, "history", []) or [])
    privacy_engine.accountant = new
    return new


register()
