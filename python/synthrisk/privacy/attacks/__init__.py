"""Membership-inference attacks on synthetic data.

Every attack has one interface: ``fit(synthetic, reference=None)`` then ``score(records)`` →
one score per record, higher = more likely a member of the generator's training data. The
statistics of a labelled challenge set come from :func:`synthrisk.stats.mia_statistics`.

Example:
    >>> from synthrisk.privacy import attack
    >>> scores = attack("domias", synthetic=s, challenge=c, reference=r)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from synthrisk.data.domain import Domain
from synthrisk.errors import InvalidArgumentError
from synthrisk.privacy.attacks.base import Attack, ReferenceOverlapWarning
from synthrisk.privacy.attacks.classifier import Detector, Logan
from synthrisk.privacy.attacks.density import GaussianKDE
from synthrisk.privacy.attacks.distance import Collision, DCRDifference, GANLeaks, MonteCarlo
from synthrisk.privacy.attacks.domias import DOMIAS
from synthrisk.privacy.attacks.ensemble import Ensemble, RecordFeatures
from synthrisk.privacy.attacks.shadow import (
    ShadowSet,
    load_shadow_dir,
    load_shadow_folder,
    reference_from_frames,
)

#: Attack names accepted by :func:`attack` and the CLI, with their classes and fixed settings.
METHODS: dict[str, tuple[type[Attack], dict[str, Any]]] = {
    "domias": (DOMIAS, {}),
    "domias-mixed": (DOMIAS, {"density": "mixed"}),
    "ganleaks": (GANLeaks, {}),
    "ganleaks-calibrated": (GANLeaks, {"calibrated": True}),
    "dcr-difference": (DCRDifference, {}),
    "montecarlo": (MonteCarlo, {}),
    "logan": (Logan, {}),
    "detector": (Logan, {}),
    "collision": (Collision, {}),
    "ensemble": (Ensemble, {}),
}


def make_attack(method: str, **params: Any) -> Attack:
    """An attack object by name (see :data:`METHODS`), with extra hyperparameters."""
    key = method.lower().replace("_", "-")
    if key not in METHODS:
        raise InvalidArgumentError(f"unknown attack {method!r}; choose one of {sorted(METHODS)}")
    cls, fixed = METHODS[key]
    return cls(**(fixed | params))


def attack(
    method: str,
    *,
    synthetic: Any,
    challenge: Any,
    reference: Any | None = None,
    domain: Domain | None = None,
    drop_columns: Sequence[str] = (),
    shadows: Sequence[ShadowSet] | None = None,
    n_jobs: int | None = None,
    seed: int | None = None,
    **params: Any,
) -> np.ndarray:
    """Runs one membership-inference attack and returns one score per challenge record.

    Args:
        method: ``domias``, ``domias-mixed``, ``ganleaks``, ``ganleaks-calibrated``,
            ``dcr-difference``, ``montecarlo``, ``logan`` (= ``detector``), ``collision`` or
            ``ensemble``.
        synthetic: the released synthetic table.
        challenge: the records to score (same columns as ``synthetic``).
        reference: real records from the same population that were not in the training data
            (needed by DOMIAS, calibrated GAN-leaks, DCR difference, LOGAN and the ensemble).
        domain: public Domain of the columns; inferred from the inputs when omitted.
        drop_columns: columns to ignore (identifiers).
        shadows: labelled shadow data to train the ensemble on (``method="ensemble"``).
        params: further hyperparameters of the attack class.

    Returns:
        float64 scores in challenge order, higher = more likely a member.
    """
    common = {"domain": domain, "drop_columns": tuple(drop_columns), "n_jobs": n_jobs, "seed": seed}
    model = make_attack(method, **(common | params))
    if isinstance(model, Ensemble) and shadows is not None:
        model.fit_shadow(shadows, reference)
    return model.fit(synthetic, reference).score(challenge)


__all__ = [
    "DOMIAS",
    "METHODS",
    "Attack",
    "Collision",
    "DCRDifference",
    "Detector",
    "Ensemble",
    "GANLeaks",
    "GaussianKDE",
    "Logan",
    "MonteCarlo",
    "RecordFeatures",
    "ReferenceOverlapWarning",
    "ShadowSet",
    "attack",
    "load_shadow_dir",
    "load_shadow_folder",
    "make_attack",
    "reference_from_frames",
]
