"""Gaussian KDE log-densities: synthrisk's Rust kernel against scipy.stats.gaussian_kde.

The anchor case of the attack issue: 100,000 sample points, 10,000 queries, d = 10, on the
machine's cores (2 here). scipy is timed on a slice of the queries and scaled linearly (its cost
is exactly proportional to the number of queries), unless --full is given.

    .venv/bin/python benches/python/bench_density.py [--full] [--n 100000] [--m 10000] [--d 10]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--m", type=int, default=10_000)
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--scipy-queries", type=int, default=1000)
    ap.add_argument("--full", action="store_true", help="time scipy on every query")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("benches/results/bench_density.json"))
    args = ap.parse_args()

    from scipy.stats import gaussian_kde

    from synthrisk.privacy.attacks import GaussianKDE

    rng = np.random.default_rng(0)
    mix = rng.normal(size=(args.d, args.d))
    data = rng.normal(size=(args.n, args.d)) @ mix
    queries = rng.normal(size=(args.m, args.d)) @ mix

    ours_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        kde = GaussianKDE().fit(data)
        ours = kde.log_density(queries)
        ours_times.append(time.perf_counter() - t)
    ours_s = min(ours_times)

    m_sc = args.m if args.full else min(args.scipy_queries, args.m)
    t = time.perf_counter()
    ref = gaussian_kde(data.T).logpdf(queries[:m_sc].T)
    scipy_s = (time.perf_counter() - t) * args.m / m_sc
    rel = float(np.max(np.abs((ours[:m_sc] - ref) / ref)))

    result = {
        "n_points": args.n,
        "n_queries": args.m,
        "dim": args.d,
        "cores": os.cpu_count(),
        "synthrisk_s": ours_s,
        "scipy_s": scipy_s,
        "scipy_queries_timed": m_sc,
        "speedup": scipy_s / ours_s,
        "ns_per_pair_synthrisk": ours_s / (args.n * args.m) * 1e9,
        "ns_per_pair_scipy": scipy_s / (args.n * args.m) * 1e9,
        "max_relative_difference": rel,
    }
    print(json.dumps(result, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
