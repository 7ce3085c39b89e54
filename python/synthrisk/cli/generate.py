"""`synthrisk generate`: fit a private generator on a table and write synthetic rows."""

from __future__ import annotations

from pathlib import Path

import typer

from synthrisk.cli._common import JsonOption, QuietOption, emit_json, friendly_errors, stderr
from synthrisk.data import Domain, read_table, write_table
from synthrisk.errors import InvalidArgumentError
from synthrisk.generators import Generator
from synthrisk.progress import Progress


def generate(
    input: Path = typer.Option(
        ..., "--input", "-i", help="Real training data (.csv, .csv.gz, .parquet)."
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", help="Where to write synthetic rows (.csv or .parquet)."
    ),
    domain: Path | None = typer.Option(
        None,
        "--domain",
        "-d",
        help="Public domain JSON. Without it, a tenth of the budget pays for DP bounds, cut "
        "points and categories (values shared by few records become <other>).",
    ),
    method: str = typer.Option(
        "independent", "--method", "-m", help="Generator: independent, mst, aim or privbayes."
    ),
    epsilon: float = typer.Option(1.0, "--epsilon", help="Privacy budget ε."),
    delta: float = typer.Option(1e-6, "--delta", help="Privacy budget δ."),
    rows: int | None = typer.Option(
        None, "--rows", "-n", help="Synthetic rows (default: as many as the input)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed for fitting and sampling."),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse a domain marked data-derived (e.g. from domain infer)."
    ),
    save_model: Path | None = typer.Option(
        None, "--save-model", help="Also save the fitted model (JSON)."
    ),
    as_json: bool = JsonOption,
    quiet: bool = QuietOption,
) -> None:
    """Fit a differentially private generator and write synthetic data.

    Example: synthrisk generate -i train.parquet -d domain.json --epsilon 1 -o synth.parquet
    """
    with friendly_errors(as_json):
        kind = Generator.registry.get(method)
        if kind is None:
            raise InvalidArgumentError(
                f"unknown --method {method!r}; choose from {sorted(Generator.registry)}"
            )
        with Progress(enabled=not quiet) as bar:
            bar.step(f"reading {input}")
            data = read_table(input)
            public = Domain.from_json(domain) if domain is not None else None
            bar.step(f"fitting {method} at ε={epsilon:g}")
            model = kind(epsilon=epsilon, delta=delta, domain=public, strict=strict, seed=seed)
            model.fit(data)
            n = rows if rows is not None else data.height
            bar.step(f"sampling {n} rows")
            synthetic = model.sample(n, seed=seed)
            write_table(synthetic, output)
            if save_model is not None:
                model.save(save_model)
        ledger = model.ledger_.to_dict()
        if as_json:
            emit_json(
                {
                    "output": str(output),
                    "rows": synthetic.height,
                    "method": method,
                    "epsilon_spent": ledger["spent"]["epsilon"],
                    "delta": delta,
                    "domain_public": ledger["domain_public"],
                    "ledger": ledger,
                }
            )
        else:
            stderr.print(
                f"wrote {synthetic.height} rows to {output} "
                f"(ε spent {ledger['spent']['epsilon']:.4f}"
                f" of {epsilon:g}, δ={delta:g})"
            )
