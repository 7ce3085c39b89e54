"""Shared pieces of the command line: output modes and error reporting."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from synthrisk.errors import SynthriskError

stderr = Console(stderr=True)
stdout = Console()

JsonOption = typer.Option(False, "--json", help="Print one JSON object on stdout instead of text.")
QuietOption = typer.Option(False, "--quiet", "-q", help="No progress display on stderr.")


def emit_json(payload: dict[str, Any]) -> None:
    """Prints exactly one JSON object on stdout (for scripts)."""
    sys.stdout.write(json.dumps(payload, default=str) + "\n")


@contextmanager
def friendly_errors(as_json: bool) -> Iterator[None]:
    """Turns synthrisk's errors into a one-line message and exit code 2 (no traceback)."""
    try:
        yield
    except SynthriskError as e:
        if as_json:
            emit_json({"error": type(e).__name__, "message": str(e)})
        else:
            # Plain text, unwrapped, so the message can be grepped and read in logs.
            sys.stderr.write(f"error ({type(e).__name__}): {e}\n")
        raise typer.Exit(code=2) from None


def key_value_table(
    title: str, rows: dict[str, Any], fmt: Callable[[Any], str] | None = None
) -> Table:
    """A two-column table for summaries."""
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for k, v in rows.items():
        table.add_row(k, fmt(v) if fmt else (f"{v:.4f}" if isinstance(v, float) else str(v)))
    return table
