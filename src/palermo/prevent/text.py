"""Safe handling of text typed by the public or pasted by analysts, in any language.

Pure: no Django imports. Every public field passes through :func:`clean` before anything else
reads it: control characters (NUL included) and lone surrogates are removed, the text is put in
Unicode NFC form, and it is cut at a bound, so a rule never sees half a character and a template
never receives a byte it cannot escape. :func:`fold` is the form rules match on (NFKC,
case-folded), which keeps Cyrillic, Arabic or Albanian letters as they are.
"""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def clean(text: str, *, max_chars: int, multiline: bool = True) -> str:
    """``text`` without control characters or lone surrogates, in NFC, at most ``max_chars``
    characters, spaces collapsed and ends stripped. Line breaks survive only when ``multiline``."""
    out = _SURROGATE.sub("", text)
    out = out.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        out = out.replace("\n", " ").replace("\t", " ")
    out = _CONTROL.sub("", out)
    out = unicodedata.normalize("NFC", out)
    out = "\n".join(_SPACES.sub(" ", line).strip() for line in out.split("\n")).strip()
    return out[:max_chars].strip()


def fold(text: str) -> str:
    """The form rules match on: NFKC (full-width digits, ligatures), case-folded.

    Its length can differ from ``text`` (``ß`` → ``ss``); callers that report spans match on
    :func:`fold_keep_length` instead."""
    return unicodedata.normalize("NFKC", text).casefold()


def fold_keep_length(text: str) -> str:
    """A case-insensitive form of exactly ``len(text)`` characters, so a match's span points
    into the original text: each character folds alone and keeps its own place when its
    folded form is not a single character."""
    out = []
    for ch in text:
        f = ch.lower()
        out.append(f if len(f) == 1 else ch)
    return "".join(out)
