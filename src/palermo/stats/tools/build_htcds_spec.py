"""Build ``palermo/stats/data/htcds_2_0.json`` from IOM's published HTCDS 2.0 files.

Run once when the reference changes (never at run time)::

    .venv/bin/python src/palermo/stats/tools/build_htcds_spec.py [REFERENCE_DIR]

REFERENCE_DIR defaults to ``reference/htcds`` in the repository.
It reads, unchanged, IOM's files: the field standard table (``.ods``), the flat
spreadsheet layout (``.xlsx``), the XLSForm and ``Field Definitions.md``, and
writes one JSON document that the run-time loader (``palermo.stats.htcds_spec``)
validates. A test rebuilds the document and compares it with the committed one,
so the data file can never drift from its source silently.

The ``.ods`` is read with the standard library (zip + XML) on purpose: this is a
build-time tool, and OpenDocument's table markup is small and documented
(``table:number-columns-repeated``, ``text:s``), so a run-time dependency
(odfpy + pandas) would buy nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import openpyxl

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_REFERENCE = REPO_ROOT / "reference" / "htcds"
OUTPUT = Path(__file__).resolve().parents[1] / "data" / "htcds_2_0.json"

ODS_FILE = "HTCDS Field Standards 2.0.ods"
XLSX_FILE = "HTCDS Excel Spreadsheet v2.0.xlsx"
XLSFORM_FILE = "htcds_xlsform.xlsx"
DEFINITIONS_FILE = "Field Definitions.md"

_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_X = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"

# Sections of the field standard whose fields describe one case record (person,
# victim context, case, referral, consent). The other sections (organisation,
# perpetrator, comments, historic events, support plans) are separate tables
# with many rows per case and are not part of the flat import/export layout.
FLAT_PREFIXES = ("prs_", "vic_", "cas_", "con_")

# The published flat spreadsheet misspells one column and leaves one header
# empty; the field standard is authoritative, these are accepted on import.
SPREADSHEET_ALIASES = {
    "vic_TraffickinStatusDecisionMakingOrg": "vic_TraffickingStatusDecisionMakingOrg"
}


def _ods_walk(node: ET.Element, parts: list[str]) -> None:
    if node.text:
        parts.append(node.text)
    for child in node:
        if child.tag == _X + "s":
            parts.append(" " * int(child.get(_X + "c", "1")))
        elif child.tag == _X + "tab":
            parts.append("\t")
        elif child.tag == _X + "line-break":
            parts.append("\n")
        else:
            _ods_walk(child, parts)
        if child.tail:
            parts.append(child.tail)


def _ods_text(cell: ET.Element) -> str:
    paragraphs = []
    for p in cell.iter(_X + "p"):
        parts: list[str] = []
        _ods_walk(p, parts)
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


def read_ods_rows(path: Path) -> list[list[str]]:
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("content.xml"))  # noqa: S314 – trusted reference file
    table = next(root.iter(_T + "table"))
    rows: list[list[str]] = []
    for row in table.iter(_T + "table-row"):
        repeat = int(row.get(_T + "number-rows-repeated", "1"))
        cells: list[str] = []
        for cell in row:
            if cell.tag not in (_T + "table-cell", _T + "covered-table-cell"):
                continue
            n = int(cell.get(_T + "number-columns-repeated", "1"))
            cells.extend([_ods_text(cell)] * min(n, 64))
        while cells and not cells[-1].strip():
            cells.pop()
        if cells:
            rows.extend([cells] * min(repeat, 1))
    return rows


def _clean(text: str) -> str:
    # IOM's labels carry stray non-breaking spaces ("Feminine\xa0").
    return text.replace("\xa0", " ").strip()


def _lines(text: str) -> list[str]:
    return [_clean(line) for line in text.split("\n") if _clean(line)]


def _value_source(field_type: str, names_cell: str, labels_cell: str) -> str | None:
    hint = f"{names_cell} {labels_cell}"
    if "ISO 3166" in hint:
        return "iso3166_alpha2"
    if "ISO 639" in hint:
        return "iso639"
    if "Picklist" in field_type and names_cell.strip():
        return "picklist"
    return None


def parse_field_standard(path: Path) -> list[dict[str, Any]]:
    rows = read_ods_rows(path)
    header = [_clean(h) for h in rows[0]]
    expected = [
        "Section",
        "Status",
        "Core",
        "Field Name Prefix",
        "Field Name",
        "Field Label",
        "Field Name including Prefix",
        "Field Type",
        "Salesforce Standard or Custom",
        "Value Names (if picklist)",
        "Value Labels (if picklist)",
        "Description",
        "Notes",
    ]
    if header != expected:
        raise SystemExit(f"unexpected field standard header: {header}")
    fields: list[dict[str, Any]] = []
    section = ""
    for raw in rows[1:]:
        row = raw + [""] * (len(expected) - len(raw))
        get = dict(zip(expected, row, strict=False))
        if _clean(get["Section"]):
            section = " ".join(_clean(get["Section"]).split())
        prefix = _clean(get["Field Name Prefix"])
        name = _clean(get["Field Name"])
        if not prefix.endswith("_") or not name or name == "N/A":
            continue  # section headings and example questions
        full = _clean(get["Field Name including Prefix"]) or prefix + name
        field_type = _clean(get["Field Type"])
        names_cell, labels_cell = (
            get["Value Names (if picklist)"],
            get["Value Labels (if picklist)"],
        )
        source = _value_source(field_type, names_cell, labels_cell)
        values: list[dict[str, str]] = []
        if source == "picklist":
            names, labels = _lines(names_cell), _lines(labels_cell)
            if len(names) != len(labels):
                raise SystemExit(f"{full}: {len(names)} value names but {len(labels)} labels")
            values = [{"name": n, "label": lab} for n, lab in zip(names, labels, strict=True)]
        fields.append(
            {
                "name": full,
                "base_name": name,
                "prefix": prefix,
                "section": section,
                "status": _clean(get["Status"]).upper(),
                "core": _clean(get["Core"]).lower() == "core",
                "label": _clean(get["Field Label"]),
                "type": field_type,
                "multiple": field_type.lower().startswith("multiselect"),
                "salesforce": _clean(get["Salesforce Standard or Custom"]),
                "value_source": source,
                "values": values,
                "description": _clean(get["Description"]),
                "notes": _clean(get["Notes"]),
            }
        )
    return fields


def parse_spreadsheet_layout(path: Path, fields: list[dict[str, Any]]) -> list[str]:
    """The published flat layout's columns, in order, as field-standard names.

    One header cell is empty in IOM's file; its label row names the field, so the
    label resolves it (only when exactly one flat-record field carries that label).
    """
    known = {f["name"] for f in fields}
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    names_row, labels_row = (list(r) for r in ws.iter_rows(min_row=1, max_row=2, values_only=True))
    wb.close()
    columns: list[str] = []
    for name, label in zip(names_row, labels_row, strict=False):
        if name is None and label is None:
            continue  # the row-number column
        if name is None:
            match = [
                f["name"]
                for f in fields
                if f["label"] == str(label) and f["prefix"] in FLAT_PREFIXES
            ]
            if len(match) != 1:
                raise SystemExit(f"cannot resolve unnamed spreadsheet column labelled {label!r}")
            columns.append(match[0])
            continue
        field = SPREADSHEET_ALIASES.get(str(name), str(name))
        if field not in known:
            raise SystemExit(f"spreadsheet column {name!r} is not in the field standard")
        columns.append(field)
    return columns


def parse_xlsform(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path, read_only=True)
    survey = list(wb["survey"].iter_rows(values_only=True))
    head = [str(h) for h in survey[0]]
    questions = []
    for row in survey[1:]:
        rec = dict(zip(head, row, strict=False))
        if not rec.get("type"):
            continue
        qtype = str(rec["type"]).strip()
        parts = qtype.split()
        questions.append(
            {
                "name": str(rec["name"]),
                "type": parts[0],
                "list_name": parts[1] if len(parts) > 1 else None,
                "label": _clean(str(rec["label"])) if rec.get("label") else None,
            }
        )
    choices: dict[str, list[dict[str, str]]] = {}
    rows = list(wb["choices"].iter_rows(values_only=True))
    chead = [str(h) for h in rows[0]]
    for row in rows[1:]:
        rec = dict(zip(chead, row, strict=False))
        if not rec.get("list_name"):
            continue
        choices.setdefault(str(rec["list_name"]), []).append(
            {"name": _clean(str(rec["name"])), "label": _clean(str(rec["label"] or ""))}
        )
    settings = list(wb["settings"].iter_rows(values_only=True))
    form_settings = (
        dict(zip([str(h) for h in settings[0]], settings[1], strict=False))
        if len(settings) > 1
        else {}
    )
    wb.close()
    return {
        "questions": questions,
        "choices": choices,
        "settings": {k: str(v) for k, v in form_settings.items()},
    }


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


def map_xlsform_questions(xlsform: dict[str, Any], fields: list[dict[str, Any]]) -> None:
    """Attach the HTCDS field each form question answers (``prs_First_Name`` → ``prs_FirstName``)."""
    by_norm = {_norm(f["name"]): f["name"] for f in fields}
    for q in xlsform["questions"]:
        q["field"] = by_norm.get(_norm(q["name"]))


def parse_definitions(path: Path) -> list[dict[str, Any]]:
    """Every table row of ``Field Definitions.md`` with the heading path above it."""
    out: list[dict[str, Any]] = []
    headings: list[str] = []
    key_kind = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(#{1,6})\s*(.*?)\s*$", line)
        if m:
            level = len(m.group(1))
            headings = headings[: level - 1] + [m.group(2)]
            continue
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not cells or set(cells[0]) <= {"-", ":"}:
            continue
        if cells[0] in ("Field Name", "Field Label"):
            key_kind = cells[0]
            continue
        out.append(
            {
                "section": [h for h in headings[1:]],
                "key_kind": key_kind,
                "key": _clean(cells[0]),
                "definition": _clean(cells[1]) if len(cells) > 1 else "",
            }
        )
    return out


def attach_value_definitions(
    fields: list[dict[str, Any]], definitions: list[dict[str, Any]]
) -> None:
    """Give picklist values the definition IOM wrote for them, where one exists."""
    by_key = {d["key"]: d["definition"] for d in definitions if d["definition"]}
    for f in fields:
        for v in f["values"]:
            for candidate in (v["name"], v["label"], f["base_name"] + v["name"]):
                if candidate in by_key:
                    v["definition"] = by_key[candidate]
                    break


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(reference: Path) -> dict[str, Any]:
    fields = parse_field_standard(reference / ODS_FILE)
    spreadsheet = parse_spreadsheet_layout(reference / XLSX_FILE, fields)
    xlsform = parse_xlsform(reference / XLSFORM_FILE)
    map_xlsform_questions(xlsform, fields)
    definitions = parse_definitions(reference / DEFINITIONS_FILE)
    attach_value_definitions(fields, definitions)
    flat = list(spreadsheet)
    for f in fields:
        if f["prefix"] in FLAT_PREFIXES and f["status"] != "DEPRECATED" and f["name"] not in flat:
            flat.append(f["name"])
    return {
        "standard": "Human Trafficking Case Data Standard (HTCDS)",
        "version": "2.0",
        "attribution": (
            "Human Trafficking Case Data Standard (HTCDS) by IOM (UN Migration), licensed under "
            "CC BY 4.0. Field names, labels and picklist values are reproduced from IOM's published "
            "files; Palermo is not endorsed by IOM."
        ),
        "license": "CC-BY-4.0",
        "license_url": "http://creativecommons.org/licenses/by/4.0/",
        "generated_by": "src/palermo/stats/tools/build_htcds_spec.py",
        "sources": [
            {"file": name, "sha256": _sha256(reference / name)}
            for name in (ODS_FILE, XLSX_FILE, XLSFORM_FILE, DEFINITIONS_FILE)
        ],
        "tables": {
            "org_": "Organisation",
            "prs_": "Person",
            "vic_": "Person - Victim Context",
            "per_": "Person - Perpetrator Context",
            "cas_": "Case",
            "cco_": "Case Comment",
            "hte_": "Historic Trafficking Events",
            "spl_": "Support Plan",
            "con_": "Consent",
        },
        "multiselect_separator": ";",
        "fields": fields,
        "flat_layout": flat,
        "spreadsheet_layout": spreadsheet,
        "spreadsheet_aliases": SPREADSHEET_ALIASES,
        "xlsform": xlsform,
        "definitions": definitions,
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str]) -> int:
    reference = Path(argv[1]) if len(argv) > 1 else DEFAULT_REFERENCE
    OUTPUT.write_text(render(build(reference)), encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
