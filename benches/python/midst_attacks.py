"""Membership-inference attacks on the MIDST TabDDPM black-box data, leaving models out.

For each of the 30 TabDDPM models (``train/tabddpm_N``), every attack scores the model's 200
challenge records using only that model's synthetic data and a reference population built from
the *other* models' training data (minus every record of the challenge pool, which is
label-neutral). The learned ensemble is trained on the features of the models of the other folds
only (k-fold over models). Scores are pooled over all models and scored as in the challenge:
TPR at FPR < 0.1 = max{TPR_i : FPR_i < 0.1}, with a stratified bootstrap interval.

    .venv/bin/python benches/python/midst_attacks.py            # all 30 models, 5 folds
    .venv/bin/python benches/python/midst_attacks.py --models 6 # a quicker look

The data lives in ../shared/data/midst-tabddpm-blackbox relative to the repository root.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

from synthrisk import Domain
from synthrisk.privacy.attacks import (
    Ensemble,
    ReferenceOverlapWarning,
    load_shadow_folder,
    make_attack,
    reference_from_frames,
)
from synthrisk.privacy.attacks.classifier import limit_threads
from synthrisk.privacy.attacks.ensemble import default_meta_model
from synthrisk.stats import mia_statistics

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "midst-tabddpm-blackbox"
IDS = ["trans_id", "account_id"]

#: Public knowledge about the Berka transactions table: kinds, bounds and code lists.
DOMAIN = Domain.from_dict(
    {
        "columns": {
            "trans_date": {"kind": "continuous", "lower": 0, "upper": 2200},
            "trans_type": {"kind": "categorical", "categories": [0, 1, 2]},
            "operation": {"kind": "categorical", "categories": list(range(6))},
            "amount": {"kind": "continuous", "lower": 0, "upper": 90000},
            "balance": {"kind": "continuous", "lower": -45000, "upper": 215000},
            "k_symbol": {"kind": "categorical", "categories": list(range(9))},
            "bank": {"kind": "categorical", "categories": list(range(14))},
            "account": {"kind": "continuous", "lower": 0, "upper": 100_000_000},
        }
    }
)

#: Attacks scored from their own classes (the rest come from the ensemble's features, which
#: run the same classes with the same settings).
DIRECT = ["domias-mixed", "ganleaks", "ganleaks-calibrated", "dcr-difference", "montecarlo"]
FROM_FEATURES = {
    "domias": lambda x, n: x[:, n.index("domias")],
    "domias-scott (reference)": lambda x, n: x[:, n.index("domias_scott")],
    "logan": lambda x, n: x[:, n.index("logan")],
    "collision": lambda x, n: x[:, n.index("collisions")],
}


def compute(models: list[int], cache: Path, seed: int) -> dict:
    cache.mkdir(parents=True, exist_ok=True)
    shadows = {m: load_shadow_folder(DATA / "train" / f"tabddpm_{m}") for m in models}
    pool = pl.read_csv(DATA / "challenge_points_all.csv.gz")
    all_models = sorted(
        int(p.name.split("_")[-1]) for p in (DATA / "train").iterdir() if p.is_dir()
    )
    trains = {
        m: pl.read_csv(DATA / "train" / f"tabddpm_{m}" / "train_with_id.csv.gz") for m in all_models
    }
    ens = Ensemble(domain=DOMAIN, drop_columns=IDS, seed=seed)
    out: dict = {}
    for m in models:
        f = cache / f"tabddpm_{m}.npz"
        if f.exists():
            z = np.load(f, allow_pickle=False)
            out[m] = {
                "features": z["features"],
                "names": [str(s) for s in z["names"]],
                "labels": z["labels"],
                "scores": {k[7:]: z[k] for k in z.files if k.startswith("scores_")},
                "seconds": float(z["seconds"]),
            }
            continue
        t0 = time.perf_counter()
        sh = shadows[m]
        reference = reference_from_frames(
            [trains[o] for o in all_models if o != m], exclude=[pool], drop=IDS
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error", ReferenceOverlapWarning)
            x, names = ens.features(sh.synthetic, reference, sh.challenge)
            scores = {
                name: make_attack(name, domain=DOMAIN, drop_columns=IDS, seed=seed)
                .fit(sh.synthetic, reference)
                .score(sh.challenge)
                for name in DIRECT
            }
        for name, pick in FROM_FEATURES.items():
            scores[name] = pick(x, names)
        seconds = time.perf_counter() - t0
        np.savez(
            f,
            features=x,
            names=np.array(names),
            labels=sh.labels,
            seconds=seconds,
            **{f"scores_{k}": v for k, v in scores.items()},
        )
        out[m] = {
            "features": x,
            "names": names,
            "labels": sh.labels,
            "scores": scores,
            "seconds": seconds,
        }
        print(f"tabddpm_{m}: reference {reference.height} rows, {seconds:.1f} s", flush=True)
    return out


def leave_models_out(data: dict, folds: int, seed: int) -> np.ndarray:
    models = sorted(data)
    order = np.random.default_rng(seed).permutation(len(models))
    fold_of = {models[i]: j % folds for j, i in enumerate(order)}
    pred = {}
    for k in range(folds):
        train = [m for m in models if fold_of[m] != k]
        test = [m for m in models if fold_of[m] == k]
        x = np.concatenate([data[m]["features"] for m in train])
        y = np.concatenate([data[m]["labels"] for m in train])
        with limit_threads(1):
            model = default_meta_model(seed).fit(x, y)
        for m in test:
            with limit_threads(1):
                p = model.predict_proba(data[m]["features"])[:, 1]
            p = np.clip(p, 1e-12, 1 - 1e-12)
            pred[m] = np.log(p) - np.log1p(-p)
    return np.concatenate([pred[m] for m in models])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=30, help="use models 1..N")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/synthrisk-midst-cache"))
    ap.add_argument("--out", type=Path, default=ROOT / "benches" / "results" / "midst_attacks.json")
    ap.add_argument("--svg", type=Path, default=ROOT / "benches" / "midst_attacks_roc.svg")
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = compute(list(range(1, args.models + 1)), args.cache, args.seed)
    models = sorted(data)
    labels = np.concatenate([data[m]["labels"] for m in models])
    results = {}
    for name in [*DIRECT, *FROM_FEATURES]:
        scores = np.concatenate([data[m]["scores"][name] for m in models])
        results[name] = mia_statistics(
            labels, scores, attack=name, n_boot=args.boot, seed=args.seed
        )
    results["ensemble"] = mia_statistics(
        labels,
        leave_models_out(data, args.folds, args.seed),
        attack="ensemble",
        n_boot=args.boot,
        seed=args.seed,
    )
    print(
        f"\n{len(models)} models, {labels.size} challenge records, "
        f"{args.folds}-fold leave-models-out"
    )
    print(f"{'attack':22s} {'TPR@FPR<0.1':>22s} {'TPR@FPR<0.01':>12s} {'AUC':>20s}")
    for name, r in sorted(results.items(), key=lambda kv: -kv[1].tpr_at_fpr[0.1].value):
        t = r.tpr_at_fpr[0.1]
        print(
            f"{name:22s} {t.value:6.3f} [{t.low:.3f}, {t.high:.3f}] "
            f"{r.tpr_at_fpr[0.01].value:12.3f} "
            f"{r.auc.value:6.3f} [{r.auc.low:.3f}, {r.auc.high:.3f}]"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "models": models,
        "folds": args.folds,
        "seed": args.seed,
        "n_challenge": int(labels.size),
        "seconds_total": time.perf_counter() - t0,
        "seconds_per_model_features": float(np.mean([data[m]["seconds"] for m in models])),
        "results": {k: v.to_dict(curve_points=400) for k, v in results.items()},
    }
    args.out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"written {args.out}")
    if args.svg is not None:
        from synthrisk.privacy.attacks.plot import roc_svg_many

        ordered = sorted(results.values(), key=lambda r: -r.tpr_at_fpr[0.1].value)
        args.svg.write_text(
            roc_svg_many(
                ordered,
                title=f"MIDST TabDDPM, {len(models)} models pooled, leave-models-out "
                "(legend: TPR at FPR < 0.1)",
            )
        )
        print(f"written {args.svg}")


if __name__ == "__main__":
    main()
