"""Writes of the screening context: start, save a draft, assess, mark referred.

Every input goes through the engine's own parser (``screening_input_from_mapping``),
so the web form, the API and the batch CLI share one validation and one result.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction

from palermo.core import audit
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.screening.engine import ScreeningInputError, screen, screening_input_from_mapping
from palermo.screening.loader import default_catalogue
from palermo.screening.models import Screening, ScreeningOrigin, ScreeningStatus

# Unambiguous characters for references read aloud over the phone.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"SCR-{body[:4]}-{body[4:]}"


def _validated(answers: dict[str, Any]) -> Any:
    try:
        return screening_input_from_mapping(answers, default_catalogue())
    except ScreeningInputError as exc:
        raise InvalidInput([FieldError(e.field, e.message) for e in exc.errors]) from exc


def _apply_result(screening: Screening, person: Any) -> None:
    result = screen(person, default_catalogue())
    data = result.to_dict()
    screening.result = data
    screening.assessment = data["assessment"]
    screening.suggested_status = data["status"]
    screening.presumed_child = bool(data["presumed_child"])
    screening.engine_version = data["engine_version"]
    screening.status = ScreeningStatus.COMPLETED


def screening_create(
    *,
    actor: User,
    organisation: Organisation,
    answers: dict[str, Any],
    assess: bool,
    origin: str = "",
) -> Screening:
    """Start a screening (a draft) or submit one whole (``assess=True``).

    ``origin`` (``ScreeningOrigin``) records where the person was met when the statistics
    count it apart (a supply-chain labour inspection); the referral passes it to the case."""
    if origin not in ScreeningOrigin.values:
        raise InvalidInput(FieldError("origin", "Unknown origin."))
    person = _validated(answers)
    with transaction.atomic():
        screening = Screening(
            reference=new_reference(),
            organisation=organisation,
            created_by=actor,
            answers=answers,
            origin=origin,
        )
        if assess:
            _apply_result(screening, person)
        screening.save()
        audit.record(
            action="create",
            actor=actor,
            organisation=organisation,
            object_type="screening",
            object_ref=screening.reference,
            details={"status": screening.status, **({"origin": origin} if origin else {})},
        )
    return screening


def screening_save(
    *,
    actor: User,
    organisation: Organisation,
    screening: Screening,
    answers: dict[str, Any],
    assess: bool,
    based_on_version: int,
) -> Screening:
    """Save answers to an existing screening; ``assess`` also computes the result.

    Refused (nothing saved) when someone else saved since ``based_on_version`` or
    when the screening has already been referred.
    """
    if screening.status == ScreeningStatus.REFERRED:
        raise InvalidInput(
            FieldError("", "This screening has been referred; start a new one to record more.")
        )
    person = _validated(answers)
    with transaction.atomic():
        updated = Screening.objects.filter(pk=screening.pk, version=based_on_version).update(
            version=based_on_version + 1
        )
        if not updated:
            raise InvalidInput(
                FieldError(
                    "",
                    "Someone else saved this screening while you were editing it. "
                    "Your answers are still in the form: check them against the saved version and save again.",
                ),
                detail="Conflict.",
            )
        screening.version = based_on_version + 1
        screening.answers = answers
        if assess:
            _apply_result(screening, person)
        else:
            screening.status = ScreeningStatus.DRAFT
            screening.result = None
            screening.assessment = screening.suggested_status = ""
        screening.save()
        audit.record(
            action="update",
            actor=actor,
            organisation=organisation,
            object_type="screening",
            object_ref=screening.reference,
            details={"status": screening.status},
        )
    return screening


def screening_mark_referred(
    *, actor: User, organisation: Organisation, screening: Screening, case_reference: str
) -> None:
    with transaction.atomic():
        Screening.objects.filter(pk=screening.pk).update(
            status=ScreeningStatus.REFERRED,
            case_reference=case_reference,
            version=screening.version + 1,
        )
        audit.record(
            action="update",
            actor=actor,
            organisation=organisation,
            object_type="screening",
            object_ref=screening.reference,
            details={"referred_to_case": case_reference},
        )
    screening.refresh_from_db()
