"""``evaluate``: the privacy and utility of one synthetic table, in one Report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from synthrisk.data.domain import Domain
from synthrisk.data.frames import to_polars
from synthrisk.errors import SchemaError
from synthrisk.generators.base import Generator
from synthrisk.privacy.distance import distance_risks
from synthrisk.progress import Progress
from synthrisk.report import Report
from synthrisk.utility.fidelity import column_fidelity, pair_fidelity


def evaluate(
    *,
    train: Any,
    holdout: Any,
    synthetic: Any,
    domain: Domain,
    generator: Generator | None = None,
    max_queries: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
    challenge: Any | None = None,
    labels: Any | None = None,
    attacks: Sequence[str] | None = None,
    reference: Any | None = None,
) -> Report:
    """Measures privacy risk and utility of ``synthetic`` against real ``train`` and ``holdout``.

    ``train`` is the data the generator saw; ``holdout`` is real data from the same population
    that it never saw, the baseline every distance is compared with. Values are checked against
    the public ``domain`` (out-of-bounds values are clipped for distances).

    With ``challenge`` records and their membership ``labels`` (1 = in ``train``), the report
    adds a membership-inference section: each of ``attacks`` (default
    ``synthrisk.privacy.attacks.exercise.DEFAULT_ATTACKS``) scores the challenge records, with
    ROC, AUC, TPR at FPR < 0.001/0.01/0.1 and an empirical ε bound. The attacks' reference
    population is ``reference`` or, by default, the holdout minus any challenge records.

    Example:
        >>> import synthrisk
        >>> df, domain = synthrisk.datasets.load("covid_testing")  # doctest: +SKIP
        >>> train, holdout = df[:10000], df[10000:]  # doctest: +SKIP
        >>> model = synthrisk.IndependentMarginals(epsilon=1, domain=domain)  # doctest: +SKIP
        >>> synthetic = model.fit(train).sample(5000)  # doctest: +SKIP
        >>> report = synthrisk.evaluate(train=train, holdout=holdout,
        ...                             synthetic=synthetic, domain=domain)  # doctest: +SKIP
        >>> report.summary()["closer_to_train"]  # doctest: +SKIP
    """
    with Progress(enabled=progress) as bar:
        bar.step("checking inputs")
        frames = {
            name: domain.validate(to_polars(data, what=name), what=name, out_of_bounds="clip")
            for name, data in (("train", train), ("holdout", holdout), ("synthetic", synthetic))
        }
        if generator is not None and generator.domain_.names != domain.names:
            raise SchemaError("the generator was fitted on other columns than the domain lists")
        bar.step("distance-based risks (exact nearest neighbours)")
        risks = distance_risks(
            frames["synthetic"],
            frames["train"],
            frames["holdout"],
            domain=domain,
            max_queries=max_queries,
            seed=seed,
            n_jobs=n_jobs,
        )
        dcr_result = risks.dcr
        bar.step("column fidelity")
        columns = column_fidelity(frames["train"], frames["synthetic"], domain)
        bar.step("pair fidelity")
        pairs = pair_fidelity(frames["train"], frames["synthetic"], domain)
        mia, mia_notes = [], []
        if challenge is not None or labels is not None:
            bar.step("membership-inference attacks")
            mia, mia_notes = _membership(
                frames, domain, challenge, labels, attacks, reference, seed, n_jobs
            )
    warnings = []
    if domain.data_derived:
        warnings.append(
            "The domain was inferred from the data: its bounds and categories are not private."
        )
    if generator is not None and not generator.ledger_.domain_public:
        warnings.append("The generator used a data-derived domain: its DP guarantee is incomplete.")
    if dcr_result.subsampled:
        warnings.append(
            f"DCR used {dcr_result.n_queries_used} of {dcr_result.n_queries_total} synthetic rows."
        )
    warnings += mia_notes
    from synthrisk import __version__

    meta = {
        "synthrisk_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows_train": frames["train"].height,
        "rows_holdout": frames["holdout"].height,
        "rows_synthetic": frames["synthetic"].height,
        "columns": len(domain),
        "domain_public": not domain.data_derived,
        "distance": "mixed: mean over columns of min(|Δ|/public range, 1) and 0/1 mismatch",
    }
    if generator is not None:
        meta["generator"] = repr(generator)
    return Report(
        meta=meta,
        dcr=dcr_result,
        distance=risks,
        columns=columns,
        pairs=pairs,
        ledger=generator.ledger_.to_dict() if generator is not None else None,
        warnings=warnings,
        mia=mia,
    )


def _membership(
    frames: dict[str, Any],
    domain: Domain,
    challenge: Any,
    labels: Any,
    attacks: Sequence[str] | None,
    reference: Any | None,
    seed: int | None,
    n_jobs: int | None,
) -> tuple[list[Any], list[str]]:
    from synthrisk.errors import InvalidArgumentError
    from synthrisk.privacy.attacks.exercise import DEFAULT_ATTACKS, membership_exercise

    if challenge is None or labels is None:
        raise InvalidArgumentError(
            "pass both challenge= (records to attack) and labels= (1 = in train, 0 = not)"
        )
    c = domain.validate(to_polars(challenge, what="challenge"), what="challenge",
                        out_of_bounds="clip")  # fmt: skip
    r = frames["holdout"] if reference is None else domain.validate(
        to_polars(reference, what="reference"), what="reference", out_of_bounds="clip"
    )  # fmt: skip
    return membership_exercise(
        synthetic=frames["synthetic"],
        challenge=c,
        labels=labels,
        reference=r,
        domain=domain,
        attacks=tuple(attacks) if attacks is not None else DEFAULT_ATTACKS,
        seed=seed,
        n_jobs=n_jobs,
    )
