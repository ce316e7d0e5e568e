"""The NRM workflow as plain rules: phases, identification decisions, service
referrals, return, children's safeguards, deadlines and case references.

Pure: no Django imports. Each ``*_problems`` function returns the reasons an
action is refused (an empty list means it is allowed), so the services, the
API and the UI all explain a refusal the same way.
"""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from palermo.core.errors import Problem

# --- phases (OSCE/ODIHR NRM Handbook, 2022) -----------------------------------------

IDENTIFICATION: Final = "identification"
FIRST_LINE: Final = "first_line"
MEDIUM_LONG_TERM: Final = "medium_long_term"
RETURN_INCLUSION: Final = "return_inclusion"
PROCEEDINGS: Final = "proceedings"
CLOSED: Final = "closed"

PHASES: Final[tuple[str, ...]] = (
    IDENTIFICATION,
    FIRST_LINE,
    MEDIUM_LONG_TERM,
    RETURN_INCLUSION,
    PROCEEDINGS,
    CLOSED,
)
PHASE_LABELS: Final[Mapping[str, str]] = {
    IDENTIFICATION: "Identification",
    FIRST_LINE: "First-line assistance and protection",
    MEDIUM_LONG_TERM: "Medium- and long-term assistance",
    RETURN_INCLUSION: "Return and social inclusion",
    PROCEEDINGS: "Criminal and civil proceedings",
    CLOSED: "Closed",
}

# Which phase may follow which. Assistance phases are not a strict line: a
# person in proceedings still needs long-term assistance, a failed return
# brings a case back to assistance, and a closed case can be reopened when the
# person comes back (to identification if never decided, else to assistance).
TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    IDENTIFICATION: frozenset({FIRST_LINE, CLOSED}),
    FIRST_LINE: frozenset({MEDIUM_LONG_TERM, RETURN_INCLUSION, PROCEEDINGS, CLOSED}),
    MEDIUM_LONG_TERM: frozenset({FIRST_LINE, RETURN_INCLUSION, PROCEEDINGS, CLOSED}),
    RETURN_INCLUSION: frozenset({MEDIUM_LONG_TERM, PROCEEDINGS, CLOSED}),
    PROCEEDINGS: frozenset({MEDIUM_LONG_TERM, RETURN_INCLUSION, CLOSED}),
    CLOSED: frozenset({IDENTIFICATION, FIRST_LINE}),
}

# --- identification status (potential → presumed → identified / not identified) ----

POTENTIAL: Final = "potential"
PRESUMED: Final = "presumed"
IDENTIFIED: Final = "identified"
NOT_IDENTIFIED: Final = "not_identified"
IDENTIFICATION_STATUSES: Final[tuple[str, ...]] = (POTENTIAL, PRESUMED, IDENTIFIED, NOT_IDENTIFIED)
IDENTIFICATION_LABELS: Final[Mapping[str, str]] = {
    POTENTIAL: "Potential victim (referred, not yet decided)",
    PRESUMED: "Presumed victim (reasonable grounds)",
    IDENTIFIED: "Identified victim",
    NOT_IDENTIFIED: "Not identified as a victim",
}
# HTCDS 2.0 vic_TraffickingStatus for each NRM status.
HTCDS_TRAFFICKING_STATUS: Final[Mapping[str, str]] = {
    POTENTIAL: "PossibleVictimOfTrafficking",
    PRESUMED: "PossibleVictimOfTrafficking",
    IDENTIFIED: "ActualVictimOfTrafficking",
    NOT_IDENTIFIED: "NotAVictimOfTrafficking",
}
# Decisions the competent body may take from each status. "Identified" is final
# except through an appeal against it, which the NRM does not foresee; "not
# identified" is reopened only by an upheld appeal or a reconsideration on new
# facts, both of which must say so.
DECISIONS: Final[Mapping[str, frozenset[str]]] = {
    POTENTIAL: frozenset({PRESUMED, IDENTIFIED, NOT_IDENTIFIED}),
    PRESUMED: frozenset({IDENTIFIED, NOT_IDENTIFIED}),
    NOT_IDENTIFIED: frozenset({PRESUMED, IDENTIFIED}),
    IDENTIFIED: frozenset(),
}

# --- case status (HTCDS cas_Status) and closure --------------------------------------

STATUS_ACTIVE: Final = "Active"
STATUS_FOLLOW_UP: Final = "FollowUp"
STATUS_CLOSED: Final = "Closed"
STATUS_CLOSED_REFERRED: Final = "ClosedReferred"
OPEN_STATUSES: Final = frozenset({STATUS_ACTIVE, STATUS_FOLLOW_UP})

CLOSURE_REASONS: Final[Mapping[str, str]] = {
    "assistance_completed": "Assistance completed: the person is socially included",
    "returned": "Returned to the country of origin and handed over",
    "referred_elsewhere": "Referred to another NRM or agency (transnational referral)",
    "not_identified": "Not identified as a victim",
    "person_declined": "The person declined further assistance",
    "lost_contact": "Contact lost",
    "deceased": "Deceased",
    "other": "Other (explain)",
}


@dataclass(frozen=True)
class TransitionFacts:
    """What the phase rules need to know about a case."""

    phase: str
    identification_status: str
    is_child: bool = False
    has_best_interests_determination: bool = False
    closure_reason: str = ""
    closure_details: str = ""
    appeal_pending: bool = False


def _labels(labels: Iterable[str]) -> Problem:
    """Labels joined with commas, each said in the reader's language (the joining template
    has no words of its own, so it needs no msgid)."""
    parts = {f"p{i}": Problem(label) for i, label in enumerate(labels)}
    return Problem(", ".join("{" + k + "}" for k in parts), **parts)


def transition_problems(facts: TransitionFacts, target: str) -> list[str]:
    """Why the case may not move from ``facts.phase`` to ``target`` ([] = it may)."""
    if target not in PHASES:
        return [
            Problem(
                "Unknown phase '{phase}'; use one of: {choices}.",
                phase=target,
                choices=", ".join(PHASES),
            )
        ]
    if facts.phase == target:
        return [
            Problem(
                "The case is already in the phase '{phase}'.", phase=Problem(PHASE_LABELS[target])
            )
        ]
    allowed = TRANSITIONS.get(facts.phase, frozenset())
    if target not in allowed:
        nexts = [p for p in PHASES if p in allowed]
        current = Problem(PHASE_LABELS.get(facts.phase, facts.phase))
        if not nexts:
            return [
                Problem(
                    "A case cannot move from '{current}' to '{target}'.",
                    current=current,
                    target=Problem(PHASE_LABELS[target]),
                )
            ]
        return [
            Problem(
                "A case cannot move from '{current}' to '{target}'. Allowed next phases: {nexts}.",
                current=current,
                target=Problem(PHASE_LABELS[target]),
                nexts=_labels(PHASE_LABELS[p] for p in nexts),
            )
        ]
    problems: list[str] = []
    if (
        facts.phase == IDENTIFICATION
        and target == FIRST_LINE
        and facts.identification_status not in (PRESUMED, IDENTIFIED)
    ):
        problems.append(
            Problem(
                "Assistance starts once the identification body has decided that the person is "
                "a presumed or identified victim."
            )
        )
    if (
        facts.phase == CLOSED
        and target == FIRST_LINE
        and facts.identification_status not in (PRESUMED, IDENTIFIED)
    ):
        problems.append(
            Problem(
                "Reopen into identification: the person has not been found a presumed or "
                "identified victim."
            )
        )
    if (
        facts.phase == CLOSED
        and target == IDENTIFICATION
        and facts.identification_status in (PRESUMED, IDENTIFIED)
    ):
        problems.append(
            Problem(
                "The person is already a presumed or identified victim: reopen into first-line "
                "assistance."
            )
        )
    if target == CLOSED:
        if facts.closure_reason not in CLOSURE_REASONS:
            problems.append(Problem("Give the reason for closing the case."))
        elif facts.closure_reason == "other" and not facts.closure_details.strip():
            problems.append(Problem("Explain the reason for closure."))
        if (
            facts.closure_reason == "not_identified"
            and facts.identification_status != NOT_IDENTIFIED
        ):
            problems.append(Problem("The identification body has not decided 'not identified'."))
        if facts.appeal_pending and facts.closure_reason == "not_identified":
            problems.append(
                Problem(
                    "An appeal against the identification decision is pending: wait for its outcome."
                )
            )
        # OSCE: a best-interests determination is required for every child victim.
        if (
            facts.is_child
            and facts.identification_status in (PRESUMED, IDENTIFIED)
            and not facts.has_best_interests_determination
            and facts.closure_reason not in ("deceased", "lost_contact", "referred_elsewhere")
        ):
            problems.append(
                Problem("A child's case is closed only after a best-interests determination.")
            )
    return problems


def status_after_transition(target: str, closure_reason: str, current_status: str) -> str:
    """The HTCDS case status that goes with a new phase."""
    if target == CLOSED:
        return STATUS_CLOSED_REFERRED if closure_reason == "referred_elsewhere" else STATUS_CLOSED
    if current_status in OPEN_STATUSES:
        return current_status
    return STATUS_ACTIVE


def decision_problems(
    current: str, outcome: str, reasons: str, *, on_appeal_or_new_facts: bool = False
) -> list[str]:
    """Why the identification body may not decide ``outcome`` now ([] = it may)."""
    if outcome not in (PRESUMED, IDENTIFIED, NOT_IDENTIFIED):
        return [
            Problem(
                "Unknown decision '{outcome}'; decide presumed, identified or not_identified.",
                outcome=outcome,
            )
        ]
    problems: list[str] = []
    allowed = DECISIONS.get(current, frozenset())
    if outcome not in allowed:
        if current == IDENTIFIED:
            problems.append(
                Problem("The person is already identified as a victim; that decision is final.")
            )
        else:
            problems.append(
                Problem(
                    "A person whose status is '{current}' cannot be decided '{outcome}'.",
                    current=Problem(IDENTIFICATION_LABELS.get(current, current)),
                    outcome=Problem(IDENTIFICATION_LABELS[outcome]),
                )
            )
    elif current == NOT_IDENTIFIED and not on_appeal_or_new_facts:
        problems.append(
            Problem(
                "A 'not identified' decision is changed only on appeal or on new facts: say which."
            )
        )
    if len(reasons.strip()) < 10:
        problems.append(Problem("Give the reasons for the decision (at least a sentence)."))
    return problems


# --- incoming referrals: the minimum ---------------------------------------------------

REFERRAL_SUBJECT: Final = "subject"  # what the referral is about
REFERRAL_PERSON: Final = "person"  # a way to find the person again


def referral_minimum_problems(
    *, exploitation_forms: Iterable[str], summary: str, person_known: bool
) -> list[str]:
    """What a referral lacks before it may open a case ([] = enough): ``REFERRAL_SUBJECT``
    without a form of exploitation or a description, ``REFERRAL_PERSON`` without any way
    to find the person again (their reference with the referrer, a name, a phone)."""
    problems: list[str] = []
    if not list(exploitation_forms) and not summary.strip():
        problems.append(REFERRAL_SUBJECT)
    if not person_known:
        problems.append(REFERRAL_PERSON)
    return problems


# --- service referrals ----------------------------------------------------------------

REFERRAL_SENT: Final = "sent"
REFERRAL_ACCEPTED: Final = "accepted"
REFERRAL_DECLINED: Final = "declined"
REFERRAL_DELIVERED: Final = "delivered"
REFERRAL_CLOSED: Final = "closed"
REFERRAL_STATUSES: Final[tuple[str, ...]] = (
    REFERRAL_SENT,
    REFERRAL_ACCEPTED,
    REFERRAL_DECLINED,
    REFERRAL_DELIVERED,
    REFERRAL_CLOSED,
)
REFERRAL_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    REFERRAL_SENT: frozenset({REFERRAL_ACCEPTED, REFERRAL_DECLINED, REFERRAL_CLOSED}),
    REFERRAL_ACCEPTED: frozenset({REFERRAL_DELIVERED, REFERRAL_CLOSED}),
    REFERRAL_DELIVERED: frozenset({REFERRAL_CLOSED}),
    REFERRAL_DECLINED: frozenset(),
    REFERRAL_CLOSED: frozenset(),
}
# While a referral is in one of these, the receiving organisation sees what the consent allows.
REFERRAL_OPEN: Final = frozenset({REFERRAL_SENT, REFERRAL_ACCEPTED, REFERRAL_DELIVERED})
REFERRAL_OUTCOMES: Final[Mapping[str, str]] = {
    "service_completed": "Service delivered and completed",
    "partially_delivered": "Partly delivered",
    "person_declined": "The person declined the service",
    "person_left": "The person left or could not be reached",
    "withdrawn": "Withdrawn by the referring organisation",
    "other": "Other (explain)",
}


# The words a reader sees for a referral's status (msgids of the display layer).
REFERRAL_STATUS_WORDS: Final[Mapping[str, str]] = {
    REFERRAL_SENT: "Sent",
    REFERRAL_ACCEPTED: "Accepted",
    REFERRAL_DECLINED: "Declined",
    REFERRAL_DELIVERED: "Delivered",
    REFERRAL_CLOSED: "Closed",
}


def referral_transition_problems(
    current: str, target: str, *, outcome: str = "", reason: str = ""
) -> list[str]:
    if target not in REFERRAL_TRANSITIONS.get(current, frozenset()):
        return [
            Problem(
                "A referral that is '{current}' cannot become '{target}'.",
                current=Problem(REFERRAL_STATUS_WORDS.get(current, current)),
                target=Problem(REFERRAL_STATUS_WORDS.get(target, target)),
            )
        ]
    if target == REFERRAL_DECLINED and not reason.strip():
        return [
            Problem(
                "Say why the referral is declined, so the case worker can find another service."
            )
        ]
    if target == REFERRAL_CLOSED and outcome not in REFERRAL_OUTCOMES:
        return [
            Problem(
                "Choose the outcome: one of {choices}.",
                choices=_labels(REFERRAL_OUTCOMES.values()),
            )
        ]
    if target == REFERRAL_CLOSED and outcome == "other" and not reason.strip():
        return [Problem("Describe the outcome.")]
    return []


# --- consent --------------------------------------------------------------------------

# Field groups a consent can cover (what may be shared). ``contact`` can be given
# to case-team law enforcement; a service referral never passes it on (the
# current address and contacts stay with the case team).
CONSENT_SCOPES: Final[Mapping[str, str]] = {
    "identity": "Identity: name, date of birth, gender, citizenship, languages",
    "victim_context": "What happened: recruitment, control, exploitation, places, events",
    "safeguards": "Protection: guardian, best interests, return, proceedings",
    "contact": "Current address and contacts (case team law enforcement only)",
}
CONSENT_PURPOSES: Final[Mapping[str, str]] = {
    "assistance": "Assistance and protection",
    "shelter": "Safe accommodation",
    "health": "Medical and psychological care",
    "legal": "Legal counselling and representation",
    "interpretation": "Interpretation",
    "social_inclusion": "Education, work and social inclusion",
    "return": "Assisted voluntary return",
    "investigation": "Criminal investigation",
    "prosecution": "Criminal proceedings",
    "compensation": "Compensation claim",
}
CONSENT_GIVERS: Final[Mapping[str, str]] = {
    "person": "The person",
    "guardian": "The child's guardian",
    "legal_representative": "A legal representative",
}


def consent_active(given_on: date, withdrawn_on: date | None, on: date) -> bool:
    return given_on <= on and (withdrawn_on is None or withdrawn_on > on)


def consent_problems(
    *,
    scopes: Iterable[str],
    purpose: str,
    given_on: date,
    today: date,
    given_by: str,
    is_child: bool,
) -> list[str]:
    problems: list[str] = []
    scopes = list(scopes)
    if not scopes:
        problems.append(Problem("Say what may be shared (at least one kind of information)."))
    unknown = [s for s in scopes if s not in CONSENT_SCOPES]
    if unknown:
        problems.append(Problem("Unknown kinds of information: {keys}.", keys=", ".join(unknown)))
    if purpose not in CONSENT_PURPOSES:
        problems.append(Problem("Choose the purpose the information may be used for."))
    if given_on > today:
        problems.append(
            Problem("Consent cannot be recorded before it is given (the date is in the future).")
        )
    if given_by not in CONSENT_GIVERS:
        problems.append(Problem("Say who gave the consent."))
    elif is_child and given_by == "person":
        problems.append(
            Problem(
                "For a child, consent is given by the guardian or a legal representative (the "
                "child's views are recorded in a note)."
            )
        )
    return problems


# --- service types (the directory and referrals) -------------------------------------

SERVICE_TYPES: Final[Mapping[str, str]] = {
    "shelter": "Safe accommodation (shelter)",
    "medical": "Medical care",
    "psychological": "Psychological care",
    "legal_aid": "Legal aid",
    "interpretation": "Interpretation",
    "guardian": "Guardianship",
    "social_inclusion": "Education, work and social inclusion",
    "return_assistance": "Assisted voluntary return",
    "hotline_follow_up": "Hotline follow-up",
    "child_protection": "Child protection",
}
# The consent purpose that covers a referral for each service type.
SERVICE_PURPOSE: Final[Mapping[str, str]] = {
    "shelter": "shelter",
    "medical": "health",
    "psychological": "health",
    "legal_aid": "legal",
    "interpretation": "interpretation",
    "guardian": "assistance",
    "social_inclusion": "social_inclusion",
    "return_assistance": "return",
    "hotline_follow_up": "assistance",
    "child_protection": "assistance",
}


def service_referral_problems(
    *,
    service_type: str,
    provider_services: Iterable[str],
    provider_closed_facility: bool,
    is_child: bool,
    consent_purpose: str | None,
    consent_recipient_matches: bool,
    consent_is_active: bool,
) -> list[str]:
    problems: list[str] = []
    if service_type not in SERVICE_TYPES:
        problems.append(Problem("Choose a service type."))
        return problems
    if service_type not in set(provider_services):
        problems.append(
            Problem("This organisation does not offer that service (see the service directory).")
        )
    if provider_closed_facility and is_child:
        # No-detention safeguard: closed facilities deprive a child of liberty.
        problems.append(
            Problem("A child is never placed in a closed facility: choose an open service.")
        )
    if consent_purpose is None:
        problems.append(Problem("Name the consent that covers this referral."))
    else:
        if not consent_is_active:
            problems.append(Problem("That consent has been withdrawn or is not yet given."))
        if not consent_recipient_matches:
            problems.append(Problem("That consent does not name the receiving organisation."))
        allowed = {SERVICE_PURPOSE[service_type], "assistance"}
        if consent_purpose not in allowed:
            problems.append(Problem("That consent was given for another purpose."))
    return problems


# --- children: best-interests determination -------------------------------------------

BID_FACTORS: Final[Mapping[str, str]] = {
    "family_situation": "Family situation",
    "country_of_origin": "Situation in the country of origin",
    "safety_and_risks": "Safety and risks",
    "integration": "Integration in the host country",
    "health": "Mental and physical health",
    "development": "Possibilities for development",
    "care_arrangements": "Adequacy of concrete care arrangements",
}
DURABLE_SOLUTIONS: Final[Mapping[str, str]] = {
    "return_to_origin": "Return to the country of origin",
    "third_country": "Transfer to a third country (e.g. family reunification)",
    "integration": "Integration in the host country",
}


def bid_problems(factors: Mapping[str, str], durable_solution: str) -> list[tuple[str, str]]:
    """(field, message) pairs: every factor weighed, one durable solution chosen."""
    problems: list[tuple[str, str]] = [
        (key, Problem("Record the assessment of: {factor}.", factor=Problem(label)))
        for key, label in BID_FACTORS.items()
        if not str(factors.get(key, "")).strip()
    ]
    extra = sorted(set(factors) - set(BID_FACTORS))
    if extra:
        problems.append(("factors", Problem("Unknown factors: {keys}.", keys=", ".join(extra))))
    if durable_solution not in DURABLE_SOLUTIONS:
        problems.append(("durable_solution", Problem("Choose one of the three durable solutions.")))
    return problems


# --- return: risk assessment with four questions ---------------------------------------

RETURN_QUESTIONS: Final[Mapping[str, str]] = {
    "risk_of_harm": "Is there a real risk of harm on return, including reprisal by traffickers?",
    "authorities_can_protect": "Can the local authorities protect the person?",
    "risk_of_prosecution": "May the person be prosecuted there for acts stemming from the trafficking?",
    "services_support_inclusion": "Can local services support social inclusion, given stigma?",
}
ANSWERS: Final = ("yes", "no", "unknown")
# The answer to each question that speaks for a safe return.
SAFE_ANSWER: Final[Mapping[str, str]] = {
    "risk_of_harm": "no",
    "authorities_can_protect": "yes",
    "risk_of_prosecution": "no",
    "services_support_inclusion": "yes",
}
ACCEPTABLE: Final = "acceptable"
NOT_ACCEPTABLE: Final = "not_acceptable"


def suggested_return_conclusion(answers: Mapping[str, str]) -> str:
    """Acceptable only if every one of the four answers speaks for a safe return."""
    return (
        ACCEPTABLE
        if all(answers.get(q) == safe for q, safe in SAFE_ANSWER.items())
        else NOT_ACCEPTABLE
    )


def return_assessment_problems(
    answers: Mapping[str, str], conclusion: str
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = [
        (q, Problem("Answer yes, no or unknown."))
        for q in RETURN_QUESTIONS
        if answers.get(q) not in ANSWERS
    ]
    if conclusion not in (ACCEPTABLE, NOT_ACCEPTABLE):
        problems.append(
            ("conclusion", Problem("Conclude whether the risk of return is acceptable."))
        )
    elif conclusion == ACCEPTABLE and not problems:
        # Humans conclude, but "acceptable" cannot rest on an unknown or an unsafe answer:
        # non-refoulement puts the burden on showing the return is safe.
        unsafe = [q for q, safe in SAFE_ANSWER.items() if answers.get(q) != safe]
        for q in unsafe:
            problems.append(
                (
                    q,
                    Problem(
                        "This answer does not support a conclusion that the risk is acceptable."
                    ),
                )
            )
    return problems


# --- compensation and non-punishment ---------------------------------------------------

COMPENSATION_SOURCES: Final[Mapping[str, str]] = {
    "offender": "The offender",
    "state_fund": "State compensation fund",
    "confiscated_assets": "Confiscated assets",
}
COMPENSATION_STATUSES: Final[tuple[str, ...]] = ("planned", "filed", "awarded", "rejected", "paid")
COMPENSATION_TRANSITIONS: Final[Mapping[str, frozenset[str]]] = {
    "planned": frozenset({"filed"}),
    "filed": frozenset({"awarded", "rejected"}),
    "awarded": frozenset({"paid"}),
    "rejected": frozenset(),
    "paid": frozenset(),
}
NON_PUNISHMENT_DECISIONS: Final[Mapping[str, str]] = {
    "pending": "Pending",
    "not_prosecuted": "Not prosecuted (non-punishment applied)",
    "not_penalised": "Prosecuted, no penalty imposed",
    "penalised": "Penalised",
}


# --- criminal proceedings: their stage and the person's role in them --------------------
# HTCDS 2.0 has no field for either (only the suspect's per_RoleInProcess); these are
# Palermo's own, after the victim's rights in proceedings (CoE Convention Art. 28, 30) and the
# EU Victims' Rights Directive's roles (witness, injured party, civil party).
PROCEEDINGS_STAGES: Final[Mapping[str, str]] = {
    "reported": "Reported to the police",
    "investigation": "Investigation",
    "prosecution": "Prosecution (charges brought)",
    "trial": "Trial",
    "appeal": "Appeal",
    "concluded": "Concluded",
    "discontinued": "Discontinued",
}
# A stage proceedings cannot move on from.
PROCEEDINGS_FINAL: Final[frozenset[str]] = frozenset({"concluded", "discontinued"})
PROCEEDINGS_ROLES: Final[Mapping[str, str]] = {
    "witness": "Witness",
    "protected_witness": "Protected witness",
    "injured_party": "Injured party",
    "civil_party": "Civil party (claim for damages)",
    "complainant": "Complainant",
}
WITNESS_ROLES: Final[frozenset[str]] = frozenset({"witness", "protected_witness"})


def proceedings_problems(stage: str, roles: list[str]) -> list[tuple[str, Problem]]:
    """(field, message) for each thing wrong with a proceedings record's stage and roles; []
    when they are right (the country is checked against the country list by the shell)."""
    problems: list[tuple[str, Problem]] = []
    if stage not in PROCEEDINGS_STAGES:
        problems.append(("stage", Problem("Choose the stage of the proceedings.")))
    if not roles:
        problems.append(("roles", Problem("Choose the person's role in the proceedings.")))
    elif any(r not in PROCEEDINGS_ROLES for r in roles) or len(set(roles)) != len(roles):
        problems.append(("roles", Problem("Choose roles from the list, each once.")))
    return problems


# --- identity and travel documents: held, withheld, lost -----------------------------
DOCUMENT_TYPES: Final[Mapping[str, str]] = {
    "passport": "Passport",
    "national_id": "National identity card",
    "residence_permit": "Residence permit",
    "visa": "Visa",
    "work_permit": "Work permit",
    "birth_certificate": "Birth certificate",
    "travel_document": "Other travel document",
    "other": "Other identity document",
}
DOCUMENT_STATUSES: Final[Mapping[str, str]] = {
    "held_by_person": "Held by the person",
    "withheld_by_exploiter": "Withheld by the exploiter",
    "held_by_authorities": "Held by the authorities",
    "lost": "Lost or stolen",
    "expired": "Expired",
    "never_issued": "Never issued: to be obtained",
}
DOCUMENT_NUMBER_MAX: Final = 60

# --- deadlines ------------------------------------------------------------------------

DUE_SOON_DAYS: Final = 7


def due_date(start: date, days: int) -> date:
    """The day a period of ``days`` calendar days that starts on ``start`` ends."""
    if days < 0:
        raise ValueError("a period cannot be negative")
    return start + timedelta(days=days)


def days_until(due: date, today: date) -> int:
    return (due - today).days


def deadline_state(due: date, done: bool, today: date) -> str:
    """done | overdue | due_today | due_soon | upcoming."""
    if done:
        return "done"
    left = days_until(due, today)
    if left < 0:
        return "overdue"
    if left == 0:
        return "due_today"
    if left <= DUE_SOON_DAYS:
        return "due_soon"
    return "upcoming"


def reminder_on(due: date, remind_days_before: int) -> date:
    return due - timedelta(days=max(0, remind_days_before))


# --- pseudonymous case references -------------------------------------------------------

# Unambiguous characters (no 0/O, 1/I/L), easy to read aloud over a phone.
REFERENCE_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_RE: Final = re.compile(rf"^NRM-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}$")


def new_reference(rng: random.Random | None = None) -> str:
    """A random reference, e.g. NRM-7K2Q-9F3D. It carries nothing about the person."""
    pick = rng.choice if rng is not None else secrets.choice
    body = "".join(pick(REFERENCE_ALPHABET) for _ in range(8))
    return f"NRM-{body[:4]}-{body[4:]}"


def normalise_reference(text: str) -> str:
    """What a user typed, in the stored form (upper case, no spaces)."""
    return re.sub(r"\s+", "", text).upper()


def is_reference(text: str) -> bool:
    return bool(REFERENCE_RE.match(text))
