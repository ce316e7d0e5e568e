"""What the case-file API's modules share: the router, the case and organisation look-ups,
the schemas more than one part uses (the write answer, the person's fields, a timeline entry),
pagination and lazy list rows."""

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import PaginationBase
from pydantic import StrictInt

from palermo.cases import selectors
from palermo.cases.api.fields import (
    Code,
    CountryCode,
    Day,
    Email,
    IdentityNumber,
    Label,
    LanguageCode,
    Name,
    Phone,
    PostalCode,
)
from palermo.cases.models import Case
from palermo.core.apiutil import ErrorOut, with_errors
from palermo.core.models import Organisation
from palermo.core.request import AuthedRequest
from palermo.core.selectors import organisations_to_choose

# Operation ids name the methods of generated API clients, so they are part of the published
# schema. django-ninja derives them from the view's module; the API was one module,
# ``palermo.cases.api``, and its ids stay the ones that module gave.
OPERATION_ID_PREFIX = "palermo_cases_api_"


class CasesRouter(Router):
    def add_api_operation(
        self,
        path: str,
        methods: list[str],
        view_func: Callable[..., Any],
        *,
        operation_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().add_api_operation(
            path,
            methods,
            view_func,
            operation_id=operation_id or OPERATION_ID_PREFIX + view_func.__name__,
            **kwargs,
        )


router = CasesRouter(tags=["cases"])


def case_for(request: AuthedRequest, case_ref: str, *, record_read: bool = False) -> Case:
    """The case this user may reach (404 otherwise), with its visibility noted on it."""
    return selectors.access_case(
        request.user,
        request.organisation,
        case_ref,
        request=request,
        record_read=record_read,
    )


def org_by_id(request: AuthedRequest, org_id: int) -> Organisation:
    """An organisation the user may name, else 404: an exercise trainee cannot tell another
    team's organisation from an id that does not exist (core.selectors.organisations_to_choose)."""
    return get_object_or_404(organisations_to_choose(request.user), pk=org_id)


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


# The answer of every edit of a case: its new summary, or 409 when the version was stale.
WRITE = with_errors({200: CaseSummaryOut, 409: ErrorOut})


class VersionIn(Schema):
    version: Annotated[
        StrictInt, Field(ge=1, le=2**31 - 1, description="The version the change is based on")
    ]


class PersonIn(Schema):
    model_config = {"extra": "forbid"}

    given_name: Name | None = None
    family_name: Name | None = None
    birthdate: Day | None = None
    gender: Code | None = None
    citizenship: list[CountryCode] | None = Field(default=None, max_length=5)
    primary_language: LanguageCode | None = None
    secondary_language: LanguageCode | None = None
    identity_number: IdentityNumber | None = None
    phone: Phone | None = None
    email: Email | None = None
    street: Label | None = None
    city: Name | None = None
    postal_code: PostalCode | None = None
    country: CountryCode | None = None


class TimelineEntryOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    summary: str
    text: str
    actor: str
    organisation: str
    corrects_id: int | None


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

    def paginate_queryset(  # type: ignore[override]  # ninja types pagination as its own Input
        self, queryset: Any, pagination: Input, **params: Any
    ) -> dict[str, Any]:
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


class LazyRows:
    """A queryset whose rows are turned into answer dicts only when sliced, so pagination
    slices (and counts) the queryset before any conversion."""

    def __init__(self, qs: QuerySet[Any], row: Callable[[Any], dict[str, Any]]) -> None:
        self.qs, self.row = qs, row

    def order_by(self, *args: Any) -> QuerySet[Any]:
        return self.qs.order_by(*args)

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [self.row(r) for r in self.qs[item]]


def referral_out(ref: Any) -> dict[str, Any]:
    """A referral as the case file lists it (``casefile.ReferralEntry``)."""
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
