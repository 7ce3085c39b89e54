"""The `synthrisk` command line.

Every command accepts ``--json`` and then prints one JSON object on stdout; progress goes to
stderr. Errors print one line and exit with code 2.
"""

from __future__ import annotations

import typer

from synthrisk.cli import datasets, domain
from synthrisk.cli.demo import demo
from synthrisk.cli.evaluate import evaluate
from synthrisk.cli.generate import generate

app = typer.Typer(
    name="synthrisk",
    help="Private synthetic tabular data, and the privacy risk left in it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(generate)
app.command()(evaluate)
app.command()(demo)
app.add_typer(domain.app, name="domain")
app.add_typer(datasets.app, name="datasets")


def _add_optional_commands() -> None:
    # Commands written alongside the engines they drive. A module either defines
    # `register(app)` (top-level commands) or `app` (a sub-command group of that name).
    import importlib

    for name in ("accountant", "attack"):
        module = f"synthrisk.cli.{name}"
        try:
            sub = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        if hasattr(sub, "register"):
            sub.register(app)
        else:
            app.add_typer(sub.app, name=name)


_add_optional_commands()


def main() -> None:
    """Entry point of the `synthrisk` script."""
    app()
