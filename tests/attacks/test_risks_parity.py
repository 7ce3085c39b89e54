"""anonymeter-style risks: the FORMULAS.md vectors, and exact agreement with anonymeter 1.x when
a separate venv with it exists (.venv-anon; its pins may clash with ours)."""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from synthrisk.privacy.risks import (
    disclosure_protection,
    inference,
    linkability,
    risk_result,
    singling_out,
    success_rate,
)

ROOT = Path(__file__).resolve().parents[2]
ANON = ROOT / ".venv-anon" / "bin" / "python"


def test_formulas_vectors() -> None:
    assert success_rate(0, 500).value == pytest.approx(0.0038121702, abs=1e-10)
    r = success_rate(100, 500)
    assert (r.value, r.error) == pytest.approx((0.2022873021, 0.0350018032), abs=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        risk = risk_result("x", 500, 100, 0, 50)
    assert risk.risk == pytest.approx(0.1106388726, abs=1e-10)
    assert (risk.risk_low, risk.risk_high) == pytest.approx((0.0636646614, 0.1576130838), abs=1e-10)


def tables(seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)

    def frame(n: int) -> pl.DataFrame:
        a = rng.normal(size=n)
        return pl.DataFrame(
            {
                "a": a,
                "b": rng.gamma(2.0, size=n) + 0.1,
                "c": np.abs(a + rng.normal(scale=0.3, size=n)) + 0.5,
                "d": rng.uniform(size=n),
                "cat": rng.choice(["x", "y", "z"], n).astype(str),
            }
        )

    ori = frame(300)
    # a leaky generator: half copies of the originals with a little noise
    noisy = ori[:150].with_columns(pl.col("a") + rng.normal(scale=0.01, size=150))
    syn = pl.concat([noisy, frame(150)])
    return ori, syn, frame(300)


def test_leaky_synthetic_data_have_risk() -> None:
    ori, syn, ctl = tables()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        link = linkability(ori, syn, ctl, aux_cols=(["a", "b"], ["c", "d"]), n_attacks=300)
        inf = inference(ori, syn, ctl, secret="cat", n_attacks=300, seed=0)
        so = singling_out(ori, syn, ctl, mode="multivariate", n_attacks=50, seed=0)
    assert link.risk > 0.2 and inf.risk > 0.2
    assert so.n_success >= so.n_control  # type: ignore[operator]


@pytest.mark.skipif(not ANON.exists(), reason="no .venv-anon with anonymeter")
def test_counts_equal_anonymeter(tmp_path: Path) -> None:
    ori, syn, ctl = tables()
    for name, df in (("ori", ori), ("syn", syn), ("control", ctl)):
        df.write_parquet(tmp_path / f"{name}.parquet")
    script = Path(__file__).with_name("anonymeter_crosscheck.py")
    done = subprocess.run(
        [str(ANON), str(script), str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    ref = json.loads(done.stdout.strip().splitlines()[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mode in ("univariate", "multivariate"):
            n = 5000 if mode == "univariate" else 60
            so = singling_out(ori, syn, ctl, mode=mode, n_attacks=n, n_cols=3, seed=7)
            assert (so.n_success, so.n_control) == tuple(ref[f"singling_{mode}"].values()), mode
        link = linkability(
            ori, syn, ctl, aux_cols=(["a", "b"], ["c", "d"]), n_attacks=300, n_neighbors=3
        )
        assert (link.n_success, link.n_control) == tuple(ref["linkability"].values())
        for secret in ("c", "cat"):
            inf = inference(ori, syn, ctl, secret=secret, aux_cols=["a", "b", "d"], n_attacks=300)
            assert (inf.n_success, inf.n_control) == tuple(ref[f"inference_{secret}"].values())
        for row in ref["risk_grid"]:
            r = risk_result("x", row["n"], row["k_a"], 0, row["k_c"])
            assert r.risk == pytest.approx(row["value"], abs=1e-12)
            assert (r.risk_low, r.risk_high) == pytest.approx(tuple(row["ci"]), abs=1e-12)


def test_cap_disclosure_protection() -> None:
    real = pl.DataFrame({"k": ["a", "a", "b", "c"], "s": ["x", "y", "x", "y"]})
    syn = pl.DataFrame({"k": ["a", "a", "a", "b"], "s": ["x", "x", "y", "y"]})
    r = disclosure_protection(real, syn, key_columns=["k"], sensitive_columns=["s"])
    # rows: a/x → 2/3, a/y → 1/3, b/x → 0, c → no key (skipped)
    assert r.mean_cap == pytest.approx((2 / 3 + 1 / 3 + 0) / 3)
    assert r.baseline_protection == pytest.approx(0.5)
    assert r.score == pytest.approx(min((1 - r.mean_cap) / 0.5, 1))
    z = disclosure_protection(
        real, syn, key_columns=["k"], sensitive_columns=["s"], method="zero_cap"
    )
    assert z.mean_cap == pytest.approx(1 / 4)
    assert z.n_rows_matched == 3
