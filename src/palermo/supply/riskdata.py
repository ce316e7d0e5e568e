"""Risk data the user downloads and imports: the US Department of Labor's list of goods,
national exclusion lists, and (once published) the EU forced-labour database.

Nothing is fetched: the user gives Palermo a file and says where it came from (source,
edition, licence, date retrieved); the file's SHA-256 is kept with every row, so an old
screening can always say which edition it used. Editions are compared with ``diff``.

US DOL ILAB "List of Goods Produced by Child Labor or Forced Labor", as served by the
"Better Trade Tool" core data (https://developer.dol.gov/others/better-trade-tool):
columns ``Country``, ``Country_ISOCode``, ``Region``, ``Sector``, ``Good``,
``All_Exploitations``, ``CL``, ``FL``, ``FCL``. ``CL``/``FL``/``FCL`` hold the year a good
was added for child labour, forced labour or forced child labour, and where removed the
year it was removed: ``2009``, ``2009-2018`` (or ``2009–2018``); empty means never listed.

Each kind of list is a *format* (``FORMATS``, keyed as ``RiskEdition.format``): importing
an edition of one format retires only that format's previous edition, and a screening reads
the current edition of every format together. A new country × product format (the EU's,
once published) is one ``RiskListFormat`` given to ``register``; nothing else changes
(docs/supply.md, "Adding a kind of risk list").

Pure: no Django imports.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol

from palermo.supply import tables
from palermo.supply.tables import Preview, RowError, p

_ = tables._

KINDS: Final[tuple[str, ...]] = ("cl", "fl", "fcl")
_YEARS = re.compile(r"^(\d{4})\s*(?:[-–]\s*(\d{4})?)?$")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Listing:
    added: int
    removed: int | None  # the year it was taken off the list, if it was

    def current(self, year: int | None = None) -> bool:
        """Listed now (no removal), or in ``year`` when given."""
        if year is None:
            return self.removed is None
        return self.added <= year and (self.removed is None or year < self.removed)

    def text(self) -> str:
        return f"{self.added}" if self.removed is None else f"{self.added}-{self.removed}"


@dataclass(frozen=True)
class RiskRow:
    """One country × good of a list, with its line in the file for citation."""

    row: int
    country_code: str
    country: str
    region: str
    sector: str
    good: str
    listings: tuple[tuple[str, Listing], ...]  # (kind, listing), kinds in KINDS order

    def listing(self, kind: str) -> Listing | None:
        return dict(self.listings).get(kind)

    def current_kinds(self) -> tuple[str, ...]:
        return tuple(k for k, listing in self.listings if listing.current())


def good_key(good: str) -> str:
    return " ".join(good.casefold().split())


def years(value: str) -> Listing | None | str:
    """A Listing, None for an empty cell, or an error message."""
    text = value.strip()
    if not text:
        return None
    m = _YEARS.match(text)
    if not m:
        return _("Not a year or a range of years (2009 or 2009-2018): %(value)s.")
    added = int(m.group(1))
    removed = int(m.group(2)) if m.group(2) else None
    if removed is not None and removed < added:
        return _("The list says it was removed before it was added: %(value)s.")
    if not 1990 <= added <= 2100:
        return _("Not a plausible year: %(value)s.")
    return Listing(added, removed)


DOL_REQUIRED: Final[tuple[str, ...]] = ("country", "country_isocode", "good", "cl", "fl", "fcl")
DOL_OPTIONAL: Final[tuple[str, ...]] = ("region", "sector", "all_exploitations")


def _check_dol(values: Mapping[str, str], line: int, errors: list[RowError]) -> RiskRow | None:
    before = len(errors)
    code = tables.country(values["country_isocode"], line, "Country_ISOCode", errors, required=True)
    country = tables.text(values["country"], line, "Country", errors, limit=100, required=True)
    good = tables.text(values["good"], line, "Good", errors, limit=200, required=True)
    region = tables.text(
        values.get("region", ""), line, "Region", errors, limit=100, required=False
    )
    sector = tables.text(
        values.get("sector", ""), line, "Sector", errors, limit=100, required=False
    )
    listings: list[tuple[str, Listing]] = []
    for kind in KINDS:
        parsed = years(values[kind])
        if isinstance(parsed, str):
            errors.append(RowError(line, kind.upper(), parsed, p(value=repr(values[kind][:20]))))
        elif parsed is not None:
            listings.append((kind, parsed))
    if len(errors) == before and not listings:
        errors.append(RowError(line, "CL", _("No year in CL, FL or FCL: the row lists nothing.")))
    if len(errors) > before:
        return None
    return RiskRow(line, code, country, region, sector, good, tuple(listings))


def goods_preview(
    data: bytes,
    name: str,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    check: Callable[[dict[str, str], int, list[RowError]], RiskRow | None],
    good_column: str,
) -> Preview[RiskRow]:
    """Check every row of a country × good list: the header (columns in lower case), each row
    through ``check``, then no country and good twice (named in ``good_column``). The
    building block of a ``RiskListFormat``: a format gives its columns and its row check."""
    out = tables.parse(data, name, required=required, optional=optional, check=check)
    seen: dict[tuple[str, str], int] = {}
    for r in out.rows:
        key = (r.country_code, good_key(r.good))
        if key in seen:
            out.errors.append(
                RowError(
                    r.row,
                    good_column,
                    _("The same country and good as row %(row)s."),
                    p(row=seen[key]),
                )
            )
        else:
            seen[key] = r.row
    bad = {e.row for e in out.errors}
    out.rows = [r for r in out.rows if r.row not in bad]
    out.errors.sort(key=lambda e: (e.row, e.field))
    return out


def preview_dol(data: bytes, name: str) -> Preview[RiskRow]:
    """Check every row of a DOL list file (one row per country × good)."""
    return goods_preview(
        data,
        name,
        required=DOL_REQUIRED,
        optional=DOL_OPTIONAL,
        check=_check_dol,
        good_column="Good",
    )


# --- national exclusion (debarment) lists --------------------------------------------------


@dataclass(frozen=True)
class ExclusionRow:
    row: int
    company_id: str
    name: str
    country_code: str
    reason: str
    listed_on: date
    until: date | None


EXCLUSION_REQUIRED: Final[tuple[str, ...]] = (
    "company_id",
    "name",
    "country_code",
    "reason",
    "listed_on",
)
EXCLUSION_OPTIONAL: Final[tuple[str, ...]] = ("until",)


def date_cell(
    value: str, line: int, name: str, errors: list[RowError], *, required: bool
) -> date | None:
    """A ``YYYY-MM-DD`` cell, or None (an error added when it is required or malformed)."""
    value = value.strip()
    if not value:
        if required:
            errors.append(RowError(line, name, _("A date is required (YYYY-MM-DD).")))
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(line, name, _("Not a date in the form YYYY-MM-DD.")))
        return None


def _check_exclusion(
    values: Mapping[str, str], line: int, errors: list[RowError]
) -> ExclusionRow | None:
    before = len(errors)
    company_id = tables.text(
        values["company_id"], line, "company_id", errors, limit=40, required=True
    )
    name = tables.text(values["name"], line, "name", errors, limit=200, required=True)
    code = tables.country(values["country_code"], line, "country_code", errors, required=True)
    reason = tables.text(values["reason"], line, "reason", errors, limit=500, required=True)
    listed = date_cell(values["listed_on"], line, "listed_on", errors, required=True)
    until = date_cell(values.get("until", ""), line, "until", errors, required=False)
    if listed and until and until < listed:
        errors.append(RowError(line, "until", _("The end date is before the listing date.")))
    if len(errors) > before or listed is None:
        return None
    return ExclusionRow(line, company_id, name, code, reason, listed, until)


def preview_exclusions(data: bytes, name: str) -> Preview[ExclusionRow]:
    return tables.parse(
        data, name, required=EXCLUSION_REQUIRED, optional=EXCLUSION_OPTIONAL, check=_check_exclusion
    )


# --- the interface every risk-list importer offers ------------------------------------------


class RiskListFormat(Protocol):
    """An importer of one kind of country × product risk list. The EU forced-labour database
    (Regulation (EU) 2024/3015, Art. 8) gets one once the Commission publishes its format.

    ``key`` is stored with each edition (at most 20 characters); ``label`` is shown where the
    user chooses the kind of list (an English msgid, translated by the shell); ``columns``
    are the columns a file has, as the import page lists them; ``preview`` checks a whole
    file and names every bad row and column (``goods_preview`` does the common part)."""

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def columns(self) -> tuple[str, ...]: ...

    def preview(self, data: bytes, name: str) -> Preview[RiskRow]: ...


@dataclass(frozen=True)
class DolFormat:
    key: str = "us_dol"
    label: str = _("US Department of Labor — List of Goods Produced by Child Labor or Forced Labor")
    columns: tuple[str, ...] = (
        "Country",
        "Country_ISOCode",
        "Region",
        "Sector",
        "Good",
        "All_Exploitations",
        "CL",
        "FL",
        "FCL",
    )

    def preview(self, data: bytes, name: str) -> Preview[RiskRow]:
        return preview_dol(data, name)


FORMATS: Final[dict[str, RiskListFormat]] = {"us_dol": DolFormat()}

# The format key of a supplier exclusion (debarment) list's editions: companies, not
# country × good rows, so not a ``RiskListFormat``; kept, made current and cited the same way.
EXCLUSIONS: Final = "exclusions"
EXCLUSIONS_LABEL: Final = _("Exclusion list")
EXCLUSIONS_COLUMNS: Final = (*EXCLUSION_REQUIRED, *EXCLUSION_OPTIONAL)


def register(fmt: RiskListFormat) -> None:
    """Add a kind of country × product list: its editions import, show and screen as the
    DOL list's do. A key already taken, reserved or longer than 20 characters is refused."""
    if fmt.key in FORMATS or fmt.key == EXCLUSIONS:
        raise ValueError(f"The format {fmt.key!r} is already registered.")
    if not fmt.key or len(fmt.key) > 20 or not fmt.columns:
        raise ValueError(f"A format needs a key of 1–20 characters and its columns: {fmt.key!r}.")
    FORMATS[fmt.key] = fmt


def list_kinds() -> list[tuple[str, str, tuple[str, ...]]]:
    """Every kind of list that can be imported: (format key, label msgid, columns)."""
    kinds = [(f.key, f.label, f.columns) for f in FORMATS.values()]
    return [*kinds, (EXCLUSIONS, EXCLUSIONS_LABEL, EXCLUSIONS_COLUMNS)]


# --- comparing two editions -----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    country_code: str
    good: str
    kind: str


@dataclass(frozen=True)
class Diff:
    added: tuple[Change, ...]
    removed: tuple[Change, ...]


def current_set(rows: Iterable[RiskRow]) -> dict[tuple[str, str, str], Change]:
    out: dict[tuple[str, str, str], Change] = {}
    for r in rows:
        for kind in r.current_kinds():
            out[(r.country_code, good_key(r.good), kind)] = Change(r.country_code, r.good, kind)
    return out


def diff(old: Iterable[RiskRow], new: Iterable[RiskRow]) -> Diff:
    """What the newer edition lists that the older did not, and what it no longer lists."""
    a, b = current_set(old), current_set(new)
    return Diff(
        added=tuple(b[k] for k in sorted(b.keys() - a.keys())),
        removed=tuple(a[k] for k in sorted(a.keys() - b.keys())),
    )
