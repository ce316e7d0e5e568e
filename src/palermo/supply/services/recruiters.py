"""Writes of the labour recruiter ↔ site links (``supply/recruiters.py``): one entered by hand
with the source of the information, or a file of them (all rows or none). Each link keeps its
provenance (who, when, from what); each write is audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm
from palermo.core.upload_limits import check_bytes, import_limits
from palermo.supply import recruiters
from palermo.supply.models import ImportBatch, RecruiterLink, Site, Supplier
from palermo.supply.services import _audit, _batch, _require, _text
from palermo.supply.tables import Preview

__all__ = ["recruiter_link_delete", "recruiter_link_set", "recruiter_links_import"]


def recruiter_link_set(
    *,
    actor: User | None,
    organisation: Organisation,
    recruiter: Supplier,
    site: Site,
    evidence: str,
    workers: int | None = None,
) -> RecruiterLink:
    """Record (or update) that a labour recruiter supplies workers to a site, and from what."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    errs: list[FieldError] = []
    if recruiter.organisation_id != organisation.pk:
        errs.append(FieldError("recruiter", "Not a supplier of your organisation."))
    elif not recruiter.is_recruiter:
        errs.append(
            FieldError("recruiter", "This supplier is not marked as a labour recruiter or agency.")
        )
    if site.organisation_id != organisation.pk:
        errs.append(FieldError("site", "Not a site of your organisation."))
    if workers is not None and workers < 0:
        errs.append(FieldError("workers", "Cannot be negative."))
    evidence = _text(evidence, "evidence", 300, errs, required=True)
    if errs:
        raise InvalidInput(errs)
    with transaction.atomic():
        link, created = RecruiterLink.objects.update_or_create(
            recruiter=recruiter,
            site=site,
            defaults={
                "organisation": organisation,
                "workers": workers,
                "evidence": evidence,
                "source": RecruiterLink.Source.MANUAL,
                "batch": None,
                "row": None,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
            },
        )
        _audit(
            "create" if created else "update",
            actor,
            organisation,
            "supply.recruiter_link",
            link.pk,
            recruiter=recruiter.pk,
            site=site.pk,
        )
    return link


def recruiter_link_delete(
    *, actor: User | None, organisation: Organisation, link: RecruiterLink
) -> None:
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    if link.organisation_id != organisation.pk:
        raise InvalidInput(FieldError("", "Not a link of your organisation."))
    with transaction.atomic():
        _audit("delete", actor, organisation, "supply.recruiter_link", link.pk)
        link.delete()


def recruiter_links_import(
    *, actor: User | None, organisation: Organisation, data: bytes, name: str, commit: bool = True
) -> Preview[recruiters.LinkRow]:
    """Links from a file: every row checked, all imported or none. A link already known is
    updated (its provenance becomes this file's row)."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    check_bytes(data, import_limits("default"), name=name)
    suppliers = {s.company_id: s for s in Supplier.objects.filter(organisation=organisation)}
    sites = {s.os_id: s for s in Site.objects.filter(organisation=organisation).exclude(os_id="")}
    preview = recruiters.preview_links(
        data,
        name,
        recruiters={cid for cid, s in suppliers.items() if s.is_recruiter},
        suppliers=set(suppliers),
        sites=set(sites),
    )
    if not commit or not preview.ok:
        return preview
    now = timezone.now()
    with transaction.atomic():
        batch = _batch(
            ImportBatch.Kind.RECRUITERS, actor, organisation, data, name, len(preview.rows)
        )
        for r in preview.rows:
            RecruiterLink.objects.update_or_create(
                recruiter=suppliers[r.recruiter_company_id],
                site=sites[r.os_id],
                defaults={
                    "organisation": organisation,
                    "workers": r.workers,
                    "evidence": r.evidence,
                    "source": RecruiterLink.Source.IMPORT,
                    "batch": batch,
                    "row": r.row,
                    "recorded_by": actor,
                    "recorded_at": now,
                },
            )
        _audit(
            "create",
            actor,
            organisation,
            "supply.recruiter_links_import",
            batch.pk,
            rows=len(preview.rows),
            sha256=batch.sha256,
        )
    return preview
