"""Moving a case through the NRM phases (and closing it)."""

from palermo.cases import services
from palermo.cases.api._common import WRITE, VersionIn, case_for, router
from palermo.cases.api.fields import ClosureReasonOrNone, LongText, Phase, Ref
from palermo.cases.models import Case
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest


class TransitionIn(VersionIn):
    target: Phase
    closure_reason: ClosureReasonOrNone = ""
    closure_details: LongText = ""


@router.post(
    "/{case_ref}/transitions", response=WRITE, summary="Move the case to another NRM phase"
)
@api_requires(Perm.EDIT_CASES)
def transition(request: AuthedRequest, case_ref: Ref, payload: TransitionIn) -> Case:
    case = case_for(request, case_ref)
    return services.case_transition(
        actor=request.user,
        organisation=request.organisation,
        case=case,
        expected_version=payload.version,
        target=payload.target,
        closure_reason=payload.closure_reason,
        closure_details=payload.closure_details,
    )
