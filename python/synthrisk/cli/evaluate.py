"""`synthrisk evaluate`: privacy risk and utility of a synthetic table, as a report."""

from __future__ import annotations

from pathlib import Path

import typer

from synthrisk.cli._common import (
    JsonOption,
    QuietOption,
    emit_json,
    friendly_errors,
    key_value_table,
    stderr,
)
from synthrisk.data import Domain, read_table
from synthrisk.evaluation import evaluate as run_evaluation
from synthrisk.generators import Generator


def evaluate(
    train: Path = typer.Option(..., "--train", help="Real data the generator was trained on."),
    holdout: Path = typer.Option(
        ..., "--holdout", help="Real data from the same population it never saw."
    ),
    synthetic: Path = typer.Option(..., "--synthetic", help="The synthetic table to assess."),
    domain: Path = typer.Option(
        ..., "--domain", "-d", help="Domain JSON (public ranges and categories)."
    ),
    out: Path = typer.Option(
        Path("synthrisk-report"), "--out", help="Folder for report.html and report.json."
    ),
    model: Path | None = typer.Option(
        None, "--model", help="Saved generator, to include its privacy ledger."
    ),
    max_queries: int | None = typer.Option(
        None, "--max-queries", help="Subsample synthetic rows used as DCR queries."
    ),
    seed: int | None = typer.Option(None, "--seed"),
    as_json: bool = JsonOption,
    quiet: bool = QuietOption,
) -> None:
    """Measure distance-to-closest-record risk and utility, and write HTML + JSON reports.

    Example: synthrisk evaluate --train t.csv --holdout h.csv --synthetic s.csv -d domain.json
    """
    with friendly_errors(as_json):
        generator = Generator.load(model) if model is not None else None
        report = run_evaluation(
            train=read_table(train),
            holdout=read_table(holdout),
            synthetic=read_table(synthetic),
            domain=Domain.from_json(domain),
            generator=generator,
            max_queries=max_queries,
            seed=seed,
            progress=not quiet,
        )
        out.mkdir(parents=True, exist_ok=True)
        report.to_json(out / "report.json")
        report.to_html(out / "report.html")
        if as_json:
            emit_json(
                report.to_dict() | {"files": [str(out / "report.json"), str(out / "report.html")]}
            )
        else:
            stderr.print(key_value_table("synthrisk evaluation", report.summary()))
            stderr.print(f"reports written to {out}/report.html and {out}/report.json")
