"""MST: the maximum-spanning-tree mechanism (McKenna, Miklau & Sheldon 2021), winner of the NIST
2018 synthetic-data challenge, on synthrisk's Rust marginal engine."""

from __future__ import annotations

import math
from typing import Any, Self

import numpy as np

from synthrisk.accounting import gaussian_sigma
from synthrisk.data.domain import Domain
from synthrisk.generators._engine import GraphModel, NoisyMarginal, table_cells
from synthrisk.generators._marginal import MarginalGenerator, check_tables


class MST(MarginalGenerator):
    """Measures every one-way marginal, a DP maximum spanning tree of two-way marginals, and fits
    a graphical model to them (Private-PGM), as in McKenna et al.'s MST.

    The zCDP budget ρ (what is left of it after DP preprocessing, when there is no public
    domain) is split in thirds:

    1. every one-way marginal with Gaussian noise σ₁ = √(3d / 2ρ);
    2. d − 1 exponential-mechanism picks of spanning-tree edges, each with ε = √(8(ρ/3)/(d − 1))
       and quality ‖x_ab − x̂_ab‖₁ (sensitivity 1), x̂ the independent model fitted to step 1;
    3. the picked two-way marginals with Gaussian noise σ₂ = √(3(d − 1) / 2ρ).

    With ``compress`` (as in the reference), values whose noisy one-way count is below 3σ₁ are
    merged into one code before steps 2 and 3 (post-processing of step 1) and drawn uniformly
    among themselves when sampling. The model is fitted by mirror descent in float64
    (``iters`` iterations, or fewer when ``tol`` is set and the loss stops improving).

    Args:
        epsilon, delta: the (ε, δ)-DP budget of ``fit``.
        domain: public Domain. ``None``: DP preprocessing spends ``preprocess_share`` of the
            budget on bounds, cut points and categories (see :mod:`synthrisk.data.preprocess`).
        bins: bins per numeric column.
        strict: refuse a data-derived domain.
        out_of_bounds: ``"clip"`` (private) or ``"error"``.
        seed: seeds noise, selection and sampling.
        compress: merge rare values after the one-way measurements (as the reference MST).
        iters, tol: mirror-descent iterations of the final fit and the early-stopping tolerance.
        max_model_size: largest model, in megabytes of float64 tables; larger pairs are not
            candidates.
        max_time: seconds the final fit may take (it stops there, with a warning).
        categories: public candidate categories for DP preprocessing, by column; columns
            without them have their values released through a threshold, for which a tenth
            of δ is set aside (rare values become ``"<other>"``).
        preprocess_share: share of the budget for DP preprocessing (only without a domain).
        n_jobs: threads for the Rust kernels (``None``: all cores).

    Example:
        >>> import polars as pl
        >>> from synthrisk import Domain, MST
        >>> d = Domain.from_dict({"columns": {
        ...     "a": {"kind": "integer", "lower": 0, "upper": 3},
        ...     "b": {"kind": "categorical", "categories": ["x", "y"]}}})
        >>> df = pl.DataFrame({"a": [0, 1, 2, 3] * 100, "b": ["x", "y"] * 200})
        >>> MST(epsilon=1.0, domain=d, seed=0).fit(df).sample(3, seed=0).height
        3
    """

    name = "mst"

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
        compress: bool = True,
        iters: int = 5000,
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
        self.bins = bins
        self.strict = strict
        self.out_of_bounds = out_of_bounds
        self.seed = seed
        self.compress = compress
        self.iters = iters
        self.tol = tol
        self.max_model_size = max_model_size
        self.max_time = max_time
        self.categories = categories
        self.preprocess_share = preprocess_share
        self.n_jobs = n_jobs

    def _check_sizes(self, names: tuple[str, ...], sizes: tuple[int, ...]) -> None:
        tables = [((n,), s) for n, s in zip(names, sizes, strict=True)]
        tables += [
            ((names[a], names[b]), sizes[a] * sizes[b])
            for a in range(len(names))
            for b in range(a + 1, len(names))
        ]
        check_tables("MST", tables)

    def fit(self, data: Any) -> Self:
        """Measures, selects and fits; records every mechanism in ``ledger_``."""
        ctx = self._prepare(data)
        names, sizes, table, ledger = ctx.names, ctx.sizes, ctx.table, ctx.ledger
        d = len(names)
        rho = ledger.rho_remaining
        max_cells = self._max_cells()
        # With no pair of columns small enough for the model (a public fact), the whole budget
        # goes to the one-way marginals.
        pairs_fit = any(
            table_cells((a, b), sizes) <= max_cells for a in range(d) for b in range(a + 1, d)
        )
        one_rho = rho / 3.0 if pairs_fit else rho
        sigma1 = gaussian_sigma(one_rho / d)
        ones = table.gaussian(
            [(j,) for j in range(d)], sigma1, [f"MST: one-way marginal of {n!r}" for n in names]
        )
        # Compression (post-processing of the one-way measurements).
        supports = [
            (m.values >= 3 * sigma1) if self.compress else np.ones(s, bool)
            for m, s in zip(ones, sizes, strict=True)
        ]
        maps, csizes, cones = [], [], []
        for j, (m, sup) in enumerate(zip(ones, supports, strict=True)):
            k = int(sup.sum())
            mapping = np.where(sup, np.cumsum(sup) - 1, k).astype(np.int64)
            maps.append(mapping)
            if k == len(sup):
                csizes.append(k)
                cones.append(m)
                continue
            csizes.append(k + 1)
            merged = len(sup) - k
            values = np.append(m.values[sup], m.values[~sup].sum())
            sigma = np.append(np.full(k, sigma1), sigma1 * math.sqrt(merged))
            cones.append(NoisyMarginal((j,), values, sigma))
        ctable = table.recoded(maps, csizes)
        edges: list[tuple[int, int]] = []
        if pairs_fit:
            edges = self._select(ctable, cones, csizes, rho / 3.0, max_cells, ctx)
        measurements = list(cones)
        if edges:
            sigma2 = gaussian_sigma(ledger.rho_remaining / len(edges))
            measurements += ctable.gaussian(
                edges,
                sigma2,
                [f"MST: two-way marginal of ({names[a]!r}, {names[b]!r})" for a, b in edges],
            )
        model = GraphModel(csizes, [m.clique for m in measurements], max_cells=max_cells)
        stats = model.fit(
            measurements,
            iters=self.iters,
            tol=self.tol,
            time_limit=ctx.time_left(self.max_time),
            n_jobs=self.n_jobs,
        )
        self.supports_ = supports
        self.compressed_sizes_ = tuple(csizes)
        self._finish(ctx, model, measurements, stats)
        return self

    def _select(
        self,
        ctable: Any,
        ones: list[NoisyMarginal],
        csizes: list[int],
        rho: float,
        max_cells: int,
        ctx: Any,
    ) -> list[tuple[int, int]]:
        d = len(csizes)
        names = ctx.names
        est = GraphModel(csizes, [m.clique for m in ones], max_cells=max_cells)
        est.fit(ones, iters=1000, tol=self.tol, n_jobs=self.n_jobs)
        pairs = [
            (a, b)
            for a in range(d)
            for b in range(a + 1, d)
            if table_cells((a, b), csizes) <= max_cells
        ]
        xhat = dict(zip(pairs, est.project(pairs), strict=True))
        parent = list(range(d))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        epsilon = math.sqrt(8.0 * rho / (d - 1)) * (1 - 1e-12)
        chosen: list[tuple[int, int]] = []
        for step in range(d - 1):
            cands = [e for e in pairs if find(e[0]) != find(e[1])]
            if not cands:
                break
            hats = [xhat[e] for e in cands]

            def quality(tables: list[np.ndarray], hats: list[np.ndarray] = hats) -> np.ndarray:
                return np.array([np.abs(x - h).sum() for x, h in zip(tables, hats, strict=True)])

            i = ctable.exponential(
                cands,
                quality,
                epsilon=epsilon,
                sensitivity=1.0,
                purpose=f"MST: spanning-tree edge {step + 1} of {d - 1} among {len(cands)}",
            )
            a, b = cands[i]
            parent[find(a)] = find(b)
            chosen.append((a, b))
        del names
        return chosen

    def _model_sizes(self) -> tuple[int, ...]:
        return self.compressed_sizes_

    def _decode_codes(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = np.empty_like(codes)
        for j, sup in enumerate(self.supports_):
            kept = np.flatnonzero(sup)
            rare = np.flatnonzero(~sup)
            col = codes[:, j]
            merged = col >= len(kept)
            values = np.empty(len(col), dtype=np.int64)
            values[~merged] = kept[col[~merged]]
            if merged.any():
                values[merged] = rng.choice(rare, size=int(merged.sum()))
            out[:, j] = values
        return out

    def _extra_state(self) -> dict[str, Any]:
        return {"supports": [s.astype(int).tolist() for s in self.supports_]}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        self.supports_ = [np.asarray(s, dtype=bool) for s in state["supports"]]
        self.compressed_sizes_ = tuple(int(s.sum()) + int(not s.all()) for s in self.supports_)
