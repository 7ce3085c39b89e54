"""`synthrisk generate --method mst|aim|privbayes` end to end."""

from __future__ import annotations

import json

import polars as pl
import pytest
from _fixtures import make_frame
from typer.testing import CliRunner

from synthrisk import Domain, Generator
from synthrisk.cli import app

runner = CliRunner()


@pytest.mark.parametrize("method", ["mst", "aim", "privbayes"])
def test_generate_with_marginal_methods(tmp_path, domain: Domain, method: str) -> None:
    make_frame(300, 1).write_parquet(tmp_path / "train.parquet")
    domain.to_json(tmp_path / "domain.json")
    result = runner.invoke(
        app,
        [
            "generate",
            "--method",
            method,
            "--epsilon",
            "1",
            "--input",
            str(tmp_path / "train.parquet"),
            "--domain",
            str(tmp_path / "domain.json"),
            "--output",
            str(tmp_path / "synth.parquet"),
            "--seed",
            "0",
            "--save-model",
            str(tmp_path / "model.json"),
            "--json",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["method"] == method and out["rows"] == 300
    assert out["epsilon_spent"] <= 1.0 + 1e-9 and out["domain_public"]
    synth = pl.read_parquet(tmp_path / "synth.parquet")
    domain.validate(synth)
    model = Generator.load(tmp_path / "model.json")
    assert model.name == method


def test_generate_reports_bad_budgets_clearly(tmp_path, domain: Domain) -> None:
    make_frame(50).write_parquet(tmp_path / "train.parquet")
    domain.to_json(tmp_path / "domain.json")
    args = ["generate", "-m", "aim", "-i", str(tmp_path / "train.parquet")]
    args += ["-d", str(tmp_path / "domain.json"), "-o", str(tmp_path / "s.csv")]
    result = runner.invoke(app, [*args, "--epsilon", "0"])
    assert result.exit_code == 2 and "epsilon" in result.output
    result = runner.invoke(app, [*args, "--delta", "1.5"])
    assert result.exit_code == 2 and "delta" in result.output
