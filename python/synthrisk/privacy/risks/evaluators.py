"""anonymeter-style privacy risks: singling out, linkability and attribute inference.

Same definitions as anonymeter 1.x: the attack runs against the *original* (training) records and,
identically, against a *control* set of real records the generator never saw; the risk is the
residual success ``(p̃_a − p̃_c)/(1 − p̃_c)`` of Wilson-centred rates (see ``_rates``). A random
baseline attack is run too; an attack no better than it gets a warning.

Differences from anonymeter, on purpose:

* Singling out: no fitted correction for a control set smaller than the original (it gives false
  positives, ``../shared/FORMULAS.md``); instead the original is subsampled to the control's
  size (``match_control_size=True``), or the sizes must match.
* Distances (linkability, inference) use the mixed-type distance of ``synthrisk.neighbors`` with
  numeric ranges over the two tables compared, as anonymeter does; both values missing counts 0
  (anonymeter: 1). Ties go to the lower synthetic index.
* Numeric inference success is ``|guess − secret| ≤ tolerance·|guess|`` (anonymeter divides by
  the signed guess, which counts every negative guess as a success). ``regression=None`` (our
  default) uses it for numeric secrets; anonymeter 1.1.0's default ``regression=False`` asks
  for exact equality of numeric secrets too (pass ``regression=False`` for that).
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from functools import reduce
from typing import Any

import numpy as np
import polars as pl

from synthrisk.errors import InvalidArgumentError, SchemaError, SynthriskWarning
from synthrisk.neighbors import neighbors
from synthrisk.privacy.attacks._tables import as_frame, infer_domain
from synthrisk.privacy.risks._rates import RiskResult, risk_result


def _frames(original: Any, synthetic: Any, control: Any | None) -> tuple[pl.DataFrame, ...]:
    ori = as_frame(original, "original")
    syn = as_frame(synthetic, "synthetic")
    ctl = None if control is None else as_frame(control, "control")
    for name, df in (("synthetic", syn), ("control", ctl)):
        if df is not None and set(df.columns) != set(ori.columns):
            raise SchemaError(
                f"{name} columns {sorted(df.columns)} differ from the original's "
                f"{sorted(ori.columns)}"
            )
    syn = syn.select(ori.columns)
    ctl = None if ctl is None else ctl.select(ori.columns)
    return ori, syn, ctl  # type: ignore[return-value]


def _sample(df: pl.DataFrame, n: int, rng: np.random.Generator) -> pl.DataFrame:
    if n > df.height:
        raise InvalidArgumentError(f"n_attacks={n} exceeds the {df.height} rows available")
    return df[np.sort(rng.choice(df.height, n, replace=False))]


# --- singling out ---------------------------------------------------------------------------------


def _count(df: pl.DataFrame, queries: Sequence[pl.Expr]) -> np.ndarray:
    if not queries:
        return np.zeros(0, dtype=np.int64)
    out = df.select([q.cast(pl.Int64).sum().alias(f"q{i}") for i, q in enumerate(queries)])
    return np.array(out.row(0), dtype=np.float64)


def _unique_singling(
    df: pl.DataFrame, queries: list[pl.Expr], found: dict[str, pl.Expr], cap: int
) -> None:
    counts = _count(df, queries)
    for q, c in zip(queries, counts, strict=True):
        if c == 1 and str(q) not in found:
            found[str(q)] = q
            if len(found) >= cap:
                return


def univariate_queries(df: pl.DataFrame, n_queries: int, rng: np.random.Generator) -> list[pl.Expr]:
    """anonymeter's univariate predicates that single out one synthetic record: a unique null,
    ``col ≤ min``, ``col ≥ max`` and ``col == v`` for values seen once."""
    queries: list[pl.Expr] = []
    for col in df.columns:
        s = df.get_column(col)
        if s.null_count() == 1:
            queries.append(pl.col(col).is_null())
        if s.dtype.is_numeric() and s.drop_nulls().len() > 0:
            queries += [pl.col(col) <= s.min(), pl.col(col) >= s.max()]
        counts = df.group_by(col).len().filter(pl.col("len") == 1)
        queries += [pl.col(col) == v for v in counts.get_column(col).to_list() if v is not None]
    order = rng.permutation(len(queries))
    found: dict[str, pl.Expr] = {}
    _unique_singling(df, [queries[i] for i in order], found, n_queries)
    return list(found.values())


def _query_from_record(
    record: dict[str, Any], dtypes: dict[str, Any], columns: list[str], medians: dict[str, Any]
) -> pl.Expr:
    parts = []
    for col in sorted(columns):
        val = record[col]
        if val is None or (isinstance(val, float) and np.isnan(val)):
            parts.append(pl.col(col).is_null())
        elif dtypes[col] == pl.Boolean or dtypes[col] == pl.Categorical:
            parts.append(pl.col(col) == val)
        elif dtypes[col].is_numeric():
            op = operator.ge if val > medians[col] else operator.le
            parts.append(op(pl.col(col), val))
        else:
            parts.append(pl.col(col) == str(val))
    return reduce(operator.and_, parts)


def multivariate_queries(
    df: pl.DataFrame,
    n_queries: int,
    n_cols: int,
    rng: np.random.Generator,
    max_attempts: int | None = 10_000_000,
    batch: int = 1000,
) -> list[pl.Expr]:
    """anonymeter's multivariate predicates: a random synthetic record, ``n_cols`` random
    columns, numeric conditions pointing away from the median; kept if they single it out."""
    if n_cols > df.width:
        raise InvalidArgumentError(f"n_cols={n_cols} exceeds the {df.width} columns")
    medians = df.median().to_dicts()[0]
    dtypes = dict(df.schema)
    found: dict[str, pl.Expr] = {}
    attempts = 0
    while len(found) < n_queries:
        if max_attempts is not None and attempts >= max_attempts:
            warnings.warn(
                f"singling out: only {len(found)} of {n_queries} predicates found in "
                f"{attempts} attempts",
                SynthriskWarning,
                stacklevel=3,
            )
            break
        size = batch if max_attempts is None else min(batch, max_attempts - attempts)
        records = df[rng.integers(0, df.height, size)].to_dicts()
        cols = [rng.choice(df.columns, size=n_cols, replace=False).tolist() for _ in range(size)]
        qs = [_query_from_record(r, dtypes, c, medians) for r, c in zip(records, cols, strict=True)]
        _unique_singling(df, qs, found, n_queries)
        attempts += size
    return list(found.values())


def _random_queries(
    df: pl.DataFrame, n: int, n_cols: int, rng: np.random.Generator
) -> list[pl.Expr]:
    """The baseline: random predicates on random columns with random operators."""
    uniques = {c: df.get_column(c).unique().to_list() for c in df.columns}
    out = []
    for _ in range(n):
        parts = []
        for col in sorted(rng.choice(df.columns, size=n_cols, replace=False).tolist()):
            values = uniques[col]
            val = values[int(rng.integers(len(values)))]
            dtype = df.schema[col]
            if dtype == pl.Boolean:
                ops = [operator.eq, operator.ne]
            elif dtype.is_numeric():
                ops = [operator.eq, operator.ne, operator.gt, operator.lt, operator.ge, operator.le]
            else:
                ops = [operator.eq, operator.ne]
            op = ops[int(rng.integers(len(ops)))]
            if val is None:
                e = pl.col(col).is_null() if op is operator.eq else pl.col(col).is_not_null()
            else:
                e = op(pl.col(col), val)
            parts.append(e)
        out.append(reduce(operator.and_, parts))
    return out


def singling_out(
    original: Any,
    synthetic: Any,
    control: Any | None = None,
    *,
    mode: str = "multivariate",
    n_attacks: int = 500,
    n_cols: int = 3,
    queries: Sequence[pl.Expr] | None = None,
    match_control_size: bool = True,
    max_attempts: int | None = 10_000_000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> RiskResult:
    """Singling-out risk: predicates built from the synthetic data that match exactly one record
    of the original data (anonymeter's ``SinglingOutEvaluator``).

    ``queries`` replaces the generated predicates (e.g. to reproduce another tool's run).
    The control set should be as large as the original; with ``match_control_size`` a larger
    original is subsampled to the control's size (a smaller one is an error).
    """
    ori, syn, ctl = _frames(original, synthetic, control)
    # As anonymeter: duplicate rows are dropped (a duplicated record cannot be singled out).
    ori, syn = ori.unique(maintain_order=True), syn.unique(maintain_order=True)
    ctl = None if ctl is None else ctl.unique(maintain_order=True)
    rng = np.random.default_rng(seed)
    if ctl is not None and ctl.height != ori.height:
        if not match_control_size or ctl.height > ori.height:
            raise InvalidArgumentError(
                f"the control set has {ctl.height} rows and the original {ori.height}: "
                "singling-out counts depend on size, so use equal sizes (or "
                "match_control_size=True with a control set no larger than the original)"
            )
        ori = _sample(ori, ctl.height, rng)
    if mode not in ("univariate", "multivariate"):
        raise InvalidArgumentError(f"mode must be 'univariate' or 'multivariate', got {mode!r}")
    cols = 1 if mode == "univariate" else n_cols
    if queries is None:
        queries = (
            univariate_queries(syn, n_attacks, rng)
            if mode == "univariate"
            else multivariate_queries(syn, n_attacks, n_cols, rng, max_attempts)
        )
    queries = list(queries)
    if not queries:
        raise InvalidArgumentError(
            "no singling-out predicate could be built from the synthetic data"
        )
    if len(queries) < n_attacks:
        warnings.warn(
            f"singling out: {len(queries)} predicates instead of the {n_attacks} asked",
            SynthriskWarning,
            stacklevel=2,
        )
    success = _count(ori, queries) == 1
    baseline = _count(ori, _random_queries(syn, n_attacks, cols, rng)) == 1
    n_control = None if ctl is None else int(np.sum(_count(ctl, queries) == 1))
    return risk_result(
        f"singling out ({mode})",
        n_attacks,
        int(success.sum()),
        int(baseline.sum()),
        n_control,
        confidence,
        details={
            "n_queries": len(queries),
            "successful_queries": [str(q) for q, ok in zip(queries, success, strict=True) if ok][
                :20
            ],
            "original_rows_used": ori.height,
        },
    )


# --- linkability and inference -----------------------------------------------------------------


def _knn_index(
    query: pl.DataFrame, candidates: pl.DataFrame, k: int, n_jobs: int | None
) -> np.ndarray:
    """Indices of the k nearest candidates under the mixed distance, numeric ranges taken over
    query ∪ candidates (anonymeter's scaling)."""
    domain = infer_domain([candidates, query])
    _, idx = neighbors(query, candidates, k=min(k, candidates.height), domain=domain, n_jobs=n_jobs)
    return idx


def linkability(
    original: Any,
    synthetic: Any,
    control: Any | None = None,
    *,
    aux_cols: tuple[Sequence[str], Sequence[str]],
    n_attacks: int | None = 500,
    n_neighbors: int = 1,
    confidence: float = 0.95,
    n_jobs: int | None = None,
    seed: int | None = None,
) -> RiskResult:
    """Linkability risk: a target's two halves (columns ``aux_cols[0]`` and ``aux_cols[1]``)
    share a synthetic record among their ``n_neighbors`` nearest (anonymeter's
    ``LinkabilityEvaluator``)."""
    ori, syn, ctl = _frames(original, synthetic, control)
    cols_a, cols_b = list(aux_cols[0]), list(aux_cols[1])
    missing = [c for c in cols_a + cols_b if c not in ori.columns]
    if missing or not cols_a or not cols_b:
        raise SchemaError(f"aux_cols must be two non-empty lists of columns; unknown: {missing}")
    rng = np.random.default_rng(seed)
    n = ori.height if n_attacks is None else n_attacks
    if ctl is not None and n > ctl.height:
        raise InvalidArgumentError(f"n_attacks={n} exceeds the control set's {ctl.height} rows")

    def links(targets: pl.DataFrame) -> int:
        a = _knn_index(targets.select(cols_a), syn.select(cols_a), n_neighbors, n_jobs)
        b = _knn_index(targets.select(cols_b), syn.select(cols_b), n_neighbors, n_jobs)
        return int(sum(bool(set(x) & set(y)) for x, y in zip(a.tolist(), b.tolist(), strict=True)))

    n_success = links(_sample(ori, n, rng))
    n_control = None if ctl is None else links(_sample(ctl, n, rng))
    k = min(n_neighbors, syn.height)
    base_a = np.array([rng.choice(syn.height, k, replace=False) for _ in range(n)])
    base_b = np.array([rng.choice(syn.height, k, replace=False) for _ in range(n)])
    n_baseline = int(
        sum(bool(set(x) & set(y)) for x, y in zip(base_a.tolist(), base_b.tolist(), strict=True))
    )
    return risk_result(
        "linkability",
        n,
        n_success,
        n_baseline,
        n_control,
        confidence,
        details={"aux_cols": [cols_a, cols_b], "n_neighbors": n_neighbors},
    )


def inference_success(
    guesses: np.ndarray, secrets: np.ndarray, regression: bool, tolerance: float = 0.05
) -> np.ndarray:
    """Per-target success: exact match (categorical) or ``|g − s| ≤ tolerance·|g|`` (numeric);
    both missing also counts as a success."""
    g = np.asarray(guesses, dtype=object)
    s = np.asarray(secrets, dtype=object)
    g_null = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in g])
    s_null = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in s])
    ok = np.zeros(g.size, dtype=bool)
    both = ~g_null & ~s_null
    if regression:
        gf, sf = g[both].astype(np.float64), s[both].astype(np.float64)
        ok[both] = np.abs(gf - sf) <= tolerance * np.abs(gf) + 1e-12 * (gf == sf)
    else:
        ok[both] = g[both] == s[both]
    return ok | (g_null & s_null)


def inference(
    original: Any,
    synthetic: Any,
    control: Any | None = None,
    *,
    secret: str,
    aux_cols: Sequence[str] | None = None,
    regression: bool | None = None,
    tolerance: float = 0.05,
    n_attacks: int | None = 500,
    confidence: float = 0.95,
    n_jobs: int | None = None,
    seed: int | None = None,
) -> RiskResult:
    """Attribute-inference risk for one secret column: guess it from the nearest synthetic record
    on the ``aux_cols`` (default: every other column); anonymeter's ``InferenceEvaluator``."""
    ori, syn, ctl = _frames(original, synthetic, control)
    if secret not in ori.columns:
        raise SchemaError(f"secret column {secret!r} is not among {ori.columns}")
    aux = [c for c in ori.columns if c != secret] if aux_cols is None else list(aux_cols)
    if secret in aux or not aux:
        raise InvalidArgumentError("aux_cols must be non-empty and must not hold the secret")
    if regression is None:
        regression = ori.schema[secret].is_numeric()
    rng = np.random.default_rng(seed)
    n = ori.height if n_attacks is None else n_attacks

    def attack(targets: pl.DataFrame) -> int:
        idx = _knn_index(targets.select(aux), syn.select(aux), 1, n_jobs)[:, 0]
        guesses = syn.get_column(secret).to_numpy()[idx]
        return int(
            inference_success(
                guesses, targets.get_column(secret).to_numpy(), regression, tolerance
            ).sum()
        )

    n_success = attack(_sample(ori, n, rng))
    n_control = None if ctl is None else attack(_sample(ctl, min(n, ctl.height), rng))
    targets = _sample(ori, n, rng)
    naive = syn.get_column(secret).to_numpy()[rng.integers(0, syn.height, n)]
    n_baseline = int(
        inference_success(naive, targets.get_column(secret).to_numpy(), regression, tolerance).sum()
    )
    return risk_result(
        f"inference ({secret})",
        (n, n, n if ctl is None else min(n, ctl.height)),
        n_success,
        n_baseline,
        n_control,
        confidence,
        details={
            "secret": secret,
            "aux_cols": aux,
            "regression": regression,
            "tolerance": tolerance,
        },
    )


def inference_all(
    original: Any, synthetic: Any, control: Any | None = None, **kwargs: Any
) -> dict[str, RiskResult]:
    """:func:`inference` for every column as the secret in turn."""
    ori = as_frame(original, "original")
    return {c: inference(ori, synthetic, control, secret=c, **kwargs) for c in ori.columns}
