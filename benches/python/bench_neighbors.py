"""Neighbour engine against its anchors, side by side in one run (issue: "Neighbour engine").

Cases (all exact 1-NN, wall-clock on this machine, every thread the machine has unless noted):

* mixed  — mixed-type distance, 6 numeric + 4 categorical columns, 10k×10k and 100k×100k;
  anchor: anonymeter 1.1.0's own numba kernel (``MixedTypeKNeighbors``), run in ``.venv-anon``
  because it pins numpy < 2. At 100k it is timed on a query subsample and scaled (it is
  exhaustive: its time is linear in the number of queries).
* l2     — float32 L2, d = 20, 100k×100k Gaussian; anchor: faiss-cpu ``IndexFlatL2``, as it
  runs here and restricted to AVX2 (``FAISS_SIMD_LEVEL=AVX2``, OpenBLAS ``Haswell``). GFLOP/s
  count 2·d flops per pair (faiss' convention for the dot-product form); the exact
  difference form synthrisk uses does 3·d.
* dcr    — DCR of synthetic → train and → holdout on the openintro ``military`` table
  (1.41M rows): train = 1M real rows, holdout = the rest, synthetic = 1M rows from
  IndependentMarginals(ε=1), generated once and shared by every run; a run of size n uses the
  first n rows of synthetic and train and up to n holdout rows. Time and peak memory beyond
  the inputs from 100k to 1M, with the engine's automatic plan (it deduplicates this
  low-cardinality table) and with deduplication off (pure brute force), plus an SVG plot
  ``benches/neighbors_dcr_scaling.svg``.

Usage: ``python benches/python/bench_neighbors.py [mixed] [l2] [dcr] [--quick]``.
Results also go to ``benches/results/neighbors.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ANON_PY = ROOT / ".venv-anon" / "bin" / "python"
RESULTS = ROOT / "benches" / "results"
ROWS: list[dict[str, object]] = []


def report(
    case: str, tool: str, seconds: float, pairs: float, note: str = "", **extra: object
) -> None:
    row = {
        "case": case,
        "tool": tool,
        "seconds": seconds,
        "ns_per_pair": seconds / pairs * 1e9,
        "note": note,
        **extra,
    }
    ROWS.append(row)
    print(
        f"{case:<34} {tool:<28} {seconds:>9.3f} s {row['ns_per_pair']:>9.4f} ns/pair  {note}",
        flush=True,
    )


def timed(f, *args, **kw):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = f(*args, **kw)
    return time.perf_counter() - t0, out


# --- mixed ---------------------------------------------------------------------------------------


def mixed_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    num = rng.random((n, 6)).astype(np.float32)
    cat = np.column_stack([rng.integers(0, k, n) for k in (2, 3, 5, 12)]).astype(np.uint32)
    return num, cat


def bench_mixed(quick: bool) -> None:
    from synthrisk.data import DistanceBlock
    from synthrisk.neighbors import knn

    names = (tuple(f"n{j}" for j in range(6)), tuple(f"c{j}" for j in range(4)))
    sizes = [(10_000, 10_000)] if quick else [(10_000, 10_000), (100_000, 100_000)]
    for n, m in sizes:
        qn, qc = mixed_data(n, 1)
        rn, rc = mixed_data(m, 2)
        q, r = DistanceBlock(qn, qc, *names), DistanceBlock(rn, rc, *names)
        case = f"mixed 1-NN {n // 1000}k×{m // 1000}k (6+4 cols)"
        ours = {}
        for simd in ("avx512", "avx2"):
            os.environ["SYNTHRISK_SIMD"] = simd
            sec, (_d, i, plan) = timed(knn, q, r, k=1)
            ours[simd] = (sec, i)
            report(case, f"synthrisk {plan['simd']} {plan['algorithm']}", sec, n * m)
        os.environ.pop("SYNTHRISK_SIMD")
        if not ANON_PY.exists():
            print("  (anonymeter skipped: create .venv-anon with anonymeter installed)")
            continue
        nq = n if n <= 10_000 else (1_000 if quick else 2_000)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.npz"
            np.savez(path, qn=qn[:nq], qc=qc[:nq], rn=rn, rc=rc)
            out = subprocess.run(
                [str(ANON_PY), str(HERE / "_anonymeter_kernel.py"), str(path), str(os.cpu_count())],
                capture_output=True,
                text=True,
                check=True,
            )
            res = json.loads(out.stdout.strip().splitlines()[-1])
            anon_idx = np.load(str(path) + ".idx.npy")
        sec = res["seconds"] * n / nq
        note = "measured" if nq == n else f"scaled from {nq} queries"
        agree = float(np.mean(anon_idx == ours["avx2"][1][:nq, 0]))
        report(case, "anonymeter 1.1.0 (numba)", sec, n * m, f"{note}; same NN {agree:.1%}")
        for simd, (s, _) in ours.items():
            ROWS[-1][f"ratio_vs_{simd}"] = sec / s
        print(
            f"  → synthrisk is {sec / ours['avx2'][0]:.0f}× (AVX2) / "
            f"{sec / ours['avx512'][0]:.0f}× (AVX-512) faster than anonymeter",
            flush=True,
        )


# --- L2 ------------------------------------------------------------------------------------------


def bench_l2(quick: bool) -> None:
    from synthrisk.neighbors import knn

    n, d = (30_000 if quick else 100_000), 20
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.standard_normal((n, d)).astype(np.float32)
    case = f"L2 1-NN f32 d={d} {n // 1000}k×{n // 1000}k"
    flops = 2 * d * n * n
    ours = {}
    for simd in ("avx512", "avx2"):
        os.environ["SYNTHRISK_SIMD"] = simd
        sec, (dist, idx, plan) = timed(knn, x, y, metric="l2", k=1)
        ours[simd] = (sec, dist, idx)
        report(
            case,
            f"synthrisk {plan['simd']} {plan['algorithm']}",
            sec,
            n * n,
            f"{flops / sec / 1e9:.1f} GFLOP/s",
        )
    os.environ.pop("SYNTHRISK_SIMD")
    try:
        import faiss  # noqa: F401
    except ImportError:
        print("  (faiss skipped: pip install faiss-cpu)")
        return
    for label, env in (
        ("faiss-cpu IndexFlatL2", {}),
        # What faiss runs on a CPU without AVX-512 (the Zen 3 of DESIGN.md).
        ("faiss-cpu, AVX2 only", {"FAISS_SIMD_LEVEL": "AVX2", "OPENBLAS_CORETYPE": "Haswell"}),
    ):
        out = subprocess.run(
            [sys.executable, "-c", _FAISS, str(n), str(d)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **env},
        )
        res = json.loads(out.stdout.strip().splitlines()[-1])
        sec = res["seconds"]
        fi = np.load(res["path"])
        fd = np.load(res["path"].replace("idx", "dist"))
        agree = float(np.mean(fi == ours["avx2"][2][:, 0]))
        err = float(np.max(np.abs(np.sqrt(np.maximum(fd, 0)) - ours["avx2"][1][:, 0])))
        report(
            case,
            label,
            sec,
            n * n,
            f"{flops / sec / 1e9:.1f} GFLOP/s; same NN {agree:.3%}; max |Δd| {err:.1e}",
        )
        print(
            f"  → synthrisk is {sec / ours['avx2'][0]:.2f}× (AVX2) / "
            f"{sec / ours['avx512'][0]:.2f}× (AVX-512) the speed of {label}",
            flush=True,
        )
        for simd, (s_, _, _) in ours.items():
            ROWS[-1][f"ratio_vs_{simd}"] = sec / s_


_FAISS = r"""
import json, os, sys, tempfile, time
import numpy as np
import faiss
n, d = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
x = rng.standard_normal((n, d)).astype(np.float32)
y = rng.standard_normal((n, d)).astype(np.float32)
faiss.omp_set_num_threads(os.cpu_count() or 1)
index = faiss.IndexFlatL2(d)
index.add(y)
t0 = time.perf_counter()
dist, idx = index.search(x, 1)
sec = time.perf_counter() - t0
path = os.path.join(tempfile.mkdtemp(), "idx.npy")
np.save(path, idx[:, 0]); np.save(path.replace("idx", "dist"), dist[:, 0])
print(json.dumps({"seconds": sec, "path": path}))
"""


# --- DCR on military ------------------------------------------------------------------------------

_CHILD = r"""
import json, os, sys, time
import numpy as np

n, mode, cache = int(sys.argv[1]), sys.argv[2], sys.argv[3]
from synthrisk.data import DistanceBlock
from synthrisk.neighbors import knn

if not os.path.exists(cache):
    # One synthetic table for every run (the generator's noise is not seeded).
    import synthrisk
    from synthrisk.data import encode_for_distance

    df, domain = synthrisk.datasets.load("military")
    df = df.sample(fraction=1.0, shuffle=True, seed=0)
    train, holdout = df[:1_000_000], df[1_000_000:]
    model = synthrisk.IndependentMarginals(epsilon=1.0, domain=domain, seed=0).fit(train)
    blocks = {k: encode_for_distance(v, domain) for k, v in
              (("s", model.sample(1_000_000)), ("t", train), ("h", holdout))}
    np.savez(cache, **{f"{k}{part}": getattr(b, attr) for k, b in blocks.items()
                       for part, attr in (("n", "numeric"), ("c", "codes"))},
             names=np.array(blocks["s"].numeric_columns + blocks["s"].categorical_columns),
             p=len(blocks["s"].numeric_columns))
z = np.load(cache)
names, p = tuple(z["names"].tolist()), int(z["p"])
s, t, h = (DistanceBlock(np.ascontiguousarray(z[k + "n"][:n]), np.ascontiguousarray(z[k + "c"][:n]),
                         names[:p], names[p:]) for k in "sth")
del z

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
base = rss("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak-RSS counter (VmHWM)
kw = {} if mode == "auto" else {"algorithm": "brute", "dedup": False}
t0 = time.perf_counter()
d_t, _, plan = knn(s, t, k=1, **kw)
d_h, _, _ = knn(s, h, k=1, **kw)
closer = np.mean((d_t < d_h) + 0.5 * (d_t == d_h))
sec = time.perf_counter() - t0
print(json.dumps({"n": n, "mode": mode, "seconds": sec, "peak_extra_bytes": rss("VmHWM:") - base,
                  "inputs_rss_bytes": base, "plan": plan, "closer_to_train": float(closer),
                  "median_dcr_train": float(np.median(d_t)), "n_holdout": int(h.n_rows)}))
"""


def dcr_run(n: int, mode: str, cache: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(n), mode, str(cache)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_dcr(quick: bool) -> None:
    sizes_auto = [100_000, 200_000, 500_000, 1_000_000]
    sizes_brute = [100_000, 200_000] if quick else [100_000, 200_000, 400_000, 1_000_000]
    runs = []
    tmp = tempfile.TemporaryDirectory()
    cache = Path(tmp.name) / "military_blocks.npz"
    for mode, sizes in (("auto", sizes_auto), ("brute", sizes_brute)):
        for n in sizes:
            r = dcr_run(n, mode, cache)
            runs.append(r)
            pairs = n * n + n * int(r["n_holdout"])  # type: ignore[call-overload]
            plan = r["plan"]
            note = (
                f"peak +{r['peak_extra_bytes'] / 2**20:.0f} MiB beyond inputs; "  # type: ignore[operator]
                f"groups {plan['query_groups']}/{plan['reference_groups']}; "  # type: ignore[index]
                f"closer-to-train {r['closer_to_train']:.4f}"
            )
            label = "synthrisk auto (dedup)" if mode == "auto" else "synthrisk brute, no dedup"
            report(
                f"DCR military {n // 1000}k synth vs {n // 1000}k train",
                label,
                float(r["seconds"]),
                pairs,
                note,  # type: ignore[arg-type]
                peak_extra_bytes=r["peak_extra_bytes"],
                n=n,
                mode=mode,
            )
    tmp.cleanup()
    write_plot(runs)


def write_plot(runs: list[dict[str, object]]) -> None:
    """A log-log SVG of DCR time against rows, one line per mode, with an n² guide."""
    w, h, pad = 560, 360, 60
    xs = [float(r["n"]) for r in runs]  # type: ignore[arg-type]
    ys = [max(float(r["seconds"]), 1e-3) for r in runs]  # type: ignore[arg-type]
    lx0, lx1 = np.log10(min(xs) / 1.2), np.log10(max(xs) * 1.2)
    ly0, ly1 = np.log10(min(ys) / 2), np.log10(max(ys) * 4)

    def px(x: float, y: float) -> tuple[float, float]:
        return (
            pad + (np.log10(x) - lx0) / (lx1 - lx0) * (w - 2 * pad),
            h - pad - (np.log10(y) - ly0) / (ly1 - ly0) * (h - 2 * pad),
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">Exact DCR on military'
        " (synthetic → train and → holdout), 2 cores</text>",
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="black"/>',
        f'<text x="{w / 2}" y="{h - 15}" text-anchor="middle">rows (synthetic = train)</text>',
        f'<text x="15" y="{h / 2}" transform="rotate(-90 15 {h / 2})" '
        'text-anchor="middle">seconds (log)</text>',
    ]
    for e in range(int(np.floor(ly0)), int(np.ceil(ly1)) + 1):
        if ly0 <= e <= ly1:
            _, y = px(10**lx0, 10.0**e)
            parts.append(
                f'<text x="{pad - 5}" y="{y + 4}" text-anchor="end">{10.0**e:g}</text>'
                f'<line x1="{pad}" y1="{y}" x2="{w - pad}" y2="{y}" stroke="#ddd"/>'
            )
    for x in sorted(set(xs)):
        xx, _ = px(x, 10**ly0)
        parts.append(f'<text x="{xx}" y="{h - pad + 16}" text-anchor="middle">{x / 1e3:g}k</text>')
    colours = {"auto": "#1f77b4", "brute": "#d62728"}
    labels = {"auto": "automatic plan (deduplicated rows)", "brute": "brute force, no dedup"}
    for i, mode in enumerate(("auto", "brute")):
        pts = sorted((float(r["n"]), float(r["seconds"])) for r in runs if r["mode"] == mode)  # type: ignore[arg-type]
        if not pts:
            continue
        coords = " ".join(f"{px(x, y)[0]:.1f},{px(x, y)[1]:.1f}" for x, y in pts)
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colours[mode]}" stroke-width="2"/>'
        )
        for x, y in pts:
            cx, cy = px(x, y)
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{colours[mode]}"/>')
        if mode == "brute":  # the n² guide through the first brute-force point
            x0, y0 = pts[0]
            gx = [x0, max(xs)]
            guide = " ".join(
                f"{px(x, y0 * (x / x0) ** 2)[0]:.1f},{px(x, y0 * (x / x0) ** 2)[1]:.1f}" for x in gx
            )
            parts.append(
                f'<polyline points="{guide}" fill="none" stroke="#999" stroke-dasharray="4 3"/>'
            )
        parts.append(
            f'<text x="{pad + 10}" y="{pad + 15 * i}" fill="{colours[mode]}">{labels[mode]}</text>'
        )
    parts.append(f'<text x="{pad + 10}" y="{pad + 30}" fill="#999">n² (quadratic) guide</text>')
    parts.append("</svg>")
    (ROOT / "benches" / "neighbors_dcr_scaling.svg").write_text("\n".join(parts) + "\n")
    print("  plot: benches/neighbors_dcr_scaling.svg")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    chosen = [a for a in argv if not a.startswith("--")] or ["mixed", "l2", "dcr"]
    from synthrisk import _native

    print(
        f"synthrisk neighbour engine; CPU threads {os.cpu_count()}; "
        f"best SIMD {_native.simd_level()}\n"
    )
    print(f"{'case':<34} {'tool':<28} {'time':>11} {'per pair':>15}")
    for name in chosen:
        {"mixed": bench_mixed, "l2": bench_l2, "dcr": bench_dcr}[name](quick)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "neighbors.json").write_text(json.dumps(ROWS, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
