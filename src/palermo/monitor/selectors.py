"""Authorised reads of the monitoring context.

The plan and the register hold no personal data: anyone with ``Perm.MONITOR_VIEW`` reads
them. Indicators are computed over every case (``cases.selectors.monitoring_facts``) and
leave only through small-cell protection. The drill-down to cases, and links from
evidence to cases, show a case only to a reader who may open it, and only when the reader
sees every field group the indicator draws on (``cases.selectors.visible_case_ids``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from palermo.cases import selectors as case_selectors
from palermo.core import audit
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.monitor import indicators
from palermo.monitor.models import (
    ActionPlan,
    Evidence,
    EvidenceKind,
    Measure,
    Objective,
    Recommendation,
    RecommendationStatus,
)

OPEN_STATUSES = (RecommendationStatus.NOT_STARTED, RecommendationStatus.IN_PROGRESS)


def _can_view(actor: User | None, organisation: Organisation | None) -> bool:
    return actor is None or has_perm(actor, Perm.MONITOR_VIEW, organisation)


def plans(actor: User | None, organisation: Organisation | None) -> QuerySet[ActionPlan]:
    if not _can_view(actor, organisation):
        return ActionPlan.objects.none()
    return ActionPlan.objects.select_related("owner").prefetch_related(
        "objectives__measures__responsible", "objectives__measures__indicators"
    )


def access_plan(actor: User | None, organisation: Organisation | None, plan_id: int) -> ActionPlan:
    plan = plans(actor, organisation).filter(pk=plan_id).first()
    if plan is None:
        raise Http404("not found")
    return plan


def access_objective(
    actor: User | None, organisation: Organisation | None, objective_id: int
) -> Objective:
    if not _can_view(actor, organisation):
        raise Http404("not found")
    obj = Objective.objects.select_related("plan").filter(pk=objective_id).first()
    if obj is None:
        raise Http404("not found")
    return obj


def organisations(ids: list[int]) -> list[Organisation]:
    """Active organisations with these ids (responsible organisations of a measure)."""
    return list(Organisation.objects.filter(pk__in=set(ids), is_active=True))


def active_organisations() -> list[tuple[int, str]]:
    return list(
        Organisation.objects.filter(is_active=True).order_by("name").values_list("pk", "name")
    )


def access_measure(
    actor: User | None, organisation: Organisation | None, measure_id: int
) -> Measure:
    if not _can_view(actor, organisation):
        raise Http404("not found")
    m = (
        Measure.objects.select_related("objective__plan")
        .prefetch_related(
            "responsible", "indicators", "notes__organisation", "notes__author", "recommendations"
        )
        .filter(pk=measure_id)
        .first()
    )
    if m is None:
        raise Http404("not found")
    return m


def measure_evidence(
    actor: User | None, organisation: Organisation | None, measure: Measure
) -> list[Evidence]:
    """The measure's evidence; a link to a case only for a reader who may open that case."""
    items = list(measure.evidence.defer("content").select_related("organisation"))
    case_refs = {e.target for e in items if e.kind == EvidenceKind.CASE}
    visible: set[str] = set()
    if case_refs and actor is not None:
        visible = set(
            case_selectors.cases_visible_to(actor, organisation)
            .filter(reference__in=case_refs)
            .values_list("reference", flat=True)
        )
    for e in items:
        e.hidden = e.kind == EvidenceKind.CASE and e.target not in visible  # type: ignore[attr-defined]
    return items


def access_evidence_file(
    actor: User, organisation: Organisation | None, evidence_id: int, *, request: Any = None
) -> Evidence:
    if not _can_view(actor, organisation):
        raise Http404("not found")
    ev = Evidence.objects.filter(pk=evidence_id, kind=EvidenceKind.FILE).first()
    if ev is None:
        raise Http404("not found")
    audit.record(
        action="read",
        actor=actor,
        organisation=organisation,
        object_type="monitor.evidence",
        object_ref=str(ev.pk),
        request=request,
        details={"sha256": ev.sha256},
    )
    return ev


def is_overdue(rec: Recommendation, today: date | None = None) -> bool:
    day = today or timezone.localdate()
    return rec.due_on is not None and rec.due_on < day and rec.status in OPEN_STATUSES


@dataclass
class RegisterFilter:
    source_body: str = ""
    area: str = ""
    status: str = ""
    overdue: bool = False


def recommendations(
    actor: User | None, organisation: Organisation | None, f: RegisterFilter | None = None
) -> QuerySet[Recommendation]:
    if not _can_view(actor, organisation):
        return Recommendation.objects.none()
    f = f or RegisterFilter()
    qs = Recommendation.objects.select_related("response").prefetch_related(
        Prefetch("measures", queryset=Measure.objects.select_related("objective"))
    )
    if f.source_body:
        qs = qs.filter(source_body=f.source_body)
    if f.area:
        qs = qs.filter(area=f.area)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.overdue:
        qs = qs.filter(due_on__lt=timezone.localdate(), status__in=OPEN_STATUSES)
    return qs.order_by("source_body", "report", "paragraph", "id")


def access_recommendation(
    actor: User | None, organisation: Organisation | None, rec_id: int
) -> Recommendation:
    rec = (
        recommendations(actor, organisation)
        .prefetch_related(
            "follow_ups__organisation", "follow_ups__actor", "response__recommendations"
        )
        .filter(pk=rec_id)
        .first()
    )
    if rec is None:
        raise Http404("not found")
    return rec


def status_summary(
    actor: User | None, organisation: Organisation | None, by: str
) -> list[dict[str, Any]]:
    """Recommendations per ``source_body`` or ``area`` × status, with the overdue count."""
    rows: dict[str, Counter[str]] = {}
    for rec in recommendations(actor, organisation):
        key = getattr(rec, by)
        c = rows.setdefault(key, Counter())
        c[rec.status] += 1
        c["total"] += 1
        if is_overdue(rec):
            c["overdue"] += 1
    return [
        {"key": k, **{s: c[s] for s in [*RecommendationStatus.values, "overdue", "total"]}}
        for k, c in sorted(rows.items())
    ]


# --- indicators ---------------------------------------------------------------------------------------


def indicator_results(
    actor: User | None, organisation: Organisation | None, *, year: int | None
) -> list[indicators.IndicatorResult]:
    """Every indicator of the year, protected. Aggregates only: no case leaves here."""
    if not _can_view(actor, organisation):
        return []
    # Every year's facts, so that the years and the all-years column are protected together
    # (indicators.compute_years): one query per year of registration.
    return indicators.compute_years({y: fact_groups(y) for y in years()}, year=year)


def fact_groups(year: int | None) -> list[dict[str, Any]]:
    """The indicators' fact rows, counted in the database: one row per distinct combination
    of facts with its ``weight`` (the number of cases), the financial investigations per case
    joined from the investigate context's query."""
    from palermo.investigate import selectors as investigate_selectors

    groups = case_selectors.monitoring_fact_groups(
        year=year,
        extra_counts={
            "financial_investigations": investigate_selectors.investigations_per_case_query()
        },
    )
    return [
        {
            "identification_status": g.identification_status,
            "is_child": g.is_child,
            "reflection_period_granted": g.reflection_period_granted,
            "guardian_in_time": g.guardian_in_time,
            "referrals_sent": g.referrals_sent,
            "referrals_accepted": g.referrals_accepted,
            "compensation_claimed": g.compensation_claimed,
            "compensation_awarded": g.compensation_awarded,
            "financial_investigations": dict(g.extra).get("financial_investigations", 0),
            "forms": tuple(dict.fromkeys(g.forms)),
            "weight": g.cases,
        }
        for g in groups
    ]


def _investigations(year: int | None) -> dict[int, int]:
    """Financial investigations per case, from the investigate context (aggregates only)."""
    from palermo.investigate import selectors as investigate_selectors

    return investigate_selectors.investigations_per_case(year=year)


def _facts(year: int | None) -> list[Any]:
    """The case facts of the year with the number of financial investigations linked to each."""
    from types import SimpleNamespace

    facts = case_selectors.monitoring_facts(year=year)
    linked = _investigations(year)
    return [
        SimpleNamespace(**vars(f), financial_investigations=linked.get(f.case_id, 0)) for f in facts
    ]


def figure_label(label: str) -> str:
    """A word for each row of an indicator: never a raw code."""
    from django.utils.translation import gettext as _

    from palermo.cases import vocabulary

    if label == indicators.TOTAL:
        return _("Total")
    if label == "Unknown":
        return _("Not recorded")
    return vocabulary.label("vic_TypeOfExploitation", label)


def share_text(figure: indicators.Figure, is_share: bool) -> str:
    """ "" for a count; "x" when suppressed; "—" when nothing to divide by; else a rounded percentage."""
    if not is_share:
        return ""
    if figure.value is None or figure.denominator is None:
        return "x"
    if figure.denominator == 0:
        return "—"
    return f"{round(100 * figure.value / figure.denominator)} %"


def _data_words(text: str) -> str:
    """An indicator's English title or definition (monitor/data/indicators.yaml) in the
    reader's language: its msgid is generated from the data file, whitespace normalised."""
    words = " ".join(text.split())
    return gettext(words) if words else ""


def indicator_tables(results: list[indicators.IndicatorResult]) -> list[dict[str, Any]]:
    """The protected results as rows of words and figures, for the page and the report."""
    return [
        {
            "id": r.definition.id,
            "title": _data_words(r.definition.title),
            "definition": _data_words(r.definition.definition),
            "source": r.definition.source,
            "citation": r.definition.citation,
            "is_share": r.definition.is_share,
            "rows": [
                {
                    "label": figure_label(f.label),
                    "value": "x" if f.value is None else str(f.value),
                    "suppressed": f.value is None,
                    "denominator": ("x" if f.denominator is None else str(f.denominator))
                    if r.definition.is_share
                    else "",
                    "share": share_text(f, r.definition.is_share),
                }
                for f in r.figures
            ],
        }
        for r in results
    ]


def indicator_cases(
    actor: User,
    organisation: Organisation | None,
    indicator_id: str,
    *,
    year: int | None,
    request: Any = None,
) -> list[str]:
    """The references of the numerator's cases that the reader may open with every group the
    indicator draws on. Audited as a read of case data (references only)."""
    defn = indicators.definition(indicator_id)
    if defn is None or not _can_view(actor, organisation):
        raise Http404("not found")
    facts = _facts(year)
    ids = indicators.numerator_case_ids(defn, facts)
    allowed = case_selectors.visible_case_ids(actor, organisation, ids, defn.groups)
    refs = sorted(f.reference for f in facts if f.case_id in allowed)
    audit.record(
        action="read",
        actor=actor,
        organisation=organisation,
        object_type="monitor.indicator",
        object_ref=indicator_id,
        request=request,
        details={"year": year, "cases": len(refs)},
    )
    return refs


def years() -> list[int]:
    from palermo.stats import selectors as stats_selectors

    return stats_selectors.registration_years()
