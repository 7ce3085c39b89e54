"""Classifier attacks: a model that tells synthetic rows from real ones finds the generator's
over-represented regions, which is where its training records sit."""

from __future__ import annotations

import warnings
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
import polars as pl

from synthrisk.errors import InvalidArgumentError, SynthriskWarning
from synthrisk.privacy.attacks.base import Attack


def gradient_boosting(seed: int | None, **params: Any) -> Any:
    """scikit-learn's HistGradientBoostingClassifier, or a logistic-regression fallback (with a
    warning) when scikit-learn is not installed (``pip install 'synthrisk[attacks]'``)."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:
        warnings.warn(
            "scikit-learn is not installed: using a plain logistic regression instead of "
            "gradient boosting (weaker); install it with pip install 'synthrisk[attacks]'",
            SynthriskWarning,
            stacklevel=3,
        )
        return LogisticRegression()
    defaults = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 31, "random_state": seed}
    return HistGradientBoostingClassifier(**(defaults | params))


def limit_threads(n_jobs: int | None) -> AbstractContextManager[Any]:
    """Caps the OpenMP threads of scikit-learn's gradient boosting (1 unless ``n_jobs`` says
    otherwise): on a busy machine its spinning threads can make a fit 50 times slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(n_jobs or 1, user_api="openmp")


class LogisticRegression:
    """A small L2-regularised logistic regression (Newton steps), the no-dependency fallback."""

    def __init__(self, l2: float = 1e-3, max_iter: int = 50) -> None:
        self.l2 = l2
        self.max_iter = max_iter

    def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Any:
        self.mean_ = x.mean(axis=0)
        self.scale_ = x.std(axis=0) + 1e-12
        z = np.c_[np.ones(len(x)), (x - self.mean_) / self.scale_]
        w = np.ones(len(x)) if sample_weight is None else np.asarray(sample_weight, float)
        beta = np.zeros(z.shape[1])
        for _ in range(self.max_iter):
            p = 1 / (1 + np.exp(-np.clip(z @ beta, -30, 30)))
            grad = z.T @ (w * (p - y)) + self.l2 * beta
            hess = (z * (w * p * (1 - p))[:, None]).T @ z + self.l2 * np.eye(z.shape[1])
            step = np.linalg.solve(hess, grad)
            beta -= step
            if np.abs(step).max() < 1e-8:
                break
        self.coef_ = beta
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        z = np.c_[np.ones(len(x)), (x - self.mean_) / self.scale_]
        p = 1 / (1 + np.exp(-np.clip(z @ self.coef_, -30, 30)))
        return np.c_[1 - p, p]


class Logan(Attack):
    """LOGAN-D1 / Detector (Hayes et al., 2019; Houssiau et al., 2022): a classifier trained to
    tell synthetic rows (label 1) from reference rows (label 0); ``score(x)`` is its log-odds
    that ``x`` is synthetic.

    The classes are balanced by weights; a reference set larger than ``max_rows`` (and likewise the
    synthetic set) is subsampled for training. ``classifier`` is any object with
    ``fit(x, y, sample_weight=)`` and ``predict_proba``; the default is gradient boosting
    (scikit-learn's HistGradientBoostingClassifier).
    """

    name = "logan"
    needs_reference = True

    def __init__(self, *, classifier: Any | None = None, max_rows: int = 20_000, **kw) -> None:
        super().__init__(**kw)
        self.classifier = classifier
        self.max_rows = max_rows

    def _matrix(self, df: pl.DataFrame) -> np.ndarray:
        return self.encoder_.matrix(self.encoder_.block(df))

    def _fit(self) -> None:
        assert self.reference_ is not None
        if self.max_rows < 2:
            raise InvalidArgumentError(f"max_rows must be at least 2, got {self.max_rows}")
        xs = self._matrix(self._sample(self.synthetic_))
        xr = self._matrix(self._sample(self.reference_))
        x = np.r_[xs, xr]
        y = np.r_[np.ones(len(xs)), np.zeros(len(xr))]
        weight = np.r_[np.full(len(xs), 0.5 / len(xs)), np.full(len(xr), 0.5 / len(xr))]
        weight *= len(x)
        model = self.classifier if self.classifier is not None else gradient_boosting(self.seed)
        with limit_threads(self.n_jobs):
            self.classifier_ = model.fit(x, y, sample_weight=weight)

    def _sample(self, df: pl.DataFrame) -> pl.DataFrame:
        if df.height <= self.max_rows:
            return df
        rows = np.sort(self.rng_.choice(df.height, self.max_rows, replace=False))
        return df[rows]

    def _score(self, records: pl.DataFrame) -> np.ndarray:
        with limit_threads(self.n_jobs):
            p = self.classifier_.predict_proba(self._matrix(records))[:, 1]
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return np.log(p) - np.log1p(-p)


Detector = Logan
