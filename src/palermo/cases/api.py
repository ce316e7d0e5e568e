"""Case-file API: everything the case pages can do.

Paths carry only the pseudonymous case reference. Edits of the case name the
``version`` they were based on; a stale version is answered 409 and nothing
is saved. (No `from __future__ import annotations`: django-ninja reads the
annotations at runtime.)
"""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.pagination import PaginationBase, paginate
from pydantic import AfterValidator, BeforeValidator, StrictBool, StrictInt

from palermo.cases import access, casefile, selectors, services
from palermo.cases import workflow as wf
from palermo.cases.models import Case, TeamRole
from palermo.core import audit
from palermo.core.apiutil import ErrorOut, with_errors
from palermo.core.models import Organisation
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest

router = Router(tags=["cases"])

MAX_ID = 2**63 - 1
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it as bad input rather than fail on save.
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


def Text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)
    ]


# Bodies are strict: "yes" is not a boolean and "5" is not a number (lax parsing would
# accept input the schema documents as invalid).
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


def _iso_date(value: Any) -> Any:
    # Lax parsing would read 0 as 1970-01-01; a date in a body is an ISO 8601 string.
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise ValueError("Use an ISO 8601 date, YYYY-MM-DD.")


Day = Annotated[dt.date, BeforeValidator(_iso_date)]
Ref = Annotated[str, Path(max_length=40, description="Case reference, e.g. NRM-7K2Q-9F3D")]
Code = Text(60)


def _case(request: AuthedRequest, case_ref: str, *, record_read: bool = False) -> Case:
    return selectors.access_case(
        request.user,
        request.organisation,
        case_ref,
        request=request,
        record_read=record_read,
    )


def _org(org_id: int) -> Organisation:
    return get_object_or_404(Organisation, pk=org_id, is_active=True)


# --- schemas ------------------------------------------------------------------------------------------


class OrgRef(Schema):
    id: int
    name: str


class CaseSummaryOut(Schema):
    reference: str
    version: int
    status: str
    phase: str
    identification_status: str
    is_child: bool
    next_deadline: dt.date | None


WRITE = with_errors({200: CaseSummaryOut, 409: ErrorOut})


class CaseListItemOut(Schema):
    reference: str
    status: str
    phase: str
    identification_status: str
    is_child: bool
    nationality: str
    exploitation_types: list[str]
    next_deadline: dt.date | None
    opened_at: dt.datetime
    lead_organisation: OrgRef | None


class CappedPagination(PaginationBase):
    """Like the platform's pagination, but counts at most 1,000 matches (``count_capped``)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=200)
        page_size: int = Field(50, ge=1, le=200)

    class Output(Schema):
        items: list[Any]
        count: int
        count_capped: bool
        page: int
        page_size: int
        pages: int

    items_attribute = "items"

    def paginate_queryset(self, queryset: Any, pagination: Input, **params: Any) -> dict[str, Any]:
        count, capped = selectors.capped_count(queryset)
        start = (pagination.page - 1) * pagination.page_size
        items = list(queryset[start : start + pagination.page_size])
        return {
            "items": items,
            "count": count,
            "count_capped": capped,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": max(1, -(-count // pagination.page_size)),
        }


class CaseQuery(Schema):
    q: Text(40) = Field("", description="a case reference or its beginning")
    status: Literal["", "Active", "FollowUp", "Closed", "ClosedReferred"] = ""
    phase: Literal[
        "",
        "identification",
        "first_line",
        "medium_long_term",
        "return_inclusion",
        "proceedings",
        "closed",
    ] = ""
    identification_status: Literal["", "potential", "presumed", "identified", "not_identified"] = ""
    deadline: Literal["", "overdue", "due_soon", "none"] = ""
    organisation: int | None = Field(
        None, ge=1, le=MAX_ID, description="an organisation on the case team"
    )
    nationality: Text(2) = ""
    exploitation: Code = Field("", description="HTCDS vic_TypeOfExploitation value")
    child: bool | None = None
    sort: Literal["newest", "oldest", "deadline", "reference", "phase"] = "newest"


class PersonIn(Schema):
    model_config = {"extra": "forbid"}

    given_name: Text(100) | None = None
    family_name: Text(100) | None = None
    birthdate: Day | None = None
    gender: Code | None = None
    citizenship: list[Text(2)] | None = Field(None, max_length=5)
    primary_language: Text(3) | None = None
    secondary_language: Text(3) | None = None
    identity_number: Text(60) | None = None
    phone: Text(30) | None = None
    email: Text(254) | None = None
    street: Text(200) | None = None
    city: Text(100) | None = None
    postal_code: Text(20) | None = None
    country: Text(2) | None = None


class CaseOpenIn(Schema):
    model_config = {"extra": "forbid"}

    source: Literal["screening", "hotline", "agency", "transnational", "self_referral"]
    source_ref: Text(80) = ""
    person: PersonIn = Field(default_factory=PersonIn)
    exploitation_forms: list[Code] = Field(default_factory=list, max_length=11)
    is_child_or_presumed_child: StrictBool = False
    summary: Text(10_000) = ""
    referral_date: Day | None = None
    reason_for_referral: Code = ""
    referring_country: Text(2) = ""
    cooperates_with_authorities: StrictBool | None = None
    lead_organisation_id: Id | None = None


# The case file's sections are the typed read model the case page and investigate use too
# (palermo.cases.casefile, issue 14 item 5): one definition, so the API cannot drift from them.
IdentityOut = casefile.Identity
ContactOut = casefile.Contact
TeamMemberOut = casefile.TeamMember
OverviewOut = casefile.Overview
VictimContextOut = casefile.VictimContext
TraffickingEventOut = casefile.TraffickingEvent
TaskOut = casefile.TaskEntry
ConsentOut = casefile.ConsentEntry
ReferralOut = casefile.ReferralEntry
CaseFileOut = casefile.CaseFile


class TimelineEntryOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    summary: str
    text: str
    actor: str
    organisation: str
    corrects_id: int | None


# --- list, open, read -----------------------------------------------------------------------------------


@router.get(
    "", response=with_errors(list[CaseListItemOut]), summary="Cases I may see: list and search"
)
@api_requires(Perm.VIEW_CASES)
@paginate(CappedPagination)
def case_list(request: AuthedRequest, filters: Query[CaseQuery]) -> QuerySet[Case]:
    f = selectors.CaseFilter(**filters.dict())
    audit.record_request(
        request, action="read", object_type="case_list", details={"filters": f.as_details()}
    )
    return selectors.case_list(request.user, request.organisation, f)


@router.post(
    "", response=with_errors({201: CaseSummaryOut}), summary="Open a case from an incoming referral"
)
@api_requires(Perm.REFER)
def case_open(request: AuthedRequest, payload: CaseOpenIn) -> Any:
    lead = _org(payload.lead_organisation_id) if payload.lead_organisation_id else None
    case = services.case_open(
        actor=request.user,
        organisation=request.organisation,
        source=payload.source,
        source_ref=payload.source_ref,
        person=payload.person.dict(exclude_none=True),
        exploitation_forms=payload.exploitation_forms,
        is_child_or_presumed_child=payload.is_child_or_presumed_child,
        summary=payload.summary,
        referral_date=payload.referral_date,
        reason_for_referral=payload.reason_for_referral,
        referring_country=payload.referring_country,
        cooperates_with_authorities=payload.cooperates_with_authorities,
        lead_organisation=lead,
    )
    return Status(201, case)


@router.get(
    "/overdue",
    response=with_errors(list[TaskOut]),
    summary="Overdue deadlines (all of them for co-ordinators)",
)
@api_requires(Perm.VIEW_CASES)
@paginate(CappedPagination)
def overdue(request: AuthedRequest) -> list[dict[str, Any]]:
    audit.record_request(request, action="read", object_type="overdue_deadlines")
    qs = selectors.overdue_deadlines_for(request.user, request.organisation)
    today = selectors.clock.today()
    return _TaskRows(qs, today)  # type: ignore[return-value]


class _TaskRows:
    """Lazily turns a task queryset into TaskOut rows, so pagination slices before the conversion."""

    def __init__(self, qs: QuerySet[Any], today: dt.date) -> None:
        self.qs, self.today = qs, today

    def order_by(self, *args: Any) -> QuerySet[Any]:
        return self.qs.order_by(*args)

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [
            {
                "id": t.pk,
                "title": f"{t.case.reference}: {t.title}",
                "kind": t.kind,
                "rule_key": t.rule_key,
                "rule_version": t.rule_version,
                "starts_on": t.starts_on,
                "due_on": t.due_on,
                "done_at": t.done_at,
                "state": wf.deadline_state(t.due_on, t.done_at is not None, self.today),
                "assigned_organisation": {
                    "id": t.assigned_organisation.pk,
                    "name": t.assigned_organisation.name,
                }
                if t.assigned_organisation
                else None,
            }
            for t in self.qs[item]
        ]


class ServiceProviderOut(Schema):
    id: int
    organisation: OrgRef
    service_types: list[str]
    capacity: int
    in_use: int
    languages: list[str]
    area_served: str
    is_closed_facility: bool
    accepts_children: bool


class DirectoryQuery(Schema):
    service_type: Literal[("", *wf.SERVICE_TYPES)] = ""
    language: Text(3) = ""


@router.get(
    "/services", response=with_errors(list[ServiceProviderOut]), summary="The service directory"
)
@api_requires(Perm.VIEW_CASES)
@paginate(CappedPagination)
def directory(request: AuthedRequest, filters: Query[DirectoryQuery]) -> list[dict[str, Any]]:
    counts = selectors.active_referral_counts()
    return [
        {
            "id": p.pk,
            "organisation": {"id": p.organisation.pk, "name": p.organisation.name},
            "service_types": p.service_types,
            "capacity": p.capacity,
            "in_use": counts.get(p.pk, 0),
            "languages": p.languages,
            "area_served": p.area_served,
            "is_closed_facility": p.is_closed_facility,
            "accepts_children": p.accepts_children,
        }
        for p in selectors.service_directory(
            service_type=filters.service_type, language=filters.language
        )
    ]


class IncomingReferralOut(Schema):
    id: int
    service_type: str
    status: str
    details: str
    sending_organisation: OrgRef
    receiving_organisation: OrgRef
    sent_at: dt.datetime
    responded_at: dt.datetime | None
    delivered_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    decline_reason: str
    consent: dict[str, Any]
    case_reference: str
    shared_groups: list[str]
    is_child: bool
    identity: IdentityOut | None
    victim_context: VictimContextOut | None
    trafficking_events: list[TraffickingEventOut] | None
    safeguards: dict[str, Any] | None


@router.get(
    "/referrals/incoming",
    response=with_errors(list[ReferralOut]),
    summary="Referrals sent to my organisation",
)
@api_requires(Perm.VIEW_CASES)
@paginate(CappedPagination)
def referrals_incoming(
    request: AuthedRequest, status: Literal[("", *wf.REFERRAL_STATUSES)] = ""
) -> Any:
    qs = selectors.incoming_referrals_for(request.user, request.organisation, status=status)
    audit.record_request(
        request,
        action="read",
        object_type="referral_list",
        details={"status": status} if status else {},
    )
    return _ReferralRows(qs.select_related("receiving_organisation"))


class _ReferralRows(_TaskRows):
    """Lazily turns a referral queryset into ReferralOut rows (the case file's typed entries)."""

    def __init__(self, qs: QuerySet[Any]) -> None:
        self.qs = qs

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_referral_out(r) for r in self.qs[item]]


@router.get(
    "/referrals/{referral_id}",
    response=with_errors(IncomingReferralOut),
    summary="One referral, with the case fields this reader may see (the receiver: what its consent allows)",
)
@api_requires(Perm.VIEW_CASES)
def referral_detail(
    request: AuthedRequest, referral_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    # The receiver sees what the consent covers; anyone else their own case visibility (issue 11).
    _ref, data = selectors.read_referral(
        request.user, request.organisation, referral_id, request=request
    )
    return data


class ReasonIn(Schema):
    reason: Text(2000) = ""


class CloseReferralIn(Schema):
    outcome: Literal[tuple(wf.REFERRAL_OUTCOMES)]
    details: Text(2000) = ""


def _referral_out(ref: Any) -> dict[str, Any]:
    return {
        "id": ref.pk,
        "service_type": ref.service_type,
        "receiving_organisation": {
            "id": ref.receiving_organisation.pk,
            "name": ref.receiving_organisation.name,
        },
        "status": ref.status,
        "consent_id": ref.consent_id,
        "sent_at": ref.sent_at,
        "responded_at": ref.responded_at,
        "delivered_at": ref.delivered_at,
        "closed_at": ref.closed_at,
        "outcome": ref.outcome,
        "decline_reason": ref.decline_reason,
    }


RefId = Annotated[int, Path(ge=1, le=MAX_ID)]
REFERRAL_WRITE = with_errors({200: ReferralOut})


def _referral(request: AuthedRequest, referral_id: int) -> Any:
    return selectors.access_referral(request.user, request.organisation, referral_id)


@router.post(
    "/referrals/{referral_id}/accept",
    response=REFERRAL_WRITE,
    summary="Accept a referral (receiver)",
)
@api_requires(Perm.EDIT_CASES)
def referral_accept(request: AuthedRequest, referral_id: RefId) -> dict[str, Any]:
    ref = services.service_referral_accept(
        actor=request.user,
        organisation=request.organisation,
        referral=_referral(request, referral_id),
    )
    return _referral_out(ref)


@router.post(
    "/referrals/{referral_id}/decline",
    response=REFERRAL_WRITE,
    summary="Decline a referral, saying why (receiver)",
)
@api_requires(Perm.EDIT_CASES)
def referral_decline(
    request: AuthedRequest, referral_id: RefId, payload: ReasonIn
) -> dict[str, Any]:
    ref = services.service_referral_decline(
        actor=request.user,
        organisation=request.organisation,
        referral=_referral(request, referral_id),
        reason=payload.reason,
    )
    return _referral_out(ref)


@router.post(
    "/referrals/{referral_id}/deliver",
    response=REFERRAL_WRITE,
    summary="Record that the service is delivered (receiver)",
)
@api_requires(Perm.EDIT_CASES)
def referral_deliver(request: AuthedRequest, referral_id: RefId) -> dict[str, Any]:
    ref = services.service_referral_deliver(
        actor=request.user,
        organisation=request.organisation,
        referral=_referral(request, referral_id),
    )
    return _referral_out(ref)


@router.post(
    "/referrals/{referral_id}/close",
    response=REFERRAL_WRITE,
    summary="Close a referral with its outcome (receiver or case team)",
)
@api_requires(Perm.EDIT_CASES)
def referral_close(
    request: AuthedRequest, referral_id: RefId, payload: CloseReferralIn
) -> dict[str, Any]:
    ref = services.service_referral_close(
        actor=request.user,
        organisation=request.organisation,
        referral=_referral(request, referral_id),
        outcome=payload.outcome,
        details=payload.details,
    )
    return _referral_out(ref)


class BreakGlassIn(Schema):
    reason: Text(2000, 1)


class BreakGlassOut(Schema):
    id: int
    case_reference: str
    started_at: dt.datetime
    expires_at: dt.datetime


@router.post(
    "/{case_ref}/break-glass",
    response=with_errors({201: BreakGlassOut}),
    summary="Emergency access to the whole case file (audited, flagged to co-ordinators)",
)
@api_requires(Perm.BREAK_GLASS)
def break_glass(request: AuthedRequest, case_ref: Ref, payload: BreakGlassIn) -> Any:
    row = services.break_glass_open(
        actor=request.user,
        organisation=request.organisation,
        case_ref=case_ref,
        reason=payload.reason,
    )
    return Status(
        201,
        {
            "id": row.pk,
            "case_reference": row.case.reference,
            "started_at": row.started_at,
            "expires_at": row.expires_at,
        },
    )


@router.get(
    "/{case_ref}", response=with_errors(CaseFileOut), summary="A case file (the parts I may see)"
)
@api_requires(Perm.VIEW_CASES)
def case_detail(request: AuthedRequest, case_ref: Ref) -> casefile.CaseFile:
    case = _case(request, case_ref, record_read=True)
    return selectors.case_file(case, case.visibility)  # type: ignore[attr-defined]


@router.get(
    "/{case_ref}/timeline",
    response=with_errors(list[TimelineEntryOut]),
    summary="The case timeline, newest first",
)
@api_requires(Perm.VIEW_CASES)
@paginate(CappedPagination)
def timeline(request: AuthedRequest, case_ref: Ref) -> Any:
    case = _case(request, case_ref, record_read=True)
    if access.TIMELINE not in case.visibility:  # type: ignore[attr-defined]
        raise services.NotAllowed("You may not see this case's timeline.")
    return _TimelineRows(selectors.case_timeline(case))


class _TimelineRows(_TaskRows):
    def __init__(self, qs: QuerySet[Any]) -> None:
        self.qs = qs

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [
            {
                "id": e.pk,
                "at": e.at,
                "kind": e.kind,
                "summary": e.summary,
                "text": e.text,
                "actor": e.actor.username if e.actor else "",
                "organisation": e.organisation.name if e.organisation else "",
                "corrects_id": e.corrects_id,
            }
            for e in self.qs[item]
        ]


# --- edits of the case -----------------------------------------------------------------------------------------


class VersionIn(Schema):
    version: Annotated[
        StrictInt, Field(ge=1, le=2**31 - 1, description="The version the change is based on")
    ]


class PersonChangeIn(VersionIn):
    model_config = {"extra": "forbid"}

    changes: PersonIn


@router.patch("/{case_ref}/person", response=WRITE, summary="Change identity or contact fields")
@api_requires(Perm.EDIT_CASES)
def person_update(request: AuthedRequest, case_ref: Ref, payload: PersonChangeIn) -> Case:
    case = _case(request, case_ref)
    return services.person_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        changes=payload.changes.dict(exclude_unset=True),
    )


class ContextIn(Schema):
    model_config = {"extra": "forbid"}

    methods_of_recruitment: list[Code] | None = Field(None, max_length=20)
    methods_of_control: list[Code] | None = Field(None, max_length=20)
    exploitation_types: list[Code] | None = Field(None, max_length=20)
    forced_labour_industry: Code | None = None
    sex_exploitation_types: list[Code] | None = Field(None, max_length=10)
    relationship_to_trafficker: Code | None = None
    age_when_trafficked: Annotated[StrictInt, Field(ge=0, le=120)] | None = None
    countries_of_recruitment: list[Text(2)] | None = Field(None, max_length=20)
    countries_of_transit: list[Text(2)] | None = Field(None, max_length=20)
    countries_of_exploitation: list[Text(2)] | None = Field(None, max_length=20)


class ContextChangeIn(VersionIn):
    model_config = {"extra": "forbid"}

    changes: ContextIn


@router.patch(
    "/{case_ref}/context", response=WRITE, summary="Change the victim context (HTCDS vic_ fields)"
)
@api_requires(Perm.EDIT_CASES)
def context_update(request: AuthedRequest, case_ref: Ref, payload: ContextChangeIn) -> Case:
    case = _case(request, case_ref)
    return services.context_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        changes=payload.changes.dict(exclude_unset=True),
    )


class CaseChangeIn(VersionIn):
    is_child: StrictBool | None = None
    cooperates_with_authorities: StrictBool | None = None
    status: Literal["Active", "FollowUp"] | None = None
    lead_organisation_id: Id | None = None
    summary: Text(10_000) | None = None


@router.patch(
    "/{case_ref}",
    response=WRITE,
    summary="Change case facts: child, co-operation, status, lead, summary",
)
@api_requires(Perm.EDIT_CASES)
def case_update(request: AuthedRequest, case_ref: Ref, payload: CaseChangeIn) -> Case:
    case = _case(request, case_ref)
    lead = _org(payload.lead_organisation_id) if payload.lead_organisation_id else None
    return services.case_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        is_child=payload.is_child,
        cooperates_with_authorities=payload.cooperates_with_authorities,
        status=payload.status,
        lead_organisation=lead,
        summary=payload.summary,
    )


class DecisionIn(VersionIn):
    outcome: Literal["presumed", "identified", "not_identified"]
    reasons: Text(10_000)
    basis: Literal["", "appeal", "new_facts"] = ""


@router.post(
    "/{case_ref}/decisions", response=WRITE, summary="Identification decision (identification body)"
)
@api_requires(Perm.DECIDE_IDENTIFICATION)
def decide(request: AuthedRequest, case_ref: Ref, payload: DecisionIn) -> Case:
    case = _case(request, case_ref)
    services.identification_decide(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        outcome=payload.outcome,
        reasons=payload.reasons,
        basis=payload.basis,
    )
    return case


class AppealIn(Schema):
    grounds: Text(10_000)
    lodged_on: Day


@router.post(
    "/{case_ref}/appeals", response=WRITE, summary="Record an appeal against the latest decision"
)
@api_requires(Perm.EDIT_CASES)
def appeal_lodge(request: AuthedRequest, case_ref: Ref, payload: AppealIn) -> Case:
    case = _case(request, case_ref)
    services.appeal_lodge(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        grounds=payload.grounds,
        lodged_on=payload.lodged_on,
    )
    return case


class AppealOutcomeIn(VersionIn):
    upheld: StrictBool
    reasons: Text(10_000)
    new_outcome: Literal["", "presumed", "identified", "not_identified"] = ""


@router.post(
    "/{case_ref}/appeals/{appeal_id}/outcome",
    response=WRITE,
    summary="Record the outcome of an appeal",
)
@api_requires(Perm.DECIDE_IDENTIFICATION)
def appeal_decide(
    request: AuthedRequest,
    case_ref: Ref,
    appeal_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: AppealOutcomeIn,
) -> Case:
    case = _case(request, case_ref)
    services.appeal_decide(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        appeal_id=appeal_id,
        upheld=payload.upheld,
        reasons=payload.reasons,
        new_outcome=payload.new_outcome,
    )
    return case


class TransitionIn(VersionIn):
    target: Literal[tuple(wf.PHASES)]
    closure_reason: Literal[("", *wf.CLOSURE_REASONS)] = ""
    closure_details: Text(10_000) = ""


@router.post(
    "/{case_ref}/transitions", response=WRITE, summary="Move the case to another NRM phase"
)
@api_requires(Perm.EDIT_CASES)
def transition(request: AuthedRequest, case_ref: Ref, payload: TransitionIn) -> Case:
    case = _case(request, case_ref)
    return services.case_transition(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        target=payload.target,
        closure_reason=payload.closure_reason,
        closure_details=payload.closure_details,
    )


class NoteIn(Schema):
    text: Text(10_000)
    corrects_id: Id | None = None


@router.post(
    "/{case_ref}/notes",
    response=with_errors({201: TimelineEntryOut}),
    summary="Append a note (or a correction of one); notes are never edited",
)
@api_requires(Perm.EDIT_CASES)
def note_add(request: AuthedRequest, case_ref: Ref, payload: NoteIn) -> Any:
    case = _case(request, case_ref)
    e = services.note_add(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        text=payload.text,
        corrects_id=payload.corrects_id,
    )
    return Status(
        201,
        {
            "id": e.pk,
            "at": e.at,
            "kind": e.kind,
            "summary": e.summary,
            "text": e.text,
            "actor": request.user.get_username(),
            "organisation": request.organisation.name,
            "corrects_id": e.corrects_id,
        },
    )


class TeamIn(Schema):
    organisation_id: Id
    role: Literal[tuple(TeamRole.values)]


@router.post("/{case_ref}/team", response=WRITE, summary="Assign an organisation to the case team")
@api_requires(Perm.EDIT_CASES)
def team_add(request: AuthedRequest, case_ref: Ref, payload: TeamIn) -> Case:
    case = _case(request, case_ref)
    services.team_add(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        member=_org(payload.organisation_id),
        role=payload.role,
    )
    return case


@router.delete(
    "/{case_ref}/team/{organisation_id}",
    response=WRITE,
    summary="Remove an organisation from the case team",
)
@api_requires(Perm.EDIT_CASES)
def team_remove(
    request: AuthedRequest, case_ref: Ref, organisation_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> Case:
    case = _case(request, case_ref)
    services.team_remove(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        member=_org(organisation_id),
    )
    return case


class ConsentIn(Schema):
    scopes: list[Literal[tuple(wf.CONSENT_SCOPES)]] = Field(..., max_length=4)
    recipient_id: Id
    purpose: Literal[tuple(wf.CONSENT_PURPOSES)]
    given_by: Literal[tuple(wf.CONSENT_GIVERS)]
    given_on: Day
    notes: Text(2000) = ""


@router.post(
    "/{case_ref}/consents",
    response=with_errors({201: ConsentOut}),
    summary="Record consent to share",
)
@api_requires(Perm.EDIT_CASES)
def consent_give(request: AuthedRequest, case_ref: Ref, payload: ConsentIn) -> Any:
    case = _case(request, case_ref)
    c = services.consent_give(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        scopes=list(payload.scopes),
        recipient=_org(payload.recipient_id),
        purpose=payload.purpose,
        given_by=payload.given_by,
        given_on=payload.given_on,
        notes=payload.notes,
    )
    return Status(201, _consent_out(c))


def _consent_out(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "scopes": c.scopes,
        "recipient": {"id": c.recipient.pk, "name": c.recipient.name},
        "purpose": c.purpose,
        "given_by": c.given_by,
        "given_on": c.given_on,
        "withdrawn_on": c.withdrawn_on,
        "active": wf.consent_active(c.given_on, c.withdrawn_on, selectors.clock.today()),
    }


class WithdrawIn(Schema):
    withdrawn_on: Day | None = None


@router.post(
    "/{case_ref}/consents/{consent_id}/withdraw",
    response=with_errors({200: ConsentOut}),
    summary="Withdraw a consent (referrals relying on it stop sharing at once)",
)
@api_requires(Perm.EDIT_CASES)
def consent_withdraw(
    request: AuthedRequest,
    case_ref: Ref,
    consent_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: WithdrawIn,
) -> Any:
    case = _case(request, case_ref)
    c = services.consent_withdraw(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        consent_id=consent_id,
        withdrawn_on=payload.withdrawn_on,
    )
    return _consent_out(c)


class LegalBasisIn(Schema):
    organisation_id: Id
    basis: Text(300)
    valid_until: Day | None = None


@router.post(
    "/{case_ref}/legal-bases",
    response=WRITE,
    summary="Record a legal basis for law enforcement to see the person's identity",
)
@api_requires(Perm.OVERSEE_CASES)
def legal_basis(request: AuthedRequest, case_ref: Ref, payload: LegalBasisIn) -> Case:
    case = _case(request, case_ref)
    services.legal_basis_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        member=_org(payload.organisation_id),
        basis=payload.basis,
        valid_until=payload.valid_until,
    )
    return case


class ReferralIn(Schema):
    provider_id: Id
    service_type: Literal[tuple(wf.SERVICE_TYPES)]
    consent_id: Id
    details: Text(5000) = ""


@router.post(
    "/{case_ref}/referrals",
    response=with_errors({201: ReferralOut}),
    summary="Refer the person to a service",
)
@api_requires(Perm.EDIT_CASES)
def referral_send(request: AuthedRequest, case_ref: Ref, payload: ReferralIn) -> Any:
    case = _case(request, case_ref)
    provider = selectors.provider(payload.provider_id)
    consent = selectors.consent_of(case, payload.consent_id)
    if consent is None:
        from palermo.core.errors import FieldError, InvalidInput

        raise InvalidInput(FieldError("consent_id", "No such consent on this case."))
    r = services.service_referral_send(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        provider=provider,
        service_type=payload.service_type,
        consent=consent,
        details=payload.details,
    )
    return Status(201, _referral_out(r))


class TaskIn(Schema):
    title: Text(300, 1)
    due_on: Day
    assigned_organisation_id: Id | None = None
    remind_days_before: Annotated[StrictInt, Field(ge=0, le=60)] = 2


@router.post("/{case_ref}/tasks", response=WRITE, summary="Add a task with a deadline")
@api_requires(Perm.EDIT_CASES)
def task_add(request: AuthedRequest, case_ref: Ref, payload: TaskIn) -> Case:
    case = _case(request, case_ref)
    org = _org(payload.assigned_organisation_id) if payload.assigned_organisation_id else None
    services.task_add(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        title=payload.title,
        due_on=payload.due_on,
        assigned_organisation=org,
        remind_days_before=payload.remind_days_before,
    )
    return case


class TaskDoneIn(Schema):
    note: Text(300) = ""


@router.post("/{case_ref}/tasks/{task_id}/done", response=WRITE, summary="Mark a task done")
@api_requires(Perm.EDIT_CASES)
def task_done(
    request: AuthedRequest,
    case_ref: Ref,
    task_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: TaskDoneIn,
) -> Case:
    case = _case(request, case_ref)
    services.task_complete(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        task_id=task_id,
        note=payload.note,
    )
    return case


class TraffickingEventIn(Schema):
    event_type: Literal["Recruitment", "Transit", "Exploitation"]
    date: Day | None = None
    country: Text(2) = ""
    city: Text(100) = ""
    description: Text(5000) = ""


@router.post(
    "/{case_ref}/trafficking-events",
    response=WRITE,
    summary="Add an event to the history of trafficking",
)
@api_requires(Perm.EDIT_CASES)
def trafficking_event(request: AuthedRequest, case_ref: Ref, payload: TraffickingEventIn) -> Case:
    case = _case(request, case_ref)
    services.trafficking_event_add(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        event_type=payload.event_type,
        date_=payload.date,
        country=payload.country,
        city=payload.city,
        description=payload.description,
    )
    return case


class SuspectIn(Schema):
    name_or_alias: Text(200, 1)
    roles: list[Code] = Field(default_factory=list, max_length=15)
    organisation: Text(200) = ""
    details: Text(5000) = ""


@router.post("/{case_ref}/suspects", response=WRITE, summary="Link a suspected perpetrator")
@api_requires(Perm.EDIT_CASES)
def suspect(request: AuthedRequest, case_ref: Ref, payload: SuspectIn) -> Case:
    case = _case(request, case_ref)
    services.suspect_link(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        name_or_alias=payload.name_or_alias,
        roles=payload.roles,
        organisation_name=payload.organisation,
        details=payload.details,
    )
    return case


class GuardianIn(Schema):
    guardian_name: Text(200, 1)
    appointed_on: Day
    guardian_organisation_id: Id | None = None


@router.post(
    "/{case_ref}/guardian", response=WRITE, summary="Record the appointment of a child's guardian"
)
@api_requires(Perm.EDIT_CASES)
def guardian(request: AuthedRequest, case_ref: Ref, payload: GuardianIn) -> Case:
    case = _case(request, case_ref)
    org = _org(payload.guardian_organisation_id) if payload.guardian_organisation_id else None
    services.guardian_appoint(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        guardian_name=payload.guardian_name,
        appointed_on=payload.appointed_on,
        guardian_organisation=org,
    )
    return case


class ChildProtectionIn(Schema):
    authority: Text(200, 1)
    notified_on: Day


@router.post(
    "/{case_ref}/child-protection",
    response=WRITE,
    summary="Record the notification of child protection",
)
@api_requires(Perm.EDIT_CASES)
def child_protection(request: AuthedRequest, case_ref: Ref, payload: ChildProtectionIn) -> Case:
    case = _case(request, case_ref)
    services.child_protection_notify(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        authority=payload.authority,
        notified_on=payload.notified_on,
    )
    return case


class BidIn(Schema):
    factors: dict[Literal[tuple(wf.BID_FACTORS)], Text(5000)]
    durable_solution: Literal[tuple(wf.DURABLE_SOLUTIONS)]
    decided_on: Day
    participants: Text(300) = ""


@router.post(
    "/{case_ref}/best-interests", response=WRITE, summary="Record a best-interests determination"
)
@api_requires(Perm.EDIT_CASES)
def bid(request: AuthedRequest, case_ref: Ref, payload: BidIn) -> Case:
    case = _case(request, case_ref)
    services.bid_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        factors=dict(payload.factors),
        durable_solution=payload.durable_solution,
        decided_on=payload.decided_on,
        participants=payload.participants,
    )
    return case


Answer = Literal["yes", "no", "unknown"]


class ReturnAssessmentIn(Schema):
    country: Text(2)
    risk_of_harm: Answer
    authorities_can_protect: Answer
    risk_of_prosecution: Answer
    services_support_inclusion: Answer
    conclusion: Literal["acceptable", "not_acceptable"]
    assessed_on: Day
    notes: Text(5000) = ""


@router.post(
    "/{case_ref}/return-assessments",
    response=WRITE,
    summary="Record a return risk assessment (four questions)",
)
@api_requires(Perm.EDIT_CASES)
def return_assessment(request: AuthedRequest, case_ref: Ref, payload: ReturnAssessmentIn) -> Case:
    case = _case(request, case_ref)
    answers = {q: getattr(payload, q) for q in wf.RETURN_QUESTIONS}
    services.return_assessment_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        country=payload.country,
        answers=answers,
        conclusion=payload.conclusion,
        assessed_on=payload.assessed_on,
        notes=payload.notes,
    )
    return case


class ReturnIn(Schema):
    country: Text(2)
    returned_on: Day
    override_reason: Text(5000) = ""
    notes: Text(5000) = ""


@router.post(
    "/{case_ref}/returns",
    response=WRITE,
    summary="Record a return (needs an acceptable risk assessment or a co-ordinator's override)",
)
@api_requires(Perm.EDIT_CASES)
def return_(request: AuthedRequest, case_ref: Ref, payload: ReturnIn) -> Case:
    case = _case(request, case_ref)
    services.return_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        country=payload.country,
        returned_on=payload.returned_on,
        override_reason=payload.override_reason,
        notes=payload.notes,
    )
    return case


class NonPunishmentIn(Schema):
    offence: Text(300, 1)
    compulsion: Text(5000)
    decision: Literal[tuple(wf.NON_PUNISHMENT_DECISIONS)] = "pending"
    decided_by_body: Text(200) = ""
    decided_on: Day | None = None


@router.post(
    "/{case_ref}/non-punishment",
    response=WRITE,
    summary="Record an offence committed under compulsion",
)
@api_requires(Perm.EDIT_CASES)
def non_punishment(request: AuthedRequest, case_ref: Ref, payload: NonPunishmentIn) -> Case:
    case = _case(request, case_ref)
    services.non_punishment_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        offence=payload.offence,
        compulsion=payload.compulsion,
        decision=payload.decision,
        decided_by_body=payload.decided_by_body,
        decided_on=payload.decided_on,
    )
    return case


class NonPunishmentDecisionIn(Schema):
    decision: Literal["not_prosecuted", "not_penalised", "penalised"]
    decided_by_body: Text(200, 1)
    decided_on: Day


@router.post(
    "/{case_ref}/non-punishment/{record_id}/decision",
    response=WRITE,
    summary="Record the decision on an offence committed under compulsion",
)
@api_requires(Perm.EDIT_CASES)
def non_punishment_decide(
    request: AuthedRequest,
    case_ref: Ref,
    record_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: NonPunishmentDecisionIn,
) -> Case:
    case = _case(request, case_ref)
    services.non_punishment_decide(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        record_id=record_id,
        decision=payload.decision,
        decided_by_body=payload.decided_by_body,
        decided_on=payload.decided_on,
    )
    return case


class CompensationIn(Schema):
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)
    currency: Text(3)
    source: Literal[tuple(wf.COMPENSATION_SOURCES)]
    filed_on: Day | None = None


@router.post(
    "/{case_ref}/compensation-claims", response=WRITE, summary="Record a compensation claim"
)
@api_requires(Perm.EDIT_CASES)
def compensation(request: AuthedRequest, case_ref: Ref, payload: CompensationIn) -> Case:
    case = _case(request, case_ref)
    services.compensation_claim_record(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        amount=payload.amount,
        currency=payload.currency,
        source=payload.source,
        filed_on=payload.filed_on,
    )
    return case


class CompensationStatusIn(Schema):
    status: Literal["filed", "awarded", "rejected", "paid"]
    on: Day | None = None
    amount_awarded: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2)


@router.post(
    "/{case_ref}/compensation-claims/{claim_id}/status",
    response=WRITE,
    summary="Move a compensation claim on: filed, awarded, rejected, paid",
)
@api_requires(Perm.EDIT_CASES)
def compensation_status(
    request: AuthedRequest,
    case_ref: Ref,
    claim_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    payload: CompensationStatusIn,
) -> Case:
    case = _case(request, case_ref)
    services.compensation_claim_update(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        claim_id=claim_id,
        status=payload.status,
        on=payload.on,
        amount_awarded=payload.amount_awarded,
    )
    return case
