"""The privacy ledger: every mechanism a generator runs on the data, and what it cost.

A generator is given a budget (ε, δ); every mechanism that touches the data is recorded before
its output is used, and spending past the budget raises. Sampling costs nothing and is not
recorded. The ledger composes its entries through the accounting engine, with the accountant
it was created with:

* ``"zcdp"`` (default): ρ adds up and is converted with Canonne–Kamath–Steinke; the budget is
  ρ(ε, δ), computed once (the marginal generators calibrate their noise to it);
* ``"rdp"`` / ``"pld"``: the composition of the recorded mechanism records under that
  accountant (needed for subsampled mechanisms, which have no zCDP guarantee);
* ``"best"``: the smallest ε of the three (each is an upper bound, so their minimum is too).

An entry fits the budget when the composition with it stays within (ε, δ) under the ledger's
accountant, or when its ρ still fits the zCDP budget (both are sufficient).

Some mechanisms fail with a small probability δᵢ on top of their Gaussian cost (a thresholded
release of category keys that no public list names: a key held by one record clears the
threshold with probability at most δᵢ). A ledger created with ``delta_reserved`` sets that much
of δ aside for them: the entries' δᵢ must add up to at most ``delta_reserved``, and everything
else is composed at δ − ``delta_reserved`` (each such mechanism is within total variation δᵢ of
one that reveals nothing beyond its Gaussian part, so the δᵢ add to the accountant's δ).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from synthrisk.accounting.accountants import CONVERSIONS, make_accountant
from synthrisk.accounting.mechanisms import (
    Composition,
    ExponentialMechanism,
    Gaussian,
    Laplace,
    Mechanism,
    PoissonSampledGaussian,
    RandomizedResponse,
    SampledWithoutReplacementGaussian,
    compose,
)
from synthrisk.accounting.zcdp import epsilon_from_rho, gaussian_rho, rho_from_epsilon
from synthrisk.errors import BudgetError, SynthriskError

LEDGER_ACCOUNTANTS = ("zcdp", "rdp", "pld", "best")
_ZCDP_TEXT = "zCDP (Canonne-Kamath-Steinke 2020 conversion)"


def check_budget(epsilon: float, delta: float) -> None:
    """Raises BudgetError unless ε > 0 is finite and δ lies in (0, 1)."""
    if not (isinstance(epsilon, int | float) and math.isfinite(epsilon) and epsilon > 0):
        raise BudgetError(f"epsilon must be a positive finite number, got {epsilon!r}")
    if not (isinstance(delta, int | float) and 0 < delta < 1):
        raise BudgetError(f"delta must lie in (0, 1), got {delta!r}; 1/n² or smaller is usual")


@dataclass(frozen=True)
class LedgerEntry:
    """One mechanism run on the data: what, why, with which parameters, at which cost.

    ``rho`` is the zCDP cost of one run (``inf`` for mechanisms without a zCDP guarantee);
    ``delta`` the probability, per run, that it fails beyond that cost (see the module notes).
    """

    mechanism: str
    purpose: str
    parameters: Mapping[str, float]
    rho: float
    count: int = 1
    delta: float = 0.0

    @property
    def total_delta(self) -> float:
        return self.delta * self.count

    @property
    def total_rho(self) -> float:
        return self.rho * self.count

    def to_mechanism(self) -> Mechanism:
        """The mechanism record this entry describes (all its runs)."""
        p, n = self.parameters, self.count
        try:
            if self.mechanism in ("gaussian", "gaussian_threshold"):
                # A threshold release costs its Gaussian part here; its δ is accounted apart.
                return Gaussian.from_sigma(p["sigma"], p.get("l2_sensitivity", 1.0), count=n)
            if self.mechanism == "laplace":
                return Laplace(p["scale"] / p.get("l1_sensitivity", 1.0), count=n)
            if self.mechanism == "randomized_response":
                return RandomizedResponse(p["epsilon"], int(p.get("categories", 2)), count=n)
            if self.mechanism == "exponential":
                return ExponentialMechanism(p["epsilon"], count=n)
            if self.mechanism == "poisson_gaussian":
                return PoissonSampledGaussian(p["noise_multiplier"], p["sample_rate"], count=n)
            if self.mechanism == "wor_gaussian":
                return SampledWithoutReplacementGaussian(
                    p["noise_multiplier"], p["sample_rate"], count=n
                )
        except KeyError as e:
            raise BudgetError(f"ledger entry {self.purpose!r}: parameter {e} is missing") from None
        raise BudgetError(f"ledger entry {self.purpose!r}: unknown mechanism {self.mechanism!r}")


def _entry_for(purpose: str, m: Mechanism) -> LedgerEntry:
    one = dataclasses.replace(m, count=1)  # type: ignore[type-var]
    params: dict[str, float]
    if isinstance(m, Gaussian):
        params = {"sigma": m.noise_multiplier, "l2_sensitivity": 1.0}
    elif isinstance(m, Laplace):
        params = {"scale": m.noise_multiplier, "l1_sensitivity": 1.0}
    elif isinstance(m, RandomizedResponse):
        params = {"epsilon": m.pure_epsilon, "categories": float(m.categories)}
    elif isinstance(m, ExponentialMechanism):
        params = {"epsilon": m.pure_epsilon}
    elif isinstance(m, PoissonSampledGaussian | SampledWithoutReplacementGaussian):
        params = {"noise_multiplier": m.noise_multiplier, "sample_rate": m.sample_rate}
    else:  # pragma: no cover - compositions are split into leaves before
        raise BudgetError(f"cannot record {m!r} as one entry")
    return LedgerEntry(m.kind, purpose, params, one.rho, m.count)


@dataclass
class PrivacyLedger:
    """Records mechanisms against a budget of (ε, δ), composed through the accounting engine.

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
    accountant: str = "zcdp"
    delta_reserved: float = 0.0

    def __post_init__(self) -> None:
        check_budget(self.epsilon, self.delta)
        if self.accountant not in LEDGER_ACCOUNTANTS:
            raise BudgetError(
                f"accountant must be one of {LEDGER_ACCOUNTANTS}, got {self.accountant!r}"
            )
        r = self.delta_reserved
        if not (isinstance(r, int | float) and 0 <= r < self.delta):
            raise BudgetError(f"delta_reserved must lie in [0, delta={self.delta:g}), got {r!r}")

    @property
    def delta_composed(self) -> float:
        """The δ at which the entries' costs are composed: δ less the reserved part."""
        return self.delta - self.delta_reserved

    @property
    def delta_spent(self) -> float:
        """How much of the reserved δ the entries' failure probabilities use."""
        return math.fsum(e.total_delta for e in self.entries)

    @property
    def rho_budget(self) -> float:
        """The zCDP budget implied by (ε, δ − ``delta_reserved``), rounded down."""
        return rho_from_epsilon(self.epsilon, self.delta_composed)

    @property
    def rho_spent(self) -> float:
        """ρ spent so far (``inf`` once a mechanism without a zCDP guarantee was recorded)."""
        return math.fsum(e.total_rho for e in self.entries)

    @property
    def rho_remaining(self) -> float:
        return max(self.rho_budget - self.rho_spent, 0.0)

    @property
    def composition(self) -> Composition:
        """Everything recorded, as one mechanism record."""
        return compose(*(e.to_mechanism() for e in self.entries))

    def _epsilon_of(self, entries: list[LedgerEntry]) -> float:
        if not entries:
            return 0.0
        rho = math.fsum(e.total_rho for e in entries)
        candidates = []
        if self.accountant in ("zcdp", "best") and math.isfinite(rho):
            candidates.append(epsilon_from_rho(rho, self.delta_composed))
        if self.accountant in ("rdp", "pld", "best"):
            comp = compose(*(e.to_mechanism() for e in entries))
            names = ("rdp", "pld") if self.accountant == "best" else (self.accountant,)
            for name in names:
                try:
                    accountant = make_accountant(name).compose(comp)
                    candidates.append(accountant.get_epsilon(self.delta_composed))
                except SynthriskError:
                    if self.accountant != "best":
                        raise
        return min(candidates) if candidates else math.inf

    @property
    def epsilon_spent(self) -> float:
        """ε at the ledger's δ of everything spent so far (rounded up)."""
        return self._epsilon_of(self.entries)

    @property
    def epsilon_remaining(self) -> float:
        return max(self.epsilon - self.epsilon_spent, 0.0)

    def record(self, entry: LedgerEntry) -> LedgerEntry:
        """Adds a mechanism; refuses one that would overspend the budget."""
        if not entry.rho >= 0 or entry.count < 1 or not entry.delta >= 0:
            raise BudgetError(f"invalid ledger entry {entry}")
        if self.delta_spent + entry.total_delta > self.delta_reserved * (1 + 1e-12):
            raise BudgetError(
                f"{entry.purpose}: it may fail with probability δ={entry.total_delta:.3g}, more "
                f"than the {self.delta_reserved - self.delta_spent:.3g} of δ left in reserve; "
                "create the ledger with a larger delta_reserved"
            )
        if self.accountant == "zcdp" and not math.isfinite(entry.rho):
            raise BudgetError(
                f"{entry.purpose}: a {entry.mechanism} mechanism has no zCDP guarantee; create "
                f"the ledger with accountant='rdp' or 'pld'"
            )
        entry.to_mechanism()  # the parameters must describe a mechanism
        fits_rho = self.rho_spent + entry.total_rho <= self.rho_budget
        if not fits_rho:
            fits_eps = (
                self.accountant != "zcdp"
                and self._epsilon_of([*self.entries, entry]) <= self.epsilon
            )
            if not fits_eps:
                raise BudgetError(
                    f"{entry.purpose}: spending it would exceed the budget (ε={self.epsilon:g}, "
                    f"δ={self.delta:g}; ρ={entry.total_rho:.6g} of {self.rho_remaining:.6g} left)"
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

    def spend(self, purpose: str, mechanism: Mechanism) -> list[LedgerEntry]:
        """Records any mechanism record (a composition becomes one entry per part), all or
        nothing: if the whole does not fit, nothing is recorded."""
        leaves = [m.repeat(c) if c != 1 else m for m, c in mechanism.leaves()]
        new = [_entry_for(purpose, m) for m in leaves]
        before = list(self.entries)
        try:
            for e in new:
                self.record(e)
        except BudgetError:
            self.entries[:] = before
            raise
        return new

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: budget, spend and every entry with its (ε, δ) alone."""
        text = _ZCDP_TEXT if self.accountant == "zcdp" else CONVERSIONS.get(self.accountant, "")
        if self.accountant == "best":
            text = "the smallest of zCDP, RDP and PLD"
        return {
            "budget": {
                "epsilon": self.epsilon,
                "delta": self.delta,
                "rho": self.rho_budget,
                "delta_reserved": self.delta_reserved,
            },
            "spent": {
                "rho": self.rho_spent,
                "epsilon": self.epsilon_spent,
                "delta": self.delta,
                "delta_of_failures": self.delta_spent,
            },
            "domain_public": self.domain_public,
            "accounting": text,
            "accountant": self.accountant,
            "entries": [asdict(e) | {"epsilon_alone": self._epsilon_of([e])} for e in self.entries],
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
                delta=float(e.get("delta", 0.0)),
            )
            for e in d["entries"]
        ]
        budget = d["budget"]
        return cls(
            epsilon=float(budget["epsilon"]),
            delta=float(budget["delta"]),
            domain_public=bool(d["domain_public"]),
            entries=entries,
            accountant=str(d.get("accountant", "zcdp")),
            delta_reserved=float(budget.get("delta_reserved", 0.0)),
        )
