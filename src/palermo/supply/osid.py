"""Open Supply Hub facility identifiers (OS IDs): check and make.

An OS ID has 15 characters: the ISO 3166-1 alpha-2 country code, the year and day of
year of creation (7 digits), five Crockford base-32 characters and one check character.
The check character is the Crockford symbol at
``(ord(c1) + ord(c2) + sum of the symbol index of characters 3–14) mod 32``
(opensupplyhub/open-supply-hub, ``src/django/api/os_id.py``). Hyphens and spaces are
ignored, as Open Supply Hub ignores them.

Pure: no Django imports.
"""

from __future__ import annotations

import re
from typing import Final

SYMBOLS: Final[str] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
_INDEX: Final[dict[str, int]] = {c: i for i, c in enumerate(SYMBOLS)}
_FORMAT: Final[re.Pattern[str]] = re.compile(r"^[A-Z]{2}[0-9]{7}[A-Z0-9]{6}$")


def _(text: str) -> str:
    return text


def normalise(raw: str) -> str:
    return raw.replace("-", "").replace(" ", "").strip().upper()


def check_character(short_id: str) -> str:
    """The check character of the first 14 characters of an OS ID."""
    if len(short_id) != 14:
        raise ValueError("an OS ID without its check character has 14 characters")
    total = ord(short_id[0]) + ord(short_id[1])
    for c in short_id[2:]:
        if c not in _INDEX:
            raise ValueError(f"{c!r} is not a Crockford base-32 symbol")
        total += _INDEX[c]
    return SYMBOLS[total % 32]


def make(country: str, year: int, day_of_year: int, random_part: str) -> str:
    """An OS ID from its parts (``random_part``: five Crockford symbols)."""
    short = f"{country.upper()}{year:04d}{day_of_year:03d}{random_part.upper()}"
    return short + check_character(short)


def problem(raw: str) -> str | None:
    """None for a valid OS ID, else what is wrong with it (a message to translate)."""
    value = normalise(raw)
    if len(value) != 15:
        return _("An OS ID has 15 characters.")
    if not _FORMAT.match(value):
        return _("An OS ID is two letters, seven digits and six letters or digits.")
    if any(c not in _INDEX for c in value[2:]):
        return _("An OS ID uses no I, L, O or U after the country code.")
    if check_character(value[:14]) != value[14]:
        return _("The last character of this OS ID does not match: check for a typing error.")
    return None


def is_valid(raw: str) -> bool:
    return problem(raw) is None
