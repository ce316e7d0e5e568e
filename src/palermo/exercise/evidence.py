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
    service_type: str = ""  # a service referral's type ("interpretation", "shelter"…)
    organisation_id: int | None = None


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
    "interpreter_requested": (
        _("Interpreter requested"),
        _any_of(
            _case("interpreter_request"),
            lambda f: (
                f.object_type == "case"
                and f.what == "service_referral_send"
                and f.service_type == "interpretation"
            ),
        ),
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


def interview_ids(facts: Iterable[Fact]) -> tuple[int, ...]:
    """The entries of the screenings (interviews) recorded, oldest first."""
    return tuple(
        f.entry_id
        for f in sorted(facts, key=lambda f: (f.at, f.entry_id))
        if f.object_type == "screening" and f.action == "create"
    )


# --- the team figures of a report, each with the entries it came from ---------------------------

# key -> (label, kind): "rule" (a rule's first entry and minutes from the team's first inject),
# "ordering" (whether one step came before another), "count" (interviews recorded).
FIGURES: dict[str, tuple[str, str]] = {
    "first_action": (_("Time from the first inject to the first action"), "rule"),
    "consent_before_referral": (ORDERINGS["consent_before_referral"][0], "ordering"),
    "guardian_before_identification": (ORDERINGS["guardian_before_identification"][0], "ordering"),
    "interpreter_requested": (RULES["interpreter_requested"][0], "rule"),
    "interviews": (_("Interviews (screenings) recorded"), "count"),
    "referral_made": (RULES["referral_made"][0], "rule"),
    "referral_accepted": (RULES["referral_accepted"][0], "rule"),
    "financial_inquiry_opened": (RULES["financial_inquiry_opened"][0], "rule"),
    "return_assessment_done": (RULES["return_assessment_done"][0], "rule"),
}


@dataclass(frozen=True)
class Figure:
    """One team figure: ``value`` is True/False (shown or not; an order held or not), None (an
    order with nothing to judge yet) or a count; ``entry_ids`` are the entries it came from."""

    key: str
    kind: str
    value: bool | int | None
    minutes_after: float | None
    entry_ids: tuple[int, ...]


def figure(key: str, facts: Iterable[Fact], since: float) -> Figure:
    """Figure ``key`` of a team from its facts at or after ``since`` (its first inject)."""
    if key not in FIGURES:
        raise KeyError(key)
    kind = FIGURES[key][1]
    facts = [f for f in facts if f.at >= since]
    if kind == "ordering":
        o = ordering(key, facts, since)
        return Figure(key, kind, o.held, None, o.entry_ids)
    if kind == "count":
        ids = interview_ids(facts)
        return Figure(key, kind, len(ids), None, ids)
    found = find(key, facts, since)
    return Figure(key, kind, found.met, found.minutes_after, found.entry_ids)


# --- an entry in words (never its codes) -------------------------------------------------------

# What a case file entry records, by the case service that wrote it (``details["what"]``).
CASE_WORDS: dict[str, str] = {
    "case_open": _("Case opened"),
    "case_update": _("Case changed"),
    "case_transition": _("Case moved to another phase"),
    "person_update": _("Personal details changed"),
    "context_update": _("Circumstances of the trafficking recorded"),
    "consent_give": _("Consent recorded"),
    "consent_withdraw": _("Consent withdrawn"),
    "legal_basis_record": _("Legal basis for sharing recorded"),
    "service_referral_send": _("Referral to a service sent"),
    "service_referral_accepted": _("Referral accepted"),
    "service_referral_declined": _("Referral declined"),
    "service_referral_delivered": _("Service delivered"),
    "service_referral_closed": _("Referral closed"),
    "identification_decide": _("Identification decision taken"),
    "appeal_lodge": _("Appeal lodged"),
    "appeal_decide": _("Appeal decided"),
    "guardian_appoint": _("Guardian appointed"),
    "child_protection_notify": _("Child protection notified"),
    "bid_record": _("Best-interests determination recorded"),
    "interpreter_request": _("Interpreter requested"),
    "return_assessment_record": _("Return risk assessment recorded"),
    "return_record": _("Return recorded"),
    "suspect_link": _("Suspect linked to the case"),
    "trafficking_event_add": _("Trafficking event recorded"),
    "note_add": _("Note added"),
    "record_event_add": _("Timeline entry added"),
    "task_add": _("Task added"),
    "task_complete": _("Task completed"),
    "team_add": _("Organisation added to the case team"),
    "team_remove": _("Organisation removed from the case team"),
    "non_punishment_record": _("Non-punishment request recorded"),
    "non_punishment_decide": _("Non-punishment decision recorded"),
    "compensation_claim_record": _("Compensation claim recorded"),
    "compensation_claim_update": _("Compensation claim changed"),
    "proceedings_record": _("Criminal proceedings recorded"),
    "proceedings_update": _("Criminal proceedings updated"),
    "document_record": _("Identity document recorded"),
    "document_update": _("Identity document: status changed"),
}

# Entries of other kinds, by (object type, action).
OTHER_WORDS: dict[tuple[str, str], str] = {
    ("screening", "create"): _("Screening (interview) recorded"),
    ("screening", "update"): _("Screening changed"),
    ("investigation", "create"): _("Investigation record created"),
    ("investigation", "update"): _("Investigation changed"),
    ("service_provider", "create"): _("Service directory entry saved"),
    ("service_provider", "update"): _("Service directory entry saved"),
    ("exercise_receipt", "update"): _("Inject acknowledged in the inbox"),
    ("exercise_observation", "create"): _("Observation recorded"),
}

# An investigation's entries by what the investigate service did.
INVESTIGATION_WORDS: dict[str, str] = {
    "investigation_create": _("Financial inquiry (investigation) opened"),
    "statement_import": _("Bank statements imported"),
    "party_add": _("Party added to the investigation"),
    "member_add": _("Member added to the investigation"),
    "case_link": _("Investigation linked to a case"),
    "proceeds_attach": _("Proceeds recorded"),
    "proceeds_estimate": _("Proceeds estimated"),
    "rules_run": _("Red-flag rules run"),
    "alert_decide": _("Alert decided"),
    "match_judge": _("Match judged"),
    "evidence_pack": _("Evidence pack made"),
    "ftm_export": _("Investigation exported"),
}


def describe(fact: Fact) -> str | None:
    """The entry's action in words (an English msgid for the shell to translate), or None
    when no specific wording is known (the shell then says it generically)."""
    if fact.object_type == "case" and fact.what in CASE_WORDS:
        return CASE_WORDS[fact.what]
    if fact.object_type == "investigation" and fact.what in INVESTIGATION_WORDS:
        return INVESTIGATION_WORDS[fact.what]
    return OTHER_WORDS.get((fact.object_type, fact.action))
