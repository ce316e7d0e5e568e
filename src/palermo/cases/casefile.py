"""The case file as typed, plain data: one frozen dataclass per section (issue 14, item 5).

``selectors.case_file`` builds a ``CaseFile`` from the rows the actor may see; the API
uses these classes as its response schema (django-ninja/pydantic read dataclasses), the
case page renders them and investigate reads them. Plain values only: nothing here can
fire a query later (issue 13: no lazy queries from templates), and a section the actor
may not see is ``None`` — never an empty section that would look like "nothing recorded".

Pure: no Django import, so the shapes can be read and tested without a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

# The API also validates some of these from model objects (a list of referrals): let
# pydantic read attributes, as django-ninja's own schemas do. A plain dict: no import.
_READ_ATTRIBUTES: dict[str, Any] = {"from_attributes": True}


@dataclass(frozen=True, slots=True)
class OrgRef:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class TeamMember:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    organisation: OrgRef
    role: str
    added_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Overview:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    status: str
    phase: str
    identification_status: str
    htcds_trafficking_status: str
    decision_organisation: OrgRef | None
    is_child: bool
    nationality: str
    exploitation_types: list[str]
    source: str
    source_ref: str
    referring_organisation: OrgRef
    incoming_referral_date: dt.date
    referring_country: str
    lead_organisation: OrgRef | None
    cooperates_with_authorities: bool | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    closure_reason: str
    next_deadline: dt.date | None
    team: list[TeamMember]


@dataclass(frozen=True, slots=True)
class Identity:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    given_name: str
    family_name: str
    birthdate: dt.date | None
    gender: str
    citizenship: list[str]
    primary_language: str
    secondary_language: str
    identity_number: str


@dataclass(frozen=True, slots=True)
class Contact:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    phone: str
    email: str
    street: str
    city: str
    postal_code: str
    country: str


@dataclass(frozen=True, slots=True)
class VictimContext:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    methods_of_recruitment: list[str]
    methods_of_control: list[str]
    exploitation_types: list[str]
    forced_labour_industry: str
    sex_exploitation_types: list[str]
    relationship_to_trafficker: str
    age_when_trafficked: int | None
    countries_of_recruitment: list[str]
    countries_of_transit: list[str]
    countries_of_exploitation: list[str]
    summary: str


@dataclass(frozen=True, slots=True)
class TraffickingEvent:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    event_type: str
    date: dt.date | None
    country: str
    city: str
    description: str


@dataclass(frozen=True, slots=True)
class Suspect:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    name_or_alias: str
    roles: list[str]
    organisation: str
    details: str
    recorded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Decision:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    outcome: str
    previous_status: str
    reasons: str
    basis: str
    organisation: OrgRef
    decided_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Appeal:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    decision_id: int
    lodged_on: dt.date
    grounds: str
    status: str
    outcome_on: dt.date | None
    outcome_reasons: str


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    scopes: list[str]
    recipient: OrgRef
    purpose: str
    given_by: str
    given_on: dt.date
    withdrawn_on: dt.date | None
    active: bool


@dataclass(frozen=True, slots=True)
class ReferralEntry:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    service_type: str
    receiving_organisation: OrgRef
    status: str
    consent_id: int
    sent_at: dt.datetime
    responded_at: dt.datetime | None
    delivered_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    decline_reason: str


@dataclass(frozen=True, slots=True)
class TaskEntry:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    title: str
    kind: str
    rule_key: str
    rule_version: str
    starts_on: dt.date
    due_on: dt.date
    done_at: dt.datetime | None
    state: str
    assigned_organisation: OrgRef | None


@dataclass(frozen=True, slots=True)
class ChildSafeguards:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    guardian_name: str
    guardian_appointed_on: dt.date | None
    guardian_organisation: OrgRef | None
    child_protection_authority: str
    child_protection_notified_on: dt.date | None


@dataclass(frozen=True, slots=True)
class BestInterests:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    factors: dict[str, Any]
    durable_solution: str
    decided_on: dt.date
    participants: str


@dataclass(frozen=True, slots=True)
class ReturnAssessment:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    country: str
    answers: dict[str, Any]
    conclusion: str
    suggested_conclusion: str
    assessed_on: dt.date
    notes: str


@dataclass(frozen=True, slots=True)
class ReturnEntry:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    country: str
    returned_on: dt.date
    assessment_id: int | None
    override_reason: str


@dataclass(frozen=True, slots=True)
class NonPunishmentEntry:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    offence: str
    compulsion: str
    decision: str
    decided_by_body: str
    decided_on: dt.date | None


@dataclass(frozen=True, slots=True)
class CompensationEntry:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    amount: Decimal
    currency: str
    source: str
    status: str
    filed_on: dt.date | None
    decided_on: dt.date | None
    amount_awarded: Decimal | None


@dataclass(frozen=True, slots=True)
class ProceedingsEntry:
    """Criminal proceedings the person takes part in (Palermo's fields; HTCDS has none)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    country: str
    stage: str
    roles: list[str]
    authority: str
    stage_on: dt.date | None


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    """An identity or travel document, held or missing (in the identity group)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    doc_type: str
    issuing_country: str
    status: str
    number: str
    expires_on: dt.date | None


@dataclass(frozen=True, slots=True)
class CaseFile:
    """Sections the reader may not see are None (need to know)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    reference: str
    version: int
    visible_groups: list[str]
    access_basis: list[str]
    overview: Overview
    identity: Identity | None
    contact: Contact | None
    victim_context: VictimContext | None
    trafficking_events: list[TraffickingEvent] | None
    suspects: list[Suspect] | None
    decisions: list[Decision] | None
    appeals: list[Appeal] | None
    consents: list[ConsentEntry] | None
    referrals: list[ReferralEntry] | None
    tasks: list[TaskEntry] | None
    child: ChildSafeguards | None
    best_interests_determinations: list[BestInterests] | None
    return_assessments: list[ReturnAssessment] | None
    returns: list[ReturnEntry] | None
    non_punishment: list[NonPunishmentEntry] | None
    compensation_claims: list[CompensationEntry] | None
    proceedings: list[ProceedingsEntry] | None
    documents: list[DocumentEntry] | None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    __pydantic_config__: ClassVar[dict[str, Any]] = _READ_ATTRIBUTES
    id: int
    at: dt.datetime
    kind: str
    summary: str
    text: str
    actor: str  # the username, "" for the system
    organisation: str
    corrects_id: int | None
