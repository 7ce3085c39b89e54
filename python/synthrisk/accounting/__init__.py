"""Differential-privacy accounting: zCDP budgets and the privacy ledger of every generator."""

from synthrisk.accounting.ledger import LedgerEntry, PrivacyLedger, check_budget
from synthrisk.accounting.zcdp import (
    delta_from_rho,
    epsilon_from_rho,
    gaussian_rho,
    gaussian_sigma,
    rho_from_epsilon,
)

__all__ = [
    "LedgerEntry",
    "PrivacyLedger",
    "check_budget",
    "delta_from_rho",
    "epsilon_from_rho",
    "gaussian_rho",
    "gaussian_sigma",
    "rho_from_epsilon",
]
