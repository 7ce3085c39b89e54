"""IndependentMarginals: the simplest correct DP generator, and the baseline for the others."""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import polars as pl

from synthrisk.accounting import PrivacyLedger, check_budget, gaussian_sigma
from synthrisk.data.domain import Domain
from synthrisk.data.encode import Discretizer
from synthrisk.data.frames import to_polars
from synthrisk.data.preprocess import count_tables, private_preparation, project_to_simplex
from synthrisk.data.validate import check_not_empty
from synthrisk.errors import InvalidArgumentError, ModelFileError
from synthrisk.generators._engine import record_discrete_gaussian
from synthrisk.generators.base import Generator
from synthrisk.noise import discrete_gaussian


class IndependentMarginals(Generator):
    """Samples every column independently from its noisy one-way marginal.

    Each column's histogram (bins from the public Domain; missing values as their own cell) gets
    discrete Gaussian noise, sampled exactly (:mod:`synthrisk.noise`). Adding or removing one row
    changes one cell of each histogram by 1, so each histogram has L2 sensitivity 1; the zCDP
    budget ρ implied by (ε, δ) is split evenly over the columns. The histograms are counted in
    one pass by the Rust marginal engine. Noisy counts are projected onto the probability
    simplex. Correlations between columns are lost by design: it is a baseline.

    Args:
        epsilon, delta: the (ε, δ)-DP budget of ``fit``.
        domain: the public Domain. ``None``: DP preprocessing spends ``preprocess_share`` of
            the budget on bounds, cut points and categories, as MST, AIM and PrivBayes do (see
            :mod:`synthrisk.data.preprocess`).
        bins: equal-width bins per numeric column over its public bounds (DP quantile bins
            without a domain).
        strict: refuse a data-derived domain.
        out_of_bounds: ``"clip"`` (default; data-independent, so private) or ``"error"``.
        seed: seeds the noise; the same seed and data give the same model. ``None`` (the
            default) draws it from the operating system, as a release should.
        categories: public candidate categories for DP preprocessing, by column; columns
            without them have their values released through a threshold, for which a tenth
            of δ is set aside (rare values become ``"<other>"``).
        preprocess_share: share of the budget for DP preprocessing (only without a domain).

    Example:
        >>> from synthrisk import Domain, IndependentMarginals
        >>> import polars as pl
        >>> d = Domain.from_dict({"columns": {"x": {"kind": "integer", "lower": 0, "upper": 9}}})
        >>> model = IndependentMarginals(epsilon=1.0, domain=d, seed=0).fit(
        ...     pl.DataFrame({"x": list(range(10)) * 50}))
        >>> model.sample(5, seed=1).height
        5
    """

    name = "independent"

    def __init__(
        self,
        *,
        epsilon: float = 1.0,
        delta: float = 1e-6,
        domain: Domain | None = None,
        bins: int = 32,
        strict: bool = False,
        out_of_bounds: str = "clip",
        seed: int | None = None,
        categories: dict[str, list[Any]] | None = None,
        preprocess_share: float = 0.1,
    ) -> None:
        self.epsilon = epsilon
        self.delta = delta
        self.domain = domain
        self.bins = bins
        self.strict = strict
        self.out_of_bounds = out_of_bounds
        self.seed = seed
        self.categories = categories
        self.preprocess_share = preprocess_share

    def fit(self, data: Any) -> Self:
        """Measures every one-way marginal with Gaussian noise and records it in ``ledger_``."""
        check_budget(self.epsilon, self.delta)
        if not isinstance(self.bins, int) or isinstance(self.bins, bool) or self.bins < 1:
            raise InvalidArgumentError(f"bins must be a positive integer, got {self.bins!r}")
        edges: dict[str, tuple[float, ...]] = {}
        noise_seed = self.seed
        if self.domain is not None:
            domain = self.domain
            domain.require_public(strict=self.strict, purpose=f"{type(self).__name__}.fit")
            # Build everything that can fail before the first mechanism runs.
            discretizer = Discretizer(domain, bins=self.bins)
            df = domain.validate(data, out_of_bounds=self.out_of_bounds, what="training data")
            ledger = PrivacyLedger(
                epsilon=self.epsilon, delta=self.delta, domain_public=not domain.data_derived
            )
        else:
            if not (0 < self.preprocess_share < 1):
                raise InvalidArgumentError(
                    f"preprocess_share must lie in (0, 1), got {self.preprocess_share!r}"
                )
            raw = to_polars(data, what="training data")
            check_not_empty(raw, "training data")
            rng = np.random.default_rng(self.seed)
            domain, edges, ledger, df = private_preparation(
                raw,
                epsilon=self.epsilon,
                delta=self.delta,
                bins=self.bins,
                categories=self.categories,
                share=self.preprocess_share,
                rng=rng,
            )
            discretizer = Discretizer(domain, bins=self.bins, edges=edges)
            noise_seed = int(rng.integers(0, 2**63 - 1))
        codes = discretizer.encode(df)
        sigma = gaussian_sigma(ledger.rho_remaining / len(domain))
        noise = discrete_gaussian(sigma, sum(discretizer.sizes), seed=noise_seed)
        # Every mechanism is recorded before the rows are read; then all one-way histograms come
        # from one pass of the Rust counting kernel.
        for bins in discretizer.columns:
            record_discrete_gaussian(ledger, f"one-way marginal of {bins.column.name!r}", sigma)
        tables = count_tables(codes, discretizer.sizes, [(k,) for k in range(len(domain))])
        noisy_counts = []
        offset = 0
        for t in tables:
            noise_part = noise[offset : offset + t.size]
            noisy_counts.append((t.astype(np.int64) + noise_part).astype(np.float64))
            offset += t.size
        self.domain_ = domain
        self.ledger_ = ledger
        self.sigma_ = sigma
        self.noisy_counts_ = noisy_counts
        self.marginals_ = [project_to_simplex(c) for c in noisy_counts]
        self.discretizer_ = discretizer
        self.edges_ = edges
        return self

    def _sample(self, n: int, rng: np.random.Generator) -> pl.DataFrame:
        codes = np.column_stack(
            [rng.choice(len(p), size=n, p=p / p.sum()) for p in self.marginals_]
        )
        return self.discretizer_.decode(codes, rng)

    def _state(self) -> dict[str, Any]:
        return {
            "sigma": self.sigma_,
            "noisy_counts": [c.tolist() for c in self.noisy_counts_],
            "edges": {k: list(v) for k, v in self.edges_.items()},  # DP cut points, if any
        }

    def _restore(self, state: dict[str, Any]) -> None:
        self.sigma_ = float(state["sigma"])
        self.noisy_counts_ = [np.asarray(c, dtype=np.float64) for c in state["noisy_counts"]]
        self.marginals_ = [project_to_simplex(c) for c in self.noisy_counts_]
        self.edges_ = {k: tuple(float(x) for x in v) for k, v in state.get("edges", {}).items()}
        self.discretizer_ = Discretizer(self.domain_, bins=self.bins, edges=self.edges_)
        if [len(c) for c in self.noisy_counts_] != list(self.discretizer_.sizes):
            raise ModelFileError("the saved noisy counts do not fit the saved domain")
