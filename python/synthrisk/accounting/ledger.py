"""The privacy ledger: every mechanism a generator runs on the data, and what it cost.

A generator is given a budget (ε, δ); the ledger converts it to zCDP ρ once, and every mechanism
that touches the data is recorded with its ρ before its output is used. Spending past the budget
raises; sampling costs nothing and is not recorded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from synthrisk.accounting.zcdp import epsilon_from_rho, gaussian_rho, rho_from_epsilon
from synthrisk.errors import BudgetError


def check_budget(epsilon: float, delta: float) -> None:
    """Raises BudgetError unless ε > 0 is finite and δ lies in (0, 1)."""
    if not (isinstance(epsilon, int | float) and math.isfinite(epsilon) and epsilon > 0):
        raise BudgetError(f"epsilon must be a positive finite number, got {epsilon!r}")
    if not (isinstance(delta, int | float) and 0 < delta < 1):
        raise BudgetError(f"delta must lie in (0, 1), got {delta!r}; 1/n² or smaller is usual")


@dataclass(frozen=True)
class LedgerEntry:
    """One mechanism run on the data: what, why, with which parameters, at which cost."""

    mechanism: str
    purpose: str
    parameters: Mapping[str, float]
    rho: float
    count: int = 1

    @property
    def total_rho(self) -> float:
        return self.rho * self.count


@dataclass
class PrivacyLedger:
    """Records mechanisms against a budget of (ε, δ), accounted in zCDP.

    Example:
        >>> ledger = PrivacyLedger(epsilon=1.0, delta=1e-6)
        >>> entry = ledger.gaussian("count of 'age'", sigma=10.0)
        >>> ledger.epsilon_spent < 1.0
        True
    """

    epsilon: float
    delta: float
    domain_public: bool = True
    entries: list[LedgerEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_budget(self.epsilon, self.delta)

    @property
    def rho_budget(self) -> float:
        """The zCDP budget implied by (ε, δ), rounded down."""
        return rho_from_epsilon(self.epsilon, self.delta)

    @property
    def rho_spent(self) -> float:
        return math.fsum(e.total_rho for e in self.entries)

    @property
    def rho_remaining(self) -> float:
        return max(self.rho_budget - self.rho_spent, 0.0)

    @property
    def epsilon_spent(self) -> float:
        """ε at the ledger's δ of everything spent so far (rounded up)."""
        return epsilon_from_rho(self.rho_spent, self.delta) if self.entries else 0.0

    def record(self, entry: LedgerEntry) -> LedgerEntry:
        """Adds a mechanism; refuses one that would overspend the budget."""
        if entry.rho < 0 or entry.count < 1:
            raise BudgetError(f"invalid ledger entry {entry}")
        if self.rho_spent + entry.total_rho > self.rho_budget:
            raise BudgetError(
                f"{entry.purpose}: spending ρ={entry.total_rho:.6g} would exceed the budget "
                f"(ρ={self.rho_budget:.6g}, {self.rho_remaining:.6g} left)"
            )
        self.entries.append(entry)
        return entry

    def gaussian(
        self, purpose: str, *, sigma: float, sensitivity: float = 1.0, count: int = 1
    ) -> LedgerEntry:
        """Records a Gaussian mechanism with L2 sensitivity ``sensitivity`` and scale ``sigma``."""
        rho = gaussian_rho(sigma, sensitivity)
        params = {"sigma": float(sigma), "l2_sensitivity": float(sensitivity)}
        return self.record(LedgerEntry("gaussian", purpose, params, rho, count))

    def exponential(
        self, purpose: str, *, epsilon: float, sensitivity: float = 1.0, count: int = 1
    ) -> LedgerEntry:
        """Records an exponential mechanism run with ``epsilon`` (scores scaled by
        ``epsilon / (2 · sensitivity)``): ε-bounded range, hence ρ = ε²/8 zCDP
        (Cesar & Rogers 2021), as AIM and MST account for it."""
        if not (math.isfinite(epsilon) and epsilon > 0 and sensitivity > 0):
            raise BudgetError(f"{purpose}: epsilon and sensitivity must be positive")
        params = {"epsilon": float(epsilon), "sensitivity": float(sensitivity)}
        return self.record(LedgerEntry("exponential", purpose, params, epsilon**2 / 8.0, count))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: budget, spend and every entry with its (ε, δ) alone."""
        return {
            "budget": {"epsilon": self.epsilon, "delta": self.delta, "rho": self.rho_budget},
            "spent": {"rho": self.rho_spent, "epsilon": self.epsilon_spent, "delta": self.delta},
            "domain_public": self.domain_public,
            "accounting": "zCDP (Canonne-Kamath-Steinke 2020 conversion)",
            "entries": [
                asdict(e) | {"epsilon_alone": epsilon_from_rho(e.total_rho, self.delta)}
                for e in self.entries
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PrivacyLedger:
        entries = [
            LedgerEntry(
                mechanism=e["mechanism"],
                purpose=e["purpose"],
                parameters=dict(e["parameters"]),
                rho=float(e["rho"]),
                count=int(e["count"]),
            )
            for e in d["entries"]
        ]
        budget = d["budget"]
        return cls(
            epsilon=float(budget["epsilon"]),
            delta=float(budget["delta"]),
            domain_public=bool(d["domain_public"]),
            entries=entries,
        )
