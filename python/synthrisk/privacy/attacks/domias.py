"""DOMIAS: membership as a local overfitting of the generator, read from a density ratio."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl

from synthrisk.errors import InvalidArgumentError, SynthriskWarning
from synthrisk.privacy.attacks.base import Attack
from synthrisk.privacy.attacks.density import GaussianKDE


class DOMIAS(Attack):
    """DOMIAS (van Breugel et al., 2023): ``score(x) = log p̂_S(x) − log p̂_R(x)``.

    ``p̂_S`` is a density fitted to the synthetic data and ``p̂_R`` one fitted to the reference
    population (real non-members); records where the generator put more mass than the population
    has are likely members. Both densities are Gaussian KDEs computed exactly in log space.

    Args:
        density: ``"kde"`` (default): a full-covariance KDE on the numeric encoding (range-scaled
            numerics, one-hot categoricals without their most frequent level), as the reference
            implementation does with scipy. ``"mixed"``: a product kernel (diagonal covariance)
            on all one-hot levels: for a categorical column it is a match/mismatch kernel, so it
            suits tables with many categorical columns; it never fails on dependent columns.
        bandwidth: ``"scott"``, ``"silverman"`` or a factor (see :class:`GaussianKDE`).
        bandwidth_scale: multiplies the bandwidth factor of both densities. Rules such as
            Scott's are made for smooth density estimates and blur the local bumps that betray
            memorised records; the default 0.25 sees them (on the MIDST TabDDPM data it raises
            TPR at FPR < 0.1 from 0.15 to 0.23). ``bandwidth_scale=1`` is the reference DOMIAS
            with scipy's defaults.

    Columns that are constant in the synthetic or the reference data carry no information and are
    left out; for the full covariance, so are columns that are (numerically) linear combinations
    of earlier ones, e.g. a one-hot level that another column determines. A full covariance that
    still turns out singular falls back to the diagonal one, with a warning.
    """

    name = "domias"
    needs_reference = True

    def __init__(
        self,
        *,
        density: str = "kde",
        bandwidth: str | float = "scott",
        bandwidth_scale: float = 0.25,
        **kw,
    ) -> None:
        super().__init__(**kw)
        self.density = density
        self.bandwidth = bandwidth
        self.bandwidth_scale = bandwidth_scale

    def _fit(self) -> None:
        if self.density not in ("kde", "mixed"):
            raise InvalidArgumentError(f"density must be 'kde' or 'mixed', got {self.density!r}")
        assert self.reference_ is not None
        drop_first = self.density == "kde"
        xs = self.encoder_.matrix(self.encoder_.block(self.synthetic_), drop_first=drop_first)
        xr = self.encoder_.matrix(self.encoder_.block(self.reference_), drop_first=drop_first)
        keep = (np.ptp(xs, axis=0) > 0) & (np.ptp(xr, axis=0) > 0)
        if self.density == "kde":
            keep &= independent_columns(xs) & independent_columns(xr)
        if not keep.any():
            raise InvalidArgumentError(
                "every column is constant in the synthetic or the reference data: no density"
            )
        self.columns_kept_ = keep
        covariance = "full" if self.density == "kde" else "diagonal"
        try:
            self.kde_synthetic_, self.kde_reference_ = self._fit_pair(xs, xr, covariance)
        except InvalidArgumentError as e:
            if covariance != "full" or "singular" not in str(e):
                raise
            warnings.warn(
                f"DOMIAS: {e}; using a diagonal covariance instead",
                SynthriskWarning,
                stacklevel=3,
            )
            self.kde_synthetic_, self.kde_reference_ = self._fit_pair(xs, xr, "diagonal")
        self.drop_first_ = drop_first

    def _fit_pair(
        self, xs: np.ndarray, xr: np.ndarray, covariance: str
    ) -> tuple[GaussianKDE, GaussianKDE]:
        keep = self.columns_kept_
        if not (np.isfinite(self.bandwidth_scale) and self.bandwidth_scale > 0):
            raise InvalidArgumentError(
                f"bandwidth_scale must be positive, got {self.bandwidth_scale!r}"
            )
        out = []
        for x in (xs[:, keep], xr[:, keep]):
            kde = GaussianKDE(bandwidth=self.bandwidth, covariance=covariance, n_jobs=self.n_jobs)
            kde.fit(x)
            if self.bandwidth_scale != 1.0:
                kde = GaussianKDE(
                    bandwidth=kde.factor_ * self.bandwidth_scale,
                    covariance=covariance,
                    n_jobs=self.n_jobs,
                ).fit(x)
            out.append(kde)
        return out[0], out[1]

    def log_densities(self, records: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(log p̂_S(x), log p̂_R(x))`` for already selected records."""
        x = self.encoder_.matrix(self.encoder_.block(records), drop_first=self.drop_first_)
        x = x[:, self.columns_kept_]
        return self.kde_synthetic_.log_density(x), self.kde_reference_.log_density(x)

    def _score(self, records: pl.DataFrame) -> np.ndarray:
        log_s, log_r = self.log_densities(records)
        return log_s - log_r


def independent_columns(x: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Mask of columns kept by a greedy pass that drops each column whose variance left after
    regressing on the columns kept before it is below ``tol`` times its own variance."""
    c = np.cov(x, rowvar=False)
    c = np.atleast_2d(c)
    keep = np.zeros(c.shape[0], dtype=bool)
    for j in range(c.shape[0]):
        if c[j, j] <= 0:
            continue
        idx = np.flatnonzero(keep)
        resid = c[j, j]
        if idx.size:
            sub = c[np.ix_(idx, idx)]
            v = c[idx, j]
            resid = c[j, j] - v @ np.linalg.solve(sub, v)
        keep[j] = resid > tol * c[j, j]
    return keep
