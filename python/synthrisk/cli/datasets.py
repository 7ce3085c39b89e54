"""`synthrisk datasets`: the bundled real data sets."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from synthrisk.cli._common import JsonOption, emit_json, friendly_errors, stdout

app = typer.Typer(
    help="Real data sets that load offline from installed packages.", no_args_is_help=True
)


@app.command("list")
def list_datasets(as_json: bool = JsonOption) -> None:
    """List the data sets, their size, source and licence."""
    from synthrisk import datasets

    infos = [datasets.describe(name) for name in datasets.list()]
    if as_json:
        emit_json({"datasets": [asdict(i) for i in infos]})
        return
    table = Table(title="synthrisk data sets")
    for column in ("name", "rows", "title", "licence"):
        table.add_column(column)
    for i in infos:
        table.add_row(i.name, f"{i.rows:,}", i.title, i.licence)
    stdout.print(table)


@app.command()
def export(
    name: str = typer.Argument(..., help="Data set name (see `synthrisk datasets list`)."),
    output: Path = typer.Option(..., "--output", "-o", help="Table file (.csv or .parquet)."),
    domain: Path | None = typer.Option(
        None, "--domain", "-d", help="Also write its public domain JSON."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Write a data set (and its public domain) to files, e.g. to try the other commands."""
    from synthrisk import datasets
    from synthrisk.data import write_table

    with friendly_errors(as_json):
        df, public = datasets.load(name)
        write_table(df, output)
        if domain is not None:
            public.to_json(domain)
        if as_json:
            emit_json(
                {
                    "output": str(output),
                    "rows": df.height,
                    "domain": str(domain) if domain else None,
                }
            )
