"""The one exception hierarchy of synthrisk.

Every error the library raises on purpose derives from :class:`SynthriskError`. Where an error is
also a plain ``ValueError`` or ``TypeError`` in spirit, it derives from that too, so generic
``except ValueError`` code keeps working. Messages say what was wrong, where (column, argument,
row count) and how to fix it. Errors raised by the Rust core are converted to these classes in one
place (``rust/py/mod.rs``).

Example:
    >>> import synthrisk
    >>> try:
    ...     synthrisk.Domain.from_dict({"columns": {}})
    ... except synthrisk.errors.SynthriskError as e:
    ...     print(type(e).__name__)
    DomainError
"""

from __future__ import annotations


class SynthriskError(Exception):
    """Base class of every error synthrisk raises on purpose."""


class InvalidArgumentError(SynthriskError, ValueError):
    """An argument has a value the function does not accept."""


class ShapeError(SynthriskError, ValueError):
    """Arrays or frames whose shapes do not fit together."""


class MemoryLimitError(SynthriskError, MemoryError):
    """The requested work would need more memory than is sensible on this machine."""


class DomainError(SynthriskError, ValueError):
    """A domain specification is malformed or inconsistent."""


class SchemaError(SynthriskError, ValueError):
    """A frame's columns do not match the domain (missing or extra columns)."""


class DtypeError(SynthriskError, TypeError):
    """A column's dtype does not fit the kind the domain gives it."""


class EmptyDataError(SynthriskError, ValueError):
    """A frame has no rows."""


class AllNullError(SynthriskError, ValueError):
    """A column holds only missing values."""


class NullValueError(SynthriskError, ValueError):
    """A column holds missing values but the domain says it cannot."""


class NonFiniteError(SynthriskError, ValueError):
    """A numeric column holds NaN or ±inf (use null for missing values)."""


class OutOfBoundsError(SynthriskError, ValueError):
    """Values fall outside the domain's public bounds."""


class UnknownCategoryError(SynthriskError, ValueError):
    """Values are not among the domain's public categories."""


class PrivacyError(SynthriskError):
    """An operation would break a differential-privacy guarantee (e.g. a data-derived domain
    under ``strict=True``)."""


class BudgetError(PrivacyError, ValueError):
    """A privacy budget (ε, δ, ρ) is invalid or exhausted."""


class NotFittedError(SynthriskError, AttributeError):
    """A model was used before ``fit``."""


class ModelFileError(SynthriskError, ValueError):
    """A saved model file is unreadable, of another kind, or from an incompatible version."""


class UnknownDatasetError(SynthriskError, ValueError):
    """No bundled data set has this name."""


class SynthriskWarning(UserWarning):
    """Base class of synthrisk's warnings."""


class DataDerivedDomainWarning(SynthriskWarning):
    """A domain was read from the data: under DP it leaks information outside the budget."""


__all__ = [
    "AllNullError",
    "BudgetError",
    "DataDerivedDomainWarning",
    "DomainError",
    "DtypeError",
    "EmptyDataError",
    "InvalidArgumentError",
    "MemoryLimitError",
    "ModelFileError",
    "NonFiniteError",
    "NotFittedError",
    "NullValueError",
    "OutOfBoundsError",
    "PrivacyError",
    "SchemaError",
    "ShapeError",
    "SynthriskError",
    "SynthriskWarning",
    "UnknownCategoryError",
    "UnknownDatasetError",
]
