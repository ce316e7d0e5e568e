"""Core API: who am I, the organisation directory, my tokens, the audit trail.

(No `from __future__ import annotations` here: django-ninja reads the
annotations at import time to build the schemas.)"""

import datetime as dt
import re
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import field_validator

from palermo.core import audit, tokens
from palermo.core.apiutil import PalermoPagination, with_errors
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, PersonalAccessToken
from palermo.core.policy import Perm, api_requires, has_perm
from palermo.core.request import AuthedRequest
from palermo.core.selectors import AuditFilter, audit_entries_visible_to, organisations_to_choose

router = Router(tags=["core"])
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class MembershipOut(Schema):
    organisation_id: int
    organisation: str
    role: str


class MeOut(Schema):
    id: int
    username: str
    acting_for: int | None
    memberships: list[MembershipOut]
    permissions: list[str]


@router.get(
    "/me", response=with_errors(MeOut), summary="The authenticated user and their permissions"
)
@api_requires(None)
def me(request: AuthedRequest) -> dict[str, Any]:
    user = request.user
    org = request.organisation
    return {
        "id": user.pk,
        "username": user.get_username(),
        "acting_for": org.pk if org else None,
        "memberships": [
            {
                "organisation_id": m.organisation_id,
                "organisation": m.organisation.name,
                "role": m.role,
            }
            for m in user.memberships_active()
        ],
        # What the policy grants, not what the roles list: a scoped user (an exercise trainee)
        # holds none of policy.NATIONAL_ONLY whatever their role says.
        "permissions": sorted(p for p in user.permissions_in(org) if has_perm(user, p, org))
        if org
        else [],
    }


class OrganisationOut(Schema):
    id: int
    name: str
    org_type: str
    country: str
    is_identification_body: bool


@router.get(
    "/organisations",
    response=with_errors(list[OrganisationOut]),
    summary="Directory of organisations",
)
@api_requires(Perm.VIEW_ORGANISATIONS)
@paginate(PalermoPagination)
def organisations(
    request: AuthedRequest, q: str = Query("", max_length=100)
) -> QuerySet[Organisation]:
    qs = organisations_to_choose(request.user)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    organisation_id: int
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: dt.datetime | None = None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The token in clear. It is shown only this once.")


@router.get("/tokens", response=with_errors(list[TokenOut]), summary="My personal access tokens")
@api_requires(None)
@paginate(PalermoPagination)
def token_list(request: AuthedRequest) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user=request.user).order_by("-created_at")


@router.post(
    "/tokens",
    response=with_errors({201: TokenCreatedOut}),
    summary="Create a personal access token",
)
@api_requires(None)
def token_create(request: AuthedRequest, payload: TokenIn) -> tuple[int, dict[str, Any]]:
    try:
        token, clear = tokens.token_create(
            actor=request.user,
            organisation=request.organisation,
            name=payload.name,
            expires_at=payload.expires_at,
        )
    except tokens.TokenError as exc:
        raise InvalidInput(FieldError(exc.field, exc.message)) from exc
    out = TokenOut.from_orm(token).dict()
    out["token"] = clear
    return 201, out


@router.delete(
    "/tokens/{token_id}", response=with_errors({204: None}), summary="Revoke one of my tokens"
)
@api_requires(None)
def token_revoke(request: AuthedRequest, token_id: int) -> tuple[int, None]:
    token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.user)
    tokens.token_revoke(actor=request.user, token=token)
    return 204, None


class AuditOut(Schema):
    id: int = Field(description="insertion number: the order entries were written in")
    seq: int | None = Field(
        description="position in the hash chain; empty until the entry is sealed (within a second)"
    )
    at: dt.datetime
    actor_id: int | None
    actor_username: str
    organisation_id: int | None
    action: str
    object_type: str
    object_ref: str
    purpose: str
    outcome: str
    hash: str


class AuditQuery(Schema):
    actor: str = Field("", max_length=150, description="username")
    action: str = Field("", max_length=20)
    object_type: str = Field("", max_length=60)
    object_ref: str = Field("", max_length=80)
    outcome: str = Field("", max_length=20)
    since: dt.date | None = None
    until: dt.date | None = None

    @field_validator("since", "until", mode="before")
    @classmethod
    def _iso_date_only(cls, value: Any) -> Any:
        # Pydantic would read "0" as 1970-01-01; a filter must be an ISO 8601 date.
        if value is not None and not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
            raise ValueError("Use an ISO 8601 date, YYYY-MM-DD.")
        return value


@router.get(
    "/audit",
    response=with_errors(list[AuditOut]),
    summary="The audit trail (co-ordinators, administrators)",
)
@api_requires(Perm.VIEW_AUDIT)
@paginate(PalermoPagination)
def audit_list(request: AuthedRequest, filters: Query[AuditQuery]) -> Any:
    f = AuditFilter(**filters.dict())
    qs = audit_entries_visible_to(request.user, request.organisation, f)
    audit.record_request(
        request, action="read", object_type="audit_trail", details={"filters": f.as_details()}
    )
    return qs
