"""Text from the public: control characters, NUL, lone surrogates and length, in any script."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from palermo.prevent.text import clean, fold, fold_keep_length


def test_nul_and_control_characters_are_removed():
    assert clean("a\x00b\x07c\u200bd", max_chars=50) == "abcd"


def test_lone_surrogates_are_removed():
    assert clean("ok\ud800ok", max_chars=50) == "okok"


def test_scripts_survive():
    for s in (
        "Робота у Польщі",
        "عمل في دبي",
        "Punë në Gjermani",
        "Посао у Србији",
        "Muncă în Italia",
    ):
        assert clean(s, max_chars=100) == s


def test_multiline_only_when_asked():
    assert clean("a\r\nb", max_chars=10) == "a\nb"
    assert clean("a\r\nb", max_chars=10, multiline=False) == "a b"


@given(st.text(), st.integers(min_value=0, max_value=300))
def test_clean_is_bounded_printable_nfc_and_idempotent(text, bound):
    out = clean(text, max_chars=bound)
    assert len(out) <= bound
    assert "\x00" not in out
    assert all(unicodedata.category(ch) != "Cs" for ch in out)
    assert all(ch in "\n\t" or unicodedata.category(ch) != "Cc" for ch in out)
    assert clean(out, max_chars=bound) == out or len(clean(out, max_chars=bound)) <= bound


@given(st.text())
def test_fold_keep_length_keeps_length(text):
    assert len(fold_keep_length(text)) == len(text)


def test_fold_matches_full_width_and_case():
    assert fold("ＷＨＡＴＳＡＰＰ") == "whatsapp"
