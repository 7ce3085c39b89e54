"""SUPPORT2: seriously ill hospitalised adults (9,105 patients), read through the SurvSet package.

SurvSet exposes it as ``SurvLoader().load_dataset("support2")["df"]``, with columns renamed to
``num_*`` / ``fac_*``, the outcome as ``event`` (death) and ``time`` (days of follow-up), and
missing factor levels written as the string ``"missing"``. We give the columns readable names
and turn ``"missing"`` back into null.
"""

from __future__ import annotations

import warnings
from typing import Any

import polars as pl

from synthrisk.datasets._common import DatasetInfo, require, to_domain_dtypes

NAME = "support2"

INFO = DatasetInfo(
    name=NAME,
    title="SUPPORT2: Study to Understand Prognoses Preferences Outcomes and Risks of Treatment",
    rows=9_105,
    source=(
        "Vanderbilt University Department of Biostatistics (F. E. Harrell), "
        "https://hbiostat.org/data/repo/Csupport2.html, also UCI Machine Learning Repository "
        "id 880; read offline from the Python package SurvSet (GPL-3)"
    ),
    licence=(
        "CC BY 4.0 as listed by the UCI Machine Learning Repository (not verified offline); "
        "hbiostat.org publishes it openly for teaching without a named licence"
    ),
    description=(
        "One row per patient, 36 columns: demographics, disease group, comorbidities, day-3 "
        "physiology and lab values, functional status, the SUPPORT model's survival estimates, "
        "and the outcome (death, days of follow-up). Many lab values are missing, as in the "
        "source."
    ),
)

# SurvSet column -> our column name, in the order of SPEC.
RENAME = {
    "num_age": "age",
    "fac_sex": "sex",
    "fac_race": "race",
    "fac_income": "income",
    "num_edu": "education_years",
    "fac_dzgroup": "disease_group",
    "fac_dzclass": "disease_class",
    "num_num_co": "num_comorbidities",
    "fac_diabetes": "diabetes",
    "fac_dementia": "dementia",
    "fac_ca": "cancer",
    "num_hday": "hospital_day",
    "num_scoma": "coma_score",
    "num_sps": "physiology_score",
    "num_surv2m": "model_survival_2m",
    "num_surv6m": "model_survival_6m",
    "num_meanbp": "mean_bp",
    "num_wblc": "white_blood_count",
    "num_hrt": "heart_rate",
    "num_resp": "resp_rate",
    "num_temp": "temperature",
    "num_pafi": "pao2_fio2",
    "num_alb": "albumin",
    "num_bili": "bilirubin",
    "num_crea": "creatinine",
    "num_sod": "sodium",
    "num_ph": "ph",
    "num_glucose": "glucose",
    "num_bun": "bun",
    "num_urine": "urine_output",
    "num_adlp": "adl_patient",
    "num_adls": "adl_surrogate",
    "fac_dnr": "dnr",
    "fac_sfdm2": "functional_disability",
    "event": "death",
    "time": "followup_days",
}


def _num(kind: str, lower: float, upper: float, nullable: bool) -> dict[str, Any]:
    return {"kind": kind, "lower": lower, "upper": upper, "nullable": nullable}


# Levels are those of the hbiostat.org data dictionary, as spelled by SurvSet, sorted. Bounds of
# scores come from their definitions; physiological bounds are wide, common-knowledge limits
# (compatible with life, in SUPPORT's units), never the observed minimum and maximum.
SPEC: dict[str, Any] = {
    "columns": {
        # SUPPORT enrolled adults (18 and over).
        "age": _num("continuous", 18.0, 120.0, False),
        "sex": {"kind": "categorical", "categories": ["female", "male"], "nullable": False},
        "race": {
            "kind": "categorical",
            "categories": ["asian", "black", "hispanic", "other", "white"],
            "nullable": True,
        },
        "income": {
            "kind": "categorical",
            "categories": ["$11-$25k", "$25-$50k", ">$50k", "under $11k"],
            "nullable": True,
        },
        # Years of schooling; no documented cap, 40 is generous.
        "education_years": _num("integer", 0, 40, True),
        "disease_group": {
            "kind": "categorical",
            "categories": [
                "ARF/MOSF w/Sepsis",
                "CHF",
                "COPD",
                "Cirrhosis",
                "Colon Cancer",
                "Coma",
                "Lung Cancer",
                "MOSF w/Malig",
            ],
            "nullable": False,
        },
        "disease_class": {
            "kind": "categorical",
            "categories": ["ARF/MOSF", "COPD/CHF/Cirrhosis", "Cancer", "Coma"],
            "nullable": False,
        },
        # "Number of simultaneous diseases (or comorbidities)"; no documented cap, 20 is generous.
        "num_comorbidities": _num("integer", 0, 20, False),
        "diabetes": {"kind": "boolean", "nullable": False},
        "dementia": {"kind": "boolean", "nullable": False},
        "cancer": {
            "kind": "categorical",
            "categories": ["metastatic", "no", "yes"],
            "nullable": False,
        },
        # Day in hospital at which the patient entered the study (day 1 = admission day).
        "hospital_day": _num("integer", 1, 365, False),
        # SUPPORT day-3 coma score (from the Glasgow coma scale), defined on 0-100.
        "coma_score": _num("integer", 0, 100, True),
        # SUPPORT day-3 physiology score, defined on 0-100.
        "physiology_score": _num("continuous", 0.0, 100.0, True),
        # The SUPPORT model's estimated 2- and 6-month survival probabilities.
        "model_survival_2m": _num("continuous", 0.0, 1.0, True),
        "model_survival_6m": _num("continuous", 0.0, 1.0, True),
        # Mean arterial blood pressure, mmHg (0 is recorded, e.g. in arrest).
        "mean_bp": _num("continuous", 0.0, 300.0, True),
        # White blood cells, thousands per microlitre (extreme leukaemias reach the hundreds).
        "white_blood_count": _num("continuous", 0.0, 500.0, True),
        # Beats per minute; about 300 is the physiological ceiling.
        "heart_rate": _num("continuous", 0.0, 300.0, True),
        # Breaths per minute.
        "resp_rate": _num("continuous", 0.0, 100.0, True),
        # Degrees Celsius.
        "temperature": _num("continuous", 25.0, 45.0, True),
        # PaO2 / FiO2 ratio, mmHg: at most about 700 on room air, 1,000 is generous.
        "pao2_fio2": _num("continuous", 0.0, 1000.0, True),
        # Serum albumin, g/dL (normal 3.5-5.5). The source also holds a few values that look
        # like g/L (up to 29), so the public bound is 0-30 rather than a physiological 0-10.
        "albumin": _num("continuous", 0.0, 30.0, True),
        # Bilirubin, mg/dL.
        "bilirubin": _num("continuous", 0.0, 100.0, True),
        # Serum creatinine, mg/dL.
        "creatinine": _num("continuous", 0.0, 30.0, True),
        # Serum sodium, mmol/L.
        "sodium": _num("continuous", 90.0, 200.0, True),
        # Arterial blood pH.
        "ph": _num("continuous", 6.5, 8.0, True),
        # Glucose, mg/dL.
        "glucose": _num("continuous", 0.0, 2000.0, True),
        # Blood urea nitrogen, mg/dL.
        "bun": _num("continuous", 0.0, 400.0, True),
        # Urine output, mL per day.
        "urine_output": _num("continuous", 0.0, 10000.0, True),
        # Activities of daily living index (0-7) from the patient and from a surrogate.
        "adl_patient": _num("integer", 0, 7, True),
        "adl_surrogate": _num("integer", 0, 7, True),
        # Do-not-resuscitate order: none, or written before/after the study admission (sadm).
        "dnr": {
            "kind": "categorical",
            "categories": ["dnr after sadm", "dnr before sadm", "no dnr"],
            "nullable": True,
        },
        # sfdm2, the ordinal functional-disability outcome at 2 months (hbiostat's 5 levels).
        "functional_disability": {
            "kind": "categorical",
            "categories": [
                "<2 mo. follow-up",
                "Coma or Intub",
                "SIP>=30",
                "adl>=4 (>=5 if sur)",
                "no(M2 and SIP pres)",
            ],
            "nullable": True,
        },
        "death": {"kind": "boolean", "nullable": False},
        # Days of follow-up. Enrolment ran 1989-1994 with follow-up of a few years after; 3,000
        # days (over 8 years) is a generous public bound.
        "followup_days": _num("integer", 0, 3000, False),
    },
    "description": (
        "Public domain of SUPPORT2. Levels follow the hbiostat.org data dictionary (as spelled "
        "by SurvSet); score bounds follow their definitions (coma and physiology scores 0-100, "
        "ADL 0-7, survival estimates 0-1); physiological values get wide common-knowledge "
        "limits; albumin is bounded by 30 because the source holds a few g/L-scaled values."
    ),
}

# Factors where SurvSet wrote a missing value as the level "missing".
_MISSING_LEVEL = "missing"


def load_frame() -> pl.DataFrame:
    """Read the table from SurvSet, rename the columns, and apply :data:`SPEC`."""
    survset_data = require("SurvSet.data", NAME)
    with warnings.catch_warnings():
        # SurvSet's pickle names numpy.core, which numpy 2 renamed; the warning is only noise.
        warnings.filterwarnings("ignore", message=r"numpy\.core", category=DeprecationWarning)
        pdf = survset_data.SurvLoader().load_dataset("support2")["df"]
    frame = pl.from_pandas(pdf[list(RENAME)], include_index=False).rename(RENAME)
    categorical = [c for c, col in SPEC["columns"].items() if col["kind"] == "categorical"]
    frame = frame.with_columns(pl.col(categorical).cast(pl.String))
    frame = frame.with_columns(
        pl.when(pl.col(c) == _MISSING_LEVEL).then(None).otherwise(pl.col(c)).alias(c)
        for c in categorical
    )
    flags = ["diabetes", "dementia", "death"]
    for flag in flags:
        values = frame[flag].cast(pl.String)
        if not values.is_in(["0", "1"]).all():
            raise ValueError(f"support2.{flag} holds codes other than 0 and 1")
    frame = frame.with_columns(pl.col(f).cast(pl.String) == "1" for f in flags)
    return to_domain_dtypes(frame, SPEC)
