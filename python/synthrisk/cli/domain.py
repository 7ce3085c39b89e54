"""`synthrisk domain`: write or check a Domain file."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from synthrisk.cli._common import JsonOption, emit_json, friendly_errors, stderr
from synthrisk.data import Domain, read_table
from synthrisk.errors import DataDerivedDomainWarning

app = typer.Typer(help="Write or check the public Domain of a table.", no_args_is_help=True)


@app.command()
def infer(
    input: Path = typer.Option(
        ..., "--input", "-i", help="Table to read (.csv, .csv.gz, .parquet)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the domain JSON here."),
    max_categories: int = typer.Option(1000, help="Refuse text columns with more distinct values."),
    as_json: bool = JsonOption,
) -> None:
    """Infer a domain from data. NOT private: edit the bounds and categories to public values."""
    with friendly_errors(as_json):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataDerivedDomainWarning)
            domain = Domain.infer(read_table(input), max_categories=max_categories)
        text = domain.to_json(output)
        if as_json:
            emit_json(domain.to_dict())
        elif output is None:
            print(text)
        if not as_json:
            stderr.print(
                "[yellow]warning:[/] this domain was read from the data; its bounds and "
                "categories are not private. Replace them with public values before a DP release."
            )


@app.command()
def check(
    input: Path = typer.Option(..., "--input", "-i", help="Table to check."),
    domain: Path = typer.Option(..., "--domain", "-d", help="Domain JSON."),
    as_json: bool = JsonOption,
) -> None:
    """Check a table against a domain; exit 2 with the first problem found."""
    with friendly_errors(as_json):
        df = Domain.from_json(domain).validate(read_table(input), what=str(input))
        if as_json:
            emit_json({"ok": True, "rows": df.height, "columns": df.width})
        else:
            stderr.print(f"[green]ok[/]: {df.height} rows and {df.width} columns fit the domain")
