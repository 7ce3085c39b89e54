"""`synthrisk attack` and `synthrisk score`: membership-inference scores and their statistics."""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl
import typer

from synthrisk.cli._common import JsonOption, QuietOption, emit_json, friendly_errors, stderr
from synthrisk.data import Domain, read_table
from synthrisk.errors import InvalidArgumentError, SynthriskWarning

METHODS = ("domias", "ganleaks", "montecarlo", "logan", "ensemble")
EXTRA = ("domias-mixed", "ganleaks-calibrated", "dcr-difference", "detector", "collision")


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def attack(
    method: str = typer.Option(
        ...,
        "--method",
        "-m",
        help=f"Attack: {', '.join(METHODS)} (also {', '.join(EXTRA)}).",
    ),
    synthetic: Path = typer.Option(
        ..., "--synthetic", help="Synthetic table (CSV, CSV.gz, Parquet)."
    ),
    challenge: Path = typer.Option(..., "--challenge", help="Records to score, same columns."),
    reference: Path | None = typer.Option(
        None, "--reference", help="Real non-members of the same population (DOMIAS, LOGAN, ...)."
    ),
    out: Path = typer.Option(..., "--out", help="Output CSV: one column `score`, challenge order."),
    drop_columns: str | None = typer.Option(
        None, "--drop-columns", help="Comma-separated columns to ignore (identifiers)."
    ),
    domain: Path | None = typer.Option(
        None, "--domain", "-d", help="Domain JSON; inferred from the inputs when omitted."
    ),
    categorical: str | None = typer.Option(
        None, "--categorical", help="Without --domain: comma-separated columns holding codes."
    ),
    shadow: Path | None = typer.Option(
        None,
        "--shadow",
        help="Folder of labelled shadow folders (MIDST train/ layout): trains the ensemble, and "
        "without --reference their training data become the reference population.",
    ),
    save_model: Path | None = typer.Option(
        None, "--save-model", help="Keep the ensemble trained on --shadow in this file."
    ),
    model: Path | None = typer.Option(
        None, "--model", help="Reuse an ensemble saved with --save-model (no retraining)."
    ),
    seed: int | None = typer.Option(0, "--seed"),
    as_json: bool = JsonOption,
    quiet: bool = QuietOption,
) -> None:
    """Score every challenge record with a membership-inference attack.

    Example: synthrisk attack -m domias --synthetic s.csv --challenge c.csv --reference r.csv
    --out scores.csv
    """
    from synthrisk.privacy.attacks import (
        Ensemble,
        load_shadow_dir,
        make_attack,
        reference_from_frames,
    )

    with friendly_errors(as_json):
        name = method.lower().replace("_", "-")
        if (save_model or model) and name != "ensemble":
            raise InvalidArgumentError("--save-model and --model go with --method ensemble")
        drops = _split(drop_columns)
        dom = Domain.from_json(domain) if domain is not None else None
        s, c = read_table(synthetic), read_table(challenge)
        r = read_table(reference) if reference is not None else None
        params = {
            "domain": dom,
            "drop_columns": tuple(drops),
            "categorical": tuple(_split(categorical)),
            "seed": seed,
        }
        shadows = None
        att = Ensemble.load(model) if model is not None else make_attack(name, **params)
        if shadow is not None:
            if not quiet:
                stderr.print(f"reading shadow folders under {shadow}")
            shadows = load_shadow_dir(shadow)
            if model is None and isinstance(att, Ensemble):
                att.fit_shadow(shadows, r, progress=not quiet)
                if save_model is not None:
                    att.save(save_model)
        if r is None and shadows is not None:
            trains = [sh.train for sh in shadows if sh.train is not None]
            if not trains:
                raise InvalidArgumentError(
                    "no --reference and the shadow folders hold no training data to build one from"
                )
            r = reference_from_frames(
                trains, exclude=[c, *(sh.challenge for sh in shadows)], drop=drops
            )
            if not quiet:
                stderr.print(f"reference population: {r.height} rows from the shadow training data")
        if save_model is not None and shadow is None:
            raise InvalidArgumentError("--save-model needs --shadow (the data to train on)")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SynthriskWarning)
            scores = att.fit(s, r).score(c)
        for w in caught:
            stderr.print(f"warning: {w.message}")
        out.parent.mkdir(parents=True, exist_ok=True)
        pl.DataFrame({"score": scores}).write_csv(out)
        payload = {
            "method": name,
            "out": str(out),
            "n_scores": int(scores.size),
            "warnings": [str(w.message) for w in caught],
        }
        if model is None and save_model is not None:
            payload["model"] = str(save_model)
        if as_json:
            emit_json(payload)
        elif not quiet:
            stderr.print(f"{scores.size} scores written to {out}")


def score(
    labels: Path = typer.Option(..., "--labels", help="0/1 membership labels (one column)."),
    scores: Path = typer.Option(..., "--scores", help="Scores (column `score`), same order."),
    boot: int = typer.Option(1000, "--boot", help="Bootstrap replicates for the intervals."),
    seed: int | None = typer.Option(0, "--seed"),
    as_json: bool = JsonOption,
) -> None:
    """AUC, TPR at FPR < 0.001/0.01/0.1 (MIDST rule), advantage and an empirical ε bound.

    Example: synthrisk score --labels challenge_label.csv --scores scores.csv
    """
    from synthrisk.privacy.attacks.shadow import read_labels
    from synthrisk.stats import mia_statistics

    with friendly_errors(as_json):
        y = read_labels(labels)
        table = read_table(scores)
        column = "score" if "score" in table.columns else None
        if column is None:
            if table.width != 1:
                raise InvalidArgumentError(f"{scores}: no `score` column among {table.columns}")
            column = table.columns[0]
        s = table.get_column(column).cast(pl.Float64).to_numpy()
        result = mia_statistics(y, s, attack=str(scores.name), n_boot=boot, seed=seed)
        if as_json:
            emit_json(result.to_dict(curve_points=100))
            return
        from rich.table import Table

        t = Table(title=f"membership inference: {scores.name}")
        for col in ("measure", "value", "95% interval"):
            t.add_column(col)
        t.add_row(
            "AUC", f"{result.auc.value:.4f}", f"[{result.auc.low:.4f}, {result.auc.high:.4f}]"
        )
        for a, e in result.tpr_at_fpr.items():
            t.add_row(f"TPR at FPR < {a:g}", f"{e.value:.4f}", f"[{e.low:.4f}, {e.high:.4f}]")
        adv = result.advantage
        t.add_row("membership advantage", f"{adv.value:.4f}", f"[{adv.low:.4f}, {adv.high:.4f}]")
        if result.epsilon is not None:
            t.add_row(
                "empirical ε lower bound", f"{result.epsilon.epsilon:.4f}", "95% (Clopper–Pearson)"
            )
        t.add_row("members / non-members", f"{result.n_members} / {result.n_nonmembers}", "")
        stderr.print(t)


def register(app: typer.Typer) -> None:
    """Adds `attack` and `score` to the `synthrisk` command line."""
    app.command()(attack)
    app.command()(score)
