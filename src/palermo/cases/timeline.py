"""The sentences of the case timeline: written in English, shown in the reader's language.

A timeline entry's ``summary`` is a record (append-only, standard wording, no personal
values besides organisation names): the services write it through :data:`TIMELINE`, so the
stored text is English, whatever language the person acting reads. The case page reads it
back (:func:`timeline_summary`) and says it in the reader's language; an entry no sentence
reads back (written by an older release, or by another context) is shown as written,
marked English. The API returns the stored text (a record, not a page).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy

from palermo.cases import access, vocabulary
from palermo.cases import workflow as wf
from palermo.core.sentences import Book, Code, Date, ListOf, Said, Sentence, Text, Words
from palermo.web.sentences import Shown, lower_first, shown


def _(text: str) -> str:
    """Marks a template for extraction (makemessages); it is said through gettext later."""
    return text


def _english(choices: Any) -> Mapping[str, str]:
    """A model's choices by their English labels (the labels are lazily translated; a
    record is written in English whatever the actor reads)."""
    with translation.override("en"):
        return {c.value: str(c.label) for c in choices}


def _case_sources() -> Mapping[str, str]:
    from palermo.cases.models import CaseSource

    return _english(CaseSource)


def _team_roles() -> Mapping[str, str]:
    from palermo.cases.models import TeamRole

    return _english(TeamRole)


def _event_types() -> Mapping[str, str]:
    return {v: v for v in vocabulary.values("hte_Type")}


# Codes written as they are in the English text (field groups, changed case fields, claim
# statuses): the shell names them in words.
_GROUPS = {g: g for g in access.GROUP_LABELS}
_CASE_FIELDS = {
    f: f
    for f in ("is_child", "cooperates_with_authorities", "status", "lead_organisation", "summary")
}
_CLAIM_STATUSES = {s: s for s in wf.COMPENSATION_STATUSES}
_COUNTRY = Code(vocab="country", pattern="[A-Z]{2}")
_ORG = Text()

TIMELINE = Book(
    [
        Sentence(
            "opened",
            _("Case opened from an incoming referral ({source})"),
            {"source": Words("case_source", _case_sources)},
        ),
        Sentence(
            "opened_child",
            _(
                "Case opened from an incoming referral ({source}) — a child: child protection "
                "applies"
            ),
            {"source": Words("case_source", _case_sources)},
        ),
        Sentence(
            "trafficking_event",
            _("Trafficking event recorded: {event_type}"),
            {"event_type": Words("hte_Type", _event_types)},
        ),
        Sentence("suspect", _("Suspected perpetrator linked")),
        Sentence(
            "return_assessment_acceptable",
            _("Return risk assessment ({country}): acceptable"),
            {"country": _COUNTRY},
        ),
        Sentence(
            "return_assessment_not_acceptable",
            _("Return risk assessment ({country}): not acceptable"),
            {"country": _COUNTRY},
        ),
        Sentence(
            "return",
            _("Return to {country} recorded for {date}"),
            {"country": _COUNTRY, "date": Date()},
        ),
        Sentence(
            "return_override",
            _("Return to {country} recorded for {date} (co-ordinator override)"),
            {"country": _COUNTRY, "date": Date()},
        ),
        Sentence(
            "referral_sent",
            _("Referred to {organisation} for {service}"),
            {"organisation": _ORG, "service": Words("service", wf.SERVICE_TYPES, lower=True)},
        ),
        Sentence(
            "referral_accepted", _("Referral to {organisation} accepted"), {"organisation": _ORG}
        ),
        Sentence(
            "referral_declined", _("Referral to {organisation} declined"), {"organisation": _ORG}
        ),
        Sentence(
            "referral_delivered", _("Referral to {organisation} delivered"), {"organisation": _ORG}
        ),
        Sentence(
            "referral_closed",
            _("Referral to {organisation} closed ({outcome})"),
            {"organisation": _ORG, "outcome": Words("referral_outcome", wf.REFERRAL_OUTCOMES)},
        ),
        Sentence(
            "decision",
            _("Identification decision: {outcome}"),
            {"outcome": Words("identification", wf.IDENTIFICATION_LABELS)},
        ),
        Sentence(
            "decision_appeal",
            _("Identification decision: {outcome} (appeal)"),
            {"outcome": Words("identification", wf.IDENTIFICATION_LABELS)},
        ),
        Sentence(
            "decision_new_facts",
            _("Identification decision: {outcome} (new facts)"),
            {"outcome": Words("identification", wf.IDENTIFICATION_LABELS)},
        ),
        Sentence(
            "appeal_lodged",
            _("Appeal lodged against the decision '{outcome}'"),
            {"outcome": Words("identification", wf.IDENTIFICATION_LABELS)},
        ),
        Sentence("appeal_upheld", _("Appeal upheld")),
        Sentence("appeal_dismissed", _("Appeal dismissed")),
        Sentence("break_glass", _("Break-glass access to the whole case file")),
        Sentence(
            "person_updated",
            _("Personal details changed: {groups}"),
            {"groups": ListOf(Words("group", _GROUPS))},
        ),
        Sentence("context_updated", _("Victim context changed")),
        Sentence(
            "case_updated",
            _("Case details changed: {fields}"),
            {"fields": ListOf(Words("case_field", _CASE_FIELDS))},
        ),
        Sentence("case_updated_nothing", _("Case details changed: nothing")),
        Sentence(
            "transition",
            _("Phase: {previous} → {target}"),
            {
                "previous": Words("phase", wf.PHASE_LABELS),
                "target": Words("phase", wf.PHASE_LABELS),
            },
        ),
        Sentence(
            "transition_closed",
            _("Phase: {previous} → {target} ({reason})"),
            {
                "previous": Words("phase", wf.PHASE_LABELS),
                "target": Words("phase", wf.PHASE_LABELS),
                "reason": Words("closure_reason", wf.CLOSURE_REASONS),
            },
        ),
        Sentence("note", _("Note")),
        Sentence("correction", _("Correction of an earlier note")),
        Sentence(
            "team_joined",
            _("{organisation} joined the case team ({role})"),
            {"organisation": _ORG, "role": Words("team_role", _team_roles)},
        ),
        Sentence("team_left", _("{organisation} left the case team"), {"organisation": _ORG}),
        Sentence("guardian", _("Guardian appointed on {date}"), {"date": Date()}),
        Sentence("child_protection", _("Child protection notified on {date}"), {"date": Date()}),
        Sentence(
            "interpreter",
            _("Interpreter requested for {language}"),
            # Written by its English name, said by its name in the reader's language.
            {"language": Words("language", vocabulary.languages)},
        ),
        Sentence(
            "best_interests",
            _("Best-interests determination: {solution}"),
            {"solution": Words("durable_solution", wf.DURABLE_SOLUTIONS)},
        ),
        Sentence(
            "non_punishment",
            _("Non-punishment: {decision}"),
            {"decision": Words("non_punishment", wf.NON_PUNISHMENT_DECISIONS)},
        ),
        Sentence(
            "compensation_claim",
            _("Compensation claim ({source}): {status}"),
            {
                "source": Words("compensation_source", wf.COMPENSATION_SOURCES, lower=True),
                "status": Words("claim_status", _CLAIM_STATUSES),
            },
        ),
        Sentence(
            "compensation_status",
            _("Compensation claim: {status}"),
            {"status": Words("claim_status", _CLAIM_STATUSES)},
        ),
        Sentence(
            "compensation_from_investigation",
            _("Amount of compensation claim from financial investigation {reference}"),
            {"reference": Text()},
        ),
        Sentence(
            "proceedings_recorded",
            _("Criminal proceedings recorded: {stage}"),
            {"stage": Words("proceedings_stage", wf.PROCEEDINGS_STAGES, lower=True)},
        ),
        Sentence(
            "proceedings_updated",
            _("Criminal proceedings: {stage}"),
            {"stage": Words("proceedings_stage", wf.PROCEEDINGS_STAGES, lower=True)},
        ),
        # No type, country or status of the document: the timeline is read by law enforcement
        # on the team, who may not see the person's identity (the documents' group).
        Sentence("document_recorded", _("Identity document recorded")),
        Sentence("document_updated", _("Identity document: status changed")),
        Sentence("task_added", _("Task added, due {date}"), {"date": Date()}),
        Sentence("task_done", _("Task done: {title}"), {"title": Text(data=True)}),
        Sentence(
            "consent_given",
            _("Consent given ({giver}): {scopes} → {organisation}, for {purpose}"),
            {
                "giver": Words("consent_giver", wf.CONSENT_GIVERS),
                "scopes": ListOf(Words("group", _GROUPS)),
                "organisation": _ORG,
                "purpose": Words("consent_purpose", wf.CONSENT_PURPOSES, lower=True),
            },
        ),
        Sentence(
            "consent_withdrawn", _("Consent withdrawn ({organisation})"), {"organisation": _ORG}
        ),
        Sentence(
            "legal_basis", _("Legal basis recorded for {organisation}"), {"organisation": _ORG}
        ),
        # Written for palermo.crossborder (services.record_event_add): the record itself,
        # with its reference and handling code, stays behind crossborder's permission.
        Sentence("police_exchange_sent", _("Exchange over a police channel recorded (sent)")),
        Sentence(
            "police_exchange_received", _("Exchange over a police channel recorded (received)")
        ),
    ]
)


def said(key: str, **values: Any) -> Said:
    """The English summary of a timeline entry, written with sentence ``key``."""
    return TIMELINE[key](**values)


# --- the shell: words for the codes the sentences carry ------------------------------------

_CASE_FIELD_WORDS = {
    "is_child": gettext_lazy("child"),
    "cooperates_with_authorities": gettext_lazy("co-operation with the authorities"),
    "status": gettext_lazy("status"),
    "lead_organisation": gettext_lazy("lead organisation"),
    "summary": gettext_lazy("summary"),
}
_CLAIM_STATUS_WORDS = {
    "planned": gettext_lazy("planned"),
    "filed": gettext_lazy("filed"),
    "awarded": gettext_lazy("awarded"),
    "rejected": gettext_lazy("rejected"),
    "paid": gettext_lazy("paid"),
}


def _sayers() -> dict[str, Callable[[Any], str]]:
    from palermo.web.display import code_words, country_name, data_text, language_name

    return {
        "country": country_name,
        "language": language_name,
        "hte_Type": code_words,
        # A field group by its label ("Current address and contacts"), mid-sentence.
        "group": lambda g: lower_first(data_text(access.GROUP_LABELS.get(g, g))),
        "case_field": lambda f: str(_CASE_FIELD_WORDS.get(f, f)),
        "claim_status": lambda s: str(_CLAIM_STATUS_WORDS.get(s, s)),
    }


def timeline_summary(summary: object) -> Shown:
    """A stored timeline summary for the reader (see the module's docstring)."""
    return shown(summary, TIMELINE, _sayers())
