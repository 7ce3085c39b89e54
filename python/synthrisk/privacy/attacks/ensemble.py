"""A learned attack: per-record features from every other attack, combined by a model trained on
labelled shadow data."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from synthrisk.data.domain import Domain
from synthrisk.errors import InvalidArgumentError, ModelFileError, SynthriskWarning
from synthrisk.privacy.attacks._tables import TableEncoder, as_frame
from synthrisk.privacy.attacks.base import Attack
from synthrisk.privacy.attacks.classifier import Logan, gradient_boosting, limit_threads
from synthrisk.privacy.attacks.distance import GANLeaks
from synthrisk.privacy.attacks.domias import DOMIAS
from synthrisk.privacy.attacks.shadow import ShadowSet, reference_from_frames
from synthrisk.progress import Progress

_FORMAT = "synthrisk.attack.ensemble"
_VERSION = 1


class RecordFeatures:
    """Per-record membership features of records against one synthetic table and one reference
    population (the Domain is fixed beforehand so that features mean the same for every model).

    Features: mixed-type distances to the 1st…``k``-th synthetic neighbours and to the
    1st…``reference_k``-th reference neighbours, their ratios and differences, the
    nearest-neighbour distance ratio (NNDR) on both sides, how many synthetic rows lie closer
    than the 1st / 5th reference neighbour, exact collisions, per-column differences to the
    nearest synthetic and reference rows, DOMIAS log-densities and ratio (also at Scott's
    bandwidth), the LOGAN classifier's log-odds, and the record's own encoded values.
    """

    def __init__(
        self,
        encoder: TableEncoder,
        *,
        k: int = 50,
        reference_k: int = 10,
        density: str | None = "kde",
        classifier: bool = True,
        record_features: bool = True,
        classifier_rows: int = 20_000,
        n_jobs: int | None = None,
        seed: int | None = None,
    ) -> None:
        self.encoder = encoder
        self.k = k
        self.reference_k = reference_k
        self.density = density
        self.classifier = classifier
        self.record_features = record_features
        self.classifier_rows = classifier_rows
        self.n_jobs = n_jobs
        self.seed = seed

    def fit(self, synthetic: pl.DataFrame, reference: pl.DataFrame) -> RecordFeatures:
        common = {
            "domain": self.encoder.domain_,
            "scale": self.encoder.scale,
            "n_jobs": self.n_jobs,
            "seed": self.seed,
        }
        self.distance_ = GANLeaks(**common).fit(synthetic, reference)
        self.domias_ = (
            None
            if self.density is None
            else DOMIAS(density=self.density, **common).fit(synthetic, reference)
        )
        self.domias_smooth_ = (
            None
            if self.density is None
            else DOMIAS(density=self.density, bandwidth_scale=1.0, **common).fit(
                synthetic, reference
            )
        )
        self.logan_ = (
            Logan(max_rows=self.classifier_rows, **common).fit(synthetic, reference)
            if self.classifier
            else None
        )
        return self

    def transform(self, records: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
        block = self.distance_.encoder_.block(records)
        d_s, i_s = self.distance_.knn(block, self.k)
        d_r, i_r = self.distance_.knn(block, self.reference_k, "reference")
        k, kr = d_s.shape[1], d_r.shape[1]
        cols: list[np.ndarray] = []
        names: list[str] = []

        def add(name: str, values: np.ndarray) -> None:
            cols.append(np.asarray(values, dtype=np.float64))
            names.append(name)

        for j in range(k):
            add(f"d_synthetic_{j + 1}", d_s[:, j])
        for j in range(kr):
            add(f"d_reference_{j + 1}", d_r[:, j])
        tiny = 1e-9
        for j in sorted({0, min(4, kr - 1), kr - 1}):
            add(f"ratio_{j + 1}", (d_s[:, j] + tiny) / (d_r[:, j] + tiny))
            add(f"difference_{j + 1}", d_r[:, j] - d_s[:, j])
        add("nndr_synthetic", (d_s[:, 0] + tiny) / (d_s[:, min(1, k - 1)] + tiny))
        add("nndr_reference", (d_r[:, 0] + tiny) / (d_r[:, min(1, kr - 1)] + tiny))
        add("n_synthetic_within_r1", (d_s <= d_r[:, [0]]).sum(axis=1))
        add("n_synthetic_within_r5", (d_s <= d_r[:, [min(4, kr - 1)]]).sum(axis=1))
        add("collisions", (d_s == 0).sum(axis=1))
        # per column: how the nearest synthetic / reference row differs from the record
        for side, idx in (("synthetic", i_s[:, 0]), ("reference", i_r[:, 0])):
            ref = (
                self.distance_.synthetic_block_
                if side == "synthetic"
                else self.distance_.reference_block_
            )
            assert ref is not None
            for j, name in enumerate(block.numeric_columns):
                add(f"delta_{side}:{name}", np.abs(block.numeric[:, j] - ref.numeric[idx, j]))
            for j, name in enumerate(block.categorical_columns):
                add(f"match_{side}:{name}", block.codes[:, j] == ref.codes[idx, j])
        if self.domias_ is not None:
            log_s, log_r = self.domias_.log_densities(records)
            add("log_density_synthetic", log_s)
            add("log_density_reference", log_r)
            add("domias", log_s - log_r)
        if self.domias_smooth_ is not None:
            log_s, log_r = self.domias_smooth_.log_densities(records)
            add("domias_scott", log_s - log_r)
        if self.logan_ is not None:
            add("logan", self.logan_._score(records))
        if self.record_features:
            x = self.encoder.matrix(self.encoder.block(records))
            for j, name in enumerate(self.encoder.matrix_names()):
                add(f"record:{name}", x[:, j])
        return np.column_stack(cols), names


class Ensemble(Attack):
    """Learns to combine per-record features (see :class:`RecordFeatures`) from labelled shadow
    data: ``fit_shadow(shadows)`` trains a gradient-boosted model on the challenge records of
    shadow generators; ``fit(synthetic, reference)`` then prepares the target and
    ``score(records)`` applies the model.

    Without shadow training the score is the mean percentile rank of DOMIAS, calibrated
    GAN-leaks and LOGAN over the scored records (a fixed, unlearned combination), with a warning.

    Args:
        k, reference_k: neighbours used on the synthetic / reference side.
        density: DOMIAS density (``"kde"``, ``"mixed"`` or None to skip).
        classifier: include the LOGAN classifier's output.
        record_features: include the record's own encoded values.
        meta_model: the combining model (default: gradient boosting, shallow and regularised).
    """

    name = "ensemble"
    needs_reference = True

    def __init__(
        self,
        *,
        k: int = 50,
        reference_k: int = 10,
        density: str | None = "kde",
        classifier: bool = True,
        record_features: bool = True,
        meta_model: Any | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.k = k
        self.reference_k = reference_k
        self.density = density
        self.classifier = classifier
        self.record_features = record_features
        self.meta_model = meta_model

    # --- training on shadow data ------------------------------------------------------------

    def _features(self, encoder: TableEncoder) -> RecordFeatures:
        return RecordFeatures(
            encoder,
            k=self.k,
            reference_k=self.reference_k,
            density=self.density,
            classifier=self.classifier,
            record_features=self.record_features,
            n_jobs=self.n_jobs,
            seed=self.seed,
        )

    def shadow_features(
        self,
        shadows: Sequence[ShadowSet],
        reference: Any | None = None,
        *,
        references: Sequence[Any] | None = None,
        progress: bool = False,
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
        """Features and labels of each shadow's challenge records (fixes the encoder).

        Shadow *i* is attacked with ``references[i]`` if given, else with ``reference``, else
        with the pooled training data of the other shadows (minus every challenge record of
        every shadow).
        """
        if not shadows:
            raise InvalidArgumentError("no shadow data: pass at least one ShadowSet")
        for sh in shadows:
            if sh.labels is None:
                raise InvalidArgumentError(f"shadow {sh.name!r} has no labels")
        ref = None if reference is None else as_frame(reference, "reference")
        if references is not None and len(references) != len(shadows):
            raise InvalidArgumentError(
                f"{len(references)} references for {len(shadows)} shadows: give one each"
            )
        if (
            ref is None
            and references is None
            and (len(shadows) < 2 or any(s.train is None for s in shadows))
        ):
            raise InvalidArgumentError(
                "without reference=, every shadow needs its training data and there must be "
                "at least two shadows (each is attacked with the others' training data)"
            )
        self._fit_encoder([s.synthetic for s in shadows] + ([ref] if ref is not None else []))
        challenges = [s.challenge for s in shadows]
        feats, labels, names = [], [], []
        with Progress(enabled=progress) as bar:
            for i, sh in enumerate(shadows):
                bar.step(f"shadow features {i + 1}/{len(shadows)}: {sh.name}")
                r_i = ref if references is None else as_frame(references[i], "reference")
                if r_i is None:
                    others = [s.train for s in shadows if s is not sh and s.train is not None]
                    r_i = reference_from_frames(others, exclude=challenges, drop=self.drop_columns)
                x, names = self.features(sh.synthetic, r_i, sh.challenge)
                feats.append(x)
                labels.append(np.asarray(sh.labels))
        return feats, labels, names

    def fit_shadow(
        self,
        shadows: Sequence[ShadowSet] | None = None,
        reference: Any | None = None,
        *,
        features: tuple[list[np.ndarray], list[np.ndarray], list[str]] | None = None,
        progress: bool = False,
    ) -> Ensemble:
        """Trains the combining model on labelled shadow data (or precomputed ``features``)."""
        if features is None:
            if shadows is None:
                raise InvalidArgumentError("pass shadows= or features=")
            features = self.shadow_features(shadows, reference, progress=progress)
        feats, labels, names = features
        x, y = np.concatenate(feats), np.concatenate(labels).astype(int)
        if y.min() == y.max():
            raise InvalidArgumentError("the shadow labels are all of one class")
        model = self.meta_model if self.meta_model is not None else default_meta_model(self.seed)
        with limit_threads(self.n_jobs):
            self.model_ = model.fit(x, y)
        self.feature_names_ = list(names)
        return self

    def _fit_encoder(self, frames: Sequence[pl.DataFrame]) -> None:
        if hasattr(self, "feature_encoder_"):
            return
        enc = TableEncoder(self.domain, self.drop_columns, self.categorical, self.scale)
        self.feature_encoder_ = enc.fit(frames[0], *frames[1:])

    def features(
        self, synthetic: Any, reference: Any, records: Any
    ) -> tuple[np.ndarray, list[str]]:
        """The feature matrix (and names) of ``records`` against one synthetic table and one
        reference population, with the encoder fixed by shadow training."""
        if not hasattr(self, "feature_encoder_"):
            self._fit_encoder([as_frame(synthetic, "synthetic"), as_frame(reference, "reference")])
        enc = self.feature_encoder_
        s = enc.select(as_frame(synthetic, "synthetic"), "synthetic")
        r = enc.select(as_frame(reference, "reference"), "reference")
        c = enc.select(as_frame(records, "challenge"), "challenge")
        return self._features(enc).fit(s, r).transform(c)

    # --- the Attack contract ----------------------------------------------------------------

    def fit(self, synthetic: Any, reference: Any | None = None) -> Ensemble:
        if reference is None:
            raise InvalidArgumentError(
                "the ensemble attack needs reference= (real non-members); with shadow folders "
                "it can be built from their training data"
            )
        s, r = as_frame(synthetic, "synthetic"), as_frame(reference, "reference")
        if hasattr(self, "feature_encoder_"):
            # Trained on shadows: the columns and Domain are fixed by that training.
            self.encoder_ = self.feature_encoder_
            self.synthetic_ = self.encoder_.select(s, "synthetic")
            self.reference_ = self.encoder_.select(r, "reference")
            from synthrisk.privacy.attacks._tables import row_hashes

            self._reference_hashes = set(row_hashes(self.reference_).tolist())
            self.rng_ = np.random.default_rng(self.seed)
            self._fit()
            return self
        super().fit(s, r)
        return self

    def _fit(self) -> None:
        assert self.reference_ is not None
        if not hasattr(self, "feature_encoder_"):
            self.feature_encoder_ = self.encoder_
        self.features_ = self._features(self.feature_encoder_).fit(self.synthetic_, self.reference_)

    def _score(self, records: pl.DataFrame) -> np.ndarray:
        x, names = self.features_.transform(records)
        if not hasattr(self, "model_"):
            warnings.warn(
                "the ensemble was not trained on shadow data (fit_shadow): scoring with the "
                "mean percentile rank of DOMIAS, calibrated GAN-leaks and LOGAN",
                SynthriskWarning,
                stacklevel=3,
            )
            return _unlearned(x, names)
        if names != self.feature_names_:
            raise InvalidArgumentError(
                "the features of this target differ from those the ensemble was trained on "
                "(other columns or settings)"
            )
        with limit_threads(self.n_jobs):
            p = np.clip(self.model_.predict_proba(x)[:, 1], 1e-12, 1 - 1e-12)
        return np.log(p) - np.log1p(-p)

    # --- persistence --------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Saves the trained ensemble (combining model, Domain, settings; no target data).

        The file is a pickle: load only files you made yourself.
        """
        if not hasattr(self, "model_"):
            raise InvalidArgumentError("train the ensemble with fit_shadow(...) before saving")
        state = {
            "format": _FORMAT,
            "version": _VERSION,
            "params": self.get_params(),
            "model": self.model_,
            "feature_names": self.feature_names_,
            "encoder": self.feature_encoder_,
        }
        Path(path).write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def load(cls, path: str | Path) -> Ensemble:
        """Loads an ensemble saved by :meth:`save` (a pickle: only load files you trust)."""
        p = Path(path)
        if not p.exists():
            raise ModelFileError(f"model file {p} does not exist")
        try:
            state = pickle.loads(p.read_bytes())
        except Exception as e:
            raise ModelFileError(f"{p} is not a saved synthrisk attack ({e})") from e
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ModelFileError(f"{p} is not a saved synthrisk ensemble attack")
        if state.get("version") != _VERSION:
            raise ModelFileError(
                f"{p} was saved by another version of the format ({state.get('version')}); "
                "train it again"
            )
        obj = cls(**state["params"])
        obj.model_ = state["model"]
        obj.feature_names_ = state["feature_names"]
        obj.feature_encoder_ = state["encoder"]
        return obj

    @property
    def domain_(self) -> Domain:
        return self.feature_encoder_.domain_


def default_meta_model(seed: int | None) -> Any:
    """Gradient boosting kept shallow and regularised (shadow sets are small)."""
    return gradient_boosting(
        seed,
        max_iter=300,
        learning_rate=0.03,
        max_leaf_nodes=8,
        min_samples_leaf=50,
        l2_regularization=1.0,
    )


def _unlearned(x: np.ndarray, names: list[str]) -> np.ndarray:
    from synthrisk.stats import _average_ranks

    picks = [names.index("difference_1")]
    picks += [names.index(n) for n in ("domias", "logan") if n in names]
    ranks = [_average_ranks(x[:, j]) / x.shape[0] for j in picks]
    return np.mean(ranks, axis=0)
