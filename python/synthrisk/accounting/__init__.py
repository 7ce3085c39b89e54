"""Differential-privacy accounting: mechanism records, RDP / PLD / zCDP accountants, the
inverse problems (noise for a target ε, steps for a target ε) and the privacy ledger of every
generator. All numbers come from the Rust core and are rounded to the safe side: a reported ε is
never below the mechanism's true ε.

Example:
    >>> from synthrisk import accounting as acc
    >>> dpsgd = acc.PoissonSampledGaussian(1.1, sample_rate=256 / 60000, count=14040)
    >>> rdp = acc.RdpAccountant().compose(dpsgd).privacy_spent(delta=1e-5)
    >>> round(rdp.epsilon, 3), rdp.order
    (2.594, 8.1)
    >>> round(acc.get_epsilon(dpsgd, 1e-5, accountant="pld"), 3)
    2.38

The opacus adapter lives in :mod:`synthrisk.accounting.opacus_adapter` and is imported only on
request (this package never imports torch or opacus).
"""

from synthrisk.accounting.accountants import (
    PldAccountant,
    PrivacySpent,
    RdpAccountant,
    ZcdpAccountant,
    default_orders,
    get_delta,
    get_epsilon,
    make_accountant,
    privacy_spent,
)
from synthrisk.accounting.calibration import (
    calibrate_noise,
    epochs_to_steps,
    max_count,
    max_steps,
    noise_multiplier,
    noise_scale,
)
from synthrisk.accounting.ledger import LedgerEntry, PrivacyLedger, check_budget
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
from synthrisk.accounting.zcdp import (
    delta_from_rho,
    epsilon_from_rho,
    gaussian_rho,
    gaussian_sigma,
    rho_from_epsilon,
)

__all__ = [
    "Composition",
    "ExponentialMechanism",
    "Gaussian",
    "Laplace",
    "LedgerEntry",
    "Mechanism",
    "PldAccountant",
    "PoissonSampledGaussian",
    "PrivacyLedger",
    "PrivacySpent",
    "RandomizedResponse",
    "RdpAccountant",
    "SampledWithoutReplacementGaussian",
    "ZcdpAccountant",
    "calibrate_noise",
    "check_budget",
    "compose",
    "default_orders",
    "delta_from_rho",
    "epochs_to_steps",
    "epsilon_from_rho",
    "gaussian_rho",
    "gaussian_sigma",
    "get_delta",
    "get_epsilon",
    "make_accountant",
    "max_count",
    "max_steps",
    "noise_multiplier",
    "noise_scale",
    "privacy_spent",
    "rho_from_epsilon",
]
