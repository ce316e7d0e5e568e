"""Importing risk lists, edition by edition (issue 18): a country × good list of any
registered format (``riskdata.FORMATS``: the US DOL list, a national or the EU's once
published) or a supplier exclusion list (``riskdata.EXCLUSIONS``). Each edition keeps its
source, edition, licence, download date, address and the file's SHA-256 (its import
batch); importing one retires only the previous edition of the same format, so a screening
reads the current edition of every format together (``selectors.risk_lists``). Older
editions stay: kept screenings name the set they used.

Every row or none; ``commit=False`` previews.

The lists are national reference data: every organisation's screening reads them. So only
the holder of ``Perm.SUPPLY_RISK_LISTS`` (the national co-ordinator) imports an edition, never
a procurement officer (``supply.manage``), and never anyone inside an exercise instance (the
permission is national-only). The check is here, whoever calls: the page, the command line,
the demo. A refusal is a ``NotAllowed`` (403, audited where it is answered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from palermo.core.errors import Busy, FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm
from palermo.core.upload_limits import check_bytes, import_limits
from palermo.supply import riskdata
from palermo.supply.models import ExclusionEntry, ImportBatch, RiskEdition, RiskEntry
from palermo.supply.services import _audit, _batch, _require, _text
from palermo.supply.tables import Preview

__all__ = ["EditionInfo", "exclusions_import", "risk_import"]


@dataclass(frozen=True)
class EditionInfo:
    source: str
    edition: str
    licence: str
    retrieved_on: date | None
    url: str = ""


def _edition_errors(info: EditionInfo) -> list[FieldError]:
    errs: list[FieldError] = []
    _text(info.source, "source", 300, errs, required=True)
    _text(info.edition, "edition", 60, errs, required=True)
    _text(info.licence, "licence", 200, errs, required=True)
    if info.retrieved_on is None:
        errs.append(FieldError("retrieved_on", "Say when the file was downloaded."))
    elif info.retrieved_on > timezone.localdate():
        errs.append(FieldError("retrieved_on", "This date is in the future."))
    if len(info.url) > 200:
        errs.append(FieldError("url", "At most 200 characters."))
    return errs


RiskPreview = Preview[riskdata.RiskRow] | Preview[riskdata.ExclusionRow]


def risk_import(
    *,
    actor: User | None,
    organisation: Organisation,
    data: bytes,
    name: str,
    info: EditionInfo,
    fmt: str = "us_dol",
    commit: bool = True,
) -> RiskPreview:
    """A new edition of a risk list of the format ``fmt``: every row or none. The previous
    edition of that format stays (old screenings keep pointing at it) but no longer screens
    new orders; the current editions of the other formats are not touched."""
    if fmt == riskdata.EXCLUSIONS:
        return exclusions_import(
            actor=actor, organisation=organisation, data=data, name=name, info=info, commit=commit
        )
    _check(actor, organisation, data, name, info, fmt)
    preview = riskdata.FORMATS[fmt].preview(data, name)
    if not commit or not preview.ok:
        return preview
    with transaction.atomic():
        edition = _new_edition(
            fmt, ImportBatch.Kind.RISK, actor, organisation, data, name, info, len(preview.rows)
        )
        RiskEntry.objects.bulk_create(
            [
                RiskEntry(
                    edition=edition,
                    row=r.row,
                    country_code=r.country_code,
                    country=r.country,
                    region=r.region,
                    sector=r.sector,
                    good=r.good,
                    listings={k: [v.added, v.removed] for k, v in r.listings},
                )
                for r in preview.rows
            ]
        )
        _audit_edition(actor, organisation, edition, len(preview.rows))
    return preview


def exclusions_import(
    *,
    actor: User | None,
    organisation: Organisation,
    data: bytes,
    name: str,
    info: EditionInfo,
    commit: bool = True,
) -> Preview[riskdata.ExclusionRow]:
    """A new edition of the national exclusion list (``company_id, name, country_code,
    reason, listed_on``, optional ``until``): every row or none; the previous edition stays
    for the screenings that used it."""
    _check(actor, organisation, data, name, info, riskdata.EXCLUSIONS)
    preview = riskdata.preview_exclusions(data, name)
    if commit and preview.ok:
        _keep_exclusions(actor, organisation, data, name, info, preview)
    return preview


def _check(
    actor: User | None,
    organisation: Organisation,
    data: bytes,
    name: str,
    info: EditionInfo,
    fmt: str,
) -> None:
    _require(actor, organisation, Perm.SUPPLY_RISK_LISTS)
    if fmt != riskdata.EXCLUSIONS and fmt not in riskdata.FORMATS:
        raise InvalidInput(FieldError("format", "Unknown kind of risk list."))
    errs = _edition_errors(info)
    if errs:
        raise InvalidInput(errs)
    check_bytes(data, import_limits("default"), name=name)


def _keep_exclusions(
    actor: User | None,
    organisation: Organisation,
    data: bytes,
    name: str,
    info: EditionInfo,
    preview: Preview[riskdata.ExclusionRow],
) -> None:
    with transaction.atomic():
        edition = _new_edition(
            riskdata.EXCLUSIONS,
            ImportBatch.Kind.EXCLUSIONS,
            actor,
            organisation,
            data,
            name,
            info,
            len(preview.rows),
        )
        ExclusionEntry.objects.bulk_create(
            [
                ExclusionEntry(
                    edition=edition,
                    batch=edition.batch,
                    row=r.row,
                    company_id=r.company_id,
                    name=r.name,
                    country_code=r.country_code,
                    reason=r.reason,
                    listed_on=r.listed_on,
                    until=r.until,
                )
                for r in preview.rows
            ]
        )
        _audit_edition(actor, organisation, edition, len(preview.rows))


def _retire_current(fmt: str) -> None:
    RiskEdition.objects.filter(format=fmt, is_current=True).update(is_current=False)


def _new_edition(
    fmt: str,
    kind: str,
    actor: User | None,
    organisation: Organisation,
    data: bytes,
    name: str,
    info: EditionInfo,
    rows: int,
) -> RiskEdition:
    """The import batch and the edition, which becomes its format's current one."""
    assert info.retrieved_on is not None  # checked by _edition_errors
    batch = _batch(kind, actor, organisation, data, name, rows)
    _retire_current(fmt)
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal is ours to word
            return RiskEdition.objects.create(
                format=fmt,
                source=info.source.strip(),
                edition=info.edition.strip(),
                licence=info.licence.strip(),
                retrieved_on=info.retrieved_on,
                url=info.url.strip(),
                batch=batch,
            )
    except IntegrityError:
        # Another import of this kind of list committed its edition meanwhile
        # (supply_one_current_edition_per_format); this one changes nothing.
        raise Busy() from None


def _audit_edition(
    actor: User | None, organisation: Organisation, edition: RiskEdition, rows: int
) -> None:
    _audit(
        "create",
        actor,
        organisation,
        "supply.risk_edition",
        edition.pk,
        format=edition.format,
        rows=rows,
        sha256=edition.batch.sha256,
    )
