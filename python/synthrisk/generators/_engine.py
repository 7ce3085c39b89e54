"""What the marginal-based generators share: guarded access to the private rows, the two
mechanisms every one of them uses, and the graphical model of the Rust core.

:class:`PrivateTable` is the only holder of the encoded training rows during ``fit``. It can do
two things, each recorded in the ledger *before* the rows are read, and each logged in an
:class:`~synthrisk.data.preprocess.AccessLog`:

* :meth:`PrivateTable.gaussian`: Gaussian noisy contingency tables (L2 sensitivity 1 each);
* :meth:`PrivateTable.exponential`: the exponential mechanism over candidate tables, scored by
  a function of their true counts (ρ = ε²/8).

Everything else a generator does (fitting the model, choosing what to measure next from noisy
results, sampling) is post-processing.
"""

from __future__ import annotations

import base64
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthrisk import _native
from synthrisk.accounting import LedgerEntry, PrivacyLedger, gaussian_rho
from synthrisk.data.preprocess import AccessLog, count_tables
from synthrisk.errors import InvalidArgumentError, ModelFileError, PrivacyError
from synthrisk.noise import discrete_gaussian

#: Bytes per megabyte in ``max_model_size`` (as in Private-PGM: 2²⁰).
MB = 2**20
#: Most cells a projection may walk (the Rust default of ``project``'s ``max_cells``).
PROJECTION_CELLS = 2**31

Clique = tuple[int, ...]


def cells_for_mb(mb: float) -> int:
    """Float64 cells that fit in ``mb`` megabytes."""
    return int(mb * MB / 8)


def table_cells(clique: Iterable[int], sizes: Sequence[int]) -> int:
    n = 1
    for a in clique:
        n *= int(sizes[a])
    return n


@dataclass(frozen=True)
class NoisyMarginal:
    """A released noisy contingency table over ``clique`` (attribute indices, sorted)."""

    clique: Clique
    values: np.ndarray
    sigma: float | np.ndarray

    def native(self) -> tuple[list[int], np.ndarray, float | np.ndarray]:
        return list(self.clique), np.ascontiguousarray(self.values, dtype=np.float64), self.sigma

    def to_dict(self) -> dict[str, Any]:
        sigma = self.sigma if isinstance(self.sigma, float) else encode_array(self.sigma)
        return {"clique": list(self.clique), "values": encode_array(self.values), "sigma": sigma}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NoisyMarginal:
        sigma = d["sigma"]
        return cls(
            tuple(int(a) for a in d["clique"]),
            decode_array(d["values"]),
            float(sigma) if isinstance(sigma, int | float) else decode_array(sigma),
        )


def record_discrete_gaussian(ledger: PrivacyLedger, purpose: str, sigma: float) -> LedgerEntry:
    """Records one discrete Gaussian mechanism on counts (L2 sensitivity 1).

    It is accounted as the Gaussian mechanism with the same σ (``"gaussian"``, with
    ``discrete = 1`` among its parameters): the discrete Gaussian's Rényi divergences between
    integer shifts are bounded by the continuous one's (Canonne, Kamath & Steinke 2020), so it
    is ρ = 1/(2σ²)-zCDP, and every accountant of the ledger composes it soundly.
    """
    return ledger.record(
        LedgerEntry(
            mechanism="gaussian",
            purpose=purpose,
            parameters={"sigma": float(sigma), "l2_sensitivity": 1.0, "discrete": 1.0},
            rho=gaussian_rho(sigma),
        )
    )


def record_exponential(
    ledger: PrivacyLedger, purpose: str, epsilon: float, sensitivity: float
) -> LedgerEntry:
    """Records one exponential mechanism with ``epsilon`` (scores scaled by ε/(2Δ)): ε-bounded
    range, hence ρ = ε²/8 (Cesar & Rogers 2021), as AIM and MST account for it."""
    if not (math.isfinite(epsilon) and epsilon > 0 and sensitivity > 0):
        raise InvalidArgumentError(f"{purpose}: epsilon and sensitivity must be positive")
    return ledger.record(
        LedgerEntry(
            mechanism="exponential",
            purpose=purpose,
            parameters={"epsilon": float(epsilon), "sensitivity": float(sensitivity)},
            rho=epsilon**2 / 8.0,
        )
    )


def exponential_mechanism(
    quality: np.ndarray, epsilon: float, sensitivity: float, rng: np.random.Generator
) -> int:
    """Index drawn with probability ∝ exp(ε · q / (2Δ)) (Gumbel-max, same distribution)."""
    q = np.asarray(quality, dtype=np.float64)
    scores = np.where(np.isfinite(q), 0.5 * epsilon / sensitivity * q, -np.inf)
    if not np.isfinite(scores).any():
        return int(rng.integers(len(q)))
    return int(np.argmax(scores + rng.gumbel(size=len(q))))


class PrivateTable:
    """The encoded training rows during ``fit``: readable only through recorded mechanisms.

    True tables are cached after their first read (the cache dies with the table), so a
    mechanism may reuse counts read by an earlier one; each *read* of the rows happens inside a
    mechanism that is already in the ledger, and is logged.
    """

    def __init__(
        self,
        codes: np.ndarray,
        sizes: Sequence[int],
        ledger: PrivacyLedger,
        rng: np.random.Generator,
        log: AccessLog,
        *,
        n_jobs: int | None = None,
    ) -> None:
        self._codes: np.ndarray | None = np.ascontiguousarray(codes, dtype=np.uint32)
        self.sizes = tuple(int(s) for s in sizes)
        self.ledger = ledger
        self.rng = rng
        self.log = log
        self.n_jobs = n_jobs
        self._cache: dict[Clique, np.ndarray] = {}

    def _read(
        self, cliques: Sequence[Clique], mechanism: str, purpose: str, entries: Sequence[int]
    ) -> list[np.ndarray]:
        if self._codes is None:
            raise PrivacyError("the private rows were released after fit; they cannot be read")
        missing = [c for c in dict.fromkeys(cliques) if c not in self._cache]
        if missing:
            tables = count_tables(self._codes, self.sizes, missing, self.n_jobs)
            self.log.add(mechanism, purpose, entries, len(missing))
            self._cache.update(zip(missing, tables, strict=True))
        return [self._cache[c] for c in cliques]

    def gaussian(
        self, cliques: Sequence[Clique], sigma: float | Sequence[float], purposes: Sequence[str]
    ) -> list[NoisyMarginal]:
        """Gaussian noisy tables: one mechanism (σ, L2 sensitivity 1) per clique."""
        sigmas = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (len(cliques),)).tolist()
        first = len(self.ledger.entries)
        for purpose, s in zip(purposes, sigmas, strict=True):
            record_discrete_gaussian(self.ledger, purpose, s)
        entries = range(first, len(self.ledger.entries))
        label = purposes[0] if len(purposes) == 1 else f"{len(purposes)} noisy marginals"
        tables = self._read(cliques, "gaussian", label, entries)
        return [
            NoisyMarginal(c, t + discrete_gaussian(s, t.size, seed=self._noise_seed()), s)
            for c, t, s in zip(cliques, tables, sigmas, strict=True)
        ]

    def _noise_seed(self) -> int:
        """A seed for the exact noise sampler, drawn from the generator's stream (itself seeded
        by the operating system unless the user gave a seed)."""
        return int(self.rng.integers(0, 2**63 - 1))

    def exponential(
        self,
        candidates: Sequence[Clique],
        quality: Callable[[list[np.ndarray]], np.ndarray],
        *,
        epsilon: float,
        sensitivity: float,
        purpose: str,
    ) -> int:
        """The exponential mechanism: index of a candidate, favouring high ``quality(tables)``.

        ``quality`` gets the candidates' true tables and must have sensitivity ``sensitivity``
        (one record more or less changes no score by more).
        """
        if not candidates:
            raise InvalidArgumentError(f"{purpose}: no candidates to choose from")
        record_exponential(self.ledger, purpose, epsilon, sensitivity)
        entry = len(self.ledger.entries) - 1
        tables = self._read(candidates, "exponential", purpose, [entry])
        return exponential_mechanism(np.asarray(quality(tables)), epsilon, sensitivity, self.rng)

    def exponential_bounded(
        self,
        candidates: Sequence[Clique],
        *,
        upper: Callable[[float], np.ndarray],
        quality: Callable[[np.ndarray, list[np.ndarray]], np.ndarray],
        epsilon: float,
        sensitivity: float,
        purpose: str,
        batch: int = 48,
    ) -> int:
        """The exponential mechanism when scores are costly: exact, scoring few candidates.

        Draws the Gumbel noise of every candidate first (the Gumbel-max form of the mechanism:
        argmax of ε·q/(2Δ) + Gumbel has exactly the mechanism's distribution), then scores
        candidates in decreasing order of ``upper`` bound plus noise, in batches, and stops once
        no unscored candidate can beat the best scored one. ``upper(n)`` gets the number of
        records and must bound every candidate's quality from above; ``quality(idx, tables)``
        scores the candidates ``idx`` given their true tables.
        """
        if not candidates:
            raise InvalidArgumentError(f"{purpose}: no candidates to choose from")
        record_exponential(self.ledger, purpose, epsilon, sensitivity)
        entry = len(self.ledger.entries) - 1
        tables = self._read(candidates, "exponential", purpose, [entry])
        scale = 0.5 * epsilon / sensitivity
        noise = self.rng.gumbel(size=len(candidates))
        n_records = float(tables[0].sum())
        bound = scale * np.asarray(upper(n_records), dtype=np.float64) + noise
        # A hair of slack so rounding in the scores never breaks the bound.
        bound += 1e-9 * np.abs(bound) + 1e-9
        order = np.argsort(-bound, kind="stable")
        best, best_value, pos = -1, -np.inf, 0
        self.scored = 0
        while pos < len(order) and bound[order[pos]] > best_value:
            idx = order[pos : pos + batch]
            idx = idx[bound[idx] > best_value]
            q = np.asarray(quality(idx, [tables[i] for i in idx]), dtype=np.float64)
            values = np.where(np.isfinite(q), scale * q, -np.inf) + noise[idx]
            self.scored += len(idx)
            j = int(np.argmax(values))
            if values[j] > best_value:
                best, best_value = int(idx[j]), float(values[j])
            pos += batch
        if best < 0:  # every score was -inf: the mechanism is uniform
            best = int(np.argmax(noise))
        return best

    def recoded(self, maps: Sequence[np.ndarray], sizes: Sequence[int]) -> PrivateTable:
        """The same rows with column ``j``'s code ``v`` replaced by ``maps[j][v]`` (a public
        recoding, e.g. MST's domain compression); shares the ledger, generator and log."""
        if self._codes is None:
            raise PrivacyError("the private rows were released after fit")
        cols = [m[self._codes[:, j]] for j, m in enumerate(maps)]
        codes = np.column_stack(cols) if cols else self._codes
        return PrivateTable(codes, sizes, self.ledger, self.rng, self.log, n_jobs=self.n_jobs)

    def release(self) -> None:
        """Drops the rows and every cached count."""
        self._codes = None
        self._cache.clear()


# --- the graphical model --------------------------------------------------------------------


class GraphModel:
    """The Rust graphical model (:class:`synthrisk._native.MarginalModel`) in the generators'
    attribute order.

    Inside, attributes are renumbered by increasing domain size, so that the largest domains
    vary fastest in every table: the kernels then walk long contiguous runs (about a third
    faster on real data). Cliques, tables and records are translated at the boundary.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        cliques: Sequence[Clique],
        *,
        max_cells: int,
        total: float = 1.0,
        _native_model: _native.MarginalModel | None = None,
    ) -> None:
        self.sizes = tuple(int(s) for s in sizes)
        self.max_cells = int(max_cells)
        # order[i] = the attribute at internal position i; pos[a] = a's internal position.
        self.order = sorted(range(len(self.sizes)), key=lambda a: (self.sizes[a], a))
        self.pos = {a: i for i, a in enumerate(self.order)}
        self._inner = _native_model or _native.MarginalModel(
            [self.sizes[a] for a in self.order],
            [self._in(c) for c in cliques],
            float(total),
            self.max_cells,
        )

    # translation ------------------------------------------------------------------------------

    def _in(self, clique: Sequence[int]) -> list[int]:
        return sorted(self.pos[int(a)] for a in clique)

    def _out(self, internal: Sequence[int]) -> Clique:
        return tuple(sorted(self.order[i] for i in internal))

    def _table_in(self, clique: Sequence[int], values: np.ndarray) -> np.ndarray:
        """A table row-major over sorted ``clique`` → row-major over its internal order."""
        clique = sorted(int(a) for a in clique)
        if len(clique) < 2:
            return np.ascontiguousarray(values, dtype=np.float64)
        inner = [self.order[i] for i in self._in(clique)]
        arr = np.asarray(values, dtype=np.float64).reshape([self.sizes[a] for a in clique])
        return np.ascontiguousarray(arr.transpose([clique.index(a) for a in inner])).ravel()

    def _table_out(self, internal: Sequence[int], values: np.ndarray) -> np.ndarray:
        """A table row-major over ``internal`` positions → row-major over sorted attributes."""
        if len(internal) < 2:
            return np.asarray(values, dtype=np.float64)
        attrs = [self.order[i] for i in internal]
        arr = np.asarray(values, dtype=np.float64).reshape([self.sizes[a] for a in attrs])
        ext = sorted(attrs)
        return np.ascontiguousarray(arr.transpose([attrs.index(a) for a in ext])).ravel()

    # the model ------------------------------------------------------------------------------

    def with_cliques(self, cliques: Sequence[Clique]) -> GraphModel:
        """A model that also covers ``cliques``, warm-started from this one."""
        inner = self._inner.with_cliques([self._in(c) for c in cliques], self.max_cells)
        return GraphModel(self.sizes, [], max_cells=self.max_cells, _native_model=inner)

    def fit(
        self,
        measurements: Sequence[NoisyMarginal],
        *,
        iters: int,
        tol: float | None,
        growth: float = 1.01,
        warm_stepsize: bool = False,
        time_limit: float | None = None,
        n_jobs: int | None = None,
    ) -> dict[str, Any]:
        """Fits the potentials to the noisy tables (Private-PGM mirror descent)."""
        native = []
        for m in measurements:
            sigma = m.sigma if isinstance(m.sigma, float) else self._table_in(m.clique, m.sigma)
            native.append((self._in(m.clique), self._table_in(m.clique, m.values), sigma))
        return dict(
            self._inner.fit(
                native,
                iters=int(iters),
                tol=tol,
                growth=float(growth),
                warm_stepsize=warm_stepsize,
                time_limit=time_limit,
                n_jobs=n_jobs,
            )
        )

    def project(self, cliques: Sequence[Clique], n_jobs: int | None = None) -> list[np.ndarray]:
        """The model's marginals (counts) over each clique, row-major over its sorted columns."""
        internal = [self._in(c) for c in cliques]
        tables = self._inner.project(internal, None, n_jobs)
        return [self._table_out(i, t) for i, t in zip(internal, tables, strict=True)]

    def projectable(self, cliques: Sequence[Clique]) -> list[bool]:
        """Whether :meth:`project` can compute each clique's marginal within its walk limit
        (known from the model's structure alone, before anything is computed)."""
        walks = self._inner.projection_walks([self._in(c) for c in cliques])
        return [w <= PROJECTION_CELLS for w in walks]

    def sample(self, n: int, seed: int) -> np.ndarray:
        """``n`` records as codes, columns in attribute order."""
        codes = np.asarray(self._inner.sample(int(n), int(seed)))
        out = np.empty_like(codes)
        out[:, self.order] = codes
        return out

    @property
    def cliques(self) -> list[Clique]:
        """The potential cliques (maximal among those the model covers)."""
        return [self._out(c) for c in self._inner.cliques]

    @property
    def tree_cliques(self) -> list[Clique]:
        return [self._out(c) for c in self._inner.tree_cliques]

    @property
    def cells(self) -> int:
        return int(self._inner.cells)

    @property
    def total(self) -> float:
        return float(self._inner.total)

    def potentials(self) -> list[np.ndarray]:
        """Log-potentials, one table per potential clique (see :attr:`cliques`), row-major over
        the clique's sorted columns."""
        return [
            self._table_out(c, p)
            for c, p in zip(self._inner.cliques, self._inner.potentials(), strict=True)
        ]

    def set_potentials(self, tables: Sequence[np.ndarray]) -> None:
        internal = self._inner.cliques
        ext = [self._out(c) for c in internal]
        self._inner.set_potentials([self._table_in(c, t) for c, t in zip(ext, tables, strict=True)])

    def state(self) -> dict[str, Any]:
        return {
            "cliques": [list(c) for c in self.cliques],
            "total": self.total,
            "potentials": [encode_array(p) for p in self.potentials()],
        }

    @classmethod
    def from_state(cls, sizes: Sequence[int], state: dict[str, Any], max_cells: int) -> GraphModel:
        try:
            cliques = [tuple(int(a) for a in c) for c in state["cliques"]]
            model = cls(sizes, cliques, max_cells=max_cells, total=float(state["total"]))
            saved = dict(zip(cliques, state["potentials"], strict=True))
            model.set_potentials([decode_array(saved[c]) for c in model.cliques])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"the saved graphical model does not fit its domain: {e}") from e
        return model

    def __repr__(self) -> str:
        return (
            f"GraphModel({len(self.sizes)} attributes, {len(self.cliques)} cliques, "
            f"{self.cells} cells)"
        )


def encode_array(a: np.ndarray) -> dict[str, Any]:
    """A float64 array as JSON: shape and little-endian bytes in base64 (exact and compact)."""
    arr = np.ascontiguousarray(a, dtype="<f8")
    return {"shape": list(arr.shape), "f8": base64.b64encode(arr.tobytes()).decode("ascii")}


def decode_array(d: dict[str, Any]) -> np.ndarray:
    try:
        raw = base64.b64decode(d["f8"])
        return np.frombuffer(raw, dtype="<f8").reshape(d["shape"]).astype(np.float64)
    except (KeyError, ValueError, TypeError) as e:
        raise ModelFileError(f"a saved array is damaged: {e}") from e


def downward_closure(cliques: Iterable[Clique]) -> list[Clique]:
    """Every non-empty subset of the cliques, sorted by size."""
    out: set[Clique] = set()
    for c in cliques:
        for r in range(1, len(c) + 1):
            out.update(itertools.combinations(c, r))
    return sorted(out, key=lambda c: (len(c), c))


def model_cells(
    sizes: Sequence[int], cliques: Sequence[Clique], candidates: Sequence[Clique] = ()
) -> tuple[int, list[int]]:
    """Cells of the model over ``cliques``, and of that model with each candidate added."""
    base, each = _native.model_cells_py(
        [int(s) for s in sizes], [list(c) for c in cliques], [list(c) for c in candidates]
    )
    return int(base), [int(v) for v in each]
