"""`synthrisk demo`: the main job end to end on a bundled real health table."""

from __future__ import annotations

from pathlib import Path

import typer

from synthrisk.cli._common import (
    JsonOption,
    QuietOption,
    emit_json,
    friendly_errors,
    key_value_table,
    stdout,
)


def demo(
    out: Path = typer.Option(Path("demo-output"), "--out", help="Folder for the reports."),
    dataset: str = typer.Option("covid_testing", "--dataset", help="Bundled data set to use."),
    epsilon: float = typer.Option(1.0, "--epsilon", help="Privacy budget ε of the generator."),
    delta: float = typer.Option(1e-6, "--delta", help="Privacy budget δ."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, the noise and the sampling."),
    as_json: bool = JsonOption,
    quiet: bool = QuietOption,
) -> None:
    """Split a real health table, fit a private generator (AIM), sample, evaluate, write reports."""
    import numpy as np

    from synthrisk import datasets
    from synthrisk.evaluation import evaluate
    from synthrisk.generators import AIM
    from synthrisk.progress import Progress

    with friendly_errors(as_json):
        with Progress(enabled=not quiet) as bar:
            bar.step(f"loading {dataset}")
            df, domain = datasets.load(dataset)
            # Two thirds train the generator; the rest is the holdout every risk is compared with.
            order = np.random.default_rng(seed).permutation(df.height)
            cut = df.height * 2 // 3
            train, holdout = df[order[:cut]], df[order[cut:]]
            bar.step(f"fitting AIM at ε={epsilon:g} (all 3-way marginals as its workload)")
            model = AIM(epsilon=epsilon, delta=delta, domain=domain, seed=seed)
            model.fit(train)
            bar.step("sampling")
            synthetic = model.sample(train.height, seed=seed)
        report = evaluate(
            train=train,
            holdout=holdout,
            synthetic=synthetic,
            domain=domain,
            generator=model,
            seed=seed,
            progress=not quiet,
        )
        out.mkdir(parents=True, exist_ok=True)
        report.to_json(out / "report.json")
        report.to_html(out / "report.html")
        files = [str(out / "report.html"), str(out / "report.json")]
        if as_json:
            emit_json({"summary": report.summary(), "files": files})
            return
        stdout.print(key_value_table(f"synthrisk demo: {dataset}, {model!r}", report.summary()))
        stdout.print(f"reports: {files[0]} and {files[1]}")
