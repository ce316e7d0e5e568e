"""Screening API: submit a screening and get the explained result; list and read saved ones.

(No `from __future__ import annotations`: django-ninja reads annotations at runtime.)
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool, StrictInt

from palermo.core import audit
from palermo.core.apiutil import PalermoPagination, with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest
from palermo.screening import selectors, services
from palermo.screening.models import Screening

router = Router(tags=["screening"])


class ObservedIndicatorIn(Schema):
    # A misspelt field ("sourc", "notes") is refused, never dropped (the engine does the same).
    model_config = {"extra": "forbid"}

    key: str = Field(..., min_length=1, max_length=100)
    source: Literal["observed", "self_reported", "document"] | None = None
    note: str | None = Field(None, max_length=2000)


class ScreeningIn(Schema):
    """The same fields as a row of `palermo screen`; see docs/screening.md."""

    model_config = {"extra": "forbid"}

    # Strict, as the engine and the case-file API: true is not the age 1, "on" not a yes.
    age: Annotated[StrictInt, Field(ge=0, le=120)] | None = None
    age_uncertain_may_be_child: StrictBool = False
    forms: list[str] = Field(default_factory=list, max_length=10)
    indicators: list[ObservedIndicatorIn] = Field(default_factory=list, max_length=200)
    act: list[str] = Field(default_factory=list, max_length=10)
    means: list[str] = Field(default_factory=list, max_length=10)
    purpose: list[str] = Field(default_factory=list, max_length=10)
    self_identifies_as_victim: StrictBool = False
    draft: StrictBool = Field(
        False, description="Save without assessing (to finish in the web UI)."
    )


class ScreeningOut(Schema):
    reference: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    assessment: str
    suggested_status: str
    presumed_child: bool
    case_reference: str
    result: dict[str, Any] | None


class ScreeningDetailOut(ScreeningOut):
    answers: dict[str, Any]


class ScreeningQuery(Schema):
    q: str = Field("", max_length=40, description="part of a reference")
    status: Literal["", "draft", "completed", "referred"] = ""
    sort: Literal["newest", "oldest", "status", "assessment", "reference"] = "newest"


@router.post(
    "",
    response=with_errors({201: ScreeningDetailOut}),
    summary="Submit a screening; get the explained result",
)
@api_requires(Perm.SCREEN)
def screening_submit(request: AuthedRequest, payload: ScreeningIn) -> Status:
    answers = payload.dict(exclude={"draft"}, exclude_none=True)
    answers["indicators"] = [
        {k: v for k, v in item.items() if v is not None} for item in answers.get("indicators", [])
    ]
    screening = services.screening_create(
        actor=request.user,
        organisation=request.organisation,
        answers=answers,
        assess=not payload.draft,
    )
    return Status(201, screening)


@router.get("", response=with_errors(list[ScreeningOut]), summary="Screenings of my organisation")
@api_requires(Perm.VIEW_SCREENINGS)
@paginate(PalermoPagination)
def screening_list(request: AuthedRequest, filters: Query[ScreeningQuery]) -> QuerySet[Screening]:
    audit.record_request(
        request,
        action="read",
        object_type="screening_list",
        details={"filters": {k: v for k, v in filters.dict().items() if v}},
    )
    return selectors.screening_list(
        request.user,
        request.organisation,
        q=filters.q,
        status=filters.status,
        sort=filters.sort,
    )


@router.get(
    "/{reference}",
    response=with_errors(ScreeningDetailOut),
    summary="One screening with its answers and result",
)
@api_requires(Perm.VIEW_SCREENINGS)
def screening_detail(request: AuthedRequest, reference: str) -> Screening:
    return selectors.access_screening(
        request.user, request.organisation, reference[:40], request=request
    )
