"""The base of the marginal-based generators (MST, AIM, PrivBayes): preparing the data under
the budget, the fitted graphical model, sampling, and saving."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from synthrisk.accounting import PrivacyLedger, check_budget
from synthrisk.data.domain import Domain
from synthrisk.data.encode import Discretizer
from synthrisk.data.frames import to_polars
from synthrisk.data.preprocess import (
    MAX_DISCOVERED,
    AccessLog,
    DataAccess,
    discovered_columns,
    planned_sizes,
    private_preparation,
)
from synthrisk.data.validate import check_not_empty
from synthrisk.errors import InvalidArgumentError, MemoryLimitError, ModelFileError
from synthrisk.generators._engine import GraphModel, NoisyMarginal, PrivateTable, cells_for_mb
from synthrisk.generators.base import Generator


def memory_bytes() -> int:
    """Physical memory of this machine (8 GiB when it cannot be read)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def check_tables(
    what: str, tables: list[tuple[tuple[str, ...], int]], *, limit_bytes: int | None = None
) -> None:
    """Refuses sets of tables that would not fit in memory, naming the largest, before any
    budget is spent."""
    limit = limit_bytes if limit_bytes is not None else memory_bytes() // 4
    total = sum(c for _, c in tables) * 8
    if total <= limit:
        return
    big_names, big_cells = max(tables, key=lambda t: t[1])
    raise MemoryLimitError(
        f"{what} would need {len(tables)} tables with {total / 2**30:.2f} GiB of counts, more "
        f"than the {limit / 2**30:.2f} GiB allowed (a quarter of this machine's memory); the "
        f"largest, over {list(big_names)}, has {big_cells:,} cells. Use fewer bins for numeric "
        "columns (e.g. bins=16), merge rare categories, drop columns, or use a smaller workload"
    )


@dataclass
class Context:
    """Everything ``fit`` needs once the data are prepared; no budget is spent before it."""

    domain: Domain
    discretizer: Discretizer
    edges: dict[str, tuple[float, ...]]
    table: PrivateTable
    ledger: PrivacyLedger
    rng: np.random.Generator
    log: AccessLog
    started: float

    @property
    def names(self) -> tuple[str, ...]:
        return self.domain.names

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.discretizer.sizes

    def time_left(self, max_time: float | None) -> float | None:
        if max_time is None:
            return None
        return max(max_time - (time.perf_counter() - self.started), 1e-3)


class MarginalGenerator(Generator):
    """Shared machinery of the generators that fit a graphical model to noisy marginals.

    Subclasses define the hyperparameters (all keyword-only), :meth:`fit`, and
    :meth:`_check_sizes` (the tables they will need, checked before any budget is spent).
    """

    epsilon: float
    delta: float
    domain: Domain | None
    bins: int
    strict: bool
    out_of_bounds: str
    seed: int | None
    max_model_size: float
    max_time: float | None
    categories: dict[str, list[Any]] | None
    preprocess_share: float
    n_jobs: int | None

    # --- hooks ---------------------------------------------------------------------------------

    def _check_sizes(self, names: tuple[str, ...], sizes: tuple[int, ...]) -> None:
        """Raises MemoryLimitError when the tables this generator needs would not fit."""

    def _check_params(self) -> None:
        if not isinstance(self.bins, int) or isinstance(self.bins, bool) or self.bins < 1:
            raise InvalidArgumentError(f"bins must be a positive integer, got {self.bins!r}")
        if not (isinstance(self.max_model_size, int | float) and self.max_model_size > 0):
            raise InvalidArgumentError(
                f"max_model_size must be positive (megabytes), got {self.max_model_size!r}"
            )
        if self.max_time is not None and not (
            isinstance(self.max_time, int | float) and self.max_time > 0
        ):
            raise InvalidArgumentError(f"max_time must be positive seconds, got {self.max_time!r}")
        if not (0 < self.preprocess_share < 1):
            raise InvalidArgumentError(
                f"preprocess_share must lie in (0, 1), got {self.preprocess_share!r}"
            )
        if self.out_of_bounds not in ("clip", "error"):
            raise InvalidArgumentError(
                f"out_of_bounds must be 'clip' or 'error', got {self.out_of_bounds!r}"
            )
        if self.n_jobs is not None and (not isinstance(self.n_jobs, int) or self.n_jobs < 1):
            raise InvalidArgumentError(f"n_jobs must be a positive integer, got {self.n_jobs!r}")
        for key in ("iters", "final_iters"):
            value = getattr(self, key, 1)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidArgumentError(f"{key} must be a positive integer, got {value!r}")
        tol = getattr(self, "tol", None)
        if tol is not None and not (isinstance(tol, int | float) and tol > 0):
            raise InvalidArgumentError(f"tol must be positive or None, got {tol!r}")

    # --- preparing ---------------------------------------------------------------------------

    def _prepare(self, data: Any) -> Context:
        """Validates everything, then (only then) spends budget on DP preprocessing if there is
        no public domain, and encodes the rows into a :class:`PrivateTable`."""
        started = time.perf_counter()
        check_budget(self.epsilon, self.delta)
        self._check_params()
        df = to_polars(data, what="training data")
        check_not_empty(df, "training data")
        rng = np.random.default_rng(self.seed)
        log = AccessLog()
        purpose = f"{type(self).__name__}.fit"
        if self.domain is not None:
            domain = self.domain
            domain.require_public(strict=self.strict, purpose=purpose)
            discretizer = Discretizer(domain, bins=self.bins)
            self._check_sizes(domain.names, discretizer.sizes)
            clean = domain.validate(df, out_of_bounds=self.out_of_bounds, what="training data")
            ledger = PrivacyLedger(
                epsilon=self.epsilon, delta=self.delta, domain_public=not domain.data_derived
            )
            edges: dict[str, tuple[float, ...]] = {}
        else:
            cats = {k: list(v) for k, v in (self.categories or {}).items()}
            cap = self._discovery_cap(df.schema, cats)
            domain, edges, ledger, clean = private_preparation(
                df,
                epsilon=self.epsilon,
                delta=self.delta,
                bins=self.bins,
                categories=cats,
                share=self.preprocess_share,
                rng=rng,
                log=log,
                max_discovered=cap,
            )
            discretizer = Discretizer(domain, bins=self.bins, edges=edges)
        codes = discretizer.encode(clean)
        table = PrivateTable(codes, discretizer.sizes, ledger, rng, log, n_jobs=self.n_jobs)
        return Context(domain, discretizer, edges, table, ledger, rng, log, started)

    def _discovery_cap(self, schema: pl.Schema, cats: dict[str, list[Any]]) -> int:
        """The most values a column without candidates may keep so that the tables this
        generator needs fit in memory whatever the release brings: :data:`MAX_DISCOVERED`, or
        the largest cap below it that fits (a public choice, made before any budget is spent).
        Raises MemoryLimitError, naming the tables, when even one value per column is too many.
        """

        def check(cap: int) -> None:
            bound = planned_sizes(schema, bins=self.bins, categories=cats, max_discovered=cap)
            self._check_sizes(tuple(schema), tuple(bound[n] for n in schema))

        def fits(cap: int) -> bool:
            try:
                check(cap)
            except MemoryLimitError:
                return False
            return True

        if not discovered_columns(schema, cats):
            check(MAX_DISCOVERED)  # the cap plays no part: raises if the tables do not fit
            return MAX_DISCOVERED
        check(1)  # raises when even one value per column is too many
        lo, hi = 1, MAX_DISCOVERED + 1  # fits(lo); every cap from hi on is too large (or over)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        return lo

    # --- the fitted model ----------------------------------------------------------------------

    def _finish(
        self,
        ctx: Context,
        model: GraphModel,
        measurements: list[NoisyMarginal],
        stats: dict[str, Any],
    ) -> None:
        ctx.table.release()
        self.domain_ = ctx.domain
        self.ledger_ = ctx.ledger
        self.discretizer_ = ctx.discretizer
        self.edges_ = ctx.edges
        self.model_ = model
        self.measurements_ = measurements
        self.fit_stats_ = stats
        self.accesses_: list[DataAccess] = list(ctx.log.accesses)

    @property
    def cliques_(self) -> list[tuple[str, ...]]:
        """The measured marginals, by column name."""
        self._check_fitted()
        names = self.domain_.names
        return [tuple(names[a] for a in m.clique) for m in self.measurements_]

    def _max_cells(self) -> int:
        return cells_for_mb(self.max_model_size)

    def _model_sizes(self) -> tuple[int, ...]:
        """Domain sizes the model lives on (MST compresses them)."""
        return self.discretizer_.sizes

    def _decode_codes(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Model codes back to discretizer codes (MST undoes its compression)."""
        return codes

    def _sample(self, n: int, rng: np.random.Generator) -> pl.DataFrame:
        seed = int(rng.integers(0, 2**63 - 1))
        codes = np.asarray(self.model_.sample(n, seed), dtype=np.int64)
        codes = self._decode_codes(codes, rng)
        return self.discretizer_.decode(codes, rng)

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _restore_extra(self, state: dict[str, Any]) -> None:
        pass

    def _state(self) -> dict[str, Any]:
        return {
            "edges": {k: list(v) for k, v in self.edges_.items()},
            "measurements": [m.to_dict() for m in self.measurements_],
            "model": self.model_.state(),
            "fit": self.fit_stats_,
            **self._extra_state(),
        }

    def _restore(self, state: dict[str, Any]) -> None:
        try:
            self.edges_ = {k: tuple(float(x) for x in v) for k, v in state["edges"].items()}
            self.discretizer_ = Discretizer(self.domain_, bins=self.bins, edges=self.edges_)
            self.measurements_ = [NoisyMarginal.from_dict(m) for m in state["measurements"]]
            self.fit_stats_ = dict(state.get("fit", {}))
            self._restore_extra(state)
            sizes = self._model_sizes()
            self.model_ = GraphModel.from_state(
                sizes, state["model"], max(self._max_cells(), 1 << 31)
            )
        except KeyError as e:
            raise ModelFileError(f"the saved model lacks {e}") from e
        self.accesses_ = []
