"""The Report: one object holding every result of an evaluation, as JSON for machines and as a
self-contained HTML page for people."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from synthrisk.privacy.distance import DCRResult, DistanceRisks
from synthrisk.report import svg
from synthrisk.utility.fidelity import ColumnFidelity, PairFidelity


@dataclass(frozen=True)
class Report:
    """Privacy and utility of one synthetic table against its real training and holdout data.

    Example:
        >>> report = synthrisk.evaluate(train=t, holdout=h, synthetic=s, domain=d)  # doctest: +SKIP
        >>> report.to_html("report.html")  # doctest: +SKIP
    """

    meta: dict[str, Any]
    dcr: DCRResult
    columns: list[ColumnFidelity]
    pairs: list[PairFidelity]
    ledger: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    mia: list[Any] = field(default_factory=list)  # synthrisk.stats.MIAResult per attack
    distance: DistanceRisks | None = None  # every distance-based risk (DCR is also above)

    # --- headline numbers ---------------------------------------------------------------------

    def summary(self) -> dict[str, float]:
        """The few numbers a data steward reads first."""
        out = {
            "closer_to_train": self.dcr.closer_to_train.value,
            "ideal_closer_to_train": self.dcr.ideal_closer_to_train,
            "identical_match_share": self.dcr.identical_match_share.value,
            "median_dcr_train": self.dcr.median_dcr_train.value,
            "median_dcr_holdout": self.dcr.median_dcr_holdout.value,
            "mean_column_distance": float(np.mean([c.distance for c in self.columns])),
            "mean_pair_difference": (
                float(np.mean([p.difference for p in self.pairs])) if self.pairs else 0.0
            ),
        }
        if self.distance is not None:
            out["median_dcr_ratio"] = self.distance.median_dcr_ratio.ratio.value
            out["nnaa_privacy_loss"] = self.distance.nnaa.privacy_loss.value
            out["exposed_training_records"] = float(self.distance.exposure.n_flagged)
        if self.ledger is not None:
            out["epsilon_spent"] = self.ledger["spent"]["epsilon"]
        if self.mia:
            out["mia_max_auc"] = max(r.auc.value for r in self.mia)
            out["mia_max_tpr_at_fpr_0.1"] = max(r.tpr_at_fpr[0.1].value for r in self.mia)
        return out

    # --- output -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "summary": self.summary(),
            "warnings": self.warnings,
            "privacy": {
                "dcr": self.dcr.to_dict(),
                "distance": self.distance.to_dict() if self.distance is not None else None,
                "membership_inference": [r.to_dict() for r in self.mia],
            },
            "utility": {
                "columns": [c.to_dict() for c in self.columns],
                "pairs": [p.to_dict() for p in self.pairs],
            },
            "ledger": self.ledger,
        }

    def to_json(self, path: str | Path | None = None, *, indent: int = 2) -> str:
        """The report as JSON text, also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=_json_default)
        if path is not None:
            Path(path).write_text(text + "\n")
        return text

    def to_html(self, path: str | Path | None = None) -> str:
        """A self-contained HTML page (inline SVG plots, no scripts, opens offline)."""
        page = _render_html(self)
        if path is not None:
            Path(path).write_text(page)
        return page


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _row(*cells: Any, header: bool = False) -> str:
    tag = "th" if header else "td"
    return "<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in cells) + "</tr>"


def _fmt(x: float) -> str:
    return f"{x:.4f}"


def _render_html(report: Report) -> str:
    d = report.dcr
    meta_rows = "".join(_row(k, v) for k, v in report.meta.items())
    warn = "".join(f'<p class="warn">⚠ {html.escape(w)}</p>' for w in report.warnings)
    privacy_rows = "".join(
        [
            _row("measure", "value", "95% interval", "reading", header=True),
            _row(
                "share of synthetic rows closer to train than holdout (ties ½)",
                _fmt(d.closer_to_train.value),
                f"[{_fmt(d.closer_to_train.low)}, {_fmt(d.closer_to_train.high)}]",
                f"no leakage ≈ {_fmt(d.ideal_closer_to_train)}; higher means rows sit near "
                "training records",
            ),
            _row(
                "identical-match share (synthetic rows that copy a training row)",
                _fmt(d.identical_match_share.value),
                f"[{_fmt(d.identical_match_share.low)}, {_fmt(d.identical_match_share.high)}]",
                f"holdout baseline {_fmt(d.identical_match_share_holdout.value)}",
            ),
            _row(
                "median DCR to train / to holdout",
                f"{_fmt(d.median_dcr_train.value)} / {_fmt(d.median_dcr_holdout.value)}",
                "",
                "similar values mean the generator is not closer to its training data",
            ),
        ]
    )
    if d.subsampled:
        privacy_rows += _row(
            "note",
            f"{d.n_queries_used} of {d.n_queries_total} synthetic rows used as queries",
            "",
            "",
        )
    dcr_plot = svg.histograms(
        {"DCR synthetic → train": d.dcr_train, "DCR synthetic → holdout": d.dcr_holdout},
        title="Distance to closest record",
        xlabel="mixed-type distance",
    )
    column_plot = svg.bars(
        [c.column for c in report.columns],
        [c.distance for c in report.columns],
        title="Per-column distance (TVD or KS; 0 = identical)",
    )
    column_rows = _row(
        "column", "kind", "metric", "distance", "null rate real", "null rate synthetic", header=True
    )
    column_rows += "".join(
        _row(
            c.column,
            c.kind,
            c.metric,
            _fmt(c.distance),
            _fmt(c.null_rate_real),
            _fmt(c.null_rate_synthetic),
        )
        for c in report.columns
    )
    worst_pairs = sorted(report.pairs, key=lambda p: -p.difference)[:15]
    pair_rows = _row("pair", "measure", "real", "synthetic", "difference", header=True)
    pair_rows += "".join(
        _row(" × ".join(p.columns), p.measure, _fmt(p.real), _fmt(p.synthetic), _fmt(p.difference))
        for p in worst_pairs
    )
    ledger_html = _ledger_html(report.ledger)
    summary_rows = "".join(_row(k, _fmt(v)) for k, v in report.summary().items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>synthrisk report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 960px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; font-size: 13px; text-align: left; }}
th {{ background: #f3f3f3; }} .warn {{ color: #a40; font-weight: bold; }}
</style></head><body>
<h1>synthrisk: privacy and utility report</h1>
{warn}
<h2>Summary</h2><table>{summary_rows}</table>
<h2>Privacy: distance to closest record</h2><table>{privacy_rows}</table>
{dcr_plot}
{_distance_html(report.distance)}
{_mia_html(report)}
<h2>Privacy budget</h2>{ledger_html}
<h2>Utility: columns</h2>{column_plot}<table>{column_rows}</table>
<h2>Utility: column pairs (largest 15 differences)</h2><table>{pair_rows}</table>
<h2>About this run</h2><table>{meta_rows}</table>
</body></html>
"""


def _ledger_html(ledger: dict[str, Any] | None) -> str:
    if ledger is None:
        return (
            "<p>No generator ledger was given: the synthetic data's privacy budget is unknown.</p>"
        )
    rows = _row("mechanism", "purpose", "parameters", "ρ", "ε alone", header=True)
    rows += "".join(
        _row(
            e["mechanism"],
            e["purpose"],
            ", ".join(f"{k}={v:.4g}" for k, v in e["parameters"].items()),
            f"{e['rho'] * e['count']:.4g}",
            f"{e['epsilon_alone']:.4g}",
        )
        for e in ledger["entries"]
    )
    b, s = ledger["budget"], ledger["spent"]
    public = (
        "public (given by the user)"
        if ledger["domain_public"]
        else "DATA-DERIVED: bounds and categories were read from the data outside the budget"
    )
    reserved = b.get("delta_reserved", 0.0)
    failures = (
        f" δ={reserved:g} of it is set aside for thresholded key releases, which may fail with "
        f"probability {s.get('delta_of_failures', 0.0):.3g} together; the rest is composed at "
        f"δ={b['delta'] - reserved:g}."
        if reserved
        else ""
    )
    return (
        f"<p>Budget ε={b['epsilon']:g}, δ={b['delta']:g} (ρ={b['rho']:.4g}); spent "
        f"ε={s['epsilon']:.4f} (ρ={s['rho']:.4g}) under {html.escape(ledger['accounting'])}."
        f"{failures} Domain: {public}.</p><table>{rows}</table>"
    )


def _mia_html(report: Report) -> str:
    """One subsection per membership-inference attack: its statistics and its ROC curve."""
    if not report.mia:
        return ""
    from synthrisk.privacy.attacks.plot import roc_svg

    def est(e: Any) -> str:
        return f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}]"

    parts = [
        "<h2>Privacy: membership inference</h2>",
        f"<p>{report.mia[0].n_members} members and {report.mia[0].n_nonmembers} non-members "
        "attacked; TPR at FPR &lt; α is max{TPR : FPR &lt; α} over the ROC points (MIDST rule); "
        "intervals are 95% stratified bootstrap; random guessing gives AUC 0.5 and TPR ≈ α.</p>",
    ]
    for r in report.mia:
        rows = _row("measure", "value [95% interval]", header=True)
        rows += _row("AUC", est(r.auc))
        rows += "".join(_row(f"TPR at FPR < {a:g}", est(e)) for a, e in r.tpr_at_fpr.items())
        rows += _row("membership advantage", est(r.advantage))
        if r.epsilon is not None:
            rows += _row("empirical ε lower bound (Clopper–Pearson)", f"{r.epsilon.epsilon:.3f}")
        parts.append(f"<h3>{html.escape(r.attack)}</h3><table>{rows}</table>{roc_svg(r)}")
    return "".join(parts)


def _interval(e: Any) -> str:
    return f"{_fmt(e.value)} [{_fmt(e.low)}, {_fmt(e.high)}]"


def _distance_html(risks: DistanceRisks | None) -> str:
    """The other distance-based measures, and the training records most exposed."""
    if risks is None:
        return ""
    nnaa = risks.nnaa
    rows = _row("measure", "value [95% interval]", "reading", header=True) + "".join(
        [
            _row(
                "median DCR ratio (synthetic→train over train→train, leave-one-out)",
                _interval(risks.median_dcr_ratio.ratio),
                "≈ 1 when synthetic rows are no closer to training records than those are to "
                "each other; well below 1 means copying",
            ),
            _row(
                "NNDR synthetic→train (mean d₁/d₂)",
                _interval(risks.nndr_synthetic_to_train.mean),
                "low values: synthetic rows sit on one training record rather than between several",
            ),
            _row(
                "NNDR train→synthetic (mean d₁/d₂)",
                _interval(risks.nndr_train_to_synthetic.mean),
                "the same seen from the training records",
            ),
            _row(
                "ε-identifiability (share of training records nearer to a synthetic row than to "
                "any other training record, entropy-weighted)",
                _interval(risks.identifiability.epsilon),
                "lower is safer",
            ),
            _row(
                "NNAA privacy loss (NNAA vs holdout − NNAA vs train)",
                _interval(nnaa.privacy_loss),
                "≈ 0 without leakage",
            ),
            _row("authenticity", _interval(risks.authenticity.authenticity), "higher is safer"),
            _row("hitting rate", _interval(risks.hitting_rate.hitting_rate), "lower is safer"),
        ]
    )
    exposure = risks.exposure
    top = exposure.top(10)
    exposed = _row(*top.columns, header=True) + "".join(
        _row(*(_fmt(v) if isinstance(v, float) else v for v in r)) for r in top.iter_rows()
    )
    return (
        f"<h3>Other distance-based measures</h3><table>{rows}</table>"
        f"<h3>Most exposed training records</h3><p>{exposure.n_flagged} training records have a "
        f"synthetic record unusually close (about {_fmt(exposure.expected_by_chance)} expected "
        f"by chance at α = {exposure.alpha:g}).</p><table>{exposed}</table>"
    )
