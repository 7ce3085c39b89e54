"""Mechanism records: immutable descriptions of what ran on the data, composable and repeatable.

Each record is a frozen dataclass with a ``count`` (how many times it ran). Records compose with
:func:`compose` (or ``+``) into a :class:`Composition`, itself a record with a count. Noise
multipliers are noise standard deviation (Gaussian) or scale (Laplace) divided by the sensitivity
under the neighbouring relation of the analysis: add/remove one record for Poisson subsampling,
replace one record for sampling without replacement, either for mechanisms without sampling.

Example:
    >>> from synthrisk.accounting import PoissonSampledGaussian, Gaussian, compose
    >>> step = PoissonSampledGaussian(noise_multiplier=1.1, sample_rate=256 / 60000)
    >>> training = step.repeat(14040)
    >>> training.count
    14040
    >>> release = compose(training, Gaussian(noise_multiplier=10.0))
    >>> len(release.mechanisms)
    2
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from synthrisk.errors import InvalidArgumentError

# (kind, a, b, count): the form a composition crosses into the Rust core.
NativeComponent = tuple[str, float, float, int]


def check_count(value: Any, name: str = "count") -> int:
    """An integer ≥ 1 (integral floats are accepted), or InvalidArgumentError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentError(f"{name} must be a positive integer, got {value!r}")
    whole = isinstance(value, numbers.Integral)
    if whole or (math.isfinite(float(value)) and float(value).is_integer()):
        n = int(value)
    else:
        raise InvalidArgumentError(
            f"{name} must be a whole number of repetitions, got {value!r}; round it explicitly"
        )
    if n < 1:
        raise InvalidArgumentError(f"{name} must be at least 1, got {n}")
    if n >= 2**63:
        raise InvalidArgumentError(f"{name} must be below 2**63, got {n}")
    return n


def _positive(value: Any, name: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentError(f"{owner}: {name} must be a number, got {value!r}")
    v = float(value)
    if not (v > 0 and math.isfinite(v)):
        raise InvalidArgumentError(f"{owner}: {name} must be positive and finite, got {value!r}")
    return v


def _rate(value: Any, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentError(f"{owner}: sample_rate must be a number, got {value!r}")
    v = float(value)
    if not (0 < v <= 1):
        raise InvalidArgumentError(
            f"{owner}: sample_rate must lie in (0, 1], got {value!r} (batch size / dataset size)"
        )
    return v


class Mechanism:
    """Base class of the mechanism records (frozen dataclasses with a ``count`` field)."""

    kind: ClassVar[str]
    count: int

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def repeat(self, times: int) -> Self:
        """The same mechanism run ``times`` as often."""
        return dataclasses.replace(self, count=self.count * check_count(times, "times"))  # type: ignore[type-var]

    def __add__(self, other: Mechanism) -> Composition:
        if not isinstance(other, Mechanism):
            return NotImplemented
        return compose(self, other)

    def components(self) -> list[NativeComponent]:
        """The flat list of (kind, a, b, count) tuples the Rust core accounts for."""
        raise NotImplementedError

    def leaves(self) -> Iterator[tuple[Mechanism, int]]:
        """Every elementary mechanism with its total count."""
        yield dataclasses.replace(self, count=1), self.count  # type: ignore[type-var]

    @property
    def rho(self) -> float:
        """ρ of its zCDP guarantee (composition adds ρ); ``inf`` where there is none."""
        from synthrisk import _native

        try:
            return float(_native.zcdp_composition_rho(self.components()))
        except InvalidArgumentError:
            return math.inf

    def rdp(self, orders: Any) -> list[float]:
        """RDP ε(α) of the whole record at each order α > 1."""
        from synthrisk import _native

        return list(_native.rdp_curve(self.components(), [float(a) for a in orders]))

    def epsilon(self, delta: float, *, accountant: str = "rdp") -> float:
        """ε (rounded up) at which this record is (ε, δ)-DP."""
        from synthrisk.accounting.accountants import get_epsilon

        return get_epsilon(self, delta, accountant=accountant)

    def delta(self, epsilon: float, *, accountant: str = "rdp") -> float:
        """δ (rounded up) at which this record is (ε, δ)-DP."""
        from synthrisk.accounting.accountants import get_delta

        return get_delta(self, epsilon, accountant=accountant)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description: ``{"kind": ..., parameters..., "count": ...}``."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = [m.to_dict() for m in v] if f.name == "mechanisms" else v
        return out

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Mechanism:
        """Inverse of :meth:`to_dict`."""
        kinds = {c.kind: c for c in _RECORDS}
        try:
            cls = kinds[d["kind"]]
        except KeyError:
            raise InvalidArgumentError(
                f"unknown mechanism kind {d.get('kind')!r}; known: {sorted(kinds)}"
            ) from None
        args = {k: v for k, v in d.items() if k != "kind"}
        if "epsilon" in args and "pure_epsilon" in {f.name for f in dataclasses.fields(cls)}:
            args["pure_epsilon"] = args.pop("epsilon")  # written before the field was renamed
        if cls is Composition:
            args["mechanisms"] = tuple(Mechanism.from_dict(m) for m in args["mechanisms"])
        return cls(**args)


@dataclass(frozen=True)
class Gaussian(Mechanism):
    """Gaussian noise of standard deviation ``noise_multiplier × L2 sensitivity``."""

    noise_multiplier: float
    count: int = 1
    kind: ClassVar[str] = "gaussian"

    def __post_init__(self) -> None:
        self._set(
            "noise_multiplier", _positive(self.noise_multiplier, "noise_multiplier", "Gaussian")
        )
        self._set("count", check_count(self.count))

    @classmethod
    def from_sigma(cls, sigma: float, sensitivity: float = 1.0, count: int = 1) -> Gaussian:
        """The Gaussian mechanism with noise scale ``sigma`` on a query of L2 ``sensitivity``."""
        s = _positive(sigma, "sigma", "Gaussian")
        return cls(
            noise_multiplier=s / _positive(sensitivity, "sensitivity", "Gaussian"), count=count
        )

    def components(self) -> list[NativeComponent]:
        return [("gaussian", self.noise_multiplier, 0.0, self.count)]


@dataclass(frozen=True)
class Laplace(Mechanism):
    """Laplace noise of scale ``noise_multiplier × L1 sensitivity``: ε = 1 / noise_multiplier."""

    noise_multiplier: float
    count: int = 1
    kind: ClassVar[str] = "laplace"

    def __post_init__(self) -> None:
        self._set(
            "noise_multiplier", _positive(self.noise_multiplier, "noise_multiplier", "Laplace")
        )
        self._set("count", check_count(self.count))

    @classmethod
    def from_epsilon(cls, epsilon: float, count: int = 1) -> Laplace:
        return cls(noise_multiplier=1.0 / _positive(epsilon, "epsilon", "Laplace"), count=count)

    @property
    def pure_epsilon(self) -> float:
        return 1.0 / self.noise_multiplier

    def components(self) -> list[NativeComponent]:
        return [("laplace", 1.0 / self.noise_multiplier, 0.0, self.count)]


@dataclass(frozen=True)
class RandomizedResponse(Mechanism):
    """k-ary randomised response: the true category with probability e^ε / (e^ε + k − 1).

    The field is ``pure_epsilon`` (as :attr:`Laplace.pure_epsilon`), so that ``epsilon(delta)``
    stays the method every record has.

    Example:
        >>> rr = RandomizedResponse(1.0, categories=3)
        >>> rr.pure_epsilon, rr.epsilon(1e-6) <= 1.0
        (1.0, True)
    """

    pure_epsilon: float
    categories: int = 2
    count: int = 1
    kind: ClassVar[str] = "randomized_response"

    def __post_init__(self) -> None:
        self._set(
            "pure_epsilon", _positive(self.pure_epsilon, "pure_epsilon", "RandomizedResponse")
        )
        k = self.categories
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or int(k) < 2:
            raise InvalidArgumentError(
                f"RandomizedResponse: categories must be an integer ≥ 2, got {k!r}"
            )
        self._set("categories", int(k))
        self._set("count", check_count(self.count))

    @classmethod
    def from_probability(
        cls, truth_probability: float, categories: int = 2, count: int = 1
    ) -> RandomizedResponse:
        """Randomised response that reports the truth with probability ``truth_probability``."""
        p = float(truth_probability)
        if not (1.0 / categories < p < 1.0):
            raise InvalidArgumentError(
                f"RandomizedResponse: truth_probability must lie in (1/categories, 1), got {p!r}"
            )
        return cls(math.log(p * (categories - 1) / (1.0 - p)), categories, count)

    def components(self) -> list[NativeComponent]:
        return [("randomized_response", self.pure_epsilon, float(self.categories), self.count)]


@dataclass(frozen=True)
class ExponentialMechanism(Mechanism):
    """An ε-bounded-range mechanism, e.g. the exponential mechanism sampling ∝ exp(ε·u/(2Δu)).

    Accounted with its bounded-range guarantee (Durfee & Rogers 2019; Cesar & Rogers 2021),
    tighter than treating it as ε-DP. The field is ``pure_epsilon``, so that ``epsilon(delta)``
    stays the method every record has.

    Example:
        >>> ExponentialMechanism(0.5, count=4).epsilon(1e-6) < 4 * 0.5
        True
    """

    pure_epsilon: float
    count: int = 1
    kind: ClassVar[str] = "exponential"

    def __post_init__(self) -> None:
        self._set(
            "pure_epsilon", _positive(self.pure_epsilon, "pure_epsilon", "ExponentialMechanism")
        )
        self._set("count", check_count(self.count))

    def components(self) -> list[NativeComponent]:
        return [("exponential", self.pure_epsilon, 0.0, self.count)]


@dataclass(frozen=True)
class _SubsampledGaussian(Mechanism):
    """The Gaussian mechanism with noise multiplier σ on a random subsample of the records; the
    subclass (its ``kind``) says how the subsample is drawn."""

    noise_multiplier: float
    sample_rate: float
    count: int = 1

    def __post_init__(self) -> None:
        owner = type(self).__name__
        self._set("noise_multiplier", _positive(self.noise_multiplier, "noise_multiplier", owner))
        self._set("sample_rate", _rate(self.sample_rate, owner))
        self._set("count", check_count(self.count))

    def components(self) -> list[NativeComponent]:
        return [(self.kind, self.noise_multiplier, self.sample_rate, self.count)]


@dataclass(frozen=True)
class PoissonSampledGaussian(_SubsampledGaussian):
    """The Gaussian mechanism on a Poisson subsample (DP-SGD); add/remove-one neighbours."""

    kind: ClassVar[str] = "poisson_gaussian"


@dataclass(frozen=True)
class SampledWithoutReplacementGaussian(_SubsampledGaussian):
    """The Gaussian mechanism on a fixed-size random subset (``sample_rate = batch / n``);
    replace-one neighbours (Wang, Balle & Kasiviswanathan 2019). RDP accountant only."""

    kind: ClassVar[str] = "wor_gaussian"


@dataclass(frozen=True)
class Composition(Mechanism):
    """Several mechanisms run on the same data, the whole repeated ``count`` times."""

    mechanisms: tuple[Mechanism, ...]
    count: int = 1
    kind: ClassVar[str] = "composition"

    def __post_init__(self) -> None:
        ms = tuple(self.mechanisms)
        for m in ms:
            if not isinstance(m, Mechanism):
                raise InvalidArgumentError(
                    f"Composition: every part must be a mechanism record, got {m!r}"
                )
        self._set("mechanisms", ms)
        self._set("count", check_count(self.count))

    def components(self) -> list[NativeComponent]:
        out: list[NativeComponent] = []
        for m in self.mechanisms:
            for kind, a, b, c in m.components():
                n = c * self.count
                if n >= 2**63:
                    raise InvalidArgumentError(f"Composition: total count {n} must be below 2**63")
                out.append((kind, a, b, n))
        return out

    def leaves(self) -> Iterator[tuple[Mechanism, int]]:
        for m in self.mechanisms:
            for leaf, c in m.leaves():
                yield leaf, c * self.count


_RECORDS: tuple[type[Mechanism], ...] = (
    Gaussian,
    Laplace,
    RandomizedResponse,
    ExponentialMechanism,
    PoissonSampledGaussian,
    SampledWithoutReplacementGaussian,
    Composition,
)


def compose(*mechanisms: Mechanism, count: int = 1) -> Composition:
    """The composition of ``mechanisms`` (nested compositions with count 1 are flattened)."""
    flat: list[Mechanism] = []
    for m in mechanisms:
        if isinstance(m, Composition) and m.count == 1:
            flat.extend(m.mechanisms)
        else:
            flat.append(m)
    return Composition(tuple(flat), count=count)


def as_mechanism(value: Any) -> Mechanism:
    """Accepts a record or a sequence of records (composed)."""
    if isinstance(value, Mechanism):
        return value
    if isinstance(value, list | tuple) and value and all(isinstance(v, Mechanism) for v in value):
        return compose(*value)
    raise InvalidArgumentError(f"expected a mechanism record (or a list of them), got {value!r}")
