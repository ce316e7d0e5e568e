"""Sentences that remember how they were made, so they can be said in another language.

The engine explains its suggestion in English, its reference wording: that text is part of
the stored result, the API and the CLI output, and it must not change with the reader's
language. A :class:`Msg` *is* that English text (a ``str`` subclass, so caches, equality
and JSON serialisation see the plain sentence) and also keeps its template and its parts.
The Django shell renders the same template through gettext with each part in the reader's
language (``screening/labels.py``, ``say``). Nothing here imports Django.

Parts:
- :class:`Msg` – a nested sentence or phrase (its template is a translatable msgid);
- :class:`Data` – English text from a data file (an indicator's label, a list's title), which
  the shell translates with the data-file msgids; ``lower=True`` reads it mid-sentence;
- :class:`Code` – a code of a known vocabulary (an outcome, a status, a Palermo element),
  which the shell names in words; in English it reads as the code with spaces;
- :class:`Join` – "a, b and c" (or another separator), of parts;
- :class:`Count` – "2 strong" (a number of indicators of one grade);
- a plain ``str`` – said as it is (numbers, versions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union


def _(text: str) -> str:
    """Marks a template for extraction (makemessages); translation happens in the shell."""
    return text


def lower_first(label: str) -> str:
    # "Debt bondage" reads "debt bondage" mid-sentence; leave acronyms ("ILO ...") alone.
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def join_words(words: Sequence[str], sep: str = ", ", last: str = " and ") -> str:
    if len(words) <= 1:
        return "".join(words)
    return sep.join(words[:-1]) + last + words[-1]


class Data(str):
    """English text from a data file; ``lower`` when read mid-sentence."""

    mid_sentence: bool  # (not "lower": that would hide str.lower)
    text: str

    def __new__(cls, text: str, *, lower: bool = False) -> Data:
        obj = super().__new__(cls, lower_first(text) if lower else text)
        obj.text = text
        obj.mid_sentence = lower
        return obj

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:  # pickle and deepcopy
        return _data, (self.text, self.mid_sentence)


class Code(str):
    """A code of vocabulary ``kind`` ("outcome", "status", "status_rule", "act", "means",
    "purpose"); English reads it with spaces for underscores, or as it is (``spaced=False``:
    a rule's name quoted for reference)."""

    kind: str
    code: str
    spaced: bool

    def __new__(cls, kind: str, code: str, *, spaced: bool = True) -> Code:
        obj = super().__new__(cls, code.replace("_", " ") if spaced else code)
        obj.kind = kind
        obj.code = code
        obj.spaced = spaced
        return obj

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return _code, (self.kind, self.code, self.spaced)


class Count(str):
    """``n`` indicators of ``grade``: "2 strong"."""

    n: int
    grade: str

    def __new__(cls, n: int, grade: str) -> Count:
        obj = super().__new__(cls, f"{n} {grade}")
        obj.n = n
        obj.grade = grade
        return obj

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return Count, (self.n, self.grade)


Part = Union["Msg", Data, Code, "Join", Count, str]


class Join(str):
    """Parts joined as "a, b and c"; ``sep``/``last`` give other joins ("; " for reasons).
    ``capitalise`` upper-cases the first letter of the whole (as str.capitalize in English)."""

    parts: tuple[Part, ...]
    sep: str
    last: str
    capitalise: bool

    def __new__(
        cls,
        parts: Sequence[Part],
        *,
        sep: str = ", ",
        last: str = " and ",
        capitalise: bool = False,
    ) -> Join:
        text = join_words([str(p) for p in parts], sep, last)
        obj = super().__new__(cls, text.capitalize() if capitalise else text)
        obj.parts = tuple(parts)
        obj.sep = sep
        obj.last = last
        obj.capitalise = capitalise
        return obj

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return _join, (self.parts, self.sep, self.last, self.capitalise)


class Msg(str):
    """A sentence: ``template`` (with ``{name}`` fields, a msgid) filled with ``params``."""

    template: str
    params: dict[str, Part]

    def __new__(cls, template: str, **params: Part) -> Msg:
        obj = super().__new__(cls, template.format(**{k: str(v) for k, v in params.items()}))
        obj.template = template
        obj.params = params
        return obj

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return _msg, (self.template, self.params)


def _data(text: str, lower: bool) -> Data:
    return Data(text, lower=lower)


def _code(kind: str, code: str, spaced: bool) -> Code:
    return Code(kind, code, spaced=spaced)


def _join(parts: Sequence[Part], sep: str, last: str, capitalise: bool) -> Join:
    return Join(parts, sep=sep, last=last, capitalise=capitalise)


def _msg(template: str, params: dict[str, Part]) -> Msg:
    return Msg(template, **params)


__all__ = ["Code", "Count", "Data", "Join", "Msg", "Part", "join_words", "lower_first"]
