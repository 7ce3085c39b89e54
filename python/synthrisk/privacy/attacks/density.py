"""Gaussian kernel density estimates, computed exactly by the Rust core in log space."""

from __future__ import annotations

from typing import Any

import numpy as np

from synthrisk import _native
from synthrisk.errors import InvalidArgumentError, NotFittedError, ShapeError


class GaussianKDE:
    """A Gaussian KDE with scipy's conventions, evaluated exactly (every sample point counts).

    The kernel covariance is the sample covariance times ``factor²``: Scott's factor
    ``n_eff^(-1/(d+4))`` (scipy's default), Silverman's ``(n_eff (d+2)/4)^(-1/(d+4))``, or a
    given number. ``covariance="diagonal"`` keeps only the variances (a product kernel, which
    also works when columns are linearly dependent). Log-densities match
    ``scipy.stats.gaussian_kde(data.T).logpdf`` to about 1e-12 relative; the work is tiled,
    parallel and runs without the GIL.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(1000, 2))
        >>> kde = GaussianKDE().fit(x)
        >>> round(float(kde.log_density(np.zeros((1, 2)))[0]), 2)
        -1.96
    """

    def __init__(
        self,
        *,
        bandwidth: str | float = "scott",
        covariance: str = "full",
        n_jobs: int | None = None,
    ) -> None:
        self.bandwidth = bandwidth
        self.covariance = covariance
        self.n_jobs = n_jobs

    def fit(self, data: Any, weights: Any | None = None) -> GaussianKDE:
        x = np.ascontiguousarray(data, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise ShapeError(f"data must be 2-d (points × dimensions), got shape {x.shape}")
        w = None if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
        if isinstance(self.bandwidth, str):
            if self.bandwidth not in ("scott", "silverman"):
                raise InvalidArgumentError(
                    f"bandwidth must be 'scott', 'silverman' or a positive number, "
                    f"got {self.bandwidth!r}"
                )
            self.kde_ = _native.GaussianKde(x, w, self.bandwidth, None, self.covariance)
        else:
            self.kde_ = _native.GaussianKde(x, w, "scott", float(self.bandwidth), self.covariance)
        self.factor_ = self.kde_.factor
        self.n_eff_ = self.kde_.n_eff
        self.covariance_ = self.kde_.covariance
        return self

    def log_density(self, queries: Any) -> np.ndarray:
        """log p̂(x) for each row of ``queries``."""
        if not hasattr(self, "kde_"):
            raise NotFittedError("GaussianKDE is not fitted: call fit(data) first")
        q = np.ascontiguousarray(queries, dtype=np.float64)
        if q.ndim == 1:
            q = q[:, None] if self.kde_.dim == 1 else q[None, :]
        return self.kde_.log_density(q, self.n_jobs)
