"""`synthrisk accountant`: ε of a DP-SGD run, and the noise a target (ε, δ) needs."""

from __future__ import annotations

import math
from typing import Any

import typer

from synthrisk.cli._common import JsonOption, emit_json, friendly_errors, key_value_table, stdout

app = typer.Typer(
    help="Privacy accounting of (subsampled) Gaussian mechanisms, e.g. DP-SGD runs.",
    no_args_is_help=True,
)

AccountantOption = typer.Option(
    "rdp", "--accountant", "-a", help="rdp (fast, sub-millisecond) or pld (tightest)."
)
SamplingOption = typer.Option(
    "poisson",
    "--sampling",
    help="poisson (add/remove-one), without_replacement (replace-one; RDP only) or none.",
)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "inf" if math.isinf(v) else f"{v:.6g}"
    return "—" if v is None else str(v)


@app.command()
def epsilon(
    noise_multiplier: float = typer.Option(
        ..., "--noise-multiplier", "-z", help="Noise standard deviation / clipping norm."
    ),
    sample_rate: float = typer.Option(1.0, "--sample-rate", "-q", help="Batch size / records."),
    steps: int = typer.Option(1, "--steps", "-t", help="Number of noisy steps."),
    delta: float = typer.Option(..., "--delta", "-d", help="Target δ, in (0, 1)."),
    accountant: str = AccountantOption,
    sampling: str = SamplingOption,
    discretization: float | None = typer.Option(
        None, "--discretization", help="PLD loss grid interval (default: scaled to the loss)."
    ),
    refine: bool = typer.Option(False, "--refine", help="RDP: search the order continuously."),
    as_json: bool = JsonOption,
) -> None:
    """ε (rounded up) of `steps` subsampled Gaussian steps at δ."""
    from synthrisk.accounting import calibration, make_accountant

    with friendly_errors(as_json):
        step = calibration._dpsgd_step(noise_multiplier, sample_rate, sampling)
        options: dict[str, Any] = {}
        if accountant == "rdp" and refine:
            options["refine"] = True
        if accountant == "pld" and discretization is not None:
            options["discretization"] = discretization
        spent = make_accountant(accountant, **options).compose(step, count=steps)
        r = spent.privacy_spent(delta=delta)
        out = {
            "epsilon": r.epsilon,
            "delta": r.delta,
            "accountant": r.accountant,
            "order": r.order,
            "discretization": r.discretization,
            "conversion": r.conversion,
            "noise_multiplier": noise_multiplier,
            "sample_rate": sample_rate,
            "steps": steps,
            "sampling": sampling,
        }
        if as_json:
            emit_json(out)
            return
        rows = {k: v for k, v in out.items() if v is not None}
        stdout.print(key_value_table("privacy spent", rows, _fmt))


@app.command()
def noise(
    epsilon: float = typer.Option(..., "--epsilon", "-e", help="Target ε."),
    delta: float = typer.Option(..., "--delta", "-d", help="Target δ, in (0, 1)."),
    sample_rate: float = typer.Option(1.0, "--sample-rate", "-q", help="Batch size / records."),
    steps: int = typer.Option(1, "--steps", "-t", help="Number of noisy steps."),
    accountant: str = AccountantOption,
    sampling: str = SamplingOption,
    as_json: bool = JsonOption,
) -> None:
    """The least noise multiplier for `steps` subsampled Gaussian steps to be (ε, δ)-DP."""
    from synthrisk.accounting import calibration, make_accountant

    with friendly_errors(as_json):
        z = calibration.noise_multiplier(
            epsilon=epsilon,
            delta=delta,
            sample_rate=sample_rate,
            steps=steps,
            sampling=sampling,  # type: ignore[arg-type]
            accountant=accountant,
        )
        step = calibration._dpsgd_step(z, sample_rate, sampling)
        achieved = make_accountant(accountant).compose(step, count=steps).get_epsilon(delta)
        out = {
            "noise_multiplier": z,
            "epsilon": achieved,
            "target_epsilon": epsilon,
            "delta": delta,
            "accountant": accountant,
            "sample_rate": sample_rate,
            "steps": steps,
            "sampling": sampling,
        }
        if as_json:
            emit_json(out)
            return
        stdout.print(key_value_table("noise for the target", out, _fmt))
