"""The HTCDS 2.0 field specification, loaded from package data.

Human Trafficking Case Data Standard (HTCDS) by IOM (UN Migration), licensed
CC BY 4.0. ``data/htcds_2_0.json`` is generated from IOM's published files by
``tools/build_htcds_spec.py``; this module only reads and validates it.

Pure: no Django imports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

ValueSource = Literal["picklist", "iso3166_alpha2", "iso639"]

SPEC_RESOURCE = "htcds_2_0.json"


@dataclass(frozen=True, slots=True)
class PicklistValue:
    name: str  # the system identifier written in files
    label: str  # the human-readable label
    definition: str = ""


@dataclass(frozen=True, slots=True)
class HtcdsField:
    name: str  # with table prefix, e.g. "prs_Gender"
    base_name: str
    prefix: str  # "prs_", "vic_", "cas_", "con_", …
    table: str
    section: str
    label: str
    type: str  # as IOM writes it: "Picklist", "Multiselect Picklist", "Date", …
    status: str  # "DRAFT", "DEPRECATED"
    core: bool
    multiple: bool
    value_source: ValueSource | None
    values: tuple[PicklistValue, ...]
    description: str
    notes: str

    @property
    def value_names(self) -> frozenset[str]:
        return frozenset(v.name for v in self.values)

    @property
    def is_phone(self) -> bool:
        # IOM marks phone fields by the E.164 note, not by a type of their own.
        return "E.164" in self.notes

    @property
    def is_date(self) -> bool:
        return self.type == "Date"

    @property
    def is_checkbox(self) -> bool:
        return self.type == "Checkbox"

    @property
    def is_number(self) -> bool:
        return self.type in ("Number", "Geolocation")


@dataclass(frozen=True, slots=True)
class XlsFormQuestion:
    name: str  # the question name in the XLSForm (and so in ODK/Kobo exports)
    type: str  # "text", "select_one", "select_multiple", "date", "start", …
    list_name: str | None
    field: str | None  # the HTCDS field the question answers, or None for metadata


@dataclass(frozen=True, slots=True)
class XlsForm:
    questions: tuple[XlsFormQuestion, ...]
    choices: dict[str, tuple[PicklistValue, ...]]
    version: str

    def question(self, name: str) -> XlsFormQuestion | None:
        for q in self.questions:
            if q.name == name:
                return q
        return None


@dataclass(frozen=True, eq=False)
class HtcdsSpec:
    version: str
    attribution: str
    license: str
    fields: tuple[HtcdsField, ...]
    flat_layout: tuple[str, ...]  # the one-row-per-case file layout Palermo reads and writes
    spreadsheet_layout: tuple[str, ...]  # IOM's published spreadsheet template columns
    aliases: dict[str, str]  # misspelt names in IOM's template → field-standard names
    multiselect_separator: str
    xlsform: XlsForm

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    def field(self, name: str) -> HtcdsField:
        return self._by_name[name]  # type: ignore[attr-defined, no-any-return]

    def get(self, name: str) -> HtcdsField | None:
        return self._by_name.get(name)  # type: ignore[attr-defined, no-any-return]

    @property
    def flat_fields(self) -> tuple[HtcdsField, ...]:
        return tuple(self.field(n) for n in self.flat_layout)


class SpecError(ValueError):
    """The specification file is inconsistent."""


def _values(raw: list[dict[str, str]]) -> tuple[PicklistValue, ...]:
    return tuple(PicklistValue(v["name"], v["label"], v.get("definition", "")) for v in raw)


def parse_spec(doc: dict[str, Any]) -> HtcdsSpec:
    """Turn the JSON document into typed objects, checking what later code relies on."""
    tables: dict[str, str] = doc["tables"]
    fields = []
    for raw in doc["fields"]:
        if raw["prefix"] not in tables:
            raise SpecError(f"{raw['name']}: unknown table prefix {raw['prefix']!r}")
        if not raw["name"].startswith(raw["prefix"]):
            raise SpecError(f"{raw['name']}: name does not carry its prefix {raw['prefix']!r}")
        if raw["value_source"] == "picklist" and not raw["values"]:
            raise SpecError(f"{raw['name']}: picklist without values")
        names = [v["name"] for v in raw["values"]]
        if len(names) != len(set(names)):
            raise SpecError(f"{raw['name']}: duplicate picklist value names")
        fields.append(
            HtcdsField(
                name=raw["name"],
                base_name=raw["base_name"],
                prefix=raw["prefix"],
                table=tables[raw["prefix"]],
                section=raw["section"],
                label=raw["label"],
                type=raw["type"],
                status=raw["status"],
                core=bool(raw["core"]),
                multiple=bool(raw["multiple"]),
                value_source=raw["value_source"],
                values=_values(raw["values"]),
                description=raw["description"],
                notes=raw["notes"],
            )
        )
    field_names = {f.name for f in fields}
    if len(field_names) != len(fields):
        raise SpecError("duplicate field names")
    for col in (
        *doc["flat_layout"],
        *doc["spreadsheet_layout"],
        *doc["spreadsheet_aliases"].values(),
    ):
        if col not in field_names:
            raise SpecError(f"layout column {col!r} is not a field")
    if len(set(doc["flat_layout"])) != len(doc["flat_layout"]):
        raise SpecError("flat layout repeats a column")
    xf = doc["xlsform"]
    questions = tuple(
        XlsFormQuestion(q["name"], q["type"], q["list_name"], q["field"]) for q in xf["questions"]
    )
    for q in questions:
        if q.field is not None and q.field not in field_names:
            raise SpecError(f"form question {q.name!r} maps to unknown field {q.field!r}")
        if q.list_name is not None and q.list_name not in xf["choices"]:
            raise SpecError(f"form question {q.name!r} uses missing choice list {q.list_name!r}")
    xlsform = XlsForm(
        questions=questions,
        choices={k: _values(v) for k, v in xf["choices"].items()},
        version=xf["settings"].get("version", ""),
    )
    return HtcdsSpec(
        version=doc["version"],
        attribution=doc["attribution"],
        license=doc["license"],
        fields=tuple(fields),
        flat_layout=tuple(doc["flat_layout"]),
        spreadsheet_layout=tuple(doc["spreadsheet_layout"]),
        aliases=dict(doc["spreadsheet_aliases"]),
        multiselect_separator=doc["multiselect_separator"],
        xlsform=xlsform,
    )


@cache
def load_spec() -> HtcdsSpec:
    """The HTCDS 2.0 specification shipped with Palermo (parsed once per process)."""
    text = (
        resources.files("palermo.stats").joinpath("data", SPEC_RESOURCE).read_text(encoding="utf-8")
    )
    return parse_spec(json.loads(text))
