"""Normalisation of identifiers and names found in statements and case records.

Every function is pure and total: it returns a normalised value or ``None`` (for
"absent") and raises :class:`NormalisationError` only for a value that is present
but malformed, so that the importer can report the row instead of guessing.

IBANs go through schwifty (checksum, country length, BBAN structure), phone
numbers through libphonenumber's Python port; names and addresses through
anyascii (transliteration of Cyrillic, Greek, Turkish … to ASCII) and small
token tables held as data. No well-kept library normalises free-text postal
addresses offline without a multi-gigabyte model (libpostal), so the address
normaliser here is deliberately simple and its limits are documented.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import phonenumbers
import yaml
from anyascii import anyascii
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

__all__ = [
    "NormalisationError",
    "AccountRef",
    "normalise_iban",
    "normalise_account",
    "normalise_phone",
    "normalise_email",
    "normalise_name",
    "normalise_org_name",
    "normalise_address",
    "name_tokens",
]

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z0-9-]{2,}$")
_ACCOUNT_NUMBER = re.compile(r"^[A-Z0-9]{4,34}$")


class NormalisationError(ValueError):
    """A present value that cannot be normalised; the message says why."""


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account identifier in canonical form.

    ``key`` is the identity used across the workspace: the compact IBAN when the
    account has one, else ``acct:<BANK>:<NUMBER>`` so that domestic account
    numbers of two banks never collide.
    """

    key: str
    iban: str | None
    account_number: str | None
    country: str | None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def normalise_iban(value: str | None) -> str | None:
    """Return the compact, validated IBAN, ``None`` if blank.

    Raises NormalisationError when the checksum, length or structure is wrong:
    a mistyped IBAN must surface as a row error, never become a new account.
    """
    if _blank(value):
        return None
    assert value is not None
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise NormalisationError(f"invalid IBAN: {exc}") from exc


def _looks_like_iban(compact: str) -> bool:
    return len(compact) >= 15 and compact[:2].isalpha() and compact[2:4].isdigit()


def normalise_account(value: str | None, *, bank: str | None = None) -> AccountRef | None:
    """Canonical account reference from an IBAN or a domestic account number.

    A value shaped like an IBAN must validate as one; anything else is kept as a
    domestic number qualified by ``bank`` (BIC, bank code or name).
    """
    if _blank(value):
        return None
    assert value is not None
    compact = re.sub(r"[\s\-./]", "", value).upper()
    if _looks_like_iban(compact):
        iban = normalise_iban(compact)
        assert iban is not None
        return AccountRef(key=iban, iban=iban, account_number=None, country=iban[:2])
    if not _ACCOUNT_NUMBER.match(compact):
        raise NormalisationError(f"invalid account number: {value!r}")
    bank_part = re.sub(r"\W", "", (bank or "").upper()) or "UNKNOWN"
    return AccountRef(
        key=f"acct:{bank_part}:{compact}", iban=None, account_number=compact, country=None
    )


def normalise_phone(value: str | None, *, default_region: str | None = None) -> str | None:
    """E.164 form of a phone number (``+38761123456``), ``None`` if blank.

    ``default_region`` (ISO 3166-1 alpha-2) reads national numbers written
    without the country code, as case workers usually write them.
    """
    if _blank(value):
        return None
    assert value is not None
    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException as exc:
        raise NormalisationError(f"invalid phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise NormalisationError(f"impossible phone number: {value!r}")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def normalise_email(value: str | None) -> str | None:
    """Lower-cased, trimmed e-mail address; raises for a string with no domain."""
    if _blank(value):
        return None
    assert value is not None
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise NormalisationError(f"invalid e-mail address: {value!r}")
    return email


def normalise_name(value: str | None) -> str | None:
    """ASCII, lower-case, punctuation-free, single-spaced form of a name.

    Transliteration first, so that "Петровић", "Petrović" and "PETROVIC" meet.
    """
    if _blank(value):
        return None
    assert value is not None
    text = anyascii(unicodedata.normalize("NFKC", value)).casefold()
    text = _PUNCT.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    return text or None


@cache
def _legal_forms() -> tuple[tuple[str, ...], ...]:
    data = _load_data("legal_forms.yaml")
    forms = [tuple(str(s).split()) for s in data["suffixes"]]
    # longest first so that "sp z oo" wins over a shorter suffix
    return tuple(sorted(forms, key=len, reverse=True))


def normalise_org_name(value: str | None) -> str | None:
    """normalise_name without trailing legal-form suffixes (doo, GmbH, Ltd …)."""
    # dots go before punctuation becomes spaces, so "d.o.o." reads as "doo"
    name = normalise_name(value.replace(".", "") if value else value)
    if name is None:
        return None
    tokens = name.split()
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for form in _legal_forms():
            if len(tokens) > len(form) and tuple(tokens[-len(form) :]) == form:
                tokens = tokens[: -len(form)]
                changed = True
                break
    return " ".join(tokens)


def name_tokens(value: str | None) -> tuple[str, ...]:
    """Sorted tokens of a normalised name: word order differs between sources."""
    name = normalise_name(value)
    return tuple(sorted(name.split())) if name else ()


@cache
def _address_table() -> dict[str, str]:
    data = _load_data("address_abbreviations.yaml")
    table: dict[str, str] = {}
    for canonical, variants in data["canonical"].items():
        # YAML reads a bare no/yes/on/off as a boolean: "no" (number) once became
        # "False", and addresses with "num" stopped matching those with "no".
        if not isinstance(canonical, str) or not all(isinstance(v, str) for v in variants):
            raise ValueError(
                f"address_abbreviations.yaml: {canonical!r}: every token must be text "
                '(quote words such as "no" that YAML reads as true/false)'
            )
        for variant in variants:
            key = variant.replace(".", "")
            if key in table and table[key] != canonical:
                raise ValueError(f"address token {key!r} mapped twice")
            table[key] = str(canonical)
    return table


def normalise_address(value: str | None) -> str | None:
    """Comparable form of a free-text address.

    Transliterates, lower-cases, drops punctuation and maps street-type and unit
    words to one token each. It does not parse the address into parts nor
    reorder them: two writings with different word order stay different.
    """
    name = normalise_name(value)
    if name is None:
        return None
    table = _address_table()
    return " ".join(table.get(tok, tok) for tok in name.split())


def _load_data(name: str) -> dict[str, Any]:
    text = resources.files("palermo.investigate").joinpath("data", name).read_text("utf-8")
    loaded = yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise ValueError(f"{name}: expected a mapping")
    return loaded
