"""The service directory: which providers offer what, and how full they are."""

from typing import Any

from ninja import Query, Schema
from ninja.pagination import paginate

from palermo.cases import selectors
from palermo.cases.api._common import CappedPagination, OrgRef, router
from palermo.cases.api.fields import LanguageCode, ServiceTypeOrAll
from palermo.core import scope
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


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
    service_type: ServiceTypeOrAll = ""
    language: LanguageCode = ""


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
            service_type=filters.service_type,
            language=filters.language,
            within=scope.organisations_in_scope(request.user),
        )
    ]
