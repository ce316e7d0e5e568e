"""Writes of the online-risk context: licence lists, worker reports and their triage, advert
imports, lead decisions, and the two routes into the NRM (a report or a lead opens a referral
through ``palermo.cases.services``).

Each write checks the permission, validates before it changes anything (``InvalidInput`` with
the reason per field or row), and writes its audit entry in the same transaction. A worker
report is audited without the request: the trail records that a report arrived, never from
which address.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.cases import selectors as case_selectors
from palermo.cases import services as case_services
from palermo.core import audit
from palermo.core.errors import FieldError, InvalidInput, NotAllowed
from palermo.core.models import AuditAction, Organisation
from palermo.core.policy import Perm, has_perm
from palermo.core.roles import OrganisationType
from palermo.investigate import selectors as investigation_selectors
from palermo.prevent import adverts, checker, langid, licences, reports
from palermo.prevent.advert_input import AdvertIn
from palermo.prevent.models import (
    Advert,
    AdvertBatch,
    AdvertEvidence,
    EvidenceTarget,
    Lead,
    LeadDecision,
    Licence,
    LicenceList,
    ListKind,
    ReportStatus,
    WorkerReport,
)

if TYPE_CHECKING:
    from palermo.core.models import User

CONTACTS_FILE = Path(__file__).parent / "data" / "contacts.json"


def _require(actor: Any, organisation: Organisation | None, perm: str) -> None:
    if not has_perm(actor, perm, organisation):
        raise NotAllowed(perm=perm)


# --- the public job-offer check (stores nothing) ----------------------------------------


def check_offer(answers: Mapping[str, str]) -> checker.CheckResult:
    """Evaluate the answers. Nothing is written and nothing is logged."""
    return checker.evaluate(checker.load(), answers)


def contacts_signature() -> tuple[str, int, int]:
    """Which contacts file is in use and its version on disk (path, size, modification time):
    a change of setting or of the file gives a new signature."""
    path = Path(getattr(settings, "PALERMO_PREVENT_CONTACTS", "") or CONTACTS_FILE)
    st = path.stat()
    return (str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=4)
def _contacts_file(signature: tuple[str, int, int]) -> dict[str, dict[str, str]]:
    with Path(signature[0]).open(encoding="utf-8") as fh:
        known: dict[str, dict[str, str]] = json.load(fh)["countries"]
    return known


def _known_contacts() -> dict[str, dict[str, str]]:
    return _contacts_file(contacts_signature())


def contacts(countries: Iterable[str]) -> list[dict[str, str]]:
    """Hotline and NRM contacts of the given countries (ISO codes), from the contacts file."""
    known = _known_contacts()
    out = []
    for code in dict.fromkeys(countries):
        if code in known:
            out.append({"code": code, **known[code]})
    return out


def contact_countries() -> list[tuple[str, str]]:
    known = _known_contacts()
    return sorted(((k, v["name"]) for k, v in known.items()), key=lambda kv: kv[1])


def rules_version() -> str:
    """The version of the job-offer rules file in use."""
    return checker.load().version


# --- licence registry ---------------------------------------------------------------------


def _row_message(err: licences.RowError) -> str:
    return _(err.message).format(**dict(err.params))


def licences_import(
    *,
    actor: User,
    organisation: Organisation,
    kind: str,
    title: str,
    rows: Iterable[Mapping[str, str]],
    today: date | None = None,
) -> LicenceList:
    """Import one list. Any faulty row refuses the whole import (``InvalidInput``, one error
    per row and column, field ``row <n> <column>``): a registry half-imported would answer
    "not licensed" for an agency that is."""
    _require(actor, organisation, Perm.PREVENT_LICENCES)
    today = today or timezone.localdate()
    errors: list[FieldError] = []
    if kind not in ListKind.values:
        errors.append(FieldError("kind", _("Choose the kind of list.")))
    title = title.strip()
    if not title or len(title) > 200:
        errors.append(FieldError("title", _("Give the list a title of at most 200 characters.")))
    good, row_errors = licences.read_rows(rows, today=today)
    errors += [FieldError(f"row {e.row} {e.column}", _row_message(e)) for e in row_errors]
    if not good and not row_errors:
        errors.append(FieldError("file", _("The file holds no rows.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        lst = LicenceList.objects.create(
            kind=kind,
            title=title,
            imported_at=timezone.now(),
            imported_by=actor,
            organisation=organisation,
            retrieved_on=min(r.retrieved_on for r in good),
            rows=len(good),
        )
        Licence.objects.bulk_create(
            Licence(
                licence_list=lst,
                name=r.name,
                name_key=licences.normalise_name(r.name),
                licence_number=r.licence_number,
                country=r.country,
                status=r.status,
                valid_until=r.valid_until,
                source=r.source,
                retrieved_on=r.retrieved_on,
            )
            for r in good
        )
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            organisation=organisation,
            object_type="licence_list",
            object_ref=str(lst.pk),
            details={"rows": len(good), "kind": kind},
        )
    return lst


def _registry() -> tuple[list[Licence], list[str]]:
    entries = list(
        Licence.objects.select_related("licence_list").only(
            "name",
            "name_key",
            "licence_number",
            "country",
            "status",
            "valid_until",
            "source",
            "retrieved_on",
            "licence_list__kind",
            "licence_list__title",
        )
    )
    return entries, [e.name_key for e in entries]


def licence_lookup(
    name: str,
    *,
    today: date | None = None,
    limit: int = 5,
    registry: tuple[list[Licence], list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Registry entries whose names resemble ``name`` (any spelling or alphabet), best first,
    with a stale-list warning. Reads only business registers: nothing personal, nothing stored."""
    today = today or timezone.localdate()
    entries, keys = registry if registry is not None else _registry()
    out = []
    for m in licences.best_matches(name, keys, limit=limit):
        e = entries[m.index]
        out.append(
            {
                "entry": e,
                "score": round(m.score),
                "stale": licences.is_stale(e.retrieved_on, today),
                "expired": e.valid_until is not None and e.valid_until < today,
                "kind": e.licence_list.kind,
            }
        )
    return out


# --- worker reports -----------------------------------------------------------------------


def triage_organisation() -> Organisation | None:
    """The organisation the deployment designates to triage worker reports: the one named in
    ``PALERMO_PREVENT_TRIAGE_ORGANISATION``, else the first active labour inspectorate."""
    name = getattr(settings, "PALERMO_PREVENT_TRIAGE_ORGANISATION", "")
    qs = Organisation.objects.filter(is_active=True)
    if name:
        return qs.filter(name=name).first()
    return qs.filter(org_type=OrganisationType.LABOUR_INSPECTORATE).order_by("pk").first()


def report_submit(*, data: Mapping[str, object]) -> WorkerReport:
    """Take an anonymous report. No request, address or browser detail is passed or kept."""
    report, errs = reports.check(data)
    if report is None:
        raise InvalidInput(
            [
                FieldError(
                    e.field,
                    _(e.message).format(limit=_limit_of(e.field)),
                )
                for e in errs
            ]
        )
    org = triage_organisation()
    if org is None:
        raise InvalidInput(
            FieldError("", _("Reports cannot be received at the moment. Please call a hotline."))
        )
    with transaction.atomic():
        obj = WorkerReport.objects.create(
            organisation=org,
            received_on=timezone.localdate(),
            who=report.who,
            country=report.country,
            place=report.place,
            work_kind=report.work_kind,
            signs=list(report.signs),
            description=report.description,
            consent_to_contact=report.consent_to_contact,
            contact=report.contact,
        )
        # No request: the trail keeps no address for a report.
        audit.record(
            action=AuditAction.CREATE,
            organisation=org,
            object_type="worker_report",
            object_ref=str(obj.pk),
            purpose="public worker report",
            actor_username="(anonymous)",
        )
    return obj


def _limit_of(field: str) -> int:
    return {
        "place": reports.MAX_PLACE,
        "description": reports.MAX_DESCRIPTION,
        "contact": reports.MAX_CONTACT,
    }.get(field, 0)


TRIAGE_DECISIONS = (ReportStatus.DISMISSED, ReportStatus.LABOUR_RIGHTS)


def report_triage(
    *,
    actor: User,
    organisation: Organisation,
    report: WorkerReport,
    decision: str,
    note: str = "",
) -> WorkerReport:
    """Dismiss a report or pass it to a labour-rights route."""
    _require_report(actor, organisation, report)
    errors: list[FieldError] = []
    if decision not in TRIAGE_DECISIONS:
        errors.append(FieldError("decision", _("Choose dismiss or labour-rights route.")))
    if len(note) > 500:
        errors.append(FieldError("note", _("At most 500 characters.")))
    if report.status != ReportStatus.NEW:
        errors.append(FieldError("decision", _("This report has already been triaged.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        report.status = decision
        report.decision_note = note.strip()
        report.decided_at = timezone.now()
        report.decided_by = actor
        report.save(update_fields=["status", "decision_note", "decided_at", "decided_by"])
        audit.record(
            action=AuditAction.UPDATE,
            actor=actor,
            organisation=organisation,
            object_type="worker_report",
            object_ref=str(report.pk),
            details={"decision": decision},
        )
    return report


def _require_report(actor: Any, organisation: Organisation | None, report: WorkerReport) -> None:
    _require(actor, organisation, Perm.PREVENT_TRIAGE)
    if organisation is None or report.organisation_id != organisation.pk:
        raise NotAllowed(_("Only the organisation that triages reports may do this."))


_WORK_TO_FORM = {"sex_industry": "sexual", "domestic": "domestic_servitude"}


def report_refer(*, actor: User, organisation: Organisation, report: WorkerReport) -> str:
    """Open an NRM referral from a report (through the case services); returns the case
    reference. Contact details stay in the report: the case starts with no personal data."""
    _require_report(actor, organisation, report)
    if report.status != ReportStatus.NEW:
        raise InvalidInput(FieldError("decision", _("This report has already been triaged.")))
    context: dict[str, Any] = {}
    if report.country:
        context["countries_of_exploitation"] = [report.country]
    signs = ", ".join(str(reports.SIGNS[s]) for s in report.signs)
    with transaction.atomic():
        case = case_services.case_open(
            actor=actor,
            organisation=organisation,
            source="hotline",
            source_ref=f"worker report {report.pk}",
            person={},
            exploitation_forms=[_WORK_TO_FORM.get(report.work_kind, "labour")],
            is_child_or_presumed_child="children" in report.signs,
            summary=f"From an anonymous worker report. Warning signs: {signs or '—'}.",
            victim_context=context,
        )
        report.status = ReportStatus.REFERRED
        report.case_reference = case.reference
        report.decided_at = timezone.now()
        report.decided_by = actor
        report.save(update_fields=["status", "case_reference", "decided_at", "decided_by"])
        audit.record(
            action=AuditAction.UPDATE,
            actor=actor,
            organisation=organisation,
            object_type="worker_report",
            object_ref=str(report.pk),
            details={"decision": "referred", "case": case.reference},
        )
    return str(case.reference)


# --- adverts and leads --------------------------------------------------------------------


def _template_hash(text: str) -> str:
    return hashlib.sha256(adverts.template_form(text).encode("utf-8")).hexdigest()


def _registry_matches(
    names: Sequence[str], registry: tuple[list[Licence], list[str]]
) -> list[dict[str, Any]]:
    """For each agency name written in an advert: the closest registry entry, or none."""
    out: list[dict[str, Any]] = []
    for name in names[:5]:
        found = licence_lookup(name, limit=1, registry=registry)
        if found:
            e = found[0]["entry"]
            out.append(
                {
                    "written": name,
                    "name": e.name,
                    "status": e.status,
                    "country": e.country,
                    "score": found[0]["score"],
                    "stale": found[0]["stale"],
                }
            )
        else:
            out.append({"written": name, "name": "", "status": "", "country": "", "score": 0})
    return out


def _existing_lead(
    organisation: Organisation, template_hash: str, sig: Any, leads: list[tuple[Lead, Any]]
) -> Lead | None:
    same = (
        Advert.objects.filter(lead__organisation=organisation, template_hash=template_hash)
        .select_related("lead")
        .first()
    )
    if same is not None:
        return same.lead
    best: tuple[float, Lead | None] = (0.0, None)
    for lead, lead_sig in leads:
        s = adverts.similarity(sig, lead_sig)
        if s >= adverts.DUPLICATE_THRESHOLD and s > best[0]:
            best = (s, lead)
    return best[1]


def adverts_import(
    *,
    actor: User,
    organisation: Organisation,
    label: str,
    items: Sequence[AdvertIn],
    region: str = "ZZ",
) -> AdvertBatch:
    """Screen, group and store a batch. Adverts from a template already seen join its lead,
    whose decision stands (an analyst is not asked again)."""
    import numpy as np

    _require(actor, organisation, Perm.PREVENT_SCREEN)
    errors: list[FieldError] = []
    label = label.strip()
    if not label or len(label) > 200:
        errors.append(FieldError("label", _("Name the batch in at most 200 characters.")))
    if not items:
        errors.append(FieldError("file", _("There are no adverts to import.")))
    if errors:
        raise InvalidInput(errors)
    rules = adverts.load()
    registry = _registry()
    screened = []
    for item in items:
        lang, score = langid.detect(item.text)
        screened.append((item, adverts.screen(item.text, lang, rules, region), score))
    groups = adverts.group_near_duplicates([s.text for _i, s, _sc in screened])
    existing = [
        (lead, np.frombuffer(bytes(lead.signature), dtype=np.uint64))
        for lead in Lead.objects.filter(organisation=organisation).only("signature", "indicators")
    ]
    now = timezone.now()
    new_leads = 0
    with transaction.atomic():
        batch = AdvertBatch.objects.create(
            organisation=organisation,
            imported_by=actor,
            imported_at=now,
            label=label,
            adverts=len(items),
        )
        for group in groups:
            first = screened[group[0]][1]
            sig = adverts.signature(first.text)
            lead = _existing_lead(organisation, _template_hash(first.text), sig, existing)
            if lead is None:
                lead = Lead.objects.create(
                    organisation=organisation,
                    created_at=now,
                    signature=sig.tobytes(),
                    language=first.language,
                )
                existing.append((lead, sig))
                new_leads += 1
            indicators = list(lead.indicators)
            rows = []
            for i in group:
                item, s, score = screened[i]
                indicators += [x for x in s.indicators if x not in indicators]
                rows.append(
                    Advert(
                        batch=batch,
                        lead=lead,
                        external_ref=item.ref,
                        text=s.text,
                        template_hash=_template_hash(s.text),
                        language=s.language,
                        language_score=round(score, 3),
                        flags=[
                            {
                                "rule": f.rule_id,
                                "indicator": f.indicator,
                                "strength": f.strength,
                                "start": f.start,
                                "end": f.end,
                                "sources": list(f.sources),
                            }
                            for f in s.flags
                        ],
                        entities={
                            "phones": list(s.entities.phones),
                            "emails": list(s.entities.emails),
                            "urls": list(s.entities.urls),
                            "agencies": list(s.entities.agencies),
                        },
                        agency_matches=_registry_matches(s.entities.agencies, registry),
                    )
                )
            Advert.objects.bulk_create(rows)
            if indicators != lead.indicators:
                lead.indicators = indicators
                lead.save(update_fields=["indicators"])
        batch.new_leads = new_leads
        batch.save(update_fields=["new_leads"])
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            organisation=organisation,
            object_type="advert_batch",
            object_ref=str(batch.pk),
            details={"adverts": len(items), "groups": len(groups), "new_leads": new_leads},
        )
    return batch


ANALYST_DECISIONS = (
    LeadDecision.DISMISSED,
    LeadDecision.MONITOR,
    LeadDecision.INVESTIGATE,
    LeadDecision.PLATFORM,
)


def _require_lead(actor: Any, organisation: Organisation | None, lead: Lead) -> None:
    _require(actor, organisation, Perm.PREVENT_SCREEN)
    if organisation is None or lead.organisation_id != organisation.pk:
        raise NotAllowed(_("This lead belongs to another organisation."))


def lead_decide(
    *, actor: User, organisation: Organisation, lead: Lead, decision: str, note: str = ""
) -> Lead:
    _require_lead(actor, organisation, lead)
    errors: list[FieldError] = []
    if decision not in ANALYST_DECISIONS:
        errors.append(FieldError("decision", _("Choose a decision from the list.")))
    if len(note) > 500:
        errors.append(FieldError("note", _("At most 500 characters.")))
    if lead.decision == LeadDecision.REFERRED:
        errors.append(FieldError("decision", _("A referral has been opened from this lead.")))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        lead.decision = decision
        lead.note = note.strip()
        lead.decided_at = timezone.now()
        lead.decided_by = actor
        lead.save(update_fields=["decision", "note", "decided_at", "decided_by"])
        audit.record(
            action=AuditAction.UPDATE,
            actor=actor,
            organisation=organisation,
            object_type="advert_lead",
            object_ref=str(lead.pk),
            details={"decision": decision},
        )
    return lead


def lead_refer(
    *,
    actor: User,
    organisation: Organisation,
    lead: Lead,
    country_of_recruitment: str = "",
    exploitation_form: str = "labour",
) -> str:
    """Open an NRM referral for the (unknown) people a lead's campaign recruits, with the HTCDS
    method of recruitment pre-filled ("through an online advertisement", or "through online
    social networks" when the adverts point to a messenger). Returns the case reference."""
    _require_lead(actor, organisation, lead)
    errors: list[FieldError] = []
    if lead.decision == LeadDecision.REFERRED:
        errors.append(FieldError("", _("A referral has been opened from this lead.")))
    if exploitation_form not in ("labour", "sexual", "domestic_servitude"):
        errors.append(FieldError("exploitation_form", _("Choose a form of exploitation.")))
    if errors:
        raise InvalidInput(errors)
    method = (
        "ThroughOnlineSocialNetworks"
        if "messenger" in lead.indicators
        else "ThroughAnOnlineAdvertisement"
    )
    context: dict[str, Any] = {"methods_of_recruitment": [method]}
    if country_of_recruitment:
        context["countries_of_recruitment"] = [country_of_recruitment.strip().upper()]
    with transaction.atomic():
        case = case_services.case_open(
            actor=actor,
            organisation=organisation,
            source="agency",
            source_ref=f"advert lead {lead.pk}",
            person={},
            exploitation_forms=[exploitation_form],
            is_child_or_presumed_child=False,
            summary=f"Opened from advert lead {lead.pk} ({lead.adverts.count()} adverts).",
            victim_context=context,
        )
        lead.decision = LeadDecision.REFERRED
        lead.case_reference = case.reference
        lead.decided_at = timezone.now()
        lead.decided_by = actor
        lead.save(update_fields=["decision", "case_reference", "decided_at", "decided_by"])
        audit.record(
            action=AuditAction.UPDATE,
            actor=actor,
            organisation=organisation,
            object_type="advert_lead",
            object_ref=str(lead.pk),
            details={"decision": "referred", "case": case.reference},
        )
    return str(case.reference)


def advert_attach(
    *,
    actor: User,
    organisation: Organisation,
    advert: Advert,
    target: str,
    reference: str,
    note: str = "",
) -> AdvertEvidence:
    """Attach an advert of one's own leads as evidence to an investigation or a case the actor
    may see, checked through that context's selectors. A case also gets a note on its timeline
    (``cases.services.note_add``) when the actor may write to it. A target that does not exist
    and one the actor may not see are refused alike, so the answer tells nothing about it."""
    _require_lead(actor, organisation, advert.lead)
    errors: list[FieldError] = []
    if target not in EvidenceTarget.values:
        errors.append(FieldError("target", _("Choose an investigation or a case.")))
    if len(note) > 500:
        errors.append(FieldError("note", _("At most 500 characters.")))
    ref = reference.strip().upper()
    if not ref or len(ref) > 30:
        errors.append(FieldError("reference", _("Enter the reference.")))
    if errors:
        raise InvalidInput(errors)
    unseen = InvalidInput(
        [FieldError("reference", _("No investigation or case with this reference you may see."))]
    )
    case = None
    try:
        if target == EvidenceTarget.INVESTIGATION:
            ref = investigation_selectors.access_investigation(
                actor, organisation, ref, what="advert evidence"
            ).reference
        else:
            case = case_selectors.access_case(
                actor, organisation, ref, purpose="attach advert evidence"
            )
            ref = case.reference
    except Http404:
        if target == EvidenceTarget.CASE:  # the investigation selector audits its own refusals
            audit.record(
                action=AuditAction.REFUSED,
                actor=actor,
                organisation=organisation,
                object_type="case",
                object_ref="",
                outcome="refused",
                details={"reason": "not found or no need to know", "what": "advert evidence"},
            )
        raise unseen from None
    if AdvertEvidence.objects.filter(advert=advert, target=target, reference=ref).exists():
        raise InvalidInput([FieldError("reference", _("This advert is already attached there."))])
    try:
        with transaction.atomic():
            evidence = AdvertEvidence.objects.create(
                advert=advert,
                organisation=organisation,
                target=target,
                reference=ref,
                note=note.strip(),
                attached_at=timezone.now(),
                attached_by=actor,
            )
            on_timeline = False
            if case is not None:
                try:
                    with transaction.atomic():
                        case_services.note_add(
                            actor=actor,
                            organisation=organisation,
                            case=case,
                            text=_evidence_note(advert, note),
                        )
                    on_timeline = True
                except NotAllowed:
                    pass  # seen, not written to: the link is kept here, the case file is not
            audit.record(
                action=AuditAction.CREATE,
                actor=actor,
                organisation=organisation,
                object_type="advert_evidence",
                object_ref=str(evidence.pk),
                details={
                    "advert": advert.pk,
                    "lead": advert.lead_id,
                    "target": target,
                    "reference": ref,
                    "case_note": on_timeline,
                },
            )
    except IntegrityError:  # two attaches at once: the first one stands
        raise InvalidInput(
            [FieldError("reference", _("This advert is already attached there."))]
        ) from None
    return evidence


def _evidence_note(advert: Advert, note: str) -> str:
    # Timeline text is stored, not translated per reader: plain English as other system notes.
    head = f"Job advert attached as evidence (advert {advert.pk}, lead {advert.lead_id}"
    head += f", {advert.external_ref})" if advert.external_ref else ")"
    parts = [head, advert.text]
    if note.strip():
        parts.append(f"Note: {note.strip()}")
    return "\n\n".join(parts)
