"""MST and AIM as in Private-PGM's reference mechanisms, on mbi 2.x (the anchor).

Runs in the anchors' virtual environment (``.venv-anchors``, ``pip install mbi==2.0.0``), never
in synthrisk's. It follows ``mechanisms/mst.py`` and ``mechanisms/aim.py`` of
github.com/ryan112358/private-pgm step by step (same budget splits, candidate rules, iteration
counts: MST 1000 iterations to select and 5000 to fit; AIM 1000 warm-started iterations per
round and at the end), written against mbi 2.x's API (``LinearMeasurement``,
``estimation.MirrorDescent``, ``Dataset.compress``). JAX runs in float64, as mbi recommends.

Input: integer codes (``.npy``, rows × columns) and the domain sizes; output: synthetic codes
and a JSON line with timings on stdout. The budget is given as zCDP ρ so that every tool gets
exactly the same ρ.

    .venv-anchors/bin/python mbi_mechanisms.py --method mst --codes x.npy --sizes 3,4 \\
        --rho 0.02 --seed 0 --out synth.npy
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_enable_compilation_cache", False)

import mbi  # noqa: E402
import numpy as np  # noqa: E402
from mbi import Dataset, Domain, LinearMeasurement, estimation, junction_tree  # noqa: E402
from scipy.special import logsumexp  # noqa: E402


def exponential_mechanism(rng, q, eps, sensitivity):
    scores = 0.5 * eps / sensitivity * np.asarray(q, dtype=float)
    p = np.exp(scores - logsumexp(scores))
    return int(rng.choice(q.size, p=p))


def measure(rng, data, cliques, sigma):
    out = []
    for cl in cliques:
        x = np.asarray(data.project(cl).datavector())
        out.append(LinearMeasurement(x + rng.normal(0, sigma, x.size), cl, stddev=sigma))
    return out


# --- MST --------------------------------------------------------------------------------------


def mst(rng, data, rho, iters=5000):
    d = len(data.domain)
    sigma = np.sqrt(3 / (2 * rho))
    cliques = [(a,) for a in data.domain]
    # measure() with weights 1/sqrt(d): each one-way gets stddev sigma * sqrt(d).
    log1 = measure(rng, data, cliques, sigma * np.sqrt(d))
    supports, mapping = {}, {}
    for m in log1:
        col = m.clique[0]
        sup = np.asarray(m.noisy_measurement) >= 3 * m.stddev
        supports[col] = sup
        k = int(sup.sum())
        if k < sup.size:
            mapping[col] = np.where(sup, np.cumsum(sup) - 1, k)
    cdata = data.compress(mapping) if mapping else data
    log1 = [m.compress(mapping, data.domain) for m in log1]
    cliques = select(rng, cdata, rho / 3.0, log1)
    log2 = measure(rng, cdata, cliques, sigma * np.sqrt(len(cliques)))
    model = estimation.MirrorDescent().estimate(cdata.domain, log1 + log2, iters=iters)
    synth = model.synthetic_data()
    return (synth.decompress(mapping) if mapping else synth), {"edges": len(cliques)}


def select(rng, data, rho, log1):
    est = estimation.MirrorDescent().estimate(data.domain, log1, iters=1000)
    candidates = list(itertools.combinations(data.domain.attributes, 2))
    weights = {}
    for a, b in candidates:
        xhat = np.asarray(est.project((a, b)).datavector())
        x = np.asarray(data.project((a, b)).datavector())
        weights[a, b] = np.linalg.norm(x - xhat, 1)
    parent = {a: a for a in data.domain.attributes}

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    r = len(data.domain)
    epsilon = np.sqrt(8 * rho / (r - 1))
    chosen = []
    for _ in range(r - 1):
        candidates = [e for e in candidates if find(e[0]) != find(e[1])]
        wgts = np.array([weights[e] for e in candidates])
        e = candidates[exponential_mechanism(rng, wgts, epsilon, 1.0)]
        parent[find(e[0])] = find(e[1])
        chosen.append(e)
    return chosen


# --- AIM --------------------------------------------------------------------------------------


def powerset(s):
    return itertools.chain.from_iterable(itertools.combinations(s, r) for r in range(1, len(s) + 1))


def downward_closure(ws):
    ans = set()
    for proj in ws:
        ans.update(powerset(proj))
    return sorted(ans, key=len)


def aim(
    rng,
    data,
    rho,
    workload,
    rounds=None,
    max_model_size=80,
    max_iters=1000,
    limit=None,
    clear_every=None,
):
    start = time.perf_counter()
    rounds = rounds or 16 * len(data.domain)
    candidates = {
        cl: sum(len(set(cl) & set(w)) for w in workload) for cl in downward_closure(workload)
    }
    answers = {cl: np.asarray(data.project(cl).datavector()) for cl in candidates}
    oneway = [cl for cl in candidates if len(cl) == 1]
    sigma = np.sqrt(rounds / (2 * 0.9 * rho))
    epsilon = np.sqrt(8 * 0.1 * rho / rounds)
    rho_used = len(oneway) * 0.5 / sigma**2
    measurements = measure(rng, data, oneway, sigma)
    engine = estimation.MirrorDescent()
    model = engine.estimate(data.domain, measurements, iters=max_iters)
    t, terminate, timed_out = 0, False, False
    while not terminate:
        t += 1
        if limit is not None and time.perf_counter() - start > limit:
            timed_out = True
            break
        if rho - rho_used < 2 * (0.5 / sigma**2 + 1.0 / 8 * epsilon**2):
            remaining = rho - rho_used
            sigma = np.sqrt(1 / (2 * 0.9 * remaining))
            epsilon = np.sqrt(8 * 0.1 * remaining)
            terminate = True
        rho_used += 1.0 / 8 * epsilon**2 + 0.5 / sigma**2
        size_limit = max_model_size * rho_used / rho
        free = set(downward_closure(model.cliques))
        small = {
            cl: w
            for cl, w in candidates.items()
            if cl in free
            or junction_tree.hypothetical_model_size(data.domain, [*list(model.cliques), cl])
            <= size_limit
        }
        errors, keys = [], list(small)
        for cl in keys:
            bias = np.sqrt(2 / np.pi) * sigma * data.domain.size(cl)
            xest = np.asarray(model.project(cl).datavector())
            errors.append(small[cl] * (np.linalg.norm(answers[cl] - xest, 1) - bias))
        sens = max(abs(small[cl]) for cl in keys)
        cl = keys[exponential_mechanism(rng, np.array(errors), epsilon, sens)]
        n = data.domain.size(cl)
        x = answers[cl]
        measurements.append(LinearMeasurement(x + rng.normal(0, sigma, n), cl, stddev=sigma))
        z = np.asarray(model.project(cl).datavector())
        model = engine.estimate(data.domain, measurements, iters=max_iters, warm_start=model)
        w = np.asarray(model.project(cl).datavector())
        if np.linalg.norm(w - z, 1) <= sigma * np.sqrt(2 / np.pi) * n:
            sigma /= 2
            epsilon *= 2
        elapsed = time.perf_counter() - start
        print(f"round {t}: {cl} after {elapsed:.1f}s", file=sys.stderr, flush=True)
        if clear_every and t % clear_every == 0:
            # Every projection compiles its own XLA program; past tens of thousands of them
            # the process hits the kernel's memory-map limit (LLVM "Cannot allocate memory").
            jax.clear_caches()
    info = {"rounds": t - int(timed_out), "timed_out": timed_out}
    if timed_out:
        return None, info
    model = engine.estimate(data.domain, measurements, iters=max_iters, warm_start=model)
    return model.synthetic_data(), info


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", choices=["mst", "aim"], required=True)
    ap.add_argument("--codes", required=True)
    ap.add_argument("--sizes", required=True)
    ap.add_argument("--rho", type=float, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--degree", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--clear-every", type=int, default=None)
    args = ap.parse_args()
    codes = np.load(args.codes)
    sizes = [int(s) for s in args.sizes.split(",")]
    names = [f"c{j}" for j in range(len(sizes))]
    domain = Domain(names, sizes)
    data = Dataset({n: codes[:, j] for j, n in enumerate(names)}, domain)
    rng = np.random.default_rng(args.seed)
    np.random.seed(args.seed)  # mbi's synthetic_data draws from numpy's global generator
    t0 = time.perf_counter()
    if args.method == "mst":
        synth, info = mst(rng, data, args.rho)
    else:
        workload = list(itertools.combinations(names, min(args.degree, len(names))))
        synth, info = aim(
            rng, data, args.rho, workload, limit=args.time_limit, clear_every=args.clear_every
        )
    elapsed = time.perf_counter() - t0
    if synth is not None and args.out:
        np.save(args.out, np.column_stack([np.asarray(synth.data[n]) for n in names]))
    info |= {"seconds": elapsed, "tool": f"mbi {getattr(mbi, '__version__', '2.x')}"}
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
