"""Recruitment-agency licence lists: reading rows, normalising names, fuzzy matching, staleness.

Pure: no Django imports. An official list (a labour ministry's licensed agencies) or a list of
ethically certified recruiters (IOM IRIS) arrives as rows; :func:`read_rows` checks each row and
returns the good ones and, for each bad one, the row number, the column and what is wrong, so an
import can be refused or accepted with nothing silently lost.

Names are compared after :func:`normalise_name`: transliterated to Latin letters (``anyascii``:
"ТОВ Праця Світ" and "TOV Pratsia Svit" meet), case-folded, punctuation and legal-form words
("Ltd", "SRL", "ООО", "sh.p.k.") removed. :func:`best_matches` scores with RapidFuzz's
token-sort ratio; a score is a similarity of spellings, not proof of identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from anyascii import anyascii
from rapidfuzz import fuzz, process

from palermo.prevent.text import clean

STATUSES: tuple[str, ...] = ("valid", "suspended", "cancelled", "delisted", "banned")
KINDS: tuple[str, ...] = ("licence", "ethical")
COLUMNS: tuple[str, ...] = (
    "name",
    "licence_number",
    "country",
    "status",
    "valid_until",
    "source",
    "retrieved_on",
)
REQUIRED: tuple[str, ...] = ("name", "country", "status", "source", "retrieved_on")
STALE_AFTER = timedelta(days=30)
MATCH_THRESHOLD = 88.0

# Legal-form words dropped before comparing (after transliteration and case-folding).
_LEGAL_FORMS = frozenset(
    [
        "ltd",
        "limited",
        "llc",
        "inc",
        "co",
        "corp",
        "company",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "srl",
        "sro",
        "spzoo",
        "sp",
        "zoo",
        "oo",
        "doo",
        "ooo",
        "tov",
        "pp",
        "shpk",
        "sh",
        "p",
        "k",
        "plc",
        "bv",
        "nv",
        "ab",
        "oy",
        "as",
        "agency",
        "agencia",
        "agentia",
        "agenzia",
        "agjencia",
        "agencija",
    ]
)
_NON_WORD = re.compile(r"[^0-9a-z]+")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _(text: str) -> str:  # marks text for gettext; the Django shell translates it
    return text


@dataclass(frozen=True, slots=True)
class LicenceRow:
    name: str
    licence_number: str
    country: str
    status: str
    valid_until: date | None
    source: str
    retrieved_on: date


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1 = the first data row (after the header)
    column: str
    message: str  # English; the shell translates it, then formats ``params`` into it
    params: tuple[tuple[str, int], ...] = ()


def normalise_name(name: str) -> str:
    """The comparable form of an agency name (see the module text)."""
    latin = anyascii(name).casefold()
    words = [w for w in _NON_WORD.split(latin) if w and w not in _LEGAL_FORMS]
    return " ".join(words)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _read_row(
    n: int, raw: Mapping[str, str], today: date
) -> tuple[LicenceRow | None, list[RowError]]:
    errors: list[RowError] = []
    v = {k: clean(str(raw.get(k) or ""), max_chars=300, multiline=False) for k in COLUMNS}
    for k in REQUIRED:
        if not v[k]:
            errors.append(RowError(n, k, _("This column is empty.")))
    country = v["country"].upper()
    if v["country"] and not _COUNTRY.match(country):
        errors.append(RowError(n, "country", _("Use a two-letter ISO 3166-1 country code.")))
    status = v["status"].casefold()
    if v["status"] and status not in STATUSES:
        errors.append(
            RowError(n, "status", _("Use valid, suspended, cancelled, delisted or banned."))
        )
    valid_until = _date(v["valid_until"]) if v["valid_until"] else None
    if v["valid_until"] and valid_until is None:
        errors.append(RowError(n, "valid_until", _("Write the date as YYYY-MM-DD.")))
    retrieved = _date(v["retrieved_on"]) if v["retrieved_on"] else None
    if v["retrieved_on"] and retrieved is None:
        errors.append(RowError(n, "retrieved_on", _("Write the date as YYYY-MM-DD.")))
    elif retrieved is not None and retrieved > today:
        errors.append(RowError(n, "retrieved_on", _("This date is in the future.")))
    if v["name"] and not normalise_name(v["name"]):
        errors.append(RowError(n, "name", _("The name has no letters or digits.")))
    if errors or retrieved is None:
        return None, errors
    return (
        LicenceRow(
            v["name"],
            v["licence_number"],
            country,
            status,
            valid_until,
            v["source"],
            retrieved,
        ),
        [],
    )


def read_rows(
    rows: Iterable[Mapping[str, str]], *, today: date
) -> tuple[list[LicenceRow], list[RowError]]:
    """Every good row and every fault; duplicate licence numbers within one country are a fault
    of the later row."""
    good: list[LicenceRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    for n, raw in enumerate(rows, start=1):
        row, errs = _read_row(n, raw, today)
        if row is not None and row.licence_number:
            key = (row.country, row.licence_number.casefold())
            if key in seen:
                errors.append(
                    RowError(
                        n,
                        "licence_number",
                        _("This licence number is already on row {row}."),
                        (("row", seen[key]),),
                    )
                )
                continue
            seen[key] = n
        if row is not None:
            good.append(row)
        errors.extend(errs)
    return good, errors


def is_stale(retrieved_on: date, today: date) -> bool:
    """A list retrieved more than 30 days ago may no longer say who is licensed."""
    return today - retrieved_on > STALE_AFTER


@dataclass(frozen=True, slots=True)
class Match:
    index: int  # position in the candidates given
    score: float  # 0–100, similarity of the normalised names


def best_matches(
    query: str,
    candidates: Sequence[str],
    *,
    threshold: float = MATCH_THRESHOLD,
    limit: int = 5,
) -> list[Match]:
    """Candidates (already normalised with :func:`normalise_name`) whose names resemble
    ``query``, best first. An empty or letterless query matches nothing."""
    q = normalise_name(query)
    if not q or not candidates:
        return []
    found = process.extract(
        q, candidates, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=limit
    )
    return [Match(int(i), float(score)) for _name, score, i in found]
