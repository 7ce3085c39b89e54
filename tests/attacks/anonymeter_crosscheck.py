"""Runs anonymeter 1.x on tables written by the parity test and prints its counts as JSON.

Run with the interpreter of a separate venv that has anonymeter (its pins may clash with ours):
``.venv-anon/bin/python tests/attacks/anonymeter_crosscheck.py DIR``. DIR holds ori.parquet,
syn.parquet and control.parquet.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pandas as pd
from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator
from anonymeter.stats.confidence import EvaluationResults


def main(folder: Path) -> None:
    warnings.simplefilter("ignore")
    ori = pd.read_parquet(folder / "ori.parquet")
    syn = pd.read_parquet(folder / "syn.parquet")
    ctl = pd.read_parquet(folder / "control.parquet")
    out: dict = {}
    for mode in ("univariate", "multivariate"):
        # univariate: ask for more predicates than exist, so the set does not depend on order
        n = 5000 if mode == "univariate" else 60
        ev = SinglingOutEvaluator(ori, syn, control=ctl, n_attacks=n, n_cols=3, seed=7)
        ev.evaluate(mode=mode)
        out[f"singling_{mode}"] = {"n_success": ev._n_success, "n_control": ev._n_control}
    link = LinkabilityEvaluator(
        ori, syn, aux_cols=(["a", "b"], ["c", "d"]), n_attacks=len(ori), n_neighbors=3, control=ctl
    ).evaluate(n_jobs=1)
    res = link.results()
    out["linkability"] = {"n_success": res.n_success, "n_control": res.n_control}
    for secret in ("c", "cat"):
        inf = InferenceEvaluator(
            ori,
            syn,
            aux_cols=["a", "b", "d"],
            secret=secret,
            regression=secret == "c",
            n_attacks=len(ori),
            control=ctl,
        ).evaluate(n_jobs=1)
        r = inf.results()
        out[f"inference_{secret}"] = {"n_success": int(r.n_success), "n_control": int(r.n_control)}
    grid = []
    for n, k_a, k_c in ((500, 100, 50), (200, 37, 40), (1000, 3, 0), (60, 60, 12)):
        risk = EvaluationResults(n, k_a, 0, k_c, 0.95).risk()
        grid.append({"n": n, "k_a": k_a, "k_c": k_c, "value": risk.value, "ci": list(risk.ci)})
    out["risk_grid"] = grid
    print(json.dumps(out, default=int))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
