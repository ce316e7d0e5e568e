"""Counts for the procurement dashboard added with the questionnaires and the inspection
statistic (issue 18): aggregates only, small counts of people protected as ``selectors``
protects the referral count."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from palermo.core.models import Organisation
from palermo.supply.models import InspectionReferral, Questionnaire
from palermo.supply.selectors import suppressed

SUPPLY_INSPECTION = "supply_inspection"  # cases.CaseOrigin / screening.ScreeningOrigin


@dataclass(frozen=True)
class MoreCounts:
    cases_identified: int | None  # NRM cases opened from inspections at your sites (protected)
    questionnaires_sent: int
    questionnaires_awaiting: int
    questionnaires_answered: int
    questionnaires_flagged: int  # answered with at least one red flag
    red_flags_open: int  # red flags not yet turned into corrective actions


def inspection_cases(organisation: Organisation) -> int:
    """How many NRM cases were opened from the screenings of inspections at the organisation's
    sites (through the case context's selectors: a count, never which cases)."""
    from palermo.cases import selectors as case_selectors

    refs = list(
        InspectionReferral.objects.filter(inspection__site__organisation=organisation).values_list(
            "screening_reference", flat=True
        )
    )
    return case_selectors.cases_from_sources(refs, SUPPLY_INSPECTION)


def more_counts(organisation: Organisation) -> MoreCounts:
    q = Questionnaire.objects.filter(organisation=organisation).aggregate(
        sent=Count("id"),
        awaiting=Count("id", filter=Q(answered_at__isnull=True)),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        flagged=Count("id", filter=Q(answered_at__isnull=False, red_flags__gt=0)),
    )
    open_flags = sum(
        Questionnaire.objects.filter(
            organisation=organisation, answered_at__isnull=False, actions_at__isnull=True
        ).values_list("red_flags", flat=True)
    )
    return MoreCounts(
        cases_identified=suppressed(inspection_cases(organisation)),
        questionnaires_sent=q["sent"],
        questionnaires_awaiting=q["awaiting"],
        questionnaires_answered=q["answered"],
        questionnaires_flagged=q["flagged"],
        red_flags_open=open_flags,
    )
