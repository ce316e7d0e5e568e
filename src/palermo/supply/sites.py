"""Sites (facilities) in Open Supply Hub's columns: check a file row by row, match, export.

Columns (header row, any order, case-insensitive) are those of an Open Supply Hub facility
download: ``os_id``, ``name``, ``address``, ``country_code``, ``country_name``, ``lat``,
``lng``, ``sector``, ``product_type``, ``processing_type``, ``facility_type``,
``number_of_workers`` (``250`` or ``100-500``), ``parent_company``, ``is_closed``,
``contributor``, ``contribution_date``; plus Palermo's ``supplier_company_id`` linking the
site to a supplier of the registry. ``name``, ``address`` and ``country_code`` are required;
a file without ``os_id`` is a list of new sites (Open Supply Hub's upload template).

``country_name`` is derived from the code: it is checked against it and written back on
export, so a round trip loses nothing. Pure: no Django imports.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

import pycountry
from rapidfuzz import fuzz

from palermo.core.spreadsheet import safe_row
from palermo.supply import osid, tables
from palermo.supply.tables import Preview, RowError, p

REQUIRED: Final[tuple[str, ...]] = ("name", "address", "country_code")
OPTIONAL: Final[tuple[str, ...]] = (
    "os_id",
    "country_name",
    "lat",
    "lng",
    "sector",
    "product_type",
    "processing_type",
    "facility_type",
    "number_of_workers",
    "parent_company",
    "is_closed",
    "contributor",
    "contribution_date",
    "supplier_company_id",
)
EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    "os_id",
    "contribution_date",
    "name",
    "address",
    "country_code",
    "country_name",
    "lat",
    "lng",
    "sector",
    "contributor",
    "number_of_workers",
    "parent_company",
    "facility_type",
    "processing_type",
    "product_type",
    "is_closed",
    "supplier_company_id",
)
ALIASES: Final[dict[str, str]] = {"country": "country_code", "latitude": "lat", "longitude": "lng"}

_ = tables._


@dataclass(frozen=True)
class SiteRow:
    row: int
    os_id: str
    name: str
    address: str
    country_code: str
    lat: float | None
    lng: float | None
    sector: str
    product_type: str
    processing_type: str
    facility_type: str
    workers_min: int | None
    workers_max: int | None
    parent_company: str
    is_closed: bool
    contributor: str
    contribution_date: date | None
    supplier_company_id: str


def _coordinate(
    value: str, line: int, name: str, errors: list[RowError], bound: float
) -> float | None:
    if not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        errors.append(
            RowError(line, name, _("Not a number: %(value)s."), p(value=repr(value[:20])))
        )
        return None
    if not -bound <= number <= bound:
        errors.append(RowError(line, name, _("Must be between -%(n)s and %(n)s."), p(n=int(bound))))
        return None
    return number


def workers(value: str) -> tuple[int, int] | None:
    """``"250"`` → (250, 250); ``"100-500"`` → (100, 500); None when not a count or range."""
    text = value.strip().replace(" ", "").replace("–", "-")
    if not text:
        return None
    parts = text.split("-")
    if len(parts) > 2 or not all(x.isdigit() for x in parts):
        return None
    low, high = int(parts[0]), int(parts[-1])
    return (low, high) if low <= high else None


def workers_text(low: int | None, high: int | None) -> str:
    if low is None or high is None:
        return ""
    return str(low) if low == high else f"{low}-{high}"


def check_row(values: Mapping[str, str], line: int, errors: list[RowError]) -> SiteRow | None:
    before = len(errors)
    name = tables.text(values.get("name", ""), line, "name", errors, limit=200, required=True)
    address = tables.text(
        values.get("address", ""), line, "address", errors, limit=300, required=True
    )
    country = tables.country(
        values.get("country_code", ""), line, "country_code", errors, required=True
    )
    given_name = values.get("country_name", "").strip()
    if country and given_name:
        known = pycountry.countries.get(alpha_2=country)
        names = {getattr(known, a, "").casefold() for a in ("name", "official_name", "common_name")}
        if given_name.casefold() not in names:
            errors.append(
                RowError(
                    line,
                    "country_name",
                    _("The country name does not match the code %(code)s."),
                    p(code=country),
                )
            )
    raw_id = values.get("os_id", "").strip()
    os_id = ""
    if raw_id:
        issue = osid.problem(raw_id)
        if issue:
            errors.append(RowError(line, "os_id", issue))
        else:
            os_id = osid.normalise(raw_id)
            if country and os_id[:2] != country:
                # An OS ID keeps the country it was made in; a moved site keeps it too, so
                # this is allowed — but a typing error in the country is more likely.
                pass
    lat = _coordinate(values.get("lat", ""), line, "lat", errors, 90)
    lng = _coordinate(values.get("lng", ""), line, "lng", errors, 180)
    if (lat is None) != (lng is None) and not any(
        e.row == line and e.field in ("lat", "lng") for e in errors
    ):
        errors.append(
            RowError(line, "lng" if lng is None else "lat", _("Give both coordinates or neither."))
        )
    count = values.get("number_of_workers", "")
    span = workers(count)
    if count.strip() and span is None:
        errors.append(
            RowError(
                line,
                "number_of_workers",
                _("Not a number of workers: give a number or a range such as 100-500."),
            )
        )
    closed_text = values.get("is_closed", "").strip().lower()
    if closed_text not in ("", "true", "false", "yes", "no", "1", "0"):
        errors.append(RowError(line, "is_closed", _("Use true or false.")))
    when_text = values.get("contribution_date", "").strip()
    when: date | None = None
    if when_text:
        try:
            when = date.fromisoformat(when_text[:10])
        except ValueError:
            errors.append(
                RowError(line, "contribution_date", _("Not a date in the form YYYY-MM-DD."))
            )
    fields = {}
    for key, limit in (
        ("sector", 200),
        ("product_type", 200),
        ("processing_type", 200),
        ("facility_type", 200),
        ("parent_company", 200),
        ("contributor", 200),
        ("supplier_company_id", 40),
    ):
        fields[key] = tables.text(
            values.get(key, ""), line, key, errors, limit=limit, required=False
        )
    if len(errors) > before:
        return None
    return SiteRow(
        row=line,
        os_id=os_id,
        name=name,
        address=address,
        country_code=country,
        lat=lat,
        lng=lng,
        sector=fields["sector"],
        product_type=fields["product_type"],
        processing_type=fields["processing_type"],
        facility_type=fields["facility_type"],
        workers_min=span[0] if span else None,
        workers_max=span[1] if span else None,
        parent_company=fields["parent_company"],
        is_closed=closed_text in ("true", "yes", "1"),
        contributor=fields["contributor"],
        contribution_date=when,
        supplier_company_id=fields["supplier_company_id"],
    )


def preview(
    data: bytes, name: str, *, known_suppliers: Iterable[str] | None = None
) -> Preview[SiteRow]:
    """Check every row of a sites file (repeated OS IDs in one file are refused)."""
    out = tables.parse(
        data, name, required=REQUIRED, optional=OPTIONAL, check=check_row, aliases=ALIASES
    )
    seen: dict[str, int] = {}
    suppliers = None if known_suppliers is None else set(known_suppliers)
    for r in out.rows:
        if r.os_id:
            if r.os_id in seen:
                out.errors.append(
                    RowError(
                        r.row, "os_id", _("The same OS ID as row %(row)s."), p(row=seen[r.os_id])
                    )
                )
            else:
                seen[r.os_id] = r.row
        if (
            suppliers is not None
            and r.supplier_company_id
            and r.supplier_company_id not in suppliers
        ):
            out.errors.append(
                RowError(
                    r.row,
                    "supplier_company_id",
                    _("No supplier with this company id in the registry."),
                )
            )
    bad = {e.row for e in out.errors}
    out.rows = [r for r in out.rows if r.row not in bad]
    out.errors.sort(key=lambda e: (e.row, e.field))
    return out


def export_csv(rows: Iterable[Mapping[str, object]]) -> bytes:
    """The sites as Open Supply Hub columns (cells a spreadsheet would run are neutralised)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        values = dict(row)
        values["country_name"] = tables.country_name(str(values.get("country_code") or ""))
        writer.writerow(
            safe_row("" if values.get(c) is None else values[c] for c in EXPORT_COLUMNS)
        )
    return buf.getvalue().encode("utf-8")


def export_xlsx(rows: Iterable[Mapping[str, object]]) -> bytes:
    """The same columns as ``export_csv`` in an XLSX workbook: every cell a text cell (never a
    formula), neutralised as in the CSV, so the importer (which unescapes XLSX cells too)
    reads back exactly what was exported."""
    from palermo.supply import export

    def cells(row: Mapping[str, object]) -> list[object]:
        values = dict(row)
        values["country_name"] = tables.country_name(str(values.get("country_code") or ""))
        return safe_row("" if values.get(c) is None else str(values[c]) for c in EXPORT_COLUMNS)

    return export.workbook([export.Sheet("Sites", EXPORT_COLUMNS, map(cells, rows))])


def row_values(r: SiteRow) -> dict[str, object]:
    """A checked row as export cells (the inverse of ``check_row``)."""
    return {
        "os_id": r.os_id,
        "contribution_date": r.contribution_date.isoformat() if r.contribution_date else "",
        "name": r.name,
        "address": r.address,
        "country_code": r.country_code,
        "lat": "" if r.lat is None else repr(r.lat),
        "lng": "" if r.lng is None else repr(r.lng),
        "sector": r.sector,
        "contributor": r.contributor,
        "number_of_workers": workers_text(r.workers_min, r.workers_max),
        "parent_company": r.parent_company,
        "facility_type": r.facility_type,
        "processing_type": r.processing_type,
        "product_type": r.product_type,
        "is_closed": "true" if r.is_closed else "false",
        "supplier_company_id": r.supplier_company_id,
    }


# --- matching incoming rows to known sites ------------------------------------------------

MATCHED: Final = "matched"
POTENTIAL: Final = "potential_match"
NEW: Final = "new"
MATCH_LABELS: Final[dict[str, str]] = {
    MATCHED: _("Matched"),
    POTENTIAL: _("Potential match"),
    NEW: _("New site"),
}
_ABBREVIATIONS: Final[dict[str, str]] = {
    "co": "company",
    "corp": "corporation",
    "ltd": "limited",
    "inc": "incorporated",
    "mfg": "manufacturing",
    "intl": "international",
    "st": "street",
    "rd": "road",
    "ave": "avenue",
    "ind": "industrial",
    "no": "number",
}
# Words that say what kind of thing a site is, not which one: left out of the name's key.
_GENERIC: Final[frozenset[str]] = frozenset(
    {"limited", "company", "corporation", "incorporated", "plant", "factory", "fictional", "the"}
)


# Every ASCII character that is not a letter or digit becomes a space (as in key_text).
_ASCII_PLAIN: Final = {i: " " for i in range(128) if not chr(i).isalnum()}


def key_text(value: str, *, generic: bool = True) -> str:
    """Lower case, no accents or punctuation, common abbreviations spelt out (and, for a
    name, generic words such as "limited" or "factory" left out)."""
    folded = value.casefold()
    if folded.isascii():  # no accents to drop: one C-level pass (a million known sites)
        plain = folded.translate(_ASCII_PLAIN)
    else:
        folded = unicodedata.normalize("NFKD", folded)
        plain = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    words = (_ABBREVIATIONS.get(w, w) for w in plain.split())
    return " ".join(w for w in words if generic or w not in _GENERIC)


@dataclass(frozen=True)
class KnownSite:
    id: int
    os_id: str
    country_code: str
    name_key: str  # key_text(name, generic=False)
    address_key: str  # key_text(address)

    @classmethod
    def of(cls, id: int, os_id: str, country_code: str, name: str, address: str) -> KnownSite:
        return cls(id, os_id, country_code, key_text(name, generic=False), key_text(address))


@dataclass(frozen=True)
class Match:
    status: str
    site_id: int | None
    score: float


MATCH_AT: Final = 92.0
POTENTIAL_AT: Final = 80.0
NAME_AT_LEAST: Final = 70.0  # a similar address alone never makes a match


def similarity(name_key: str, address_key: str, known: KnownSite) -> float:
    """0–100: the name counts for 60 %, the address for 40 %; 0 when the names differ."""
    name_score = fuzz.token_sort_ratio(name_key, known.name_key)
    if name_score < NAME_AT_LEAST:
        return 0.0
    address_score = fuzz.token_sort_ratio(address_key, known.address_key)
    return 0.6 * name_score + 0.4 * address_score


def match(
    os_id: str, country_code: str, name: str, address: str, known: Sequence[KnownSite]
) -> Match:
    """Open Supply Hub-style result for one incoming site: same OS ID → matched; else the
    best name-and-address similarity among known sites of the same country decides."""
    if os_id:
        for k in known:
            if k.os_id == os_id:
                return Match(MATCHED, k.id, 100.0)
    name_key, address_key = key_text(name, generic=False), key_text(address)
    best: KnownSite | None = None
    best_score = 0.0
    for k in known:
        if k.country_code != country_code or (os_id and k.os_id and k.os_id != os_id):
            continue
        score = similarity(name_key, address_key, k)
        if score > best_score:
            best, best_score = k, score
    if best is not None and best_score >= MATCH_AT:
        return Match(MATCHED, best.id, best_score)
    if best is not None and best_score >= POTENTIAL_AT:
        return Match(POTENTIAL, best.id, best_score)
    return Match(NEW, None, best_score)


# --- blocking: candidates before scoring (issue 18) ---------------------------------------

BLOCK_LIMIT: Final = 300  # a key shared by more known sites of a country says too little


def block_keys(name_key: str) -> set[str]:
    """The blocking keys of a name (its ``key_text(name, generic=False)``): for each word,
    its letters sorted (a transposition keeps them), and — so that one typed, missing or
    extra letter keeps at least one key — for a word of up to 6 letters the word and each
    of its one-letter deletions, for a longer word its first and its last 3 letters."""
    keys: set[str] = set()
    for word in set(name_key.split()):
        keys.add("a" + "".join(sorted(word)))
        if len(word) <= 6:
            keys.add("d" + word)
            keys.update("d" + word[:i] + word[i + 1 :] for i in range(len(word)))
        if len(word) >= 6:
            keys.add("p" + word[:3])
            keys.add("s" + word[-3:])
    return keys


class SiteIndex:
    """Known sites, blocked by country and name keys, so that matching an incoming row
    scores only the known sites of its country that share a key with its name, instead of
    every known site of the country (``match``).

    It gives ``match``'s result whenever the site ``match`` would pick shares a key with
    the row's name — always so when one word of the name is the same as a word of the
    known name up to one typed, missing, extra or swapped letter, or up to an abbreviation,
    accent, case or punctuation (property-tested against ``match``). A key shared by more
    than BLOCK_LIMIT known sites of a country is not used (a word as common as "textiles"
    says nothing about which site): a name whose only shared words are that common is not
    found, and the row is reported as a new site."""

    def __init__(self, known: Iterable[KnownSite] = (), *, limit: int = BLOCK_LIMIT) -> None:
        self.sites: list[KnownSite] = []
        self.limit = limit
        self.blocks: dict[str, list[int] | None] = {}  # None: over the limit
        self.by_os_id: dict[str, int] = {}
        self.by_country: dict[str, list[int]] = {}
        for k in known:
            self.add(k)

    def add(self, site: KnownSite) -> None:
        at = len(self.sites)
        self.sites.append(site)
        if site.os_id and site.os_id not in self.by_os_id:
            self.by_os_id[site.os_id] = at
        self.by_country.setdefault(site.country_code, []).append(at)
        blocks = self.blocks
        for key in block_keys(site.name_key):
            block = blocks.setdefault(f"{site.country_code}\x00{key}", [])
            if block is None:
                continue
            if len(block) >= self.limit:
                blocks[f"{site.country_code}\x00{key}"] = None  # too common: frees the list
            else:
                block.append(at)

    def candidates(self, country_code: str, name_key: str) -> list[int]:
        """Positions of the known sites sharing a usable key, in the order they were added."""
        if not name_key:  # a name of generic words only ("The Factory"): no key to share
            return self.by_country.get(country_code, [])
        found: set[int] = set()
        for key in block_keys(name_key):
            block = self.blocks.get(f"{country_code}\x00{key}")
            if block:
                found.update(block)
        return sorted(found)

    def match(self, os_id: str, country_code: str, name: str, address: str) -> Match:
        """``match`` over the candidates only (same rules, same tie-breaking: the first
        known site with the best score). For a new site the score is the best among the
        candidates (it is shown nowhere)."""
        if os_id and os_id in self.by_os_id:
            return Match(MATCHED, self.sites[self.by_os_id[os_id]].id, 100.0)
        name_key, address_key = key_text(name, generic=False), key_text(address)
        best: KnownSite | None = None
        best_score = 0.0
        for at in self.candidates(country_code, name_key):
            k = self.sites[at]
            if os_id and k.os_id and k.os_id != os_id:
                continue
            score = similarity(name_key, address_key, k)
            if score > best_score:
                best, best_score = k, score
        if best is not None and best_score >= MATCH_AT:
            return Match(MATCHED, best.id, best_score)
        if best is not None and best_score >= POTENTIAL_AT:
            return Match(POTENTIAL, best.id, best_score)
        return Match(NEW, None, best_score)
