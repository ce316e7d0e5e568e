"""Deterministic synthetic victim records shaped like CTDC's global dataset.

For benchmarks and tests only: no record describes a real person. The shape
follows what CTDC publishes about its data — registrations growing over two
decades, about seven in ten victims female, many children, a handful of
citizenships and countries of exploitation dominating a long tail, much
exploitation in the victim's own country, and many unknown values — but the
figures below are Palermo's assumptions, not CTDC's statistics.

Output: a polars frame with :data:`palermo.stats.ctdc.SOURCE_COLUMNS` (exact
``age`` instead of ``ageBroad``/``majorityStatus``), unknowns as nulls.

Pure: no Django imports.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from palermo.stats.ctdc import SOURCE_COLUMNS
from palermo.stats.hierarchies import m49_table

# Citizenships that dominate (relative weights); every other country shares a Zipf tail.
TOP_CITIZENSHIPS = {
    "UA": 12.0,
    "PH": 10.0,
    "MD": 7.0,
    "US": 6.0,
    "KH": 5.0,
    "ID": 5.0,
    "BY": 4.0,
    "HT": 3.5,
    "MM": 3.0,
    "RO": 3.0,
    "NG": 3.0,
    "BG": 2.5,
    "UZ": 2.5,
    "VN": 2.0,
    "GH": 2.0,
    "ET": 1.8,
    "MX": 1.8,
    "NP": 1.5,
    "KG": 1.5,
    "BD": 1.5,
}
TOP_DESTINATIONS = {
    "US": 10.0,
    "RU": 8.0,
    "TR": 4.0,
    "PL": 3.0,
    "TH": 3.0,
    "MY": 3.0,
    "AE": 2.5,
    "SA": 2.5,
    "GB": 2.0,
    "IT": 2.0,
    "DE": 2.0,
    "ID": 1.5,
    "CN": 1.5,
    "KZ": 1.2,
    "LY": 1.0,
}
HOTLINE_SHARE = 0.55
HOTLINE_COUNTRY = "US"
AGE_BANDS = (
    (0, 8, 0.04),
    (9, 17, 0.18),
    (18, 20, 0.12),
    (21, 23, 0.12),
    (24, 26, 0.11),
    (27, 29, 0.09),
    (30, 38, 0.19),
    (39, 47, 0.10),
    (48, 70, 0.05),
)
EXPLOIT_TYPES = (
    ("isForcedLabour", "Forced labour"),
    ("isSexualExploit", "Sexual exploitation"),
    ("isForcedMarriage", "Forced marriage"),
    ("isForcedMilitary", "Forced military"),
    ("isOrganRemoval", "Organ removal"),
    ("isSlaveryAndPractices", "Slavery and similar practices"),
    ("isOtherExploit", "Other"),
)
MEANS = (
    "DebtBondage",
    "TakesEarnings",
    "RestrictsFinancialAccess",
    "Threats",
    "PsychologicalAbuse",
    "PhysicalAbuse",
    "SexualAbuse",
    "FalsePromises",
    "PsychoactiveSubstances",
    "RestrictsMovement",
    "RestrictsMedicalCare",
    "ExcessiveWorkingHours",
    "UsesChildren",
    "ThreatOfLawEnforcement",
    "WithholdsNecessities",
    "WithholdsDocuments",
    "Other",
    "NotSpecified",
)
LABOUR = (
    "Agriculture",
    "Aquafarming",
    "Begging",
    "Construction",
    "DomesticWork",
    "Hospitality",
    "IllicitActivities",
    "Manufacturing",
    "MiningOrDrilling",
    "Peddling",
    "Transportation",
    "Other",
    "NotSpecified",
)
SEX = ("Prostitution", "Pornography", "RemoteInteractiveServices", "PrivateSexualServices")
RECRUITERS = ("IntimatePartner", "Friend", "Family", "Other", "Unknown")


def _weights(
    top: dict[str, float], codes: list[str], tail_total: float, zipf: float
) -> npt.NDArray[np.float64]:
    rest = [c for c in codes if c not in top]
    tail = 1.0 / np.arange(1, len(rest) + 1) ** zipf
    tail = tail / tail.sum() * tail_total
    w = np.array([top[c] for c in top] + list(tail), dtype=np.float64)
    out: npt.NDArray[np.float64] = w / w.sum()
    return out


def _text(
    values: list[str], index: npt.NDArray[np.int64], unknown: npt.NDArray[np.bool_]
) -> pl.Series:
    # Gathering from a small dictionary keeps a million strings out of Python objects.
    series = pl.Series(values, dtype=pl.Utf8).gather(index)
    return series.scatter(np.flatnonzero(unknown), None)


def _flag(flag: npt.NDArray[np.bool_], unknown: npt.NDArray[np.bool_]) -> pl.Series:
    return pl.Series(flag.astype(np.int8)).scatter(np.flatnonzero(unknown), None)


def _joined(
    words: list[str], flags: list[npt.NDArray[np.bool_]], unknown: npt.NDArray[np.bool_]
) -> pl.Series:
    """CTDC's "Concatenated" columns: the names of the set flags joined with ``;``."""
    frame = pl.DataFrame({f"f{i}": f for i, f in enumerate(flags)})
    joined = frame.select(
        pl.concat_str(
            [pl.when(pl.col(f"f{i}")).then(pl.lit(w)) for i, w in enumerate(words)],
            separator=";",
            ignore_nulls=True,
        ).replace("", None)
    ).to_series()
    return joined.scatter(np.flatnonzero(unknown), None)


def synthetic_ctdc_frame(n: int, *, seed: int = 20240611) -> pl.DataFrame:
    """``n`` synthetic records; the same ``n`` and ``seed`` always give the same frame."""
    rng = np.random.default_rng(seed)
    codes = sorted(m49_table())
    cit_codes = list(TOP_CITIZENSHIPS) + [
        str(c) for c in rng.permutation([c for c in codes if c not in TOP_CITIZENSHIPS])
    ]
    cit_w = _weights(TOP_CITIZENSHIPS, cit_codes, tail_total=18.0, zipf=1.3)
    dest_codes = list(TOP_DESTINATIONS) + [
        str(c) for c in rng.permutation([c for c in codes if c not in TOP_DESTINATIONS])
    ]
    dest_w = _weights(TOP_DESTINATIONS, dest_codes, tail_total=15.0, zipf=1.4)
    none = np.zeros(n, dtype=bool)

    years = np.arange(2002, 2024)
    year_w = np.exp((years - 2002) * 0.12)
    year = rng.choice(years, size=n, p=year_w / year_w.sum())

    # Two kinds of source, as in CTDC: hotline records (one country's helpline,
    # few details known) and case-management records (many countries, more detail).
    hotline = rng.random(n) < HOTLINE_SHARE
    female = rng.random(n) < 0.7
    gender_unknown = rng.random(n) < np.where(hotline, 0.10, 0.02)

    band = rng.choice(len(AGE_BANDS), size=n, p=[b[2] for b in AGE_BANDS])
    low = np.array([b[0] for b in AGE_BANDS])[band]
    high = np.array([b[1] for b in AGE_BANDS])[band]
    age = (low + np.floor(rng.random(n) * (high - low + 1))).astype(np.int64)
    age_known = rng.random(n) >= np.where(hotline, 0.80, 0.35)

    cit_idx = rng.choice(len(cit_codes), size=n, p=cit_w)
    domestic = rng.random(n) < 0.55
    dest_idx = rng.choice(len(dest_codes), size=n, p=dest_w)
    # One dictionary for both columns so that "domestic" can copy the index.
    places = list(dict.fromkeys(cit_codes + dest_codes))
    where = {c: i for i, c in enumerate(places)}
    cit_place = np.array([where[c] for c in cit_codes])[cit_idx]
    dest_place = np.array([where[c] for c in dest_codes])[dest_idx]
    country_place = np.where(domestic, cit_place, dest_place)
    country_place[hotline] = where[HOTLINE_COUNTRY]
    cit_place[hotline & (rng.random(n) < 0.5)] = where[HOTLINE_COUNTRY]
    cit_unknown = rng.random(n) < np.where(hotline, 0.70, 0.10)
    country_unknown = ~hotline & (rng.random(n) < 0.08)

    sexual = rng.random(n) < np.where(female, 0.62, 0.12)
    labour = ~sexual | (rng.random(n) < 0.05)
    exploit_flags = {"isForcedLabour": labour, "isSexualExploit": sexual}
    for name, p in (
        ("isForcedMarriage", 0.02),
        ("isForcedMilitary", 0.005),
        ("isOrganRemoval", 0.002),
        ("isSlaveryAndPractices", 0.01),
        ("isOtherExploit", 0.04),
    ):
        exploit_flags[name] = rng.random(n) < p
    exploit_unknown = rng.random(n) < 0.08
    exploit_age = np.maximum(age - rng.integers(0, 4, size=n), 0)

    cols: dict[str, pl.Series] = {
        "yearOfRegistration": pl.Series(year.astype(np.int16)),
        "Datasource": _text(["Case Management", "Hotline"], hotline.astype(np.int64), none),
        "gender": _text(["Male", "Female"], female.astype(np.int64), gender_unknown),
        "age": pl.Series(age.astype(np.int16)).scatter(np.flatnonzero(~age_known), None),
        "majorityStatusAtExploit": _text(
            ["Adult", "Minor"], (exploit_age < 18).astype(np.int64), ~age_known
        ),
        "majorityEntry": _text(
            ["Adult", "Minor"],
            (exploit_age - 1 < 18).astype(np.int64),
            ~age_known | (rng.random(n) < 0.3),
        ),
        "citizenship": _text(places, cit_place, cit_unknown),
        "CountryOfExploitation": _text(places, country_place, country_unknown),
    }
    means_p = (
        0.15,
        0.2,
        0.1,
        0.3,
        0.35,
        0.25,
        0.15,
        0.2,
        0.08,
        0.3,
        0.05,
        0.1,
        0.02,
        0.05,
        0.08,
        0.1,
        0.05,
        0.1,
    )
    means_flags = [rng.random(n) < p for p in means_p]
    means_unknown = rng.random(n) < 0.4
    for name, flag in zip(MEANS, means_flags, strict=True):
        cols[f"meansOfControl{name}"] = _flag(flag, means_unknown)
    cols["meansOfControlConcatenated"] = _joined(list(MEANS), means_flags, means_unknown)
    for name, flag in exploit_flags.items():
        cols[name] = _flag(flag, exploit_unknown)
    cols["isSexAndLabour"] = _flag(sexual & labour, exploit_unknown)
    cols["typeOfExploitConcatenated"] = _joined(
        [label for _, label in EXPLOIT_TYPES],
        [exploit_flags[c] for c, _ in EXPLOIT_TYPES],
        exploit_unknown,
    )
    labour_pick = rng.choice(
        len(LABOUR),
        size=n,
        p=[0.2, 0.03, 0.05, 0.15, 0.2, 0.08, 0.03, 0.1, 0.04, 0.02, 0.03, 0.05, 0.02],
    )
    labour_flags = [(labour_pick == i) & labour for i in range(len(LABOUR))]
    for name, flag in zip(LABOUR, labour_flags, strict=True):
        cols[f"typeOfLabour{name}"] = _flag(flag, ~labour)
    cols["typeOfLabourConcatenated"] = _joined(list(LABOUR), labour_flags, ~labour)
    sex_pick = rng.choice(len(SEX), size=n, p=[0.8, 0.1, 0.05, 0.05])
    sex_flags = [(sex_pick == i) & sexual for i in range(len(SEX))]
    for name, flag in zip(SEX, sex_flags, strict=True):
        cols[f"typeOfSex{name}"] = _flag(flag, ~sexual)
    cols["typeOfSexConcatenated"] = _joined(list(SEX), sex_flags, ~sexual)
    cols["isAbduction"] = _flag(rng.random(n) < 0.05, rng.random(n) < 0.5)
    rec_pick = rng.choice(len(RECRUITERS), size=n, p=[0.15, 0.3, 0.2, 0.25, 0.1])
    rec_flags = [rec_pick == i for i in range(len(RECRUITERS))]
    rec_unknown = rng.random(n) < 0.5
    cols["RecruiterRelationship"] = _joined(
        ["Intimate Partner", "Friend / Acquaintance", "Family / Relative", "Other", "Unknown"],
        rec_flags,
        rec_unknown,
    )
    for name, flag in zip(RECRUITERS, rec_flags, strict=True):
        cols[f"recruiterRelation{name}"] = _flag(flag, rec_unknown)
    return pl.DataFrame([s.alias(name) for name, s in cols.items()]).select(SOURCE_COLUMNS)
