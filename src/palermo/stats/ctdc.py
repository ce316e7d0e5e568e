"""The CTDC global dataset layout, and Palermo's k-anonymous CTDC-compatible release.

Columns are those of the Counter Trafficking Data Collaborative's downloadable
global dataset (IOM and Polaris; ctdatacollaborative.org), in its published
order, as in the file ``globaldataset_20200414.csv`` (63 columns; the 2018
file lacks ``isSlaveryAndPractices``). Values: ``ageBroad`` in CTDC's bands
(``0--8`` … ``48+``), ``majorityStatus`` Minor/Adult, ISO 3166-1 alpha-2
country codes, 0/1 flags, ``;``-joined "Concatenated" columns, and ``-99`` for
an unknown value.

Generalised values keep CTDC's notation where CTDC has one: year ranges as
``2016--2019`` (CTDC's ``--`` range form), countries as UN M49 region names
(``Western Africa``), and ``-99`` for a suppressed value; an age generalised
past its band leaves ``ageBroad`` at ``-99`` and keeps ``majorityStatus``.

The input is one row per victim with the CTDC columns, except that it carries
the exact ``age`` (at registration) instead of ``ageBroad`` and
``majorityStatus``; those two are derived here, never taken on trust.

Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import polars as pl

from palermo.stats.anonymise import DEFAULT_K, QuasiIdentifier, Release, anonymise
from palermo.stats.hierarchies import (
    age_hierarchy,
    categorical_hierarchy,
    country_hierarchy,
    generalisation_config,
    year_hierarchy,
)

CTDC_COLUMNS: tuple[str, ...] = (
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "majorityEntry",
    "citizenship",
    "meansOfControlDebtBondage",
    "meansOfControlTakesEarnings",
    "meansOfControlRestrictsFinancialAccess",
    "meansOfControlThreats",
    "meansOfControlPsychologicalAbuse",
    "meansOfControlPhysicalAbuse",
    "meansOfControlSexualAbuse",
    "meansOfControlFalsePromises",
    "meansOfControlPsychoactiveSubstances",
    "meansOfControlRestrictsMovement",
    "meansOfControlRestrictsMedicalCare",
    "meansOfControlExcessiveWorkingHours",
    "meansOfControlUsesChildren",
    "meansOfControlThreatOfLawEnforcement",
    "meansOfControlWithholdsNecessities",
    "meansOfControlWithholdsDocuments",
    "meansOfControlOther",
    "meansOfControlNotSpecified",
    "meansOfControlConcatenated",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isSexAndLabour",
    "isForcedMarriage",
    "isForcedMilitary",
    "isOrganRemoval",
    "isSlaveryAndPractices",
    "typeOfExploitConcatenated",
    "typeOfLabourAgriculture",
    "typeOfLabourAquafarming",
    "typeOfLabourBegging",
    "typeOfLabourConstruction",
    "typeOfLabourDomesticWork",
    "typeOfLabourHospitality",
    "typeOfLabourIllicitActivities",
    "typeOfLabourManufacturing",
    "typeOfLabourMiningOrDrilling",
    "typeOfLabourPeddling",
    "typeOfLabourTransportation",
    "typeOfLabourOther",
    "typeOfLabourNotSpecified",
    "typeOfLabourConcatenated",
    "typeOfSexProstitution",
    "typeOfSexPornography",
    "typeOfSexRemoteInteractiveServices",
    "typeOfSexPrivateSexualServices",
    "typeOfSexConcatenated",
    "isAbduction",
    "RecruiterRelationship",
    "CountryOfExploitation",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
    "recruiterRelationUnknown",
)

# The columns that, combined, can single a person out: when and where they
# were registered, who they are (sex, age, citizenship) and where they were
# exploited. The rest describe what happened and are released as they are.
DEFAULT_QUASI_IDENTIFIERS: tuple[str, ...] = (
    "yearOfRegistration",
    "gender",
    "age",
    "citizenship",
    "CountryOfExploitation",
)

SOURCE_COLUMNS: tuple[str, ...] = tuple(
    ["age" if c == "ageBroad" else c for c in CTDC_COLUMNS if c != "majorityStatus"]
)


def missing_token() -> str:
    return str(generalisation_config()["missing"])


def ctdc_quasi_identifiers(
    frame: pl.DataFrame,
    names: Sequence[str] = DEFAULT_QUASI_IDENTIFIERS,
) -> list[QuasiIdentifier]:
    """Quasi-identifiers with hierarchies fitted to the values present in ``frame``."""
    missing = missing_token()
    out = []
    for name in names:
        if name not in frame.columns:
            raise KeyError(f"the input has no {name!r} column")
        values = [
            str(v)
            for v in frame[name].cast(pl.Utf8).drop_nulls().unique().to_list()
            if str(v) != missing
        ]
        if name == "age":
            out.append(QuasiIdentifier("age", age_hierarchy()))
        elif name == "yearOfRegistration":
            out.append(QuasiIdentifier(name, year_hierarchy(int(v) for v in values)))
        elif name in ("citizenship", "CountryOfExploitation"):
            out.append(QuasiIdentifier(name, country_hierarchy(name, values)))
        else:
            out.append(QuasiIdentifier(name, categorical_hierarchy(name, values)))
    return out


def frame_from_records(records: Iterable[Mapping[str, object]]) -> pl.DataFrame:
    """Rows with the :data:`SOURCE_COLUMNS` (missing keys become unknown values)."""
    rows = list(records)
    data = {c: [r.get(c) for r in rows] for c in SOURCE_COLUMNS}
    return pl.DataFrame(data, infer_schema_length=None)


def release_ctdc(
    source: pl.DataFrame,
    *,
    k: int = DEFAULT_K,
    quasi_identifiers: Sequence[str] = DEFAULT_QUASI_IDENTIFIERS,
    max_passes: int = 16,
) -> Release:
    """A k-anonymous release in CTDC's columns and order; a null is an unknown value."""
    absent = [c for c in SOURCE_COLUMNS if c not in source.columns]
    if absent:
        raise KeyError(f"the input lacks CTDC source columns: {', '.join(absent)}")
    qis = ctdc_quasi_identifiers(source, quasi_identifiers)
    frame = source.select(SOURCE_COLUMNS)
    if "age" not in quasi_identifiers:
        # Age is never released exactly: without generalisation it still goes out as CTDC's band.
        qis.append(QuasiIdentifier("age", age_hierarchy(), max_level=0))
    release = anonymise(frame, qis, k=k, max_passes=max_passes)
    # Columns keep their types (nulls are unknown values); -99 is written on output.
    released = release.released.select(CTDC_COLUMNS)
    columns = tuple(c for c in release.quasi_identifiers if c in released.columns)
    return Release(
        released,
        release.k,
        columns,
        release.metrics,
        release.baseline,
        release.passes,
        release.level_records,
        release.check,
    )


def _spreadsheet_safe_column(name: str) -> pl.Expr:
    """``core.spreadsheet.spreadsheet_safe`` as one vectorised expression over a text column."""
    col = pl.col(name)
    formula = col.str.contains(r"^[=+\-@\t\r]") & ~col.str.contains(
        r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
    )
    quoted = col.str.contains(r"^'[=+\-@\t\r']")
    return pl.when(formula | quoted).then(pl.lit("'") + col).otherwise(col).alias(name)


def write_ctdc_csv(release: Release, path: Path) -> None:
    """Write the released rows as CSV, CTDC's header first; text cells spreadsheet-safe
    (CTDC's codes and ``-99`` are unchanged: plain numbers are never formulas)."""
    frame = release.released
    text = [c for c, t in frame.schema.items() if t == pl.Utf8]
    frame.with_columns(_spreadsheet_safe_column(c) for c in text).write_csv(
        path, null_value=missing_token()
    )


def export_ctdc(
    records: Iterable[Mapping[str, object]] | pl.DataFrame,
    path: Path,
    *,
    k: int = DEFAULT_K,
    quasi_identifiers: Sequence[str] = DEFAULT_QUASI_IDENTIFIERS,
) -> Release:
    """Release ``records`` k-anonymously to a CTDC CSV at ``path``; returns the release and its figures."""
    frame = records if isinstance(records, pl.DataFrame) else frame_from_records(records)
    release = release_ctdc(frame, k=k, quasi_identifiers=quasi_identifiers)
    write_ctdc_csv(release, path)
    return release
