"""Times anonymeter's own mixed-type 1-NN kernel; run by bench_neighbors.py in .venv-anon.

anonymeter pins numpy < 2, so it lives in its own virtual environment (``/.venv-anon/``,
``python -m venv .venv-anon && .venv-anon/bin/pip install anonymeter``). Usage:
``python _anonymeter_kernel.py data.npz n_jobs`` → prints JSON {"seconds", "pairs", ...}.
"""

from __future__ import annotations

import json
import sys
import time

import anonymeter.evaluators  # noqa: F401  (import order: avoids anonymeter's circular import)
import numpy as np
import pandas as pd
from anonymeter.neighbors.mixed_types_kneighbors import MixedTypeKNeighbors


def frame(num: np.ndarray, cat: np.ndarray) -> pd.DataFrame:
    cols = {f"n{j}": num[:, j] for j in range(num.shape[1])}
    cols.update({f"c{j}": cat[:, j].astype(str) for j in range(cat.shape[1])})
    return pd.DataFrame(cols)


def main() -> None:
    data = np.load(sys.argv[1])
    n_jobs = int(sys.argv[2])
    q, r = frame(data["qn"], data["qc"]), frame(data["rn"], data["rc"])
    ctypes = {
        "num": [c for c in q.columns if c[0] == "n"],
        "cat": [c for c in q.columns if c[0] == "c"],
    }
    # Compile the numba kernel before timing.
    MixedTypeKNeighbors(n_neighbors=1, n_jobs=n_jobs).fit(r.head(50), ctypes).kneighbors(q.head(5))
    nn = MixedTypeKNeighbors(n_neighbors=1, n_jobs=n_jobs).fit(r, ctypes)
    t0 = time.perf_counter()
    _dist, idx = nn.kneighbors(q, return_distance=True)
    seconds = time.perf_counter() - t0
    np.save(sys.argv[1] + ".idx.npy", idx[:, 0])
    print(
        json.dumps(
            {"seconds": seconds, "pairs": len(q) * len(r), "n_query": len(q), "n_reference": len(r)}
        )
    )


if __name__ == "__main__":
    main()
