"""AIM: the adaptive, iterative, workload-aware mechanism (McKenna, Mullins, Sheldon & Miklau
2022) on synthrisk's Rust marginal engine."""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from synthrisk.accounting import gaussian_sigma
from synthrisk.data.domain import Domain
from synthrisk.errors import InvalidArgumentError, SynthriskWarning
from synthrisk.generators._engine import (
    MB,
    Clique,
    GraphModel,
    NoisyMarginal,
    downward_closure,
    model_cells,
    table_cells,
)
from synthrisk.generators._marginal import Context, MarginalGenerator, check_tables
from synthrisk.progress import Progress

_BIAS = math.sqrt(2.0 / math.pi)
#: Step growth of the line search after an accepted step (mbi uses 1.01; 1.1 converges faster
#: on the same problems, and the step is carried from round to round).
_GROWTH = 1.1


class AIM(MarginalGenerator):
    """Picks, round after round, the workload marginal the current model gets most wrong (by
    the exponential mechanism), measures it with Gaussian noise, and refits the graphical model
    (Private-PGM) to everything measured so far; as McKenna et al.'s AIM.

    With T = ``rounds`` (default 16 × columns) and ρ the zCDP budget (what is left after DP
    preprocessing), every one-way marginal is measured first with σ = √(T / (2 · 0.9 ρ)); each
    round then spends ε²/8 on selection (ε = √(8 · 0.1 ρ / T)) and 1/(2σ²) on measurement. The
    quality of a candidate ``c`` is ``w_c (‖x_c − x̂_c‖₁ − √(2/π) σ |c|)`` (sensitivity
    ``max w``), ``x̂`` the current model's marginal; candidates are the downward closure of the
    workload, limited to those that keep the model under ``max_model_size · (budget used)``
    megabytes. When a measurement barely moves the model, σ halves and ε doubles. The last round
    spends exactly what is left, so the ledger adds up to the whole budget.

    Each refit is warm-started mirror descent (``iters`` iterations at most, stopping early
    once the loss improves by less than ``tol``); the final fit runs ``final_iters``.

    Args:
        epsilon, delta: the (ε, δ)-DP budget of ``fit``.
        domain: public Domain; ``None`` runs DP preprocessing with ``preprocess_share``.
        workload: marginals to be accurate on, as column-name tuples, optionally with weights
            ``((cols...), w)``; default every 3-way marginal.
        rounds: T, the round budget (default 16 × number of columns).
        bins, strict, out_of_bounds, seed, categories, preprocess_share, n_jobs: as in
            :class:`~synthrisk.generators.MST`.
        max_model_size: megabytes of float64 tables the model may reach (default 80, as mbi).
        iters, final_iters, tol: mirror descent per round and at the end.
        max_time: seconds for the whole fit; past it, the next round spends what is left and
            AIM stops (with a warning).
        progress: show the current round on stderr.

    Example:
        >>> import polars as pl
        >>> from synthrisk import AIM, Domain
        >>> d = Domain.from_dict({"columns": {
        ...     "a": {"kind": "integer", "lower": 0, "upper": 3},
        ...     "b": {"kind": "categorical", "categories": ["x", "y"]},
        ...     "c": {"kind": "boolean"}}})
        >>> df = pl.DataFrame({"a": [0, 1, 2, 3] * 100, "b": ["x", "y"] * 200,
        ...                    "c": [True, False, False, True] * 100})
        >>> AIM(epsilon=1.0, domain=d, seed=0).fit(df).sample(3, seed=0).height
        3
    """

    name = "aim"

    def __init__(
        self,
        *,
        epsilon: float = 1.0,
        delta: float = 1e-6,
        domain: Domain | None = None,
        workload: Sequence[Any] | None = None,
        rounds: int | None = None,
        bins: int = 32,
        strict: bool = False,
        out_of_bounds: str = "clip",
        seed: int | None = None,
        max_model_size: float = 80.0,
        iters: int = 1000,
        final_iters: int = 1000,
        tol: float | None = 1e-4,
        max_time: float | None = None,
        categories: dict[str, list[Any]] | None = None,
        preprocess_share: float = 0.1,
        progress: bool = False,
        n_jobs: int | None = None,
    ) -> None:
        self.epsilon = epsilon
        self.delta = delta
        self.domain = domain
        self.workload = workload
        self.rounds = rounds
        self.bins = bins
        self.strict = strict
        self.out_of_bounds = out_of_bounds
        self.seed = seed
        self.max_model_size = max_model_size
        self.iters = iters
        self.final_iters = final_iters
        self.tol = tol
        self.max_time = max_time
        self.categories = categories
        self.preprocess_share = preprocess_share
        self.progress = progress
        self.n_jobs = n_jobs

    # --- the workload ----------------------------------------------------------------------

    def _workload(self, names: Sequence[str]) -> list[tuple[Clique, float]]:
        """The workload as (sorted attribute indices, weight)."""
        index = {n: i for i, n in enumerate(names)}
        if self.workload is None:
            k = min(3, len(names))
            return [(c, 1.0) for c in itertools.combinations(range(len(names)), k)]
        out: dict[Clique, float] = {}
        for item in self.workload:
            cols, weight = item, 1.0
            if (
                isinstance(item, list | tuple)
                and len(item) == 2
                and isinstance(item[0], list | tuple)
                and isinstance(item[1], int | float)
            ):
                cols, weight = item[0], float(item[1])
            if isinstance(cols, str):
                cols = (cols,)
            missing = [c for c in cols if c not in index]
            if missing:
                raise InvalidArgumentError(
                    f"workload marginal {tuple(cols)} names columns {missing} that the data "
                    f"lacks; columns: {list(names)}"
                )
            if not cols or len(set(cols)) != len(cols) or not math.isfinite(weight) or weight < 0:
                raise InvalidArgumentError(
                    f"workload marginal {item!r} must list distinct columns with a weight ≥ 0"
                )
            clique = tuple(sorted(index[c] for c in cols))
            out[clique] = out.get(clique, 0.0) + weight
        if not out:
            raise InvalidArgumentError("the workload is empty")
        return list(out.items())

    def _check_sizes(self, names: tuple[str, ...], sizes: tuple[int, ...]) -> None:
        work = self._workload(names)
        cands = downward_closure([c for c, _ in work])
        tables = [(tuple(names[a] for a in c), table_cells(c, sizes)) for c in cands]
        check_tables("AIM's workload (its downward closure)", tables)

    # --- fit -------------------------------------------------------------------------------

    def fit(self, data: Any) -> Self:
        """Runs AIM's rounds; records every selection and measurement in ``ledger_``."""
        if self.rounds is not None and (not isinstance(self.rounds, int) or self.rounds < 1):
            raise InvalidArgumentError(f"rounds must be a positive integer, got {self.rounds!r}")
        ctx = self._prepare(data)
        with Progress(enabled=self.progress) as bar:
            model, measurements, stats = self._run(ctx, bar)
        self._finish(ctx, model, measurements, stats)
        return self

    def _run(
        self, ctx: Context, bar: Progress
    ) -> tuple[GraphModel, list[NoisyMarginal], dict[str, Any]]:
        names, sizes, table, ledger = ctx.names, ctx.sizes, ctx.table, ctx.ledger
        work = self._workload(names)
        weights = {c: w for c, w in work}
        candidates = {
            cl: sum(w * len(set(cl) & set(wc)) for wc, w in weights.items())
            for cl in downward_closure(weights)
        }
        max_sens = max(abs(w) for w in candidates.values()) or 1.0
        d = len(names)
        rounds = self.rounds or 16 * d
        rho = ledger.rho_remaining
        sigma = math.sqrt(rounds / (2 * 0.9 * rho))
        epsilon = math.sqrt(8 * 0.1 * rho / rounds)
        oneway = [cl for cl in candidates if len(cl) == 1]
        max_cells = self._max_cells()
        measurements = table.gaussian(
            oneway, sigma, [f"AIM: one-way marginal of {names[c[0]]!r}" for c in oneway]
        )
        model = GraphModel(sizes, [m.clique for m in measurements], max_cells=max_cells)
        fit = {"tol": self.tol, "growth": _GROWTH, "warm_stepsize": True, "n_jobs": self.n_jobs}
        model.fit(measurements, iters=self.iters, **fit)
        t, terminate, annealed = 0, False, 0
        stopped_early = False
        history: list[dict[str, Any]] = []
        while not terminate:
            t += 1
            remaining = ledger.rho_remaining
            out_of_time = self.max_time is not None and ctx.time_left(self.max_time) <= 1e-3
            if remaining < 2 * (0.5 / sigma**2 + epsilon**2 / 8) or out_of_time:
                # The last round spends exactly what is left.
                remaining *= 1 - 1e-9
                sigma = math.sqrt(1 / (2 * 0.9 * remaining))
                epsilon = math.sqrt(8 * 0.1 * remaining)
                terminate = True
                stopped_early = out_of_time
            used = ledger.rho_spent - (ledger.rho_budget - rho) + epsilon**2 / 8 + 0.5 / sigma**2
            size_limit = self.max_model_size * used / rho
            small = self._filter(candidates, model, sizes, size_limit)
            bias = np.array([_BIAS * sigma * table_cells(c, sizes) for c in small])
            wts = np.array([candidates[c] for c in small])
            hats: dict[int, np.ndarray] = {}
            total_hat = model.total

            def upper(
                n: float,
                bias: np.ndarray = bias,
                wts: np.ndarray = wts,
                total_hat: float = total_hat,
            ) -> np.ndarray:
                # ‖x − x̂‖₁ ≤ ‖x‖₁ + ‖x̂‖₁ = n + model total.
                return wts * (n + total_hat * (1 + 1e-9) - bias)

            def quality(
                idx: np.ndarray,
                tables: list[np.ndarray],
                small: list[Clique] = small,
                bias: np.ndarray = bias,
                wts: np.ndarray = wts,
                model: GraphModel = model,
                hats: dict[int, np.ndarray] = hats,
            ) -> np.ndarray:
                est = model.project([small[i] for i in idx], n_jobs=self.n_jobs)
                hats.update(zip((int(i) for i in idx), est, strict=True))
                return np.array(
                    [
                        wts[i] * (np.abs(x - h).sum() - bias[i])
                        for i, x, h in zip(idx, tables, est, strict=True)
                    ]
                )

            i = table.exponential_bounded(
                small,
                upper=upper,
                quality=quality,
                epsilon=epsilon,
                sensitivity=max_sens,
                purpose=f"AIM round {t}: select a marginal among {len(small)}",
            )
            cl = small[i]
            label = ", ".join(repr(names[a]) for a in cl)
            new = table.gaussian(
                [cl], gaussian_sigma(0.5 / sigma**2), [f"AIM round {t}: ({label})"]
            )
            measurements += new
            z = hats[i]
            if not any(set(cl) <= set(k) for k in model.cliques):
                model = model.with_cliques([cl])
            rep = model.fit(
                measurements,
                iters=self.iters,
                time_limit=ctx.time_left(self.max_time),
                **fit,
            )
            w = model.project([cl], n_jobs=self.n_jobs)[0]
            history.append(
                {
                    "round": t,
                    "clique": list(cl),
                    "sigma": sigma,
                    "candidates": len(small),
                    "scored": table.scored,
                    "iterations": rep["iterations"],
                }
            )
            if np.abs(w - z).sum() <= sigma * _BIAS * table_cells(cl, sizes):
                sigma /= 2
                epsilon *= 2
                annealed += 1
            bar.step(
                f"AIM round {t}: ({label}); budget used "
                f"{(ledger.rho_budget - ledger.rho_remaining) / ledger.rho_budget:.0%}"
            )
        stats = model.fit(measurements, iters=self.final_iters, **fit)
        stats |= {"rounds": t, "annealed": annealed, "history": history}
        if stopped_early:
            warnings.warn(
                f"AIM reached max_time={self.max_time}s after {t} rounds and spent the rest of "
                "the budget on one last round; raise max_time for more rounds",
                SynthriskWarning,
                stacklevel=3,
            )
        return model, measurements, stats

    def _filter(
        self,
        candidates: dict[Clique, float],
        model: GraphModel,
        sizes: Sequence[int],
        limit_mb: float,
    ) -> list[Clique]:
        """Candidates inside the model already, or that keep it under ``limit_mb``, and whose
        marginal the current model can project (a candidate across large separators may need
        a walk over billions of cells; it is left out of this round, as the model's structure
        alone decides, which is post-processing)."""
        cliques = [tuple(c) for c in model.cliques]
        free = set(downward_closure(cliques))
        rest = [c for c in candidates if c not in free]
        _, cells = model_cells(sizes, cliques, rest)
        small = [c for c in candidates if c in free]
        small += [c for c, n in zip(rest, cells, strict=True) if n * 8 / MB <= limit_mb]
        return [c for c, ok in zip(small, model.projectable(small), strict=True) if ok]

    @property
    def rounds_(self) -> int:
        """How many selection rounds ``fit`` ran."""
        self._check_fitted()
        return int(self.fit_stats_.get("rounds", 0))
