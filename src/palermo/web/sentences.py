"""Stored English sentences (``palermo.core.sentences``) said in the reader's language.

A record keeps the English text it was written with (a case timeline entry, an alert's
summary). A page reads it back against the sentences it may have been written with; when
one reads it back exactly, the page says that sentence through gettext, each value in the
reader's words (a phase by its translated label, a date and a number in the reader's
format, a count with the right plural form). A text no sentence reads back (written by
an older release, cut short, from another source) is shown as written and marked
``lang="en"``, so a screen reader pronounces it as English (WCAG 3.1.2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from palermo.core.sentences import (
    Book,
    Code,
    Count,
    Date,
    ListOf,
    Number,
    Said,
    Slot,
    Text,
    Words,
)

__all__ = ["Shown", "english_reader", "lower_first", "say", "shown", "shown_html"]

#: say one value of a vocabulary (``Words.vocab``) or a count's noun (``"count:" + noun``)
Sayers = Mapping[str, Callable[[Any], str]]


def english_reader() -> bool:
    return (get_language() or "en").split("-")[0] == "en"


def lower_first(text: str) -> str:
    # "Identification" reads "identification" mid-sentence; leave acronyms ("NGO …") alone.
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _number(text: str) -> str:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    places = len(text.split(".", 1)[1]) if "." in text else 0
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def _slot(slot: Slot, value: Any, written: str, sayers: Sayers) -> str:
    from palermo.web.display import data_text

    if isinstance(slot, Count):
        counted = sayers.get(f"count:{slot.noun}")
        return counted(value) if counted is not None else written
    if isinstance(slot, Number):
        return _number(str(value))
    if isinstance(slot, Date):
        return str(formats.date_format(value, "SHORT_DATE_FORMAT"))
    if isinstance(slot, Code):
        sayer = sayers.get(slot.vocab)
        return sayer(value) if sayer is not None else written
    if isinstance(slot, Words):
        sayer = sayers.get(slot.vocab)
        # The label as the table has it is the msgid (a data msgid or a marked string).
        label = slot.labels().get(str(value), written)
        text = sayer(value) if sayer is not None else gettext(label) if label else ""
        return lower_first(text) if slot.lower else text
    if isinstance(slot, ListOf):
        return slot.sep.join(_slot(slot.item, v, slot.item.write(v), sayers) for v in value)
    if isinstance(slot, Text) and slot.data:
        return data_text(value)
    return written


def say(said: Said, sayers: Sayers | None = None) -> str:
    """``said`` in the active language. A translation whose fields do not match its
    template falls back to the English template (with the values still translated)."""
    sentence = said.sentence
    parts = {
        name: _slot(sentence.slots[name], value, sentence.slots[name].write(value), sayers or {})
        for name, value in said.values.items()
    }
    try:
        return gettext(sentence.template).format(**parts)
    except (KeyError, IndexError, ValueError):
        return sentence.template.format(**parts)


@dataclass(frozen=True)
class Shown:
    """What a page shows for a stored sentence: ``text``, and ``lang`` ("en") when it is
    the stored English shown as written on a page in another language."""

    text: str
    lang: str = ""


def shown(
    stored: object,
    book: Book,
    sayers: Sayers | None = None,
    keys: list[str] | None = None,
) -> Shown:
    """The stored text for the reader: said in the reader's language when a sentence of
    ``book`` reads it back exactly; else as written (marked English for a reader of another
    language). An English reader is told it too: the record carries codes ("lead_organisation",
    "online_advertising", "XA", ISO dates, bare numbers) that the sayers put in words."""
    text = str(stored or "")
    if not text:
        return Shown(text)
    said = book.read(text, keys)
    if said is None:
        return Shown(text, "" if english_reader() else "en")
    return Shown(say(said, sayers))


def shown_html(value: Shown) -> SafeString:
    """The text escaped, in a ``<span lang="en">`` when it is English on another language's page."""
    if value.lang:
        return format_html('<span lang="{}">{}</span>', value.lang, value.text)
    return format_html("{}", value.text)
