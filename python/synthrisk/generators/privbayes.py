"""PrivBayes: a differentially private Bayesian network (Zhang et al. 2017), its marginals fitted
with synthrisk's Rust marginal engine."""

from __future__ import annotations

import itertools
import math
from typing import Any, Self

import numpy as np

from synthrisk.accounting import gaussian_sigma
from synthrisk.data.domain import Domain
from synthrisk.errors import InvalidArgumentError
from synthrisk.generators._engine import GraphModel, model_cells, table_cells
from synthrisk.generators._marginal import MarginalGenerator, check_tables

#: Sensitivity of the count-scale R score (see :func:`r_score`).
R_SENSITIVITY = 2.0
_BIAS = math.sqrt(2.0 / math.pi)


def r_score(table: np.ndarray, shape: tuple[int, ...], child_axis: int) -> float:
    """PrivBayes' R score in counts: ``½ Σ |J − a ⊗ b / n|``, the L1 distance between the
    joint table ``J`` of a child and its parents and the product of its margins ``a`` (child)
    and ``b`` (parents), ``n`` records.

    Adding or removing one record changes it by less than 2: the joint moves by 1 in L1, and
    ``a ⊗ b / n`` by at most ``(3n + 1)/(n + 1) < 3`` (one term for the change of ``n``, one
    for each margin), so ``|Δ| ≤ ½ (1 + 3) = 2`` (tested against brute force).
    """
    j = np.moveaxis(np.asarray(table, dtype=np.float64).reshape(shape), child_axis, 0)
    j = j.reshape(j.shape[0], -1)
    n = j.sum()
    if n <= 0:
        return 0.0
    a = j.sum(axis=1)
    b = j.sum(axis=0)
    return 0.5 * float(np.abs(j - np.outer(a, b) / n).sum())


class PrivBayes(MarginalGenerator):
    """A degree-``k`` Bayesian network learned under DP, as in PrivBayes, whose families'
    marginals are measured with Gaussian noise and fitted jointly by Private-PGM.

    Budget (zCDP ρ, what is left after DP preprocessing): ``structure_share`` of ρ chooses the
    network greedily — the first column uniformly at random (no data), then, ``d − 1`` times,
    a (child, parents) pair by the exponential mechanism (ε = √(8 ρ_s / (d − 1)) each) among
    the unchosen children and every set of at most ``k`` chosen columns as parents, scored by
    the R score (:func:`r_score`, sensitivity 2) minus the expected noise of measuring that
    family (a public penalty that plays the part of PrivBayes' θ-usefulness: families whose
    tables the noise would drown are not worth their cells); the rest measures the maximal
    families' marginals with discrete Gaussian noise, split evenly. Instead of PrivBayes' noisy
    conditionals, the network's marginals are fitted together (mirror descent, as in MST and
    AIM; Private-PGM showed this is never worse) and records are drawn from the fitted model.
    Candidates whose family would push the model past ``max_model_size`` megabytes are left
    out (a public rule: it depends on domain sizes and earlier choices only).

    Args:
        epsilon, delta: the (ε, δ)-DP budget of ``fit``.
        domain: public Domain; ``None`` runs DP preprocessing with ``preprocess_share``.
        degree: k, the most parents a column may have.
        structure_share: share of the budget for learning the network.
        bins, strict, out_of_bounds, seed, categories, preprocess_share, n_jobs: as in
            :class:`~synthrisk.generators.MST`.
        iters, tol: mirror descent of the final fit.
        max_model_size: megabytes the fitted model may take.
        max_time: seconds the final fit may take (it stops there, with a warning).

    Example:
        >>> import polars as pl
        >>> from synthrisk import Domain, PrivBayes
        >>> d = Domain.from_dict({"columns": {
        ...     "a": {"kind": "integer", "lower": 0, "upper": 3},
        ...     "b": {"kind": "categorical", "categories": ["x", "y"]}}})
        >>> df = pl.DataFrame({"a": [0, 1, 2, 3] * 100, "b": ["x", "y"] * 200})
        >>> PrivBayes(epsilon=1.0, domain=d, seed=0).fit(df).sample(3, seed=0).height
        3
    """

    name = "privbayes"

    def __init__(
        self,
        *,
        epsilon: float = 1.0,
        delta: float = 1e-6,
        domain: Domain | None = None,
        degree: int = 2,
        structure_share: float = 0.3,
        bins: int = 32,
        strict: bool = False,
        out_of_bounds: str = "clip",
        seed: int | None = None,
        iters: int = 2000,
        tol: float | None = 1e-7,
        max_model_size: float = 80.0,
        max_time: float | None = None,
        categories: dict[str, list[Any]] | None = None,
        preprocess_share: float = 0.1,
        n_jobs: int | None = None,
    ) -> None:
        self.epsilon = epsilon
        self.delta = delta
        self.domain = domain
        self.degree = degree
        self.structure_share = structure_share
        self.bins = bins
        self.strict = strict
        self.out_of_bounds = out_of_bounds
        self.seed = seed
        self.iters = iters
        self.tol = tol
        self.max_model_size = max_model_size
        self.max_time = max_time
        self.categories = categories
        self.preprocess_share = preprocess_share
        self.n_jobs = n_jobs

    def _check_params(self) -> None:
        super()._check_params()
        if not isinstance(self.degree, int) or isinstance(self.degree, bool) or self.degree < 0:
            raise InvalidArgumentError(f"degree must be an integer ≥ 0, got {self.degree!r}")
        if not (0 < self.structure_share < 1):
            raise InvalidArgumentError(
                f"structure_share must lie in (0, 1), got {self.structure_share!r}"
            )

    def _check_sizes(self, names: tuple[str, ...], sizes: tuple[int, ...]) -> None:
        # The largest table PrivBayes may count: a column with its k largest other columns.
        k = min(self.degree, len(names) - 1)
        order = sorted(range(len(names)), key=lambda a: -sizes[a])
        tables = []
        for a in range(len(names)):
            parents = [b for b in order if b != a][:k]
            fam = tuple(sorted([a, *parents]))
            tables.append((tuple(names[b] for b in fam), table_cells(fam, sizes)))
        check_tables("PrivBayes' families", tables)

    def fit(self, data: Any) -> Self:
        """Learns the network and measures its families; records every step in ``ledger_``."""
        ctx = self._prepare(data)
        names, sizes, table, ledger = ctx.names, ctx.sizes, ctx.table, ctx.ledger
        d = len(names)
        rho = ledger.rho_remaining
        max_cells = self._max_cells()
        first = int(ctx.rng.integers(d))
        chosen = [first]
        families: list[tuple[int, tuple[int, ...]]] = [(first, ())]
        # The noise each family's measurement will get (at most d families share ρ_m).
        sigma_plan = gaussian_sigma((1 - self.structure_share) * rho / d)
        if d > 1:
            epsilon = math.sqrt(8 * self.structure_share * rho / (d - 1)) * (1 - 1e-12)
            for step in range(d - 1):
                child, parents = self._select(
                    ctx, chosen, families, epsilon, max_cells, step, sigma_plan
                )
                chosen.append(child)
                families.append((child, parents))
        cliques = [tuple(sorted((c, *p))) for c, p in families]
        maximal = [
            c
            for i, c in enumerate(cliques)
            if not any(i != j and set(c) < set(o) for j, o in enumerate(cliques))
        ]
        maximal = list(dict.fromkeys(maximal))
        sigma = gaussian_sigma(ledger.rho_remaining / len(maximal))
        measurements = table.gaussian(
            maximal,
            sigma,
            [f"PrivBayes: marginal of ({', '.join(repr(names[a]) for a in c)})" for c in maximal],
        )
        model = GraphModel(sizes, maximal, max_cells=max_cells)
        stats = model.fit(
            measurements,
            iters=self.iters,
            tol=self.tol,
            growth=1.1,
            time_limit=ctx.time_left(self.max_time),
            n_jobs=self.n_jobs,
        )
        self.network_ = [(names[c], tuple(names[p] for p in ps)) for c, ps in families]
        self._finish(ctx, model, measurements, stats)
        return self

    def _select(
        self,
        ctx: Any,
        chosen: list[int],
        families: list[tuple[int, tuple[int, ...]]],
        epsilon: float,
        max_cells: int,
        step: int,
        sigma_plan: float,
    ) -> tuple[int, tuple[int, ...]]:
        sizes = ctx.sizes
        d = len(sizes)
        current = [tuple(sorted((c, *p))) for c, p in families]
        rest = [a for a in range(d) if a not in chosen]
        # Every parent set of up to k chosen columns whose family keeps the model small enough.
        k = min(self.degree, len(chosen))
        cands = [
            (x, ps)
            for x in rest
            for r in range(k + 1)
            for ps in itertools.combinations(sorted(chosen), r)
        ]
        cliques = [tuple(sorted((x, *ps))) for x, ps in cands]
        _, cells = model_cells(sizes, current, cliques)
        keep = [i for i, c in enumerate(cells) if c <= max_cells]
        if not keep:  # pragma: no cover - a single column always fits (checked before budget)
            raise InvalidArgumentError("no column fits max_model_size; raise it or use fewer bins")
        cands = [cands[i] for i in keep]
        cliques = [cliques[i] for i in keep]
        shapes = [tuple(sizes[a] for a in c) for c in cliques]
        axes = [c.index(x) for c, (x, _) in zip(cliques, cands, strict=True)]
        # The expected L1 noise of measuring the family (half of it, on R's scale): a public
        # penalty that, like PrivBayes' θ-usefulness, keeps families whose tables the noise
        # would drown out of the network.
        penalty = np.array([0.5 * _BIAS * sigma_plan * math.prod(s) for s in shapes])

        def quality(tables: list[np.ndarray]) -> np.ndarray:
            r = [r_score(t, s, ax) for t, s, ax in zip(tables, shapes, axes, strict=True)]
            return np.array(r) - penalty

        i = ctx.table.exponential(
            cliques,
            quality,
            epsilon=epsilon,
            sensitivity=R_SENSITIVITY,
            purpose=f"PrivBayes: network step {step + 1} of {d - 1} among {len(cliques)}",
        )
        return cands[i]
