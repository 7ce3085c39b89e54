"""Marginal generators (MST, AIM, PrivBayes) against mbi 2.x (Private-PGM) and smartnoise-synth.

Every tool gets the same input: the table discretised by synthrisk's ``Discretizer`` (public
domain of the bundled data set, 32 bins per numeric column), as integer codes; and the same
budget: (ε, δ = 1e-9), handed to mbi as the zCDP ρ synthrisk's ledger uses (smartnoise converts
(ε, δ) itself). Accuracy is the average L1 distance ``‖p − q‖₁`` (twice the total variation)
between the real and synthetic distributions over *all* 3-way marginals of the codes, with a
95% t-interval over seeds. Speed is wall-clock on this machine; anchors run in their own
virtual environments as subprocesses (see ``anchors/``), synthrisk in this process.

    .venv/bin/python benches/python/bench_marginals.py speed
    .venv/bin/python benches/python/bench_marginals.py accuracy --datasets covid_testing \\
        --eps 0.3,1,3,10 --seeds 5 --methods mst,aim,privbayes,mbi-mst,sn-mst
    .venv/bin/python benches/python/bench_marginals.py --quick      # a minute: ours only
    .venv/bin/python benches/python/bench_marginals.py summary      # tables from the results file

Results are printed as markdown and appended as JSON lines to
``benches/results/marginals.jsonl``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from synthrisk import AIM, MST, IndependentMarginals, PrivBayes, datasets
from synthrisk.accounting import rho_from_epsilon
from synthrisk.data import Discretizer
from synthrisk.data.preprocess import count_tables

ROOT = Path(__file__).resolve().parents[2]
ANCHORS = Path(__file__).resolve().parent / "anchors"
MBI_PY = ROOT / ".venv-anchors" / "bin" / "python"
SN_PY = ROOT / ".venv-anchors-sn" / "bin" / "python"
RESULTS = ROOT / "benches" / "results" / "marginals.jsonl"
DELTA = 1e-9
BINS = 32

OURS = {"mst": MST, "aim": AIM, "privbayes": PrivBayes, "independent": IndependentMarginals}


class Table:
    """A bundled data set, discretised once, with its true 3-way marginals."""

    def __init__(self, name: str, columns: int | None = None) -> None:
        self.name = name
        self.df, self.domain = datasets.load(name)
        if columns is not None:  # the first `columns` columns only (a smaller problem)
            keep = list(self.domain.names[:columns])
            self.df, self.domain = self.df.select(keep), self.domain.select(keep)
        self.disc = Discretizer(self.domain, bins=BINS)
        self.codes = self.disc.encode(self.domain.validate(self.df))
        self.sizes = self.disc.sizes
        self.triples = list(itertools.combinations(range(len(self.sizes)), 3))
        self.truth = [t / t.sum() for t in count_tables(self.codes, self.sizes, self.triples)]
        self.dir = Path(tempfile.mkdtemp(prefix=f"bench-marginals-{name}-"))
        self.codes_path = self.dir / "codes.npy"
        np.save(self.codes_path, self.codes)

    def error(self, codes: np.ndarray) -> float:
        tables = count_tables(codes, self.sizes, self.triples)
        return float(
            np.mean(
                [np.abs(t - s / s.sum()).sum() for t, s in zip(self.truth, tables, strict=True)]
            )
        )


def run_ours(table: Table, method: str, eps: float, seed: int) -> dict:
    cls = OURS[method]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = cls(epsilon=eps, delta=DELTA, domain=table.domain, bins=BINS, seed=seed)
        model.fit(table.df)
    fit = time.perf_counter() - t0
    synth = model.sample(table.df.height, seed=seed)
    codes = table.disc.encode(table.domain.validate(synth))
    out = {"seconds": fit, "error": table.error(codes)}
    if method == "aim":
        out["rounds"] = model.rounds_
    return out


def run_anchor(table: Table, method: str, eps: float, seed: int, limit: float | None) -> dict:
    out_path = table.dir / f"{method}-{eps}-{seed}.npy"
    tool, mech = method.split("-")
    if tool == "mbi":
        cmd = [str(MBI_PY), str(ANCHORS / "mbi_mechanisms.py"), "--method", mech]
        cmd += ["--rho", repr(rho_from_epsilon(eps, DELTA))]
        cmd += ["--sizes", ",".join(map(str, table.sizes))]
        if mech == "aim":
            cmd += ["--clear-every", "1"]
            if limit:
                cmd += ["--time-limit", str(limit)]
    else:
        cmd = [str(SN_PY), str(ANCHORS / "smartnoise_mechanisms.py"), "--method", mech]
        cmd += ["--epsilon", repr(eps), "--delta", repr(DELTA)]
    cmd += ["--codes", str(table.codes_path), "--seed", str(seed), "--out", str(out_path)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    info = json.loads(lines[-1]) if lines else {}
    info["wall_seconds"] = wall
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.splitlines()[-3:])
        info["failed"] = f"exit {proc.returncode}: {tail}"
        rounds = [ln for ln in proc.stderr.splitlines() if ln.startswith("round ")]
        if rounds:
            info["last_round"] = rounds[-1]
        return info
    if out_path.exists():
        info["error"] = table.error(np.load(out_path))
    return info


def record(row: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(row) + "\n")


def interval(xs: list[float]) -> str:
    if not xs:
        return "—"
    m = float(np.mean(xs))
    if len(xs) < 2:
        return f"{m:.4f} (1 seed)"
    from scipy import stats

    half = stats.t.ppf(0.975, len(xs) - 1) * np.std(xs, ddof=1) / math.sqrt(len(xs))
    return f"{m:.4f} ± {half:.4f}"


def accuracy(args: argparse.Namespace) -> None:
    for name in args.datasets:
        table = Table(name, args.columns)
        print(f"\n### {name}: {table.df.height} rows × {len(table.sizes)} columns", flush=True)
        print(f"domain sizes {list(table.sizes)}", flush=True)
        results: dict[tuple[str, float], list[float]] = {}
        seconds: dict[tuple[str, float], list[float]] = {}
        for eps in args.eps:
            for method in args.methods:
                for seed in range(args.first_seed, args.first_seed + args.seeds):
                    if method in OURS:
                        r = run_ours(table, method, eps, seed)
                    else:
                        r = run_anchor(table, method, eps, seed, args.aim_limit)
                    row = {"bench": "accuracy", "dataset": name, "method": method, "eps": eps}
                    row["columns"] = len(table.sizes)
                    row |= {"seed": seed, "delta": DELTA, "bins": BINS} | r
                    record(row)
                    if "error" in r:
                        results.setdefault((method, eps), []).append(r["error"])
                    seconds.setdefault((method, eps), []).append(r.get("seconds", math.nan))
                    print(f"  {method:12s} ε={eps:<4g} seed {seed}: {r}", flush=True)
        print(f"\n| method | {' | '.join(f'ε = {e:g}' for e in args.eps)} |")
        print("|---|" + "---|" * len(args.eps))
        for method in args.methods:
            cells = [interval(results.get((method, e), [])) for e in args.eps]
            print(f"| {method} | {' | '.join(cells)} |")
        print("\nmedian fit seconds:")
        for method in args.methods:
            cells = [f"{np.nanmedian(seconds.get((method, e), [math.nan])):.1f}" for e in args.eps]
            print(f"| {method} | {' | '.join(cells)} |")


#: Each synthrisk method and the anchors running the same algorithm.
PAIRS = {"mst": ["mbi-mst", "sn-mst"], "aim": ["mbi-aim", "sn-aim"]}


def welch(xs: list[float], ys: list[float]) -> str:
    """Mean of xs − mean of ys with a 95% Welch interval."""
    from scipy import stats

    vx, vy = np.var(xs, ddof=1) / len(xs), np.var(ys, ddof=1) / len(ys)
    df = (vx + vy) ** 2 / (vx**2 / (len(xs) - 1) + vy**2 / (len(ys) - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(vx + vy)
    return f"{np.mean(xs) - np.mean(ys):+.4f} ± {half:.4f}"


def summary(args: argparse.Namespace) -> None:
    """Markdown tables from every accuracy run in the results file (the latest run of each
    data set, column count, method, ε and seed)."""
    latest: dict[tuple, dict] = {}
    for line in RESULTS.read_text().splitlines():
        row = json.loads(line)
        if row.get("bench") == "accuracy" and "error" in row:
            key = (row["dataset"], row["columns"], row["method"], row["eps"], row["seed"])
            latest[key] = row
    groups: dict[tuple[str, int], dict[tuple[str, float], list[float]]] = {}
    for (name, cols, method, eps, _), row in sorted(latest.items()):
        groups.setdefault((name, cols), {}).setdefault((method, eps), []).append(row["error"])
    for (name, cols), res in groups.items():
        eps_all = sorted({e for _, e in res})
        methods = list(dict.fromkeys(m for m, _ in res))
        print(f"\n### {name}, {cols} columns: mean L1 over all 3-way marginals ± 95% t-interval")
        print(f"\n| method | {' | '.join(f'ε = {e:g}' for e in eps_all)} |")
        print("|---|" + "---|" * len(eps_all))
        for m in methods:
            cells = []
            for e in eps_all:
                xs = res.get((m, e), [])
                cells.append(f"{interval(xs)} (n={len(xs)})" if len(xs) > 1 else interval(xs))
            print(f"| {m} | {' | '.join(cells)} |")
        rows = []
        for ours, anchors in PAIRS.items():
            for anchor in anchors:
                cells = []
                for e in eps_all:
                    xs, ys = res.get((ours, e), []), res.get((anchor, e), [])
                    cells.append(welch(xs, ys) if len(xs) > 1 and len(ys) > 1 else "—")
                if any(c != "—" for c in cells):
                    rows.append(f"| {ours} − {anchor} | {' | '.join(cells)} |")
        if rows:
            print(
                "\nDifferences (synthrisk − anchor; negative = synthrisk more accurate), 95% Welch:"
            )
            print(f"\n| pair | {' | '.join(f'ε = {e:g}' for e in eps_all)} |")
            print("|---|" + "---|" * len(eps_all))
            print("\n".join(rows))


def speed(args: argparse.Namespace) -> None:
    table = Table("adult")
    print(f"\n### speed: UCI Adult, {table.df.height} rows × {len(table.sizes)} columns, ε = 1")
    rows = []
    for method, anchor in [("mst", "mbi-mst"), ("aim", "mbi-aim")]:
        ours = [run_ours(table, method, 1.0, s) for s in range(args.speed_seeds)]
        t_ours = float(np.median([r["seconds"] for r in ours]))
        info = run_anchor(table, anchor, 1.0, 0, args.aim_limit if method == "aim" else None)
        for r in ours:
            record({"bench": "speed", "method": method, "eps": 1.0, **r})
        record({"bench": "speed", "method": anchor, "eps": 1.0, **info})
        t_anchor = info.get("seconds", info["wall_seconds"])
        done = (
            ""
            if not info.get("timed_out")
            else f" (stopped at the cap after {info['rounds']} rounds)"
        )
        if "failed" in info:
            done = f" (failed: {info['failed']}; {info.get('last_round', '')})"
        ratio = t_anchor / t_ours
        bound = "≥ " if info.get("timed_out") or "failed" in info else ""
        rows.append((method, t_ours, anchor, t_anchor, done, f"{bound}{ratio:.0f}×"))
        print(f"  {method}: ours {[round(r['seconds'], 2) for r in ours]} s; {anchor}: {info}")
    print("\n| method | synthrisk (median) | anchor | anchor | speed-up |")
    print("|---|---|---|---|---|")
    for m, t, a, ta, done, ratio in rows:
        print(f"| {m} | {t:.2f} s | {a} | {ta:.0f} s{done} | {ratio} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", nargs="*", default=["speed", "accuracy"])
    ap.add_argument("--datasets", default="adult,covid_testing")
    ap.add_argument("--eps", default="0.3,1,3,10")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds run from here on")
    ap.add_argument("--speed-seeds", type=int, default=3)
    ap.add_argument("--methods", default="mst,aim,privbayes,mbi-mst,sn-mst,mbi-aim,sn-aim")
    ap.add_argument("--aim-limit", type=float, default=1800.0, help="seconds for an anchor's AIM")
    ap.add_argument("--quick", action="store_true", help="ours only, one data set, two seeds")
    ap.add_argument("--columns", type=int, default=None, help="keep the first N columns only")
    args = ap.parse_args()
    args.datasets = args.datasets.split(",")
    args.eps = [float(e) for e in args.eps.split(",")]
    args.methods = args.methods.split(",")
    if args.quick:
        args.what, args.datasets, args.seeds = ["accuracy"], ["covid_testing"], 2
        args.methods = ["independent", "mst", "aim", "privbayes"]
    missing = [
        p
        for p, used in [(MBI_PY, "mbi"), (SN_PY, "sn")]
        if not p.exists()
        if any(m.startswith(used) for m in args.methods)
        if {"speed", "accuracy"} & set(args.what)
    ]
    if missing:
        print(f"anchor environments missing: {missing}; see benches/README.md", file=sys.stderr)
        return 2
    if "speed" in args.what:
        speed(args)
    if "accuracy" in args.what:
        accuracy(args)
    if "summary" in args.what:
        summary(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
