"""The command line: every command works end to end, --json prints one object, errors exit 2."""

from __future__ import annotations

import json
import warnings

import polars as pl
import pytest
from _fixtures import make_frame
from typer.testing import CliRunner

from synthrisk import Domain
from synthrisk.cli import app
from synthrisk.errors import DataDerivedDomainWarning

runner = CliRunner()


def invoke_json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def files(tmp_path, domain: Domain):
    make_frame(300, 1).write_parquet(tmp_path / "train.parquet")
    make_frame(300, 2).write_csv(tmp_path / "holdout.csv")
    domain.to_json(tmp_path / "domain.json")
    return tmp_path


def test_help_reads_well() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("generate", "evaluate", "demo", "domain", "datasets"):
        assert command in result.stdout


def test_generate_then_evaluate(files) -> None:
    out = invoke_json(
        "generate",
        "-i",
        str(files / "train.parquet"),
        "-d",
        str(files / "domain.json"),
        "-o",
        str(files / "synth.csv"),
        "--epsilon",
        "2",
        "--seed",
        "0",
        "-q",
        "--save-model",
        str(files / "model.json"),
    )
    assert out["rows"] == 300 and out["epsilon_spent"] <= 2.0 and out["domain_public"]
    assert pl.read_csv(files / "synth.csv").height == 300
    report = invoke_json(
        "evaluate",
        "--train",
        str(files / "train.parquet"),
        "--holdout",
        str(files / "holdout.csv"),
        "--synthetic",
        str(files / "synth.csv"),
        "-d",
        str(files / "domain.json"),
        "--model",
        str(files / "model.json"),
        "--out",
        str(files / "rep"),
        "-q",
    )
    assert 0 <= report["summary"]["closer_to_train"] <= 1
    assert report["ledger"]["budget"]["epsilon"] == 2.0
    assert (files / "rep" / "report.html").exists() and (files / "rep" / "report.json").exists()


def test_domain_infer_and_check(files) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDerivedDomainWarning)
        inferred = invoke_json("domain", "infer", "-i", str(files / "train.parquet"))
    assert inferred["data_derived"] is True
    ok = invoke_json(
        "domain", "check", "-i", str(files / "holdout.csv"), "-d", str(files / "domain.json")
    )
    assert ok == {"ok": True, "rows": 300, "columns": 6}


@pytest.mark.parametrize("method", ["independent", "mst"])
def test_generate_without_a_domain_pays_for_it(files, method: str) -> None:
    out = invoke_json(
        "generate",
        "-i",
        str(files / "train.parquet"),
        "-o",
        str(files / f"s-{method}.parquet"),
        "-m",
        method,
        "--epsilon",
        "2",
        "--seed",
        "0",
        "--strict",
    )
    assert out["domain_public"] is True and out["epsilon_spent"] <= 2.0 * (1 + 1e-9)
    purposes = " ".join(e["purpose"] for e in out["ledger"]["entries"])
    assert "DP bounds" in purposes and "threshold" in purposes


def test_errors_exit_2_with_a_message(files) -> None:
    result = runner.invoke(
        app,
        [
            "generate",
            "-i",
            str(files / "train.parquet"),
            "-d",
            str(files / "domain.json"),
            "-o",
            str(files / "s.csv"),
            "--epsilon",
            "-1",
            "--json",
        ],
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == "BudgetError"
    result = runner.invoke(
        app, ["domain", "check", "-i", str(files / "nope.csv"), "-d", str(files / "domain.json")]
    )
    assert result.exit_code == 2 and "does not exist" in result.output
    result = runner.invoke(
        app,
        ["generate", "-i", str(files / "train.parquet"), "-o", str(files / "s.csv"), "-m", "gan"],
    )
    assert result.exit_code == 2 and "unknown --method" in result.output


def test_datasets_list_and_demo(tmp_path) -> None:
    listing = invoke_json("datasets", "list")
    assert {d["name"] for d in listing["datasets"]} >= {
        "covid_testing",
        "support2",
        "adult",
        "military",
    }
    demo = invoke_json("demo", "--out", str(tmp_path / "demo"), "-q")
    assert (tmp_path / "demo" / "report.html").exists()
    assert demo["summary"]["epsilon_spent"] <= 1.0
