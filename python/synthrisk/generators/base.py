"""The estimator contract every generator follows (scikit-learn style).

Hyperparameters are keyword-only ``__init__`` arguments stored unchanged; ``fit(data)`` spends the
privacy budget, records every mechanism in ``ledger_`` and returns ``self``; fitted attributes end
in ``_``; ``sample(n, seed=)`` costs nothing. ``save``/``load`` write JSON that holds only the
released (noisy) model, never a raw row.
"""

from __future__ import annotations

import inspect
import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import polars as pl

from synthrisk.accounting import PrivacyLedger
from synthrisk.data.domain import Domain
from synthrisk.errors import InvalidArgumentError, ModelFileError, NotFittedError

_FORMAT = "synthrisk-generator"
_FORMAT_VERSION = 1


class Generator(ABC):
    """Base class of synthrisk's synthetic-data generators."""

    #: Registry of generator classes by name, for ``load`` and the CLI.
    registry: ClassVar[dict[str, type[Generator]]] = {}
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            Generator.registry[cls.name] = cls

    # --- the contract -------------------------------------------------------------------------

    @abstractmethod
    def fit(self, data: Any) -> Self:
        """Fits the generator on real data, spending its privacy budget."""

    @abstractmethod
    def _sample(self, n: int, rng: np.random.Generator) -> pl.DataFrame: ...

    @abstractmethod
    def _state(self) -> dict[str, Any]:
        """The released model as JSON-ready data (noisy statistics only)."""

    @abstractmethod
    def _restore(self, state: dict[str, Any]) -> None: ...

    def sample(self, n: int, *, seed: int | None = None) -> pl.DataFrame:
        """Draws ``n`` synthetic rows; free of privacy cost (post-processing).

        The same ``seed`` gives the same rows. Without one, a model built with a ``seed`` draws
        from its own reproducible stream (successive calls differ, reruns repeat them); a model
        built without one draws fresh randomness.
        """
        self._check_fitted()
        if not isinstance(n, int | np.integer) or n < 1:
            raise InvalidArgumentError(f"n must be a positive integer, got {n!r}")
        return self._sample(int(n), self._sampling_rng(seed))

    def _sampling_rng(self, seed: int | None) -> np.random.Generator:
        if seed is not None:
            return np.random.default_rng(seed)
        model_seed = getattr(self, "seed", None)
        if model_seed is None:
            return np.random.default_rng()
        if not hasattr(self, "_sample_stream"):
            # A stream apart from the one that seeded the noise in fit.
            self._sample_stream = np.random.default_rng(np.random.SeedSequence([model_seed, 1]))
        return self._sample_stream

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters, as given to ``__init__``."""
        names = [
            p.name
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.kind is p.KEYWORD_ONLY
        ]
        return {n: getattr(self, n) for n in names}

    def _check_fitted(self) -> None:
        if not hasattr(self, "ledger_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit(data) first")

    def __repr__(self) -> str:
        params = ", ".join(
            f"{k}={v!r}" for k, v in self.get_params().items() if not isinstance(v, Domain)
        )
        return f"{type(self).__name__}({params})"

    # --- persistence --------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Writes the fitted model as JSON: parameters, public domain, ledger, released state."""
        self._check_fitted()
        params = {k: v for k, v in self.get_params().items() if not isinstance(v, Domain)}
        payload = {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "generator": self.name,
            "params": params,
            "domain": self.domain_.to_dict(),
            "ledger": self.ledger_.to_dict(),
            "state": self._state(),
        }
        Path(path).write_text(json.dumps(payload))

    @classmethod
    def load(cls, path: str | Path) -> Generator:
        """Reads a model written by :meth:`save`.

        Example:
            >>> model = Generator.load("model.json")  # doctest: +SKIP
        """
        try:
            payload = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ModelFileError(f"cannot read a model from {path}: {e}") from e
        if payload.get("format") != _FORMAT or payload.get("version") != _FORMAT_VERSION:
            raise ModelFileError(f"{path} is not a synthrisk generator file of version 1")
        kind = Generator.registry.get(payload.get("generator", ""))
        if kind is None or (cls is not Generator and not issubclass(kind, cls)):
            raise ModelFileError(f"{path} holds a {payload.get('generator')!r}, not a {cls.name}")
        domain = Domain.from_dict(payload["domain"])
        # A model fitted without a domain saved ``domain=None`` among its parameters; the fitted
        # (saved) domain takes its place.
        params = {k: v for k, v in payload["params"].items() if k != "domain"}
        model = kind(**params, domain=domain)
        model.domain_ = domain
        model.ledger_ = PrivacyLedger.from_dict(payload["ledger"])
        model._restore(payload["state"])
        return model

    domain_: Domain
    ledger_: PrivacyLedger
