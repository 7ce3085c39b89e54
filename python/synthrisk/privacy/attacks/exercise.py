"""A membership-inference exercise: several attacks on one labelled challenge set, with their
statistics, as ``synthrisk.evaluate(..., challenge=, labels=)`` and the report use it."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from synthrisk.data.domain import Domain
from synthrisk.errors import InvalidArgumentError, SynthriskError, SynthriskWarning
from synthrisk.privacy.attacks._tables import as_frame, row_hashes
from synthrisk.stats import MIAResult, check_labels_scores, mia_statistics

#: Attacks run by default: cheap, complementary, and the strongest single ones on MIDST.
DEFAULT_ATTACKS = ("ganleaks-calibrated", "domias", "logan", "montecarlo")


def reference_without(reference: pl.DataFrame, challenge: pl.DataFrame) -> pl.DataFrame:
    """``reference`` minus the rows that also appear in ``challenge`` (same columns)."""
    cols = [c for c in challenge.columns if c in reference.columns]
    bad = set(row_hashes(challenge.select(cols)).tolist())
    keep = np.array([h not in bad for h in row_hashes(reference.select(cols)).tolist()], bool)
    return reference.filter(pl.Series(keep))


def membership_exercise(
    *,
    synthetic: Any,
    challenge: Any,
    labels: Any,
    reference: Any | None,
    domain: Domain | None = None,
    attacks: Sequence[str] = DEFAULT_ATTACKS,
    n_boot: int = 1000,
    seed: int | None = None,
    n_jobs: int | None = None,
    **params: Any,
) -> tuple[list[MIAResult], list[str]]:
    """Runs each attack and returns its statistics, plus warnings (an attack that cannot run
    is reported, not fatal). Rows of the reference that are also challenge records are removed
    first (they would bias DOMIAS and the calibrated attacks)."""
    from synthrisk.privacy.attacks import make_attack

    c = as_frame(challenge, "challenge")
    y, _ = check_labels_scores(labels, np.zeros(c.height))
    notes: list[str] = []
    ref = None
    if reference is not None:
        ref = as_frame(reference, "reference")
        before = ref.height
        ref = reference_without(ref, c)
        if ref.height < before:
            notes.append(
                f"{before - ref.height} reference rows that are also challenge records were "
                "left out of the attacks' reference population"
            )
        if ref.height < 2:
            notes.append("the reference population is empty after removing challenge records")
            ref = None
    results = []
    for name in attacks:
        try:
            model = make_attack(name, domain=domain, seed=seed, n_jobs=n_jobs, **params)
            if model.needs_reference and ref is None:
                notes.append(f"attack {name} skipped: it needs a reference population")
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SynthriskWarning)
                scores = model.fit(synthetic, ref).score(c)
            notes += [f"{name}: {w.message}" for w in caught]
            results.append(mia_statistics(y, scores, attack=name, n_boot=n_boot, seed=seed))
        except SynthriskError as e:
            if isinstance(e, InvalidArgumentError) and "unknown attack" in str(e):
                raise
            notes.append(f"attack {name} failed: {e}")
    return results, notes
