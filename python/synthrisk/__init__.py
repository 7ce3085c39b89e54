"""synthrisk: private synthetic tabular data, and the privacy risk left in it.

Train synthetic-data generators with formal differential privacy, and measure what privacy risk
is left in any synthetic table (distance to closest record, membership inference, ...) side by
side with its utility.

Example:
    >>> import synthrisk
    >>> df, domain = synthrisk.datasets.load("covid_testing")  # doctest: +SKIP
    >>> train, holdout = df[:10000], df[10000:]  # doctest: +SKIP
    >>> model = synthrisk.IndependentMarginals(epsilon=1.0, domain=domain)  # doctest: +SKIP
    >>> model = model.fit(train)  # doctest: +SKIP
    >>> report = synthrisk.evaluate(train=train, holdout=holdout, synthetic=model.sample(5000),
    ...                             domain=domain, generator=model)  # doctest: +SKIP
    >>> report.to_html("report.html")  # doctest: +SKIP
"""

from synthrisk import accounting, errors
from synthrisk._native import __version__
from synthrisk.accounting import PrivacyLedger
from synthrisk.data import Column, Domain, Kind, read_table
from synthrisk.evaluation import evaluate
from synthrisk.generators import AIM, MST, Generator, IndependentMarginals, PrivBayes
from synthrisk.neighbors import neighbors
from synthrisk.report import Report


def __getattr__(name: str) -> object:
    # The data sets need the optional `datasets` extra, so import them only when asked for.
    if name == "datasets":
        import importlib

        return importlib.import_module("synthrisk.datasets")
    raise AttributeError(f"module 'synthrisk' has no attribute {name!r}")


__all__ = [
    "AIM",
    "MST",
    "Column",
    "Domain",
    "Generator",
    "IndependentMarginals",
    "Kind",
    "PrivBayes",
    "PrivacyLedger",
    "Report",
    "__version__",
    "accounting",
    "errors",
    "evaluate",
    "neighbors",
    "read_table",
]
