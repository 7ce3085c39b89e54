"""Accounting: synthrisk against opacus and dp_accounting, side by side in one run.

The DP-SGD reference point: noise multiplier σ = 1.1, sampling rate q = 256/60000, 14,040 steps,
δ = 1e-5 (MNIST, 60 epochs of batches of 256).

* RDP ε query: opacus ``RDPAccountant.get_epsilon``, dp_accounting ``RdpAccountant`` and ours.
* PLD ε query: dp_accounting ``PLDAccountant`` and ours at the same grid interval (1e-3, 1e-4),
  and ours at its default interval. The error is measured against the true ε, 2.379554
  (our PLD upper bounds converge to it quadratically: 2.3795554 at h = 1e-5).
* Noise calibration for ε = 2: opacus ``get_noise_multiplier`` (its default ε tolerance 0.01)
  and ours (relative σ tolerance 1e-6).

Times are the best of several repeats (the machine is shared; the best is the least disturbed).
Usage: ``python benches/python/bench_accounting.py [--quick]``.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

SIGMA, Q, STEPS, DELTA = 1.1, 256 / 60000, 14040, 1e-5
TRUE_EPSILON = 2.379554


def best_time(fn: Callable[[], Any], repeats: int, min_time: float = 0.0) -> tuple[float, Any]:
    """Best wall time of ``repeats`` calls (more while under ``min_time`` in total)."""
    best, out, total, n = float("inf"), None, 0.0, 0
    while n < repeats or total < min_time:
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        best, total, n = min(best, dt), total + dt, n + 1
        if n >= 10 * repeats:
            break
    return best, out


def fmt_time(s: float) -> str:
    return f"{s * 1e6:8.1f} µs" if s < 1e-3 else f"{s * 1e3:8.2f} ms"


def main(quick: bool) -> None:
    import dp_accounting as dpa
    from dp_accounting.pld.pld_privacy_accountant import PLDAccountant
    from dp_accounting.rdp.rdp_privacy_accountant import RdpAccountant as DpaRdp
    from opacus.accountants import RDPAccountant
    from opacus.accountants.utils import get_noise_multiplier

    import synthrisk.accounting as acc

    reps = 3 if quick else 10
    rows: list[tuple[str, str, float, float, str]] = []  # task, tool, seconds, value, note
    mech = acc.PoissonSampledGaussian(SIGMA, Q, count=STEPS)
    event = dpa.SelfComposedDpEvent(dpa.PoissonSampledDpEvent(Q, dpa.GaussianDpEvent(SIGMA)), STEPS)

    # RDP ε
    def opacus_rdp() -> float:
        a = RDPAccountant()
        a.history = [(SIGMA, Q, STEPS)]
        return a.get_epsilon(DELTA)

    def dpa_rdp() -> float:
        return DpaRdp().compose(event).get_epsilon(DELTA)

    ours_rdp = acc.RdpAccountant().compose(mech)
    t_op, e_op = best_time(opacus_rdp, reps)
    t_dr, e_dr = best_time(dpa_rdp, reps)
    t_us, e_us = best_time(lambda: ours_rdp.get_epsilon(DELTA), 10 * reps, min_time=0.2)
    rows += [
        ("RDP ε", "opacus 1.6 RDPAccountant", t_op, e_op, "orders 1.1…63"),
        ("RDP ε", "dp_accounting RdpAccountant", t_dr, e_dr, "orders 1.1…1024"),
        ("RDP ε", "synthrisk RdpAccountant", t_us, e_us, "orders 1.1…4096, certified search"),
    ]
    t_ref, e_ref = best_time(
        lambda: acc.RdpAccountant(refine=True).compose(mech).get_epsilon(DELTA), reps
    )
    rows.append(("RDP ε", "synthrisk, refine=True", t_ref, e_ref, "continuous order search"))

    # PLD ε
    for h in (1e-3, 1e-4):

        def dpa_pld(h: float = h) -> float:
            return PLDAccountant(value_discretization_interval=h).compose(event).get_epsilon(DELTA)

        t_dp, e_dp = best_time(dpa_pld, 1 if (quick or h < 1e-3) else 3)
        ours = acc.PldAccountant(discretization=h).compose(mech)
        t_o, e_o = best_time(lambda ours=ours: ours.get_epsilon(DELTA), reps)
        rows += [
            (
                "PLD ε",
                f"dp_accounting PLDAccountant h={h:g}",
                t_dp,
                e_dp,
                f"error {e_dp - TRUE_EPSILON:+.2e}",
            ),
            (
                "PLD ε",
                f"synthrisk PldAccountant h={h:g}",
                t_o,
                e_o,
                f"error {e_o - TRUE_EPSILON:+.2e}",
            ),
        ]
    auto = acc.PldAccountant().compose(mech)
    t_a, r_a = best_time(lambda: auto.privacy_spent(delta=DELTA), reps)
    rows.append(
        (
            "PLD ε",
            f"synthrisk PldAccountant (h={r_a.discretization:.2g})",
            t_a,
            r_a.epsilon,
            f"error {r_a.epsilon - TRUE_EPSILON:+.2e}",
        )
    )

    # Noise calibration
    def opacus_noise() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return get_noise_multiplier(
                target_epsilon=2.0, target_delta=DELTA, sample_rate=Q, steps=STEPS, accountant="rdp"
            )

    t_on, z_on = best_time(opacus_noise, 1 if quick else 3)
    t_un, z_un = best_time(
        lambda: acc.noise_multiplier(epsilon=2.0, delta=DELTA, sample_rate=Q, steps=STEPS), reps
    )
    e_on = acc.get_epsilon(acc.PoissonSampledGaussian(z_on, Q, count=STEPS), DELTA)
    e_un = acc.get_epsilon(acc.PoissonSampledGaussian(z_un, Q, count=STEPS), DELTA)
    rows += [
        ("noise for ε=2", "opacus get_noise_multiplier", t_on, z_on, f"spends ε={e_on:.4f}"),
        ("noise for ε=2", "synthrisk noise_multiplier", t_un, z_un, f"spends ε={e_un:.6f}"),
    ]
    t_pn, z_pn = best_time(
        lambda: acc.noise_multiplier(
            epsilon=2.0, delta=DELTA, sample_rate=Q, steps=STEPS, accountant="pld"
        ),
        1,
    )
    rows.append(("noise for ε=2", "synthrisk noise_multiplier, PLD", t_pn, z_pn, "tightest"))

    print(
        f"DP-SGD reference point: σ={SIGMA}, q=256/60000, {STEPS} steps, δ={DELTA:g}; "
        f"true ε = {TRUE_EPSILON}\n"
    )
    print(f"{'task':14} {'tool':42} {'time':>12} {'value':>12}  note")
    for task, tool, t, v, note in rows:
        print(f"{task:14} {tool:42} {fmt_time(t):>12} {v:12.6f}  {note}")

    print("\nratios (theirs / ours):")
    print(f"  RDP ε     vs opacus:        {t_op / t_us:8.0f}×  (ε {e_us:.6f} vs {e_op:.6f})")
    print(f"  RDP ε     vs dp_accounting: {t_dr / t_us:8.0f}×  (ε {e_us:.6f} vs {e_dr:.6f})")
    pld_rows = [r for r in rows if r[0] == "PLD ε"]
    for i in (0, 2):
        (_, _, td, ed, _), (_, _, to, eo, _) = pld_rows[i], pld_rows[i + 1]
        h = pld_rows[i][1].split("h=")[1]
        print(
            f"  PLD ε h={h:6} vs dp_accounting h={h:6}: {td / to:6.1f}×  "
            f"(error {eo - TRUE_EPSILON:.3e} vs {ed - TRUE_EPSILON:.3e})"
        )
    (_, _, td, ed, _), (_, _, ta, ea, _) = pld_rows[2], pld_rows[4]
    print(
        f"  PLD ε default  vs dp_accounting h=0.0001: {td / ta:6.1f}×  "
        f"(error {ea - TRUE_EPSILON:.3e} vs {ed - TRUE_EPSILON:.3e})"
    )
    print(f"  noise     vs opacus:        {t_on / t_un:8.0f}×  (σ {z_un:.6f} vs {z_on:.6f})")


if __name__ == "__main__":
    main("--quick" in sys.argv)
