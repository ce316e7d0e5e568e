"""Reads of the online-risk context, each scoped to the actor's organisation.

A worker report holds personal data (its description, and contact details given with consent):
opening one writes a read entry in the audit trail. Something that does not exist and something
the actor may not see answer alike (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from palermo.core import audit
from palermo.core.errors import NotAllowed
from palermo.core.models import AuditAction
from palermo.core.policy import Perm, has_perm
from palermo.prevent import adverts, licences, statistics
from palermo.prevent.models import (
    Advert,
    AdvertBatch,
    AdvertEvidence,
    EvidenceTarget,
    Lead,
    LeadDecision,
    Licence,
    LicenceList,
    ReportStatus,
    WorkerReport,
)

if TYPE_CHECKING:
    from palermo.core.models import Organisation


def reports_for(
    actor: Any, organisation: Organisation | None, status: str = "new"
) -> QuerySet[WorkerReport]:
    """The report queue of the actor's organisation (only the designated one receives reports).
    The list shows no free text or contact: those are read on the report's own page."""
    if organisation is None or not has_perm(actor, Perm.PREVENT_TRIAGE, organisation):
        return WorkerReport.objects.none()
    qs = WorkerReport.objects.filter(organisation=organisation)
    if status in ReportStatus.values:
        qs = qs.filter(status=status)
    return qs.only("pk", "received_on", "who", "country", "work_kind", "signs", "status")


def access_report(
    actor: Any, organisation: Organisation | None, report_id: int, *, request: Any = None
) -> WorkerReport:
    report = reports_for(actor, organisation, status="").defer(None).filter(pk=report_id).first()
    if report is None:
        raise Http404("not found")
    audit.record(
        action=AuditAction.READ,
        actor=actor,
        organisation=organisation,
        object_type="worker_report",
        object_ref=str(report.pk),
        request=request,
    )
    return report


def leads_for(actor: Any, organisation: Organisation | None, decision: str = "") -> QuerySet[Lead]:
    if organisation is None or not has_perm(actor, Perm.PREVENT_SCREEN, organisation):
        return Lead.objects.none()
    qs = Lead.objects.filter(organisation=organisation).annotate(n_adverts=Count("adverts"))
    if decision in LeadDecision.values:
        qs = qs.filter(decision=decision)
    return qs.order_by("-n_adverts", "-id")


def access_lead(
    actor: Any, organisation: Organisation | None, lead_id: int, *, request: Any = None
) -> Lead:
    lead = leads_for(actor, organisation).filter(pk=lead_id).first()
    if lead is None:
        raise Http404("not found")
    audit.record(
        action=AuditAction.READ,
        actor=actor,
        organisation=organisation,
        object_type="advert_lead",
        object_ref=str(lead.pk),
        request=request,
    )
    return lead


def advert_of(lead: Lead, advert_id: int) -> Advert:
    """An advert of a lead the actor already reached through ``access_lead``."""
    advert = lead.adverts.filter(pk=advert_id).first()
    if advert is None:
        raise Http404("not found")
    return advert


def evidence_of(lead: Lead) -> dict[int, list[AdvertEvidence]]:
    """Where each advert of the lead was attached, by advert id."""
    out: dict[int, list[AdvertEvidence]] = {}
    for e in AdvertEvidence.objects.filter(advert__lead=lead).order_by("attached_at", "id"):
        out.setdefault(e.advert_id, []).append(e)
    return out


@dataclass(frozen=True)
class AttachedAdvert:
    """An advert as another context's page shows it: plain values, no model."""

    advert_id: int
    language: str
    external_ref: str
    pieces: tuple[tuple[str, bool, str], ...]  # (text, flagged, rule id): the text, highlighted
    indicators: tuple[str, ...]  # the flagged indicators, in words (translated)
    attached_at: datetime
    attached_by_organisation: str
    note: str


def adverts_for_investigation(
    actor: Any, organisation: Organisation | None, reference: str, *, request: Any = None
) -> list[AttachedAdvert]:
    """The adverts attached as evidence to an investigation, for its own page.

    Access is the investigation's: the investigate selector decides (owner or member
    organisation with the investigate permission; otherwise Http404, its refusal audited), so
    whoever may open the investigation sees its adverts and nobody else. Showing them writes a
    read entry naming the adverts shown."""
    from palermo.investigate import selectors as investigation_selectors

    ref = investigation_selectors.access_investigation(
        actor, organisation, reference, request=request, record_read=False
    ).reference
    rows = list(
        AdvertEvidence.objects.filter(target=EvidenceTarget.INVESTIGATION, reference=ref)
        .select_related("advert", "organisation")
        .order_by("attached_at", "id")
    )
    if not rows:
        return []
    audit.record(
        action=AuditAction.READ,
        actor=actor,
        organisation=organisation,
        object_type="investigation",
        object_ref=ref,
        request=request,
        details={"what": "attached adverts", "adverts": [e.advert_id for e in rows]},
    )
    out = []
    for e in rows:
        a = e.advert
        flags = [
            adverts.Flag(
                f["rule"],
                f["indicator"],
                f["strength"],
                f["start"],
                f["end"],
                a.text[f["start"] : f["end"]],
                tuple(f["sources"]),
            )
            for f in a.flags
        ]
        seen = dict.fromkeys(f.indicator for f in flags)
        out.append(
            AttachedAdvert(
                advert_id=a.pk,
                language=a.language,
                external_ref=a.external_ref,
                pieces=tuple(
                    (text, flag is not None, flag.rule_id if flag else "")
                    for text, flag in adverts.highlight(a.text, flags)
                ),
                indicators=tuple(gettext(adverts.INDICATOR_LABELS.get(k, k)) for k in seen),
                attached_at=e.attached_at,
                attached_by_organisation=e.organisation.name,
                note=e.note,
            )
        )
    return out


def online_statistics(
    actor: Any, organisation: Organisation | None, today: date | None = None
) -> dict[str, statistics.Counts]:
    """Protected counts of adverts screened and worker reports received, every organisation's
    together (aggregates only; each cell below the threshold is suppressed)."""
    if not has_perm(actor, Perm.PREVENT_STATS, organisation):
        raise NotAllowed(perm=Perm.PREVENT_STATS)
    today = today or timezone.localdate()
    since = statistics.period_start(today)
    return {
        "adverts": statistics.protected_counts(advert_facts(since), today=today),
        "reports": statistics.protected_counts(report_facts(since), today=today),
    }


def report_facts(since: date) -> list[statistics.Fact]:
    """Every worker report received since ``since``, for the protected counts (no free text)."""
    return [
        statistics.Fact(day, country or statistics.UNKNOWN, frozenset(signs or ()))
        for day, country, signs in WorkerReport.objects.filter(received_on__gte=since)
        .values_list("received_on", "country", "signs")
        .iterator()
    ]


def advert_facts(since: date) -> list[statistics.Fact]:
    """Every advert imported since ``since``: its day, language and the indicators flagged."""
    start = datetime.combine(since, time.min, tzinfo=timezone.get_current_timezone())
    return [
        statistics.Fact(
            timezone.localdate(at),
            lang if lang and lang != "und" else statistics.UNKNOWN,
            frozenset(f["indicator"] for f in flags or ()),
        )
        for at, lang, flags in Advert.objects.filter(batch__imported_at__gte=start)
        .values_list("batch__imported_at", "language", "flags")
        .iterator()
    ]


def batches_for(actor: Any, organisation: Organisation | None) -> QuerySet[AdvertBatch]:
    if organisation is None or not has_perm(actor, Perm.PREVENT_SCREEN, organisation):
        return AdvertBatch.objects.none()
    return AdvertBatch.objects.filter(organisation=organisation)


def licence_lists() -> list[dict[str, Any]]:
    """Every imported list with its age; a list retrieved more than 30 days ago is stale."""
    today = timezone.localdate()
    return [
        {"list": lst, "stale": licences.is_stale(lst.retrieved_on, today)}
        for lst in LicenceList.objects.all()
    ]


def licence_entries(query: str = "", limit: int = 200) -> QuerySet[Licence]:
    qs = Licence.objects.select_related("licence_list")
    key = licences.normalise_name(query) if query else ""
    if key:
        qs = qs.filter(name_key__contains=key)
    return qs[:limit]
