"""Stored English sentences that can be read back, so a page can say them in another language.

Some text Palermo writes is a record: a case timeline entry, a red-flag alert's summary.
It is stored in English, its reference wording, and never rewritten (it is evidence, and
digests are computed over it). A :class:`Sentence` is the template such text is made from
(``"Phase: {previous} → {target}"``, also its gettext msgid) with a typed :class:`Slot` per
field. Writing through it gives a :class:`Said` — a ``str`` that *is* the English text, byte
for byte, and also keeps the sentence and the values. Reading a stored text back
(:meth:`Book.read`) matches it against the templates and accepts a match only when writing
the values again gives exactly the stored text, so a sentence whose wording changed since,
or that was cut short, is never misread: it is shown as written, in English.

The Django shell says a :class:`Said` in the reader's language (``palermo.web.sentences``).
Nothing here imports Django (the same idea as ``palermo.screening.phrases``, for text
that is parsed back from storage rather than rebuilt by re-running an engine).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from string import Formatter
from typing import Any

__all__ = [
    "Book",
    "Code",
    "Count",
    "Date",
    "ListOf",
    "Number",
    "Said",
    "Sentence",
    "Slot",
    "Text",
    "Words",
]


class Slot:
    """One field of a sentence: how its value is written in English and read back."""

    #: a regular expression matching the English text of a value (no capturing groups)
    pattern: str = ".+?"

    def write(self, value: Any) -> str:
        return str(value)

    def read(self, text: str) -> Any:
        return text


@dataclass(frozen=True)
class Text(Slot):
    """Free text said as it is (a name, a reference). ``data``: English text from a data
    file (a task's title), which the shell passes through the data msgids."""

    data: bool = False
    pattern: str = ".+?"


@dataclass(frozen=True)
class Code(Slot):
    """A code written as it is (a country's ``XK``, a payee category's ``hotel``), matching
    ``pattern``; the shell says it by its vocabulary ``vocab``."""

    vocab: str = ""
    pattern: str = r"[A-Za-z0-9_]+"


@dataclass(frozen=True)
class Number(Slot):
    """A number as written (``12345.00``), said in the reader's number format."""

    pattern: str = r"-?\d+(?:\.\d+)?"


@dataclass(frozen=True)
class Count(Slot):
    """``n`` things: English writes ``"3 payments"`` (``noun`` is the English plural, always
    used, as the stored text does); the shell says it with the plural form the number needs."""

    noun: str = ""

    @property
    def pattern(self) -> str:  # type: ignore[override]
        return r"\d+ " + re.escape(self.noun)

    def write(self, value: Any) -> str:
        return f"{int(value)} {self.noun}"

    def read(self, text: str) -> int:
        return int(text.split(" ", 1)[0])


@dataclass(frozen=True)
class Date(Slot):
    """A date written as ISO 8601 (``2026-12-02``), said in the reader's date format."""

    pattern: str = r"\d{4}-\d{2}-\d{2}"

    def write(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)

    def read(self, text: str) -> date:
        return date.fromisoformat(text)


@dataclass(frozen=True)
class Words(Slot):
    """A value of a known vocabulary ``vocab``: ``table`` maps each code to its English text
    as written (or a function giving that table, for labels only the shell knows).
    ``lower``: written in lower case (``str.lower``), as read mid-sentence."""

    vocab: str = ""
    table: Mapping[str, str] | Callable[[], Mapping[str, str]] = field(default_factory=dict)
    lower: bool = False

    def labels(self) -> Mapping[str, str]:
        """Code → the table's English label (before ``lower``): the msgid the shell says."""
        return self.table() if callable(self.table) else self.table

    def english(self) -> dict[str, str]:
        return {k: v.lower() if self.lower else v for k, v in self.labels().items()}

    @property
    def pattern(self) -> str:  # type: ignore[override]
        # Longest first, so "not acceptable" is not read as "acceptable" plus a tail.
        options = sorted(set(self.english().values()), key=len, reverse=True)
        return "|".join(re.escape(o) for o in options) or "(?!)"

    def write(self, value: Any) -> str:
        return self.english()[str(value)]

    def read(self, text: str) -> str:
        for code, english in self.english().items():
            if english == text:
                return code
        raise ValueError(text)


@dataclass(frozen=True)
class ListOf(Slot):
    """Several values of one slot joined by ``sep`` (``"identity, contact"``)."""

    item: Slot = field(default_factory=Text)
    sep: str = ", "

    @property
    def pattern(self) -> str:  # type: ignore[override]
        one = f"(?:{self.item.pattern})"
        return f"{one}(?:{re.escape(self.sep)}{one})*"

    def write(self, value: Any) -> str:
        return self.sep.join(self.item.write(v) for v in value)

    def read(self, text: str) -> tuple[Any, ...]:
        # Split on the separator, then check each piece is a whole item.
        pieces = text.split(self.sep)
        whole = re.compile(f"(?:{self.item.pattern})")
        if not all(whole.fullmatch(p) for p in pieces):
            raise ValueError(text)
        return tuple(self.item.read(p) for p in pieces)


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


class Said(str):
    """The English text of a sentence (what is stored), keeping the sentence and its values."""

    sentence: Sentence
    values: dict[str, Any]

    def __new__(cls, sentence: Sentence, values: Mapping[str, Any]) -> Said:
        text = sentence.template.format(
            **{name: sentence.slots[name].write(v) for name, v in values.items()}
        )
        obj = super().__new__(cls, text)
        obj.sentence = sentence
        obj.values = dict(values)
        return obj

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:  # copy, deepcopy, pickle
        return Said, (self.sentence, self.values)


@dataclass(frozen=True)
class Sentence:
    """``template`` (English, with ``{name}`` fields; also the msgid) and one slot per field.
    ``key`` names the sentence in code and tests."""

    key: str
    template: str
    slots: Mapping[str, Slot] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = _fields(self.template)
        if sorted(names) != sorted(self.slots) or len(set(names)) != len(names):
            raise ValueError(f"{self.key}: the fields of the template and the slots differ")

    def __call__(self, **values: Any) -> Said:
        return Said(self, values)

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        # Built once: the English of every slot is fixed (labels are read in English).
        out = []
        for literal, name, _, _ in Formatter().parse(self.template):
            out.append(re.escape(literal))
            if name:
                out.append(f"(?P<{name}>{self.slots[name].pattern})")
        return re.compile("".join(out), re.DOTALL)

    def read(self, text: str) -> Said | None:
        """``text`` read back as this sentence, or None. A match counts only when writing
        its values again gives ``text`` exactly."""
        found = self._regex.fullmatch(text)
        if found is None:
            return None
        try:
            values = {name: self.slots[name].read(found.group(name)) for name in self.slots}
            said = self(**values)
        except (ValueError, KeyError, TypeError):
            return None
        return said if str(said) == text else None


class Book:
    """The sentences one kind of record is written with."""

    def __init__(self, sentences: Iterable[Sentence]) -> None:
        self.sentences = tuple(sentences)
        keys = [s.key for s in self.sentences]
        if len(set(keys)) != len(keys):
            raise ValueError("a sentence key is used twice")
        self.by_key = {s.key: s for s in self.sentences}

    def __getitem__(self, key: str) -> Sentence:
        return self.by_key[key]

    def read(self, text: str, keys: Iterable[str] | None = None) -> Said | None:
        """The first sentence (of ``keys``, if given) that reads ``text`` back exactly."""
        chosen = self.sentences if keys is None else [self.by_key[k] for k in keys]
        for sentence in chosen:
            said = sentence.read(text)
            if said is not None:
                return said
        return None
