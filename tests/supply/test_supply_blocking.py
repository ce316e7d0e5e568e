"""Blocking for site matching (issue 18): ``SiteIndex`` scores only the known sites that
share a name key with the row, and on generated data never loses a match the exhaustive
scorer (``sites.match``) finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.supply import sites

_SYLLABLES = ["ka", "ro", "mi", "ten", "sol", "var", "lu", "dor", "pex", "zan", "bri", "quo"]
_KINDS = ["Textiles", "Garments", "Manufacturing", "Bricks", "Foods", "Leather", ""]
_SUFFIXES = [" Ltd", " Limited", " Co", " Company", ""]
_ACCENTS = {"a": "á", "e": "é", "o": "ö", "u": "ü", "i": "î"}

_word = st.lists(st.sampled_from(_SYLLABLES), min_size=1, max_size=4).map("".join)


@st.composite
def site_names(draw: st.DrawFn) -> str:
    words = draw(st.lists(_word, min_size=1, max_size=2))
    return (
        " ".join(w.title() for w in words)
        + " "
        + draw(st.sampled_from(_KINDS))
        + draw(st.sampled_from(_SUFFIXES))
    )


@st.composite
def variant(draw: st.DrawFn, name: str) -> str:
    """The name as another file might give it: one change per word at most (a typed,
    missing, extra or swapped letter; an accent), abbreviations, case, punctuation, order."""
    words = name.replace("Manufacturing", draw(st.sampled_from(["Manufacturing", "Mfg"])))
    words = words.replace(" Limited", draw(st.sampled_from([" Limited", " Ltd", " Ltd."])))
    out = []
    for w in words.split():
        op = draw(st.sampled_from(["keep", "keep", "swap", "typo", "drop", "add", "accent"]))
        i = draw(st.integers(0, max(len(w) - 1, 0)))
        if op == "swap" and len(w) >= 2:
            i = min(i, len(w) - 2)
            w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        elif op == "typo":
            w = w[:i] + draw(st.sampled_from("xqz")) + w[i + 1 :]
        elif op == "drop" and len(w) >= 2:
            w = w[:i] + w[i + 1 :]
        elif op == "add":
            w = w[:i] + draw(st.sampled_from("xqz")) + w[i:]
        elif op == "accent":
            w = "".join(_ACCENTS.get(c, c) for c in w)
        out.append(w)
    if draw(st.booleans()):
        out.reverse()
    text = " ".join(out)
    return draw(st.sampled_from([text, text.upper(), text.lower(), text.replace(" ", ", ")]))


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[sites.KnownSite], list[tuple[str, str, str]]]:
    known, names = [], []
    for i in range(draw(st.integers(1, 30))):
        names.append(draw(site_names()))
        known.append(
            sites.KnownSite.of(
                i,
                "",
                draw(st.sampled_from(["XA", "XB"])),
                names[-1],
                f"{draw(st.integers(1, 9))} {draw(_word).title()} Road",
            )
        )
    rows = []
    for _ in range(draw(st.integers(1, 10))):
        if draw(st.booleans()):  # a known site, as another file would write it
            i = draw(st.integers(0, len(known) - 1))
            name = draw(variant(names[i]))
            address = known[i].address_key.replace("road", draw(st.sampled_from(["Road", "Rd"])))
            rows.append((known[i].country_code, name, address))
        else:  # anything
            rows.append((draw(st.sampled_from(["XA", "XB"])), draw(site_names()), "1 New Street"))
    return known, rows


@settings(max_examples=300, deadline=None)
@given(world=worlds())
def test_blocking_never_loses_a_match_the_exhaustive_scorer_finds(world):
    known, rows = world
    index = sites.SiteIndex(known)
    for country, name, address in rows:
        exhaustive = sites.match("", country, name, address, known)
        blocked = index.match("", country, name, address)
        assert blocked.status == exhaustive.status, (name, exhaustive, blocked)
        assert blocked.site_id == exhaustive.site_id
        if exhaustive.status != sites.NEW:
            assert blocked.score == exhaustive.score


def test_a_one_letter_change_in_each_word_still_shares_a_key():
    for known, incoming in [
        ("karomiten textiles", "kraomiten txetiles"),  # swapped letters
        ("solvar", "solvxr"),  # a short word, a typed letter
        ("dorpexzan", "dorpezan"),  # a long word, a missing letter
        ("lu", "lux"),  # an extra letter
    ]:
        assert sites.block_keys(known) & sites.block_keys(incoming), (known, incoming)


def test_unrelated_names_share_no_key():
    assert not sites.block_keys("karomiten") & sites.block_keys("quobrilu")


def test_a_common_word_stops_being_a_key_past_the_limit():
    known = [sites.KnownSite.of(i, "", "XA", f"Site{i}x Textiles", "1 Road") for i in range(5)]
    index = sites.SiteIndex(known, limit=3)
    # "textiles" is shared by 5 > 3 sites: the word no longer makes anyone a candidate.
    assert index.candidates("XA", "textiles") == []
    assert index.candidates("XA", sites.key_text("Site2x Textiles", generic=False)) == [2]
    assert index.match("", "XA", "Site2x Textiles", "1 Road").site_id == 2
    # Another country's sites are never candidates.
    assert index.candidates("XB", sites.key_text("Site2x Textiles", generic=False)) == []


def test_an_os_id_matches_first_and_a_generic_name_is_scored_against_the_country():
    known = [
        sites.KnownSite.of(1, "", "XA", "The Factory", "1 Mill Road"),
        sites.KnownSite.of(2, "IN2019067X1K87G", "XA", "Karomiten", "2 Road"),
    ]
    index = sites.SiteIndex(known)
    assert index.match("IN2019067X1K87G", "XA", "Other", "9 Street") == sites.Match(
        sites.MATCHED, 2, 100.0
    )
    assert index.match("", "XA", "Factory Ltd", "1 Mill Rd") == sites.match(
        "", "XA", "Factory Ltd", "1 Mill Rd", known
    )
    assert index.match("", "XA", "Factory Ltd", "1 Mill Rd").site_id == 1


def _reference_key_text(value: str, *, generic: bool = True) -> str:
    """sites.key_text before issue 18 (every text through NFKD, character by character)."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", value.casefold())
    plain = "".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c))
    words = (sites._ABBREVIATIONS.get(w, w) for w in plain.split())
    return " ".join(w for w in words if generic or w not in sites._GENERIC)


@settings(max_examples=500, deadline=None)
@given(
    value=st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127)),
        st.text(),
        st.sampled_from(["Mfg. Co, Ltd", "Šević Tekstil d.o.o.", "ＡＢＣ Plant", "ß Straße 1"]),
    ),
    generic=st.booleans(),
)
def test_key_text_ascii_shortcut_matches_the_reference(value, generic):
    assert sites.key_text(value, generic=generic) == _reference_key_text(value, generic=generic)
