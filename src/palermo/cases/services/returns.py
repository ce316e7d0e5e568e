"""Writes of the NRM case file: return."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from django.db import transaction

from palermo.cases import access, clock, vocabulary
from palermo.cases import workflow as wf
from palermo.cases.models import (
    Case,
    ReturnRecord,
    ReturnRiskAssessment,
)
from palermo.cases.services._common import (
    _as_date,
    _audit,
    _complete_rule_task,
    _event,
    _refresh_next_deadline,
    _require_edit,
)
from palermo.cases.timeline import said
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm


def return_assessment_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    country: str,
    answers: Mapping[str, str],
    conclusion: str,
    assessed_on: date,
    notes: str = "",
) -> ReturnRiskAssessment:
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    errors = [FieldError(f, m) for f, m in wf.return_assessment_problems(answers, conclusion)]
    c = country.strip().upper()
    if not vocabulary.is_country(c):
        errors.append(
            FieldError("country", "The country of return, as an ISO 3166-1 alpha-2 code.")
        )
    extra = sorted(set(answers) - set(wf.RETURN_QUESTIONS))
    if extra:
        errors.append(FieldError("answers", "Unknown questions: {keys}.", keys=", ".join(extra)))
    _as_date(assessed_on, "assessed_on", errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        ra = ReturnRiskAssessment.objects.create(
            case=case,
            country=c,
            answers={q: answers[q] for q in wf.RETURN_QUESTIONS},
            notes=notes.strip(),
            conclusion=conclusion,
            assessed_on=assessed_on,
            recorded_by=actor,
        )
        _complete_rule_task(case, "return_risk_assessment", actor, "Risk assessment recorded")
        _refresh_next_deadline(case)
        _event(
            case,
            "return_assessment",
            actor,
            organisation,
            said(
                "return_assessment_acceptable"
                if conclusion == wf.ACCEPTABLE
                else "return_assessment_not_acceptable",
                country=c,
            ),
        )
        _audit(
            case,
            actor,
            organisation,
            "return_assessment_record",
            action="create",
            assessment=ra.pk,
            conclusion=conclusion,
        )
    return ra


def return_record(
    *,
    actor: User,
    organisation: Organisation,
    case: Case,
    country: str,
    returned_on: date,
    override_reason: str = "",
    notes: str = "",
) -> ReturnRecord:
    """Record a return. Refused unless the latest assessment for that country concludes the risk is
    acceptable, or a co-ordinator overrides with a recorded reason. A child returns only when the
    best-interests determination chose return to the country of origin."""
    _require_edit(actor, organisation, case, access.SAFEGUARDS)
    c = country.strip().upper()
    errors: list[FieldError] = []
    if not vocabulary.is_country(c):
        errors.append(FieldError("country", "Use an ISO 3166-1 alpha-2 code."))
    _as_date(returned_on, "returned_on", errors, allow_future=True)
    latest = case.return_assessments.filter(country=c).order_by("-assessed_on", "-id").first()
    acceptable = latest is not None and latest.conclusion == wf.ACCEPTABLE
    override = override_reason.strip()
    if not acceptable:
        if not override:
            errors.append(
                FieldError(
                    "",
                    "A return is recorded only after a risk assessment for this country concludes "
                    "that the risk is acceptable, or with a co-ordinator's override and reason.",
                )
            )
        elif not has_perm(actor, Perm.OVERSEE_CASES, organisation):
            errors.append(
                FieldError(
                    "override_reason", "Only a co-ordinator can override the risk assessment."
                )
            )
        elif len(override) < 10:
            errors.append(FieldError("override_reason", "Explain the override."))
    elif override:
        override = ""  # nothing to override: the assessment stands
    if case.is_child:
        bid = case.bids.order_by("-decided_on", "-id").first()
        if bid is None or bid.durable_solution != "return_to_origin":
            errors.append(
                FieldError(
                    "",
                    "A child returns only when the best-interests determination chose return "
                    "to the country of origin.",
                )
            )
    if errors:
        raise InvalidInput(errors, detail="The return cannot be recorded.")
    with transaction.atomic():
        rec = ReturnRecord.objects.create(
            case=case,
            country=c,
            returned_on=returned_on,
            assessment=latest if acceptable else None,
            override_reason=override,
            overridden_by=actor if override else None,
            notes=notes.strip(),
            recorded_by=actor,
            recorded_at=clock.now(),
        )
        _event(
            case,
            "return",
            actor,
            organisation,
            said("return_override" if override else "return", country=c, date=returned_on),
            text=override,
        )
        _audit(
            case,
            actor,
            organisation,
            "return_record",
            action="create",
            record=rec.pk,
            override=bool(override),
        )
    return rec
