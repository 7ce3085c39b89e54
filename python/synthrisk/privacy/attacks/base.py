"""The interface every membership-inference attack follows.

``fit(synthetic, reference=None)`` learns what the attack needs from the released synthetic table
and, for attacks that calibrate, a reference population of real records that were *not* in the
training data; ``score(records)`` returns one score per record, higher meaning "more likely a
member". Hyperparameters go to ``__init__`` (keyword-only), fitted attributes end in ``_``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import polars as pl

from synthrisk.data.domain import Domain
from synthrisk.errors import InvalidArgumentError, NotFittedError, SynthriskWarning
from synthrisk.privacy.attacks._tables import TableEncoder, as_frame, row_hashes


class ReferenceOverlapWarning(SynthriskWarning):
    """Records to score also appear in the reference population.

    A reference row equal to a challenge record raises its reference density and shrinks its
    reference distance, biasing density-ratio (DOMIAS) and calibrated attacks for that record.
    """


class Attack:
    """Base class: input checks, the table encoder and the fit/score contract.

    Args:
        domain: public Domain of the columns (ranges for distances, categories). Without one
            it is read from the synthetic and reference tables (fine for an audit: the auditor
            holds the data anyway).
        drop_columns: columns to ignore everywhere (identifiers such as ``trans_id``).
        categorical: without a domain, columns to treat as categorical codes.
        scale: numeric scaling, ``"quantile"`` (default: the empirical CDF over the synthetic and
            reference data) or ``"range"`` (the Domain's public bounds); see ``_tables``.
        n_jobs: threads for the Rust kernels (default all cores).
        seed: for attacks with randomness.
    """

    name: ClassVar[str] = "attack"
    needs_reference: ClassVar[bool] = False

    def __init__(
        self,
        *,
        domain: Domain | None = None,
        drop_columns: Sequence[str] = (),
        categorical: Sequence[str] = (),
        scale: str = "quantile",
        n_jobs: int | None = None,
        seed: int | None = None,
    ) -> None:
        self.domain = domain
        self.drop_columns = drop_columns
        self.categorical = categorical
        self.scale = scale
        self.n_jobs = n_jobs
        self.seed = seed

    # --- the contract ---------------------------------------------------------------------

    def fit(self, synthetic: Any, reference: Any | None = None) -> Attack:
        """Learns from the synthetic table (and the reference population, if the attack uses it)."""
        s = as_frame(synthetic, "synthetic")
        r = None if reference is None else as_frame(reference, "reference")
        if self.needs_reference and r is None:
            raise InvalidArgumentError(
                f"the {self.name} attack needs reference= (real records from the same "
                "population that were not in the training data)"
            )
        self.encoder_ = TableEncoder(
            self.domain, self.drop_columns, self.categorical, self.scale
        ).fit(s, r)
        self.synthetic_ = self.encoder_.select(s, "synthetic")
        self.reference_ = None if r is None else self.encoder_.select(r, "reference")
        self._reference_hashes = (
            None if self.reference_ is None else set(row_hashes(self.reference_).tolist())
        )
        self.rng_ = np.random.default_rng(self.seed)
        self._fit()
        return self

    def score(self, records: Any) -> np.ndarray:
        """One score per record (higher = more likely a member), in the records' order."""
        if not hasattr(self, "encoder_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit(...) first")
        x = self.encoder_.select(as_frame(records, "challenge"), "challenge")
        self._warn_overlap(x)
        out = np.asarray(self._score(x), dtype=np.float64)
        assert out.shape == (x.height,)
        return out

    def fit_score(self, synthetic: Any, records: Any, reference: Any | None = None) -> np.ndarray:
        return self.fit(synthetic, reference).score(records)

    # --- for subclasses -------------------------------------------------------------------

    def _fit(self) -> None:
        """Fits on ``self.synthetic_`` / ``self.reference_`` (encoded by ``self.encoder_``)."""

    def _score(self, records: pl.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def _warn_overlap(self, records: pl.DataFrame) -> None:
        if not self._reference_hashes:
            return
        hits = int(np.sum([h in self._reference_hashes for h in row_hashes(records).tolist()]))
        if hits:
            warnings.warn(
                f"{hits} of {records.height} records to score also appear in the reference "
                f"data: this biases the {self.name} attack for them (the reference should hold "
                "real non-members only); remove them from the reference",
                ReferenceOverlapWarning,
                stacklevel=3,
            )

    def get_params(self) -> dict[str, Any]:
        import inspect

        names = [
            p.name
            for cls in type(self).__mro__
            if "__init__" in cls.__dict__
            for p in inspect.signature(cls.__init__).parameters.values()  # type: ignore[misc]
            if p.kind is p.KEYWORD_ONLY
        ]
        return {n: getattr(self, n) for n in dict.fromkeys(names)}

    def __repr__(self) -> str:
        params = ", ".join(
            f"{k}={v!r}" for k, v in self.get_params().items() if k not in ("domain",)
        )
        return f"{type(self).__name__}({params})"
