"""smartnoise-synth's MST and AIM (the anchor), on the same integer codes as synthrisk.

Runs in ``.venv-anchors-sn`` (``pip install mbi==1.1.0 "disjoint-set<0.10" Faker pandas
smartnoise-sql && pip install --no-deps smartnoise-synth==1.0.8``: smartnoise-synth 1.0.8 pins
mbi < 2 and opacus 0.14, which no longer installs on Python 3.11; MST and AIM need neither
opacus nor pac-synth). Every column is passed as categorical, so smartnoise spends no budget on
preprocessing; note that its label encoder then takes the category set from the data itself
(outside the budget), a leak synthrisk does not have.

    .venv-anchors-sn/bin/python smartnoise_mechanisms.py --method aim --codes x.npy \\
        --epsilon 1 --delta 1e-9 --seed 0 --out synth.npy
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import numpy as np
import pandas as pd


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", choices=["mst", "aim"], required=True)
    ap.add_argument("--codes", required=True)
    ap.add_argument("--epsilon", type=float, required=True)
    ap.add_argument("--delta", type=float, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--degree", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    np.random.seed(args.seed)
    random.seed(args.seed)
    from snsynth import Synthesizer

    codes = np.load(args.codes)
    df = pd.DataFrame(codes, columns=[f"c{j}" for j in range(codes.shape[1])])
    kwargs = {}
    if args.method == "aim":
        kwargs = {"degree": args.degree, "max_cells": 10**12}
    t0 = time.perf_counter()
    synth = Synthesizer.create(args.method, epsilon=args.epsilon, delta=args.delta, **kwargs)
    synth.fit(df, categorical_columns=list(df.columns), preprocessor_eps=0.0)
    fitted = time.perf_counter() - t0
    out = synth.sample(len(df))
    elapsed = time.perf_counter() - t0
    if args.out:
        np.save(args.out, out[list(df.columns)].to_numpy().astype(np.int64))
    print(json.dumps({"seconds": elapsed, "fit_seconds": fitted, "tool": "smartnoise-synth 1.0.8"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
