"""Investigations API: list, open, read, upload statements, run red flags, alerts and their
decisions, the evidence pack.

Paths carry only the pseudonymous investigation reference. Anyone without a need to know
gets 404, exactly as for an investigation that does not exist. (No
`from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import AfterValidator, StrictInt

from palermo.core import audit
from palermo.core.apiutil import ErrorOut, PalermoPagination, with_errors
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest
from palermo.core.selectors import organisations_to_choose
from palermo.investigate import jobs as inv_jobs
from palermo.investigate import selectors, services
from palermo.investigate.models import Investigation
from palermo.jobs import services as job_services
from palermo.jobs.api import JobOut
from palermo.jobs.display import job_out

router = Router(tags=["investigations"])

MAX_ID = 2**63 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


def Text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)
    ]


Ref = Annotated[str, Path(max_length=20, description="Investigation reference, e.g. INV-2026-0001")]
AlertKey = Annotated[str, Path(max_length=64, pattern=r"^[0-9a-f]{1,64}$", description="Alert key")]


def _with_errors(ok: Any) -> dict[int, Any]:
    """The standard error answers, 409 for a change to a closed investigation, and 503
    when another process holds the workspace file."""
    return {**with_errors(ok), 409: ErrorOut, 503: ErrorOut}


def _inv(request: AuthedRequest, ref: str, what: str = "investigation") -> Investigation:
    return selectors.access_investigation(
        request.user,
        request.organisation,
        ref,
        request=request,
        what=what,
    )


# --- schemas -----------------------------------------------------------------------------------------


class InvestigationOrgRef(Schema):
    id: int
    name: str


class InvestigationOut(Schema):
    reference: str
    title: str
    status: str
    closure_reason: str  # empty while open
    closed_at: dt.datetime | None
    organisation: InvestigationOrgRef
    created_at: dt.datetime


class StatementOut(Schema):
    name: str
    sha256: str
    kind: str
    profile: str
    rows: int
    rows_inserted: int
    imported_at: dt.datetime


class InvestigationDetailOut(InvestigationOut):
    members: list[InvestigationOrgRef]
    cases: list[str]
    statements: list[StatementOut]


class InvestigationIn(Schema):
    model_config = {"extra": "forbid"}

    title: Text(200, 1)
    members: list[Annotated[StrictInt, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=20
    )
    cases: list[Text(40, 1)] = Field(default_factory=list, max_length=20)


class MemberIn(Schema):
    model_config = {"extra": "forbid"}

    organisation: Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class CloseIn(Schema):
    model_config = {"extra": "forbid"}

    reason: Literal["referred_to_prosecution", "no_further_action", "merged", "concluded"]


class CaseLinkIn(Schema):
    model_config = {"extra": "forbid"}

    case: Text(40, 1)


class UploadIn(Schema):
    kind: Literal["csv", "camt053", "amlsim"]
    profile: Text(100) = Field(
        "", description="CSV mapping profile: a packaged id, pkg:<id> or org:<slug>"
    )
    account: Text(42) = Field(
        "", description="The statement's own account (IBAN), when the CSV lacks it"
    )
    account_name: Text(200) = ""


class TransactionOut(Schema):
    tx_id: str
    booked_at: dt.datetime | None
    amount: str
    currency: str | None
    payer_key: str | None
    payee_key: str | None
    description: str | None
    source_id: str
    file_name: str | None
    line_no: int | None


class SourceOut(Schema):
    id: str
    indicator: str


class AlertOut(Schema):
    alert_key: str
    rule_id: str
    rule_title: str
    rule_version: int
    sources: list[SourceOut]
    exploitation: list[str]
    typology: str
    subject: str
    score: float
    summary: str
    tx_ids: list[str]
    transactions: list[TransactionOut]
    decision: str


class InvestigationDecisionIn(Schema):
    model_config = {"extra": "forbid"}

    decision: Literal["confirmed", "dismissed"]
    note: Text(2000) = ""


class InvestigationDecisionOut(Schema):
    alert_key: str
    rule_id: str
    decision: str
    decided_at: dt.datetime


def _out(inv: Investigation) -> dict[str, Any]:
    return {
        "reference": inv.reference,
        "title": inv.title,
        "status": inv.status,
        "closure_reason": inv.closure_reason,
        "closed_at": inv.closed_at,
        "organisation": {"id": inv.organisation_id, "name": inv.organisation.name},
        "created_at": inv.created_at,
    }


def _detail_out(inv: Investigation, request: HttpRequest) -> dict[str, Any]:
    return {
        **_out(inv),
        "members": [
            {"id": m.organisation_id, "name": m.organisation.name}
            for m in inv.members.select_related("organisation")
        ],
        # Only the linked cases this reader may open (issue 11: no second door to a case's existence).
        "cases": [
            c.reference for c in selectors.linked_cases_for(request.user, request.organisation, inv)
        ],
        "statements": [
            {
                "name": s.name,
                "sha256": s.sha256,
                "kind": s.kind,
                "profile": s.profile,
                "rows": s.rows,
                "rows_inserted": s.rows_inserted,
                "imported_at": s.imported_at,
            }
            for s in inv.statements.all()
        ],
    }


def _tx_out(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "tx_id": t["tx_id"],
        "booked_at": t["booked_at"],
        "amount": str(t["amount"]),
        "currency": t["currency"],
        "payer_key": t["payer_key"],
        "payee_key": t["payee_key"],
        "description": t["description"],
        "source_id": t["source_id"],
        "file_name": t["file_name"],
        "line_no": t["line_no"],
    }


# --- investigations ----------------------------------------------------------------------------------


@router.get("", response=_with_errors(list[InvestigationOut]), summary="Investigations I may see")
@api_requires(Perm.INVESTIGATE)
@paginate(PalermoPagination)
def investigation_list(
    request: AuthedRequest,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Literal["", "open", "closed"] = "",
) -> Any:
    if "\x00" in q:  # a 422 next to the parameter, not a 500
        raise InvalidInput([FieldError("q", "Text may not contain NUL characters.")])
    audit.record_request(
        request, action="read", object_type="investigation_list", details={"search": bool(q)}
    )
    return [
        _out(i) for i in selectors.investigation_list(request.user, request.organisation, q, status)
    ]


@router.post(
    "", response=_with_errors({201: InvestigationDetailOut}), summary="Open an investigation"
)
@api_requires(Perm.INVESTIGATE)
def investigation_create(request: AuthedRequest, payload: InvestigationIn) -> Any:
    members = []
    for pk in payload.members:
        # Only organisations the user may name: a scoped trainee cannot tell another team's id
        # from an unknown one (core.selectors.organisations_to_choose).
        org = organisations_to_choose(request.user).filter(pk=pk).first()
        if org is None:
            raise InvalidInput([FieldError("members", "No organisation {id}.", id=pk)])
        members.append(org)
    inv = services.investigation_create(
        actor=request.user,
        organisation=request.organisation,
        title=payload.title,
        members=members,
        case_refs=payload.cases,
    )
    return Status(201, _detail_out(inv, request))


# --- CSV mapping profiles (before "/{ref}", whose pattern would otherwise take "/profiles") --------


class ProfileOut(Schema):
    id: str  # pkg:<id> or org:<slug>: the value the statement upload's "profile" takes
    label: str
    source: Literal["packaged", "saved"]
    definition: dict[str, Any] | None  # a saved profile's mapping; packaged ones are in the code


class ProfileIn(Schema):
    model_config = {"extra": "forbid"}

    slug: Text(80, 1)
    label: Text(200, 1)
    definition: dict[str, Any]


@router.get(
    "/profiles",
    response=_with_errors(list[ProfileOut]),
    summary="CSV mapping profiles: the packaged ones and my organisation's saved ones",
)
@api_requires(Perm.INVESTIGATE)
@paginate(PalermoPagination)
def profile_list(request: AuthedRequest) -> Any:
    from palermo.investigate.models import MappingProfile
    from palermo.investigate.profiles import packaged_profiles

    out: list[dict[str, Any]] = [
        {"id": f"pkg:{p.id}", "label": p.label, "source": "packaged", "definition": None}
        for p in packaged_profiles()
    ]
    out += [
        {"id": f"org:{m.slug}", "label": m.label, "source": "saved", "definition": m.definition}
        for m in MappingProfile.objects.filter(organisation=request.organisation).order_by("slug")
    ]
    return out


@router.post(
    "/profiles",
    response=_with_errors(ProfileOut),
    summary="Save (or replace) a CSV mapping profile for my organisation; validated first",
)
@api_requires(Perm.INVESTIGATE)
def profile_save(request: AuthedRequest, payload: ProfileIn) -> Any:
    m = services.mapping_profile_save(
        actor=request.user,
        organisation=request.organisation,
        slug=payload.slug,
        label=payload.label,
        definition=payload.definition,
    )
    return {"id": f"org:{m.slug}", "label": m.label, "source": "saved", "definition": m.definition}


@router.get("/{ref}", response=_with_errors(InvestigationDetailOut), summary="An investigation")
@api_requires(Perm.INVESTIGATE)
def investigation_detail(request: AuthedRequest, ref: Ref) -> Any:
    return _detail_out(_inv(request, ref), request)


@router.post(
    "/{ref}/close",
    response=_with_errors(InvestigationDetailOut),
    summary="Close the investigation (owner only): read-only until reopened",
)
@api_requires(Perm.INVESTIGATE)
def investigation_close(request: AuthedRequest, ref: Ref, payload: CloseIn) -> Any:
    inv = _inv(request, ref, "close")
    inv = services.investigation_close(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        reason=payload.reason,
    )
    return _detail_out(inv, request)


@router.post(
    "/{ref}/reopen",
    response=_with_errors(InvestigationDetailOut),
    summary="Reopen a closed investigation (owner only)",
)
@api_requires(Perm.INVESTIGATE)
def investigation_reopen(request: AuthedRequest, ref: Ref) -> Any:
    inv = _inv(request, ref, "reopen")
    inv = services.investigation_reopen(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
    )
    return _detail_out(inv, request)


@router.post(
    "/{ref}/members",
    response=_with_errors(InvestigationDetailOut),
    summary="Give another investigating organisation access (owner only)",
)
@api_requires(Perm.INVESTIGATE)
def member_add(request: AuthedRequest, ref: Ref, payload: MemberIn) -> Any:
    inv = _inv(request, ref, "member_add")
    member = organisations_to_choose(request.user).filter(pk=payload.organisation).first()
    if member is None:
        raise InvalidInput(
            [FieldError("organisation", "No organisation {id}.", id=payload.organisation)]
        )
    services.member_add(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        member=member,
    )
    return _detail_out(inv, request)


@router.post(
    "/{ref}/cases",
    response=_with_errors(InvestigationDetailOut),
    summary="Link an NRM case you may see",
)
@api_requires(Perm.INVESTIGATE)
def case_link(request: AuthedRequest, ref: Ref, payload: CaseLinkIn) -> Any:
    inv = _inv(request, ref, "case_link")
    services.case_link(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        case_ref=payload.case,
    )
    return _detail_out(inv, request)


@router.post(
    "/{ref}/statements",
    response=_with_errors({202: JobOut}),
    summary="Upload a statement (all or nothing, idempotent), imported by a background job",
)
@api_requires(Perm.INVESTIGATE)
def statement_upload(
    request: AuthedRequest, ref: Ref, file: File[UploadedFile], payload: Form[UploadIn]
) -> Any:
    """Answers 202 with the job once the parameters are checked; follow ``url``: when ``status`` is
    ``done``, ``report`` is the import report; when ``failed``, ``report.errors`` lists the rejected rows."""
    inv = _inv(request, ref, "statement_upload")
    profile = payload.profile
    if profile and ":" not in profile:
        profile = f"pkg:{profile}"
    params = {
        "kind": payload.kind,
        "profile": profile,
        "account": payload.account,
        "account_name": payload.account_name,
    }
    services.statement_import_check(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        size=file.size,
        **params,
    )
    path = job_services.save_upload(file.chunks())
    try:
        job = job_services.job_start(
            actor=request.user,
            organisation=request.organisation,
            kind=inv_jobs.STATEMENT_IMPORT,
            subject_ref=inv.reference,
            params={**params, "file_name": file.name or "statement", "investigation": inv.pk},
            inputs={"statement": path},
        )
    finally:
        path.unlink(missing_ok=True)  # moved to the job unless starting it failed
    return Status(202, job_out(job))


@router.post(
    "/{ref}/run",
    response=_with_errors({202: JobOut}),
    summary="Run the red-flag rules (a background job)",
)
@api_requires(Perm.INVESTIGATE)
def rules_run(request: AuthedRequest, ref: Ref) -> Any:
    """Answers 202 with the job; when ``status`` is ``done``, ``summary`` holds ``run_id``, ``ran``,
    ``skipped``, ``suppressed`` and ``alerts`` (the number of new alerts)."""
    inv = _inv(request, ref, "rules_run")
    services.rules_run_check(
        actor=request.user, organisation=request.organisation, investigation=inv
    )
    job = job_services.job_start(
        actor=request.user,
        organisation=request.organisation,
        kind=inv_jobs.RULES_RUN,
        subject_ref=inv.reference,
        params={"investigation": inv.pk},
    )
    return Status(202, job_out(job))


@router.get(
    "/{ref}/alerts", response=_with_errors(list[AlertOut]), summary="Alerts with their transactions"
)
@api_requires(Perm.INVESTIGATE)
@paginate(PalermoPagination)
def alert_list(request: AuthedRequest, ref: Ref, include_decided: bool = False) -> Any:
    inv = _inv(request, ref, "alerts")
    return [
        {
            **{
                k: getattr(a, k)
                for k in (
                    "alert_key",
                    "rule_id",
                    "rule_title",
                    "rule_version",
                    "sources",
                    "typology",
                    "subject",
                    "score",
                    "summary",
                    "decision",
                )
            },
            "exploitation": list(a.exploitation),
            "tx_ids": list(a.tx_ids),
            "transactions": [_tx_out(t) for t in a.transactions],
        }
        for a in services.alert_views(inv, include_decided=include_decided)
    ]


@router.post(
    "/{ref}/alerts/{alert_key}/decision",
    response=_with_errors(InvestigationDecisionOut),
    summary="Confirm or dismiss an alert (it is not raised again)",
)
@api_requires(Perm.INVESTIGATE)
def alert_decide(
    request: AuthedRequest, ref: Ref, alert_key: AlertKey, payload: InvestigationDecisionIn
) -> Any:
    inv = _inv(request, ref, "alert_decide")
    row = services.alert_decide(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        alert_key=alert_key,
        decision=payload.decision,
        note=payload.note,
    )
    return {
        "alert_key": row.alert_key,
        "rule_id": row.rule_id,
        "decision": row.decision,
        "decided_at": row.decided_at,
    }


PACK_RESPONSES = {
    200: {
        "description": "The evidence pack",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    },
}


@router.get(
    "/{ref}/evidence-pack",
    response=_with_errors({200: None}),
    openapi_extra={"responses": PACK_RESPONSES},
    summary="Download the evidence pack (HTML or PDF); the export is audited",
)
@api_requires(Perm.INVESTIGATE)
def evidence_pack(request: AuthedRequest, ref: Ref, format: Literal["html", "pdf"] = "html") -> Any:
    inv = _inv(request, ref, "evidence_pack")
    data, digest = services.evidence_pack(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        fmt=format,
    )
    resp = HttpResponse(
        data, content_type="text/html; charset=utf-8" if format == "html" else "application/pdf"
    )
    resp["Content-Disposition"] = f'attachment; filename="{inv.reference}-evidence-pack.{format}"'
    resp["X-Pack-Digest"] = digest
    resp["Cache-Control"] = "no-store"
    return resp


# --- entity resolution, network, proceeds, FtM (everything the pages can do) -------------------------


class ProposalOut(Schema):
    pair_key: str
    left: str
    right: str
    name_score: float
    shared: list[list[str]]
    score: float


class JudgeIn(Schema):
    model_config = {"extra": "forbid"}

    left: Text(300, 1)
    right: Text(300, 1)
    decision: Literal["same", "different"]
    note: Text(2000) = ""


class JudgementOut(Schema):
    pair_key: str
    left: str
    right: str
    decision: str
    decided_by: str
    decided_at: dt.datetime


@router.get(
    "/{ref}/matches",
    response=_with_errors(list[ProposalOut]),
    summary="Proposed entity-resolution matches (judged pairs are never proposed again)",
)
@api_requires(Perm.INVESTIGATE)
@paginate(PalermoPagination)
def match_list(request: AuthedRequest, ref: Ref) -> Any:
    inv = _inv(request, ref, "matches")
    return [
        {
            "pair_key": p.pair_key,
            "left": p.left,
            "right": p.right,
            "name_score": p.name_score,
            "shared": [list(s) for s in p.shared],
            "score": p.score,
        }
        for p in services.match_proposals(inv)
    ]


@router.post(
    "/{ref}/matches", response=_with_errors(JudgementOut), summary="Judge a pair: same or different"
)
@api_requires(Perm.INVESTIGATE)
def match_judge(request: AuthedRequest, ref: Ref, payload: JudgeIn) -> Any:
    inv = _inv(request, ref, "match_judge")
    j = services.match_judge(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        left=payload.left,
        right=payload.right,
        decision=payload.decision,
        note=payload.note,
    )
    return {
        "pair_key": j.pair_key,
        "left": j.left,
        "right": j.right,
        "decision": j.decision,
        "decided_by": j.decided_by,
        "decided_at": j.decided_at,
    }


class PartyIn(Schema):
    model_config = {"extra": "forbid"}

    schema_: Literal["Person", "Company"] = Field("Person", alias="schema")
    name: Text(200, 1)
    role: Literal["victim", "suspect", "witness", "other"] = "other"
    iban: Text(42) = ""
    phone: Text(40) = ""
    email: Text(200) = ""
    address: Text(300) = ""


class PartyOut(Schema):
    party_id: str
    schema_: str = Field(..., alias="schema")
    name: str
    role: str
    iban: str
    phone: str
    email: str
    address: str
    record_ref: str


class CaseImportOut(Schema):
    added: int
    withheld: list[str]


def _party_out(p: Any) -> dict[str, Any]:
    return {
        "party_id": p.party_id,
        "schema": p.schema,
        "name": p.name,
        "role": p.role,
        "iban": p.iban,
        "phone": p.phone,
        "email": p.email,
        "address": p.address,
        "record_ref": p.record_ref,
    }


@router.get(
    "/{ref}/parties",
    response=_with_errors(list[PartyOut]),
    by_alias=True,
    summary="People and companies from case work, to match against the statements",
)
@api_requires(Perm.INVESTIGATE)
@paginate(PalermoPagination)
def party_list(request: AuthedRequest, ref: Ref) -> Any:
    inv = _inv(request, ref, "parties")  # audited read: names and contacts
    return [_party_out(p) for p in inv.parties.all()]


@router.post(
    "/{ref}/parties",
    response=_with_errors({201: PartyOut}),
    by_alias=True,
    summary="Add a person or company known from case work",
)
@api_requires(Perm.INVESTIGATE)
def party_add(request: AuthedRequest, ref: Ref, payload: PartyIn) -> Any:
    inv = _inv(request, ref, "party_add")
    party = services.party_add(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        schema=payload.schema_,
        name=payload.name,
        role=payload.role,
        iban=payload.iban,
        phone=payload.phone,
        email=payload.email,
        address=payload.address,
    )
    return Status(201, _party_out(party))


@router.post(
    "/{ref}/parties/from-cases",
    response=_with_errors(CaseImportOut),
    summary="Add the people of the linked cases, as far as every sharing organisation may see them",
)
@api_requires(Perm.INVESTIGATE)
def parties_from_cases(request: AuthedRequest, ref: Ref) -> Any:
    inv = _inv(request, ref, "parties_from_cases")
    result = services.parties_from_cases(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
    )
    return {"added": result.added, "withheld": list(result.withheld)}


class HubOut(Schema):
    account_key: str
    direction: str
    counterparties: int
    payments: int
    total: str


class RoleOut(Schema):
    account_key: str
    role: str
    evidence: str


class EdgeOut(Schema):
    payer: str
    payee: str
    amount: str
    payments: int


class NetworkOut(Schema):
    hubs: list[HubOut]
    roles: list[RoleOut]
    cycles: list[list[str]]
    edges: list[EdgeOut]


@router.get(
    "/{ref}/network",
    response=_with_errors(NetworkOut),
    summary="Hubs, roles, cycles and the payment graph",
)
@api_requires(Perm.INVESTIGATE)
def network(request: AuthedRequest, ref: Ref) -> Any:
    net = services.network(_inv(request, ref, "network"))
    return {
        "hubs": [
            {
                "account_key": h.account_key,
                "direction": h.direction,
                "counterparties": h.counterparties,
                "payments": h.payments,
                "total": str(h.total),
            }
            for h in net.hubs
        ],
        "roles": [
            {"account_key": r.account_key, "role": r.role, "evidence": r.evidence}
            for r in net.roles
        ],
        "cycles": [list(c) for c in net.cycles],
        "edges": [
            {"payer": a, "payee": b, "amount": str(amount), "payments": n}
            for a, b, amount, n in net.edges
        ],
    }


class ProceedsIn(Schema):
    model_config = {"extra": "forbid"}

    offenders: list[Text(200, 1)] = Field(..., min_length=1, max_length=100)
    victims: list[Text(200, 1)] = Field(default_factory=list, max_length=500)
    reference_wage: Annotated[str, Field(max_length=20, pattern=r"^(\d{1,9}(\.\d{1,2})?)?$")] = ""


class ProceedsOut(Schema):
    currency: str
    flagged_inflow_total: str
    confiscation_total: str
    confiscation_method: str
    still_held: str
    spent_on_assets: str
    compensation_total: str
    compensation_method: str
    notes: list[str]


@router.post(
    "/{ref}/proceeds",
    response=_with_errors(ProceedsOut),
    summary="Estimate the proceeds (the choice of accounts is kept for the evidence pack)",
)
@api_requires(Perm.INVESTIGATE)
def proceeds(request: AuthedRequest, ref: Ref, payload: ProceedsIn) -> Any:
    inv = _inv(request, ref, "proceeds")
    est = services.proceeds_estimate(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        offenders=payload.offenders,
        victims=payload.victims,
        reference_wage=payload.reference_wage or None,
    )
    return {
        "currency": est.currency,
        "flagged_inflow_total": str(est.flagged_inflow_total),
        "confiscation_total": str(est.confiscation_total),
        "confiscation_method": est.confiscation_method,
        "still_held": str(est.still_held),
        "spent_on_assets": str(est.spent_on_assets),
        "compensation_total": str(est.compensation_total),
        "compensation_method": est.compensation_method,
        "notes": list(est.notes),
    }


class AttachIn(Schema):
    model_config = {"extra": "forbid"}

    case: Text(40, 1)
    total: Literal["confiscation", "compensation"]


class ClaimOut(Schema):
    case: str
    claim_id: int
    amount: str
    currency: str
    source: str


@router.post(
    "/{ref}/proceeds/attach",
    response=_with_errors({201: ClaimOut}),
    summary="Attach a proceeds total to a compensation claim of a linked case",
)
@api_requires(Perm.INVESTIGATE)
def proceeds_attach(request: AuthedRequest, ref: Ref, payload: AttachIn) -> Any:
    inv = _inv(request, ref, "proceeds_attach")
    claim = services.proceeds_attach(
        actor=request.user,
        organisation=request.organisation,
        investigation=inv,
        case_ref=payload.case,
        total=payload.total,
    )
    return Status(
        201,
        {
            "case": claim.case.reference,
            "claim_id": claim.pk,
            "amount": str(claim.amount),
            "currency": claim.currency,
            "source": claim.source,
        },
    )


FTM_RESPONSES = {
    200: {
        "description": "FollowTheMoney entities as JSON lines",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/{ref}/ftm",
    response=_with_errors({200: None}),
    openapi_extra={"responses": FTM_RESPONSES},
    summary="Export as FollowTheMoney JSON lines (for Aleph); the export is audited",
)
@api_requires(Perm.INVESTIGATE)
def ftm(request: AuthedRequest, ref: Ref) -> Any:
    inv = _inv(request, ref, "ftm_export")
    data = services.ftm_export(
        actor=request.user, organisation=request.organisation, investigation=inv
    )
    resp = HttpResponse(data, content_type="application/x-ndjson")
    resp["Content-Disposition"] = f'attachment; filename="{inv.reference}-ftm.json"'
    resp["Cache-Control"] = "no-store"
    return resp
