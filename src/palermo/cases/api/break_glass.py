"""Emergency access to a whole case file."""

import datetime as dt
from typing import Any

from ninja import Schema, Status

from palermo.cases import services
from palermo.cases.api._common import router
from palermo.cases.api.fields import Ref, RequiredReason
from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class BreakGlassIn(Schema):
    reason: RequiredReason


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
