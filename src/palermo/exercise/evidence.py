"""Automatic evidence: what the audit trail shows a team did, per rule.

Pure: no Django imports. The Django shell turns audit entries of the team's members into
``Fact`` values (through core's selector); each rule says which facts count. Figures keep the
ids of the entries they came from, so a reader can open them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


def _(text: str) -> str:  # translation marker
    return text


@dataclass(frozen=True)
class Fact:
    """One audit entry as evidence: no personal data (pseudonymous references only)."""

    entry_id: int
    at: float  # wall seconds
    actor_id: int
    action: str
    object_type: str
    object_ref: str
    what: str = ""


Match = Callable[[Fact], bool]


def _case(what: str) -> Match:
    return lambda f: f.object_type == "case" and f.what == what


def _any_of(*matches: Match) -> Match:
    return lambda f: any(m(f) for m in matches)


_WRITE = {"create", "update", "export"}

# key -> (label, which facts count)
RULES: dict[str, tuple[str, Match]] = {
    "first_action": (_("First action in Palermo"), lambda f: f.action in _WRITE),
    "screening_recorded": (
        _("Screening recorded"),
        lambda f: f.object_type == "screening" and f.action == "create",
    ),
    "case_opened": (_("Case opened in the referral mechanism"), _case("case_open")),
    "consent_recorded": (_("Consent recorded"), _case("consent_give")),
    "referral_made": (_("Referral to a service made"), _case("service_referral_send")),
    "referral_accepted": (_("Referral accepted"), _case("service_referral_accepted")),
    "identification_decided": (_("Identification decision taken"), _case("identification_decide")),
    "guardian_requested": (
        _("Guardian appointed or child protection notified"),
        _any_of(_case("guardian_appoint"), _case("child_protection_notify")),
    ),
    "best_interests_determined": (_("Best-interests determination recorded"), _case("bid_record")),
    "return_assessment_done": (
        _("Return risk assessment done"),
        _case("return_assessment_record"),
    ),
    "financial_inquiry_opened": (
        _("Financial inquiry opened"),
        lambda f: f.object_type == "investigation" and f.what == "investigation_create",
    ),
    "suspect_linked": (_("Suspect linked to the case"), _case("suspect_link")),
}

# Orderings the criteria care about: (label, rule that should come first, rule it should precede).
ORDERINGS: dict[str, tuple[str, str, str]] = {
    "consent_before_referral": (
        _("Consent recorded before the referral"),
        "consent_recorded",
        "referral_made",
    ),
    "guardian_before_identification": (
        _("Guardian requested before the identification decision"),
        "guardian_requested",
        "identification_decided",
    ),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    met: bool
    first_at: float | None  # wall seconds of the first matching fact
    minutes_after: float | None  # from ``since`` to the first matching fact
    count: int
    entry_ids: tuple[int, ...]


def find(rule: str, facts: Iterable[Fact], since: float) -> Finding:
    """Facts matching ``rule`` at or after ``since`` (the inject's delivery to the team)."""
    if rule not in RULES:
        raise KeyError(rule)
    match = RULES[rule][1]
    hits = sorted(
        (f for f in facts if f.at >= since and match(f)), key=lambda f: (f.at, f.entry_id)
    )
    if not hits:
        return Finding(rule, False, None, None, 0, ())
    first = hits[0].at
    return Finding(
        rule,
        True,
        first,
        round((first - since) / 60, 1),
        len(hits),
        tuple(f.entry_id for f in hits),
    )


@dataclass(frozen=True)
class OrderingFinding:
    key: str
    held: bool | None  # None: the later step has not happened (nothing to judge)
    entry_ids: tuple[int, ...]


def ordering(key: str, facts: Iterable[Fact], since: float) -> OrderingFinding:
    _label, first_rule, then_rule = ORDERINGS[key]
    facts = list(facts)
    a, b = find(first_rule, facts, since), find(then_rule, facts, since)
    if b.first_at is None:
        return OrderingFinding(key, None, a.entry_ids)
    held = a.first_at is not None and a.first_at <= b.first_at
    return OrderingFinding(key, held, a.entry_ids[:1] + b.entry_ids[:1])


def interviews_per_case(facts: Iterable[Fact]) -> dict[str, int]:
    """Screenings (interviews) recorded per screening reference group: how often a person was asked."""
    counts: dict[str, int] = {}
    for f in facts:
        if f.object_type == "screening" and f.action == "create":
            counts[f.object_ref] = counts.get(f.object_ref, 0) + 1
    return counts
