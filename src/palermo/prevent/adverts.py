"""Screening job adverts: per-language rules with their sources, highlighted spans, contact
details, and near-duplicate grouping so that one recruiter's campaign becomes one lead.

Pure: no Django imports. ``data/advert_rules.json`` holds the patterns; each rule names its
indicator, its language ("*" for any) and the ids of its sources in the job-offer rules file,
and the loader refuses a rule citing an unknown source, an unknown indicator or a pattern that
does not compile. A flag always carries the rule, the indicator and the matched span, so an
analyst sees why an advert was flagged; a flag is a reason to look, never a finding.

Grouping (:func:`group_near_duplicates`) uses MinHash signatures of character 5-grams (digits,
phone numbers, e-mails and links masked, so the same template with another number still groups)
and locality-sensitive hashing; candidate pairs are confirmed on the estimated Jaccard
similarity. The threshold is stated in :data:`DUPLICATE_THRESHOLD`.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import phonenumbers

from palermo.prevent import checker
from palermo.prevent.text import clean

RULES_FILE = Path(__file__).parent / "data" / "advert_rules.json"
MAX_ADVERT_CHARS = 20_000
DUPLICATE_THRESHOLD = 0.6  # estimated Jaccard similarity of 5-gram sets
SHINGLE = 5
NUM_PERM = 64
BANDS = 16  # 16 bands × 4 rows: pairs at Jaccard 0.6 become candidates with p ≈ 0.9


def _(text: str) -> str:  # marks text for gettext; the Django shell translates it
    return text


INDICATOR_LABELS: dict[str, str] = {
    "fee": _("Fee asked from the worker"),
    "debt": _("Travel or costs repaid from wages"),
    "no_experience": _("No experience or language needed"),
    "messenger": _("Contact through a messenger app"),
    "urgency": _("Pressure to decide or leave quickly"),
    "visa": _("Tourist visa or no work permit"),
    "passport": _("Passport to be handed over"),
    "photos": _("Photos or 'modelling' asked for"),
    "free_housing": _("Free housing or travel offered"),
    "young_women": _("Young women sought by age"),
}


@dataclass(frozen=True, slots=True)
class AdvertRule:
    id: str
    indicator: str
    lang: str
    strength: str
    sources: tuple[str, ...]
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: cached per loaded set
class AdvertRuleSet:
    version: str
    rules: tuple[AdvertRule, ...]
    sources: Mapping[str, checker.Source]
    languages: frozenset[str]

    def for_language(self, lang: str) -> tuple[AdvertRule, ...]:
        return _rules_for(self, lang)


@cache
def _rules_for(rules: AdvertRuleSet, lang: str) -> tuple[AdvertRule, ...]:
    # An advert in a language without its own rules is screened by every language's rules:
    # a missed language must not mean a silent pass.
    if lang not in rules.languages:
        return rules.rules
    return tuple(r for r in rules.rules if r.lang in (lang, "*"))


def parse(document: Mapping[str, Any], sources: Mapping[str, checker.Source]) -> AdvertRuleSet:
    indicators = set(document["indicators"])
    unknown = indicators - set(INDICATOR_LABELS)
    if unknown:
        raise checker.RulesError(f"indicators without a label: {sorted(unknown)}")
    rules: list[AdvertRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(document["rules"]):
        rid = str(raw["id"])
        where = f"rules[{i}] ({rid})"
        if rid in seen:
            raise checker.RulesError(f"{where}: id used twice")
        seen.add(rid)
        if raw["indicator"] not in indicators:
            raise checker.RulesError(f"{where}: unknown indicator {raw['indicator']!r}")
        if raw["strength"] not in checker.STRENGTHS:
            raise checker.RulesError(f"{where}: unknown strength {raw['strength']!r}")
        cited = tuple(str(s) for s in raw["sources"])
        if not cited or any(s not in sources for s in cited):
            raise checker.RulesError(f"{where}: a rule needs known sources, got {cited}")
        try:
            pattern = re.compile(str(raw["pattern"]), re.IGNORECASE)
        except re.error as exc:
            raise checker.RulesError(f"{where}: pattern does not compile: {exc}") from exc
        rules.append(
            AdvertRule(
                rid, str(raw["indicator"]), str(raw["lang"]), raw["strength"], cited, pattern
            )
        )
    languages = frozenset(r.lang for r in rules if r.lang != "*")
    return AdvertRuleSet(str(document["version"]), tuple(rules), sources, languages)


@cache
def load(path: Path = RULES_FILE) -> AdvertRuleSet:
    with path.open(encoding="utf-8") as fh:
        return parse(json.load(fh), checker.load().sources)


@dataclass(frozen=True, slots=True)
class Flag:
    rule_id: str
    indicator: str
    strength: str
    start: int
    end: int
    matched: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entities:
    phones: tuple[str, ...]  # E.164
    emails: tuple[str, ...]
    urls: tuple[str, ...]
    agencies: tuple[str, ...]  # names written next to "agency", as written


@dataclass(frozen=True, slots=True)
class Screened:
    text: str  # the cleaned text the spans point into
    language: str
    flags: tuple[Flag, ...]
    entities: Entities

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.indicator for f in self.flags))


def screen_text(text: str, language: str, rules: AdvertRuleSet) -> tuple[Flag, ...]:
    """Every match of every rule for ``language``, in text order. ``text`` must already be
    cleaned (:func:`prepare`): spans index into it."""
    flags: list[Flag] = []
    for rule in rules.for_language(language):
        for m in rule.pattern.finditer(text):
            if m.end() > m.start():
                flags.append(
                    Flag(
                        rule.id,
                        rule.indicator,
                        rule.strength,
                        m.start(),
                        m.end(),
                        m.group(0),
                        rule.sources,
                    )
                )
    flags.sort(key=lambda f: (f.start, f.end, f.rule_id))
    return tuple(flags)


_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']{2,200}", re.IGNORECASE)
_AGENCY = re.compile(
    r"(?i:agency|agenc[ij]a|agen[țţt]ia|agjencia|агентств[оа]|агенці[яї]|агенциј[аe])\s+"
    r"[\"«“„']?((?:[A-ZА-ЯЁІЇЄҐ][\w&.-]*\s?){1,4})",
)


def extract_entities(text: str, region: str = "ZZ") -> Entities:
    """Phone numbers (to E.164; numbers without a country prefix are read as ``region``'s),
    e-mail addresses, links and agency names."""
    phones: list[str] = []
    try:
        for m in phonenumbers.PhoneNumberMatcher(text, None if region == "ZZ" else region):
            phones.append(phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
    except phonenumbers.NumberParseException:  # pragma: no cover - the matcher skips bad ones
        pass
    emails = [m.group(0).rstrip(".") for m in _EMAIL.finditer(text)]
    urls = [m.group(0).rstrip(".,;:)!?") for m in _URL.finditer(text)]
    agencies = [m.group(1).strip(" .,") for m in _AGENCY.finditer(text)]
    return Entities(
        tuple(dict.fromkeys(phones)),
        tuple(dict.fromkeys(e.lower() for e in emails)),
        tuple(dict.fromkeys(urls)),
        tuple(dict.fromkeys(a for a in agencies if a)),
    )


def prepare(text: str) -> str:
    """The form of an advert that is screened, stored and shown."""
    return clean(text, max_chars=MAX_ADVERT_CHARS, multiline=True)


def screen(text: str, language: str, rules: AdvertRuleSet, region: str = "ZZ") -> Screened:
    t = prepare(text)
    return Screened(t, language, screen_text(t, language, rules), extract_entities(t, region))


def highlight(text: str, flags: Sequence[Flag]) -> list[tuple[str, Flag | None]]:
    """``text`` cut into pieces, each with the flag that covers it (the earliest starting one
    where flags overlap) or None. Joining the pieces gives ``text`` back."""
    pieces: list[tuple[str, Flag | None]] = []
    pos = 0
    for f in sorted(flags, key=lambda f: (f.start, -f.end)):
        if f.start < pos:
            continue  # overlaps a span already shown
        if f.start > pos:
            pieces.append((text[pos : f.start], None))
        pieces.append((text[f.start : f.end], f))
        pos = f.end
    if pos < len(text):
        pieces.append((text[pos:], None))
    return pieces


# --- near-duplicate grouping --------------------------------------------------------------

_MASK = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w.-]+|\+?\d[\d\s().-]{4,}\d|\d+")
_WS = re.compile(r"\s+")
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20261202)
_A = _rng.integers(1, 1 << 31, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=NUM_PERM, dtype=np.uint64)


def template_form(text: str) -> str:
    """The advert with numbers, links and addresses masked, case-folded, spaces collapsed."""
    return _WS.sub(" ", _MASK.sub("#", text.casefold())).strip()


def signature(text: str) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """MinHash signature (``NUM_PERM`` values) of the advert's 5-gram set."""
    t = template_form(text)
    if len(t) < SHINGLE:
        t = t.ljust(SHINGLE, "_")
    grams = {t[i : i + SHINGLE] for i in range(len(t) - SHINGLE + 1)}
    hashes = np.fromiter(
        (zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams)
    )
    # (a·x + b) mod 2^61−1 for 31-bit a, x: no overflow in 64 bits before the modulus.
    values = (np.outer(_A, hashes) + _B[:, None]) % np.uint64(_PRIME)
    out: np.ndarray[Any, np.dtype[np.uint64]] = values.min(axis=1)
    return out


def similarity(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def group_near_duplicates(
    texts: Sequence[str], *, threshold: float = DUPLICATE_THRESHOLD
) -> list[list[int]]:
    """Groups of indices of ``texts`` that come from one template, each sorted, largest group
    first (ties by first index). Every index is in exactly one group."""
    n = len(texts)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sigs = [signature(t) for t in texts]
    rows = NUM_PERM // BANDS
    for band in range(BANDS):
        buckets: dict[bytes, int] = {}
        lo, hi = band * rows, (band + 1) * rows
        for i, sig in enumerate(sigs):
            key = sig[lo:hi].tobytes()
            first = buckets.setdefault(key, i)
            if first != i:
                ri, rf = find(i), find(first)
                if ri != rf and similarity(sig, sigs[first]) >= threshold:
                    parent[ri] = rf
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))
