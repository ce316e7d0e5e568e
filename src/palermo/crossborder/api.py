"""Cross-border API at /api/v1/crossborder/: the inbox partners deliver to, and the
co-ordinators' operations (consent, send, status, revoke, lists).

The inbox takes no user authentication: the envelope's signature, checked against the
signed trust list, is the authentication. It answers with a signed receipt (JWS,
``application/jose``): 200 received / deleted, 422 rejected with its reason where the sender
is known; 400 with a reason code where it is not.

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Schema, Status

from palermo.core.apiutil import ErrorOut, with_errors
from palermo.core.policy import Perm, api_requires, public
from palermo.core.request import AuthedRequest
from palermo.crossborder import envelope, inbox_limits, selectors, services

router = Router(tags=["crossborder"])


INBOX_TYPES = ("application/jose", "text/plain", "application/octet-stream")


def _jose(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/jose": {"schema": {"type": "string"}}},
    }


def _text(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


@router.post(
    "/inbox",
    auth=None,
    summary="Deliver a sealed envelope (compact JWE, application/jose); answers a signed receipt",
    # 429 is described in full below (with Retry-After); naming it here too made the schema
    # carry the key twice (429 and "429"), and the docs page refused to parse it.
    response={409: ErrorOut},
    openapi_extra={
        # Partners send Content-Type application/jose; the body is read as bytes whatever the
        # type, and the schema names text/plain so generic clients and fuzzers can post it.
        "requestBody": {
            "content": {"text/plain": {"schema": {"type": "string", "maxLength": 262144}}},
            "required": True,
        },
        "responses": {
            "200": _jose("Signed receipt: received, or deleted (revocation)"),
            "400": _text("Refused; the sender is not known, so the reason code is not signed"),
            "413": _text("The envelope is larger than the limit"),
            "415": _text("Send the envelope as application/jose (or text/plain)"),
            "422": _jose("Signed receipt: rejected, with the reason code"),
            "429": {
                "description": (
                    "Too many deliveries from this address, from all addresses together "
                    "or from this partner; see Retry-After"
                ),
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}
                },
            },
        },
    },
)
@public("partner instances deliver signed, encrypted envelopes; the signature authenticates them")
def inbox(request: HttpRequest) -> HttpResponse:
    try:
        # First, before the body is read or anything decrypted: a flood costs us little.
        inbox_limits.check_client(request)
        inbox_limits.check_all(request)
        ctype = request.content_type or ""
        if ctype not in INBOX_TYPES:
            return HttpResponse("unsupported_media_type", status=415, content_type="text/plain")
        body = request.body
        if len(body) > envelope.MAX_ENVELOPE_BYTES:
            status, answer = 413, "oversized"
        else:
            status, answer = services.receive(body, request=request, limit_partner=True)
    except inbox_limits.Throttled as exc:
        response = JsonResponse(
            {"detail": "Too many deliveries: try again after Retry-After seconds.", "errors": []},
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    answer_type = "application/jose" if status in (200, 422) else "text/plain"
    return HttpResponse(answer, status=status, content_type=answer_type)


class HandoverOut(Schema):
    id: int
    direction: str
    jti: str
    partner: str
    case: str
    groups: list[str]
    purpose: str
    handling: str
    child: bool
    state: str
    last_status: str
    overdue: bool


def _out(h: Any) -> dict[str, Any]:
    return {
        "id": h.pk,
        "direction": h.direction,
        "jti": h.jti,
        "partner": h.partner,
        "case": h.case_ref,
        "groups": h.groups,
        "purpose": h.purpose,
        "handling": h.handling,
        "child": h.child,
        "state": h.state,
        "last_status": h.last_status,
        "overdue": selectors.is_overdue(h),
    }


@router.get("/handovers", response=with_errors(list[HandoverOut]), summary="Hand-overs")
@api_requires(Perm.CROSSBORDER_SEND)
def handover_list(request: AuthedRequest, direction: Literal["out", "in"] = "out") -> Any:
    rows = selectors.handovers(request.user, request.organisation, direction=direction)
    return [_out(h) for h in rows]


class HandoverConsentIn(Schema):
    model_config = {"extra": "forbid"}

    case: Annotated[str, Field(min_length=1, max_length=20)]
    partner: Annotated[str, Field(min_length=1, max_length=200)]
    purpose: Literal["assistance", "return", "proceedings", "family_tracing"]
    groups: Annotated[list[str], Field(min_length=1, max_length=7)]
    risks_explained: bool
    guardian_consent: bool = False
    expires_on: dt.date | None = None


class HandoverCreatedOut(Schema):
    id: int


@router.post(
    "/consents",
    response=with_errors({201: HandoverCreatedOut, 409: ErrorOut}),
    summary="Record a consent",
)
@api_requires(Perm.CROSSBORDER_SEND)
def consent_give(request: AuthedRequest, payload: HandoverConsentIn) -> Any:
    c = services.consent_give(
        request.user,
        request.organisation,
        case_ref=payload.case,
        partner_id=payload.partner,
        purpose=payload.purpose,
        groups=payload.groups,
        risks_explained=payload.risks_explained,
        guardian_consent=payload.guardian_consent,
        expires_on=payload.expires_on,
        request=request,
    )
    return Status(201, {"id": c.pk})


@router.post(
    "/consents/{consent_id}/withdraw", response=with_errors({204: None}), summary="Withdraw"
)
@api_requires(Perm.CROSSBORDER_SEND)
def consent_withdraw(request: AuthedRequest, consent_id: Id) -> Any:
    services.consent_withdraw(request.user, request.organisation, consent_id, request=request)
    return Status(204, None)


class SendIn(Schema):
    model_config = {"extra": "forbid"}

    case: Annotated[str, Field(min_length=1, max_length=20)]
    partner: Annotated[str, Field(min_length=1, max_length=200)]
    purpose: Literal["assistance", "return", "proceedings", "family_tracing"]
    handling: Literal["H0", "H1", "H2", "H3"]


@router.post(
    "/handovers",
    response=with_errors({201: HandoverOut, 409: ErrorOut}),
    summary="Send a hand-over",
)
@api_requires(Perm.CROSSBORDER_SEND)
def handover_send(request: AuthedRequest, payload: SendIn) -> Any:
    h = services.handover_send(
        request.user,
        request.organisation,
        case_ref=payload.case,
        partner_id=payload.partner,
        purpose=payload.purpose,
        handling=payload.handling,
        request=request,
    )
    return Status(201, _out(h))


class HandoverStatusIn(Schema):
    model_config = {"extra": "forbid"}

    status: Literal["accepted", "declined", "assistance_started", "return_completed", "closed"]


@router.post(
    "/handovers/{handover_id}/status",
    response=with_errors({200: HandoverOut, 409: ErrorOut}),
    summary="Send a status",
)
@api_requires(Perm.CROSSBORDER_SEND)
def status_send(request: AuthedRequest, handover_id: Id, payload: HandoverStatusIn) -> Any:
    h = services.status_send(
        request.user, request.organisation, handover_id, payload.status, request=request
    )
    return _out(h)


class AcceptOut(Schema):
    handover: HandoverOut
    case: str


@router.post(
    "/handovers/{handover_id}/accept",
    response=with_errors({200: AcceptOut, 409: ErrorOut}),
    summary="Accept a hand-over waiting in quarantine into a new case (the sender is told)",
)
@api_requires(Perm.CROSSBORDER_RECEIVE)
def accept(request: AuthedRequest, handover_id: Id) -> Any:
    case = services.incoming_accept(
        request.user, request.organisation, handover_id, request=request
    )
    h = services.handover_of(request.user, request.organisation, handover_id, request)
    return {"handover": _out(h), "case": case.reference}


class RevokeIn(Schema):
    model_config = {"extra": "forbid"}

    reason: Literal["consent_withdrawn", "sent_in_error"]


@router.post(
    "/handovers/{handover_id}/revoke",
    response=with_errors({200: HandoverOut, 409: ErrorOut}),
    summary="Revoke",
)
@api_requires(Perm.CROSSBORDER_SEND)
def revoke(request: AuthedRequest, handover_id: Id, payload: RevokeIn) -> Any:
    h = services.revoke(
        request.user, request.organisation, handover_id, payload.reason, request=request
    )
    return _out(h)


class PoliceExchangeIn(Schema):
    model_config = {"extra": "forbid"}

    case: Annotated[str, Field(min_length=1, max_length=20)]
    channel: Literal["liaison_officer", "siena", "interpol", "mla"]
    direction: Literal["out", "in"] = "out"
    reference: Annotated[str, Field(min_length=1, max_length=100)]
    handling: Literal["H0", "H1", "H2", "H3"]
    country: Annotated[str, Field(min_length=2, max_length=2)]
    exchanged_on: dt.date
    note: Annotated[str, Field(max_length=2000)] = ""


class PoliceExchangeOut(Schema):
    id: int
    case: str
    channel: str
    direction: str
    reference: str
    handling: str
    country: str
    exchanged_on: dt.date
    note: str
    recorded_at: dt.datetime


@router.post(
    "/police-exchanges",
    response=with_errors({201: HandoverCreatedOut}),
    summary="Record an exchange made over a police channel (Palermo does not carry it)",
)
@api_requires(Perm.CROSSBORDER_SEND)
def police_exchange(request: AuthedRequest, payload: PoliceExchangeIn) -> Any:
    rec = services.police_exchange_record(
        request.user,
        request.organisation,
        case_ref=payload.case,
        channel=payload.channel,
        direction=payload.direction,
        reference=payload.reference,
        handling=payload.handling,
        country=payload.country,
        exchanged_on=payload.exchanged_on,
        note=payload.note,
        request=request,
    )
    return Status(201, {"id": rec.pk})


@router.get(
    "/police-exchanges",
    response=with_errors({200: list[PoliceExchangeOut]}),
    summary="A case's records of exchanges over police channels (newest first)",
)
@api_requires(Perm.CROSSBORDER_SEND)
def police_exchanges(
    request: AuthedRequest, case: Annotated[str, Field(min_length=1, max_length=20)]
) -> Any:
    _case, rows = selectors.police_exchanges(
        request.user, request.organisation, case, request=request
    )
    return [
        {
            "id": r.pk,
            "case": r.case_ref,
            "channel": r.channel,
            "direction": r.direction,
            "reference": r.reference,
            "handling": r.handling,
            "country": r.country,
            "exchanged_on": r.exchanged_on,
            "note": r.note,
            "recorded_at": r.recorded_at,
        }
        for r in rows
    ]
