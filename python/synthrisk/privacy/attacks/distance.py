"""Distance attacks: a member tends to have synthetic records unusually close to it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from synthrisk.data.encode import DistanceBlock
from synthrisk.errors import InvalidArgumentError
from synthrisk.neighbors import neighbors
from synthrisk.privacy.attacks.base import Attack


class _DistanceAttack(Attack):
    """Shared: mixed-type distances (DESIGN.md) from records to the synthetic/reference rows."""

    def __init__(self, *, weights: Sequence[float] | None = None, **kw) -> None:
        super().__init__(**kw)
        self.weights = weights

    def _fit(self) -> None:
        self.synthetic_block_ = self.encoder_.block(self.synthetic_)
        self.reference_block_ = (
            None if self.reference_ is None else self.encoder_.block(self.reference_)
        )

    def knn(
        self, block: DistanceBlock, k: int, against: str = "synthetic"
    ) -> tuple[np.ndarray, np.ndarray]:
        ref = self.synthetic_block_ if against == "synthetic" else self.reference_block_
        assert ref is not None
        k = min(k, ref.n_rows)
        return neighbors(block, ref, k=k, weights=self.weights, n_jobs=self.n_jobs)


class GANLeaks(_DistanceAttack):
    """GAN-leaks (Chen et al., 2020), black-box: ``score(x) = −min_{g ∈ S} d(x, g)``.

    With ``calibrated=True`` the same quantity computed against the reference population is
    subtracted, on log distances: ``score(x) = log d(x, R) − log d(x, S)`` (a ratio, so a record
    in a sparse region is judged against its sparse surroundings; ``d + 1e-6`` keeps exact
    copies finite). Records that are simply typical (close to everything) no longer look like
    members.
    """

    name = "ganleaks"

    def __init__(self, *, calibrated: bool = False, **kw) -> None:
        super().__init__(**kw)
        self.calibrated = calibrated

    def _fit(self) -> None:
        if self.calibrated and self.reference_ is None:
            raise InvalidArgumentError(
                "calibrated GAN-leaks needs reference= (real non-members); or pass calibrated=False"
            )
        super()._fit()

    def _score(self, records: pl.DataFrame) -> np.ndarray:
        block = self.encoder_.block(records)
        d_s = self.knn(block, 1)[0][:, 0]
        if not self.calibrated:
            return -d_s
        d_r = self.knn(block, 1, "reference")[0][:, 0]
        return np.log(d_r + 1e-6) - np.log(d_s + 1e-6)


class DCRDifference(_DistanceAttack):
    """DCR difference: mean distance to the ``k`` nearest reference rows minus the mean distance
    to the ``k`` nearest synthetic rows (a plain difference, not a ratio). A larger ``k``
    averages out single lucky neighbours."""

    name = "dcr_difference"
    needs_reference = True

    def __init__(self, *, k: int = 5, **kw) -> None:
        super().__init__(**kw)
        self.k = k

    def _score(self, records: pl.DataFrame) -> np.ndarray:
        if self.k < 1:
            raise InvalidArgumentError(f"k must be at least 1, got {self.k}")
        block = self.encoder_.block(records)
        d_s = self.knn(block, self.k)[0].mean(axis=1)
        d_r = self.knn(block, self.k, "reference")[0].mean(axis=1)
        return d_r - d_s


class MonteCarlo(_DistanceAttack):
    """Monte-Carlo attack (Hilprecht et al., 2019): the share of synthetic rows within a radius ε
    of the record, ``score(x) = |{g ∈ S : d(x, g) ≤ ε}| / |S|``.

    ε is the median, over the scored records, of their distance to the closest synthetic row
    (the paper's heuristic) unless ``radius`` is given. Neighbours are counted among the nearest
    ``max_neighbors`` synthetic rows (a record with that many within ε gets that count); ties on
    the count are broken by the closest distance, so the score ranks every record.
    """

    name = "montecarlo"

    def __init__(self, *, radius: float | None = None, max_neighbors: int = 256, **kw) -> None:
        super().__init__(**kw)
        self.radius = radius
        self.max_neighbors = max_neighbors

    def _score(self, records: pl.DataFrame) -> np.ndarray:
        block = self.encoder_.block(records)
        dist = self.knn(block, self.max_neighbors)[0]
        eps = float(np.median(dist[:, 0])) if self.radius is None else float(self.radius)
        self.radius_ = eps
        count = (dist <= eps).sum(axis=1)
        # Tie-break within a count by closeness (distances lie in [0, 1]).
        return (count - np.clip(dist[:, 0], 0, 1) * 0.5) / self.synthetic_block_.n_rows


class Collision(_DistanceAttack):
    """Collision: how many synthetic rows (near-)copy the record, ``d(x, g) ≤ tolerance``.

    Exact copies of training records are the plainest leak; the score is the count (among the
    nearest ``max_neighbors``), most records score 0.
    """

    name = "collision"

    def __init__(self, *, tolerance: float = 0.0, max_neighbors: int = 64, **kw) -> None:
        super().__init__(**kw)
        self.tolerance = tolerance
        self.max_neighbors = max_neighbors

    def _score(self, records: pl.DataFrame) -> np.ndarray:
        dist = self.knn(self.encoder_.block(records), self.max_neighbors)[0]
        return (dist <= self.tolerance).sum(axis=1).astype(np.float64)
