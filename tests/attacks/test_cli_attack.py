"""`synthrisk attack` and `synthrisk score` end to end on small files, and a light look at one
MIDST model folder when the shared data is there."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from _data import population
from typer.testing import CliRunner

from synthrisk.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
MIDST = ROOT.parent / "shared" / "data" / "midst-tabddpm-blackbox"


def run(*args: str) -> dict:
    result = runner.invoke(
        app, [*args, "--json", "--quiet"] if args[0] == "attack" else [*args, "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def shadow_folder(path: Path, seed: int) -> None:
    """A MIDST-style folder: ids, a leaky synthetic table, 40+40 challenge records, labels."""
    path.mkdir(parents=True)
    train = population(200, seed).with_row_index("rid", offset=seed * 1000)
    rng = np.random.default_rng(seed)
    noisy = train.with_columns(pl.col("x") + rng.normal(scale=0.02, size=200)).drop("rid")
    synthetic = pl.concat([noisy, population(200, seed + 500)])
    outsiders = population(40, seed + 700).with_row_index("rid", offset=seed * 1000 + 900)
    challenge = pl.concat([train[:40], outsiders])
    import gzip

    with gzip.open(path / "train_with_id.csv.gz", "wb") as f:
        train.write_csv(f)
    synthetic.write_parquet(path / "trans_synthetic.parquet")
    challenge.write_csv(path / "challenge_with_id.csv")
    pl.DataFrame({"is_train": [1] * 40 + [0] * 40}).write_csv(path / "challenge_label.csv")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    train = population(150, 1)
    population(150, 2).write_csv(tmp_path / "holdout.csv")
    train.write_parquet(tmp_path / "synthetic.parquet")  # a copying generator
    pl.concat([train[:50], population(50, 3)]).with_row_index("id").write_csv(
        tmp_path / "challenge.csv"
    )
    population(800, 4).write_csv(tmp_path / "reference.csv")
    pl.DataFrame({"is_train": [1] * 50 + [0] * 50}).write_csv(tmp_path / "labels.csv")
    return tmp_path


@pytest.mark.parametrize("method", ["ganleaks", "domias", "montecarlo"])
def test_attack_then_score(files: Path, method: str) -> None:
    out = files / f"{method}.csv"
    payload = run(
        "attack", "--method", method, "--synthetic", str(files / "synthetic.parquet"),
        "--challenge", str(files / "challenge.csv"), "--reference", str(files / "reference.csv"),
        "--drop-columns", "id", "--categorical", "c", "--out", str(out),
    )  # fmt: skip
    assert payload["n_scores"] == 100
    scores = pl.read_csv(out)
    assert scores.columns == ["score"] and scores.height == 100
    stats = run(
        "score", "--labels", str(files / "labels.csv"), "--scores", str(out), "--boot", "50"
    )
    assert stats["auc"]["value"] > 0.7
    assert set(stats["tpr_at_fpr"]) == {"0.001", "0.01", "0.1"}


def test_clear_errors(files: Path) -> None:
    result = runner.invoke(
        app,
        ["attack", "-m", "ganleaks", "--synthetic", str(files / "synthetic.parquet"),
         "--challenge", str(files / "challenge.csv"), "--out", str(files / "x.csv")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--drop-columns id" in result.output
    result = runner.invoke(
        app,
        ["attack", "-m", "domias", "--synthetic", str(files / "synthetic.parquet"),
         "--challenge", str(files / "challenge.csv"), "--drop-columns", "id",
         "--out", str(files / "x.csv")],
    )  # fmt: skip
    assert result.exit_code == 2 and "reference" in result.output
    pl.DataFrame({"is_train": [2] * 100}).write_csv(files / "bad.csv")
    pl.DataFrame({"score": np.arange(100.0)}).write_csv(files / "s.csv")
    result = runner.invoke(
        app, ["score", "--labels", str(files / "bad.csv"), "--scores", str(files / "s.csv")]
    )
    assert result.exit_code == 2 and "0 (non-member) or 1" in result.output


def test_ensemble_with_shadow_folders_and_saved_model(tmp_path: Path) -> None:
    for i in range(3):
        shadow_folder(tmp_path / "shadow" / f"model_{i + 1}", seed=i + 1)
    shadow_folder(tmp_path / "target", seed=9)
    target = tmp_path / "target"
    common = [
        "--synthetic", str(target / "trans_synthetic.parquet"),
        "--challenge", str(target / "challenge_with_id.csv"), "--drop-columns", "rid",
        "--categorical", "c",
    ]  # fmt: skip
    first = run(
        "attack", "-m", "ensemble", *common, "--shadow", str(tmp_path / "shadow"),
        "--save-model", str(tmp_path / "ens.pkl"), "--out", str(tmp_path / "a.csv"),
    )  # fmt: skip
    assert first["model"] == str(tmp_path / "ens.pkl")
    # the target's reference is built from the shadows' training data
    again = run(
        "attack", "-m", "ensemble", *common, "--model", str(tmp_path / "ens.pkl"),
        "--shadow", str(tmp_path / "shadow"), "--out", str(tmp_path / "b.csv"),
    )  # fmt: skip
    assert again["n_scores"] == 80
    a, b = pl.read_csv(tmp_path / "a.csv"), pl.read_csv(tmp_path / "b.csv")
    np.testing.assert_allclose(a["score"].to_numpy(), b["score"].to_numpy())
    stats = run(
        "score",
        "--labels",
        str(target / "challenge_label.csv"),
        "--scores",
        str(tmp_path / "a.csv"),
    )
    assert stats["auc"]["value"] > 0.7


@pytest.mark.skipif(not (MIDST / "train" / "tabddpm_1").exists(), reason="no MIDST data")
def test_one_midst_model_folder() -> None:
    from synthrisk.privacy.attacks import GANLeaks, load_shadow_folder, reference_from_frames

    target = load_shadow_folder(MIDST / "train" / "tabddpm_1")
    other = load_shadow_folder(MIDST / "train" / "tabddpm_2")
    ids = ["trans_id", "account_id"]
    assert target.train is not None and other.train is not None
    assert target.challenge.height == 200 and target.labels is not None
    reference = reference_from_frames([other.train], exclude=[target.challenge], drop=ids)
    scores = (
        GANLeaks(calibrated=True, drop_columns=ids, categorical=["trans_type", "operation",
                 "k_symbol", "bank"])
        .fit(target.synthetic, reference)
        .score(target.challenge)
    )  # fmt: skip
    assert scores.shape == (200,) and np.all(np.isfinite(scores))
