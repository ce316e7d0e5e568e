"""Writes of the supply-chain context: imports (all rows or none), screening, the
due-diligence workflow, corrective actions and labour inspections.

Each function checks the permission (an ``actor`` of None is the operator at the command
line, who has database access already), validates whole, changes nothing on an error and
leaves an audit record. Another context is reached only through its services (a worker's
screening: ``palermo.screening.services``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from palermo.core import audit, errors
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.core.roles import OrganisationType
from palermo.core.upload_limits import check_bytes, import_limits
from palermo.supply import (
    diligence,
    export,
    hscodes,
    ocds,
    orderframe,
    orders,
    remediation,
    selectors,
    sites,
    tables,
    vocabulary,
)
from palermo.supply.models import (
    BatchEdition,
    Contract,
    CorrectiveAction,
    Crosswalk,
    FeeRepayment,
    FieldProvenance,
    ImportBatch,
    Inspection,
    InspectionReferral,
    MeasureRecord,
    OrderLine,
    Site,
    SiteSource,
    Supplier,
)
from palermo.supply.risk import RiskIndex
from palermo.supply.services import orderwrite
from palermo.supply.tables import Preview, RowError

CLI_ACTOR = "command line"
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
NotAllowed = errors.NotAllowed

# The screening catalogue's indicator for each ILO indicator found at an inspection: the
# worker's screening starts with these ticked, for the inspector to confirm with the worker.
ILO_TO_SCREENING: dict[str, str] = {
    "abuse_of_vulnerability": "vulnerable_at_destination_dependency_on_exploiters",
    "deception": "deceived_about_conditions",
    "restriction_of_movement": "coerced_isolated_confined_or_watched",
    "isolation": "coerced_isolated_confined_or_watched",
    "violence": "coerced_violence_on_victim",
    "intimidation": "coerced_threats_of_violence",
    "retention_of_documents": "coerced_documents_confiscated",
    "withholding_of_wages": "coerced_wages_withheld",
    "debt_bondage": "coerced_debt_bondage",
    "abusive_conditions": "very_bad_working_conditions",
    "excessive_overtime": "excessive_working_hours",
}


def _require(actor: User | None, organisation: Organisation | None, perm: str) -> None:
    if actor is None:
        return
    if not has_perm(actor, perm, organisation):
        raise NotAllowed("You do not have permission to do this.", perm=perm)


def _audit(
    action: str,
    actor: User | None,
    organisation: Organisation | None,
    object_type: str,
    ref: Any,
    **details: Any,
) -> None:
    audit.record(
        action=action,
        actor=actor,
        organisation=organisation,
        object_type=object_type,
        object_ref=str(ref),
        details=details,
        actor_username=None if actor is not None else CLI_ACTOR,
    )


def _batch(
    kind: str, actor: User | None, organisation: Organisation, data: bytes, name: str, rows: int
) -> ImportBatch:
    return ImportBatch.objects.create(
        kind=kind,
        organisation=organisation,
        name=name[-200:],
        sha256=hashlib.sha256(data).hexdigest(),
        rows=rows,
        created_by=actor,
        created_at=timezone.now(),
    )


def _text(value: str, name: str, limit: int, errs: list[FieldError], *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errs.append(FieldError(name, "Required."))
    if len(value) > limit:
        errs.append(FieldError(name, "At most {limit} characters.", limit=limit))
    return value


# --- suppliers ------------------------------------------------------------------------------


def supplier_save(
    *,
    actor: User | None,
    organisation: Organisation,
    data: dict[str, Any],
    supplier: Supplier | None = None,
) -> Supplier:
    """Create a supplier (or update ``supplier``): name, company id, country required;
    ``evidence`` (optional) says what the values come from and is kept in the provenance of
    every field this save changes."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    errs: list[FieldError] = []
    name = _text(data.get("name", ""), "name", 200, errs, required=True)
    company_id = _text(data.get("company_id", ""), "company_id", 40, errs, required=True)
    lei = _text(data.get("lei", ""), "lei", 20, errs, required=False).upper()
    if lei and (len(lei) != 20 or not lei.isalnum()):
        errs.append(FieldError("lei", "An LEI has 20 letters and digits."))
    parent = _text(data.get("parent", ""), "parent", 200, errs, required=False)
    evidence = _text(data.get("evidence", ""), "evidence", 300, errs, required=False)
    country = str(data.get("country", "")).strip().upper()
    if country not in tables.countries():
        errs.append(FieldError("country", "Use a two-letter ISO 3166-1 country code."))
    clash = Supplier.objects.filter(organisation=organisation, company_id=company_id)
    if supplier is not None:
        clash = clash.exclude(pk=supplier.pk)
    if company_id and clash.exists():
        errs.append(FieldError("company_id", "A supplier with this company id is registered."))
    if errs:
        raise InvalidInput(errs)
    created = supplier is None
    before = {} if supplier is None else _supplier_values(supplier)
    target = supplier or Supplier(organisation=organisation, created_at=timezone.now())
    target.name, target.company_id, target.lei, target.parent, target.country = (
        name,
        company_id,
        lei,
        parent,
        country,
    )
    for flag in ("has_policy", "audit_access", "sites_disclosed", "is_recruiter"):
        setattr(target, flag, bool(data.get(flag, False)))
    now = timezone.now()
    changed = {k: v for k, v in _supplier_values(target).items() if before.get(k) != v}
    with transaction.atomic():
        target.save()
        FieldProvenance.objects.bulk_create(
            FieldProvenance(
                organisation=organisation,
                supplier=target,
                field=k,
                value=v[:300],
                source=FieldProvenance.Source.MANUAL,
                evidence=evidence,
                recorded_by=actor,
                recorded_at=now,
            )
            for k, v in changed.items()
        )
        _audit(
            "create" if created else "update",
            actor,
            organisation,
            "supply.supplier",
            target.pk,
            fields=sorted(changed),
        )
    return target


def _supplier_values(s: Supplier) -> dict[str, str]:
    """The supplier's fields whose provenance is kept, as text (booleans "true"/"false")."""
    return {
        k: (("true" if v else "false") if isinstance(v, bool) else str(v))
        for k in vocabulary.SUPPLIER_FIELDS
        for v in (getattr(s, k),)
    }


def _site_values(site: Site, company_id: str | None = None) -> dict[str, str]:
    from palermo.supply.selectors import site_values

    return site_values(site, company_id)


# Fields of a known site that a row matched by its OS ID may fill when the site has no value.
_FILLABLE = ("sector", "product_type", "processing_type", "facility_type", "parent_company")


def _fill_from_row(site: Site, row: sites.SiteRow, supplier_id: int | None) -> list[str]:
    """Fill the blank fields of ``site`` from a row that carries its OS ID; the fields set."""
    filled: list[str] = []
    for name in _FILLABLE:
        if not getattr(site, name) and getattr(row, name):
            setattr(site, name, getattr(row, name))
            filled.append(name)
    if site.lat is None and site.lng is None and row.lat is not None and row.lng is not None:
        site.lat, site.lng = row.lat, row.lng
        filled += ["lat", "lng"]
    if site.workers_min is None and site.workers_max is None and row.workers_min is not None:
        site.workers_min, site.workers_max = row.workers_min, row.workers_max
        filled.append("workers")
    if site.supplier_id is None and supplier_id is not None:
        site.supplier_id = supplier_id
        filled.append("supplier")
    return filled


# --- sites ----------------------------------------------------------------------------------


@dataclass
class SiteImport:
    preview: Preview[sites.SiteRow]
    matches: list[sites.Match] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for m in self.matches if m.status == status)


def _known_sites(organisation: Organisation) -> list[sites.KnownSite]:
    return [
        sites.KnownSite.of(pk, os_id, country, name, address)
        for pk, os_id, country, name, address in Site.objects.filter(
            organisation=organisation
        ).values_list("pk", "os_id", "country", "name", "address")
    ]


def sites_import(
    *, actor: User | None, organisation: Organisation, data: bytes, name: str, commit: bool = True
) -> SiteImport:
    """Check every row and match it to known sites; with ``commit`` and no error, import every
    row (a match adds a source to the known site, a potential match is queued for review,
    a new site is created), else none."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    check_bytes(data, import_limits("default"), name=name)
    suppliers = dict(
        Supplier.objects.filter(organisation=organisation).values_list("company_id", "pk")
    )
    preview = sites.preview(data, name, known_suppliers=suppliers)
    # Blocked by country and name keys: a row is scored against the known sites that share
    # a key with its name, not against every site of its country (issue 18).
    known = sites.SiteIndex(_known_sites(organisation))
    result = SiteImport(preview)
    # Rows are matched against the known sites and the file's earlier rows (ids -1, -2, …):
    # a file that reports one plant twice queues the second for review too.
    for i, r in enumerate(preview.rows):
        m = known.match(r.os_id, r.country_code, r.name, r.address)
        result.matches.append(m)
        if m.status != sites.MATCHED:
            known.add(sites.KnownSite.of(-(i + 1), r.os_id, r.country_code, r.name, r.address))
    if not commit or not preview.ok:
        if commit:
            _audit(
                "create",
                actor,
                organisation,
                "supply.site_import",
                "rejected",
                rows=preview.total_rows,
                errors=len(preview.errors),
            )
        return result
    now = timezone.now()
    with transaction.atomic():
        batch = _batch(ImportBatch.Kind.SITES, actor, organisation, data, name, len(preview.rows))
        created: dict[int, int] = {}  # -(row index + 1) → the new site's pk

        def real(site_id: int) -> int:
            return created.get(site_id, site_id)

        for i, (row, m) in enumerate(zip(preview.rows, result.matches, strict=True)):
            values = sites.row_values(row)
            said: list[str] = []  # fields this row set
            source = FieldProvenance.Source.IMPORT
            if m.status == sites.MATCHED and m.site_id is not None:
                site = Site.objects.select_related("supplier").get(pk=real(m.site_id))
                if row.os_id and site.os_id == row.os_id:
                    # Matched by its OS ID: the row may fill what the site does not say yet.
                    said = _fill_from_row(site, row, suppliers.get(row.supplier_company_id))
                    source = FieldProvenance.Source.OS_ID
                elif row.os_id and not site.os_id:
                    site.os_id = row.os_id
                    said = ["os_id"]
                if said:
                    site.save()
            else:
                site = Site.objects.create(
                    organisation=organisation,
                    os_id=row.os_id,
                    name=row.name,
                    address=row.address,
                    country=row.country_code,
                    lat=row.lat,
                    lng=row.lng,
                    workers_min=row.workers_min,
                    workers_max=row.workers_max,
                    sector=row.sector,
                    product_type=row.product_type,
                    processing_type=row.processing_type,
                    facility_type=row.facility_type,
                    parent_company=row.parent_company,
                    is_closed=row.is_closed,
                    supplier_id=suppliers.get(row.supplier_company_id),
                    match_status=(
                        Site.MatchStatus.POTENTIAL
                        if m.status == sites.POTENTIAL
                        else Site.MatchStatus.NEW
                    ),
                    possible_duplicate_of_id=(
                        real(m.site_id)
                        if m.status == sites.POTENTIAL and m.site_id is not None
                        else None
                    ),
                    created_at=now,
                )
                created[-(i + 1)] = site.pk
                said = [k for k, v in _site_values(site, row.supplier_company_id).items() if v]
            if said:
                shown = _site_values(
                    site, row.supplier_company_id if m.status != sites.MATCHED else None
                )
                FieldProvenance.objects.bulk_create(
                    FieldProvenance(
                        organisation=organisation,
                        site=site,
                        field=k,
                        value=shown[k][:300],
                        source=source,
                        batch=batch,
                        row=row.row,
                        contributor=row.contributor,
                        recorded_by=actor,
                        recorded_at=now,
                    )
                    for k in said
                )
            SiteSource.objects.create(
                site=site,
                batch=batch,
                row=row.row,
                contributor=row.contributor,
                contribution_date=row.contribution_date,
                values=values,
                match=m.status,
            )
        _audit(
            "create",
            actor,
            organisation,
            "supply.site_import",
            batch.pk,
            rows=len(preview.rows),
            matched=result.count(sites.MATCHED),
            potential=result.count(sites.POTENTIAL),
            new=result.count(sites.NEW),
            sha256=batch.sha256,
        )
    return result


def site_review(*, actor: User | None, organisation: Organisation, site: Site, same: bool) -> Site:
    """Settle a potential duplicate: the same site (its sources move to the known site and
    this record goes) or a different one (kept, marked reviewed)."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    if site.organisation_id != organisation.pk or site.match_status != Site.MatchStatus.POTENTIAL:
        raise InvalidInput(FieldError("", "This site is not waiting for a review."))
    with transaction.atomic():
        target = site.possible_duplicate_of
        if same and target is not None:
            SiteSource.objects.filter(site=site).update(site=target)
            Inspection.objects.filter(site=site).update(site=target)
            CorrectiveAction.objects.filter(site=site).update(site=target)
            for c in site.contracts.all():
                c.sites.add(target)
            _audit("delete", actor, organisation, "supply.site", site.pk, merged_into=target.pk)
            site.delete()
            return target
        site.match_status = Site.MatchStatus.CONFIRMED
        site.possible_duplicate_of = None
        site.save(update_fields=["match_status", "possible_duplicate_of"])
        _audit("update", actor, organisation, "supply.site", site.pk, reviewed="different")
    return site


# --- risk data (importing editions: services/risklists.py) ----------------------------------


def crosswalk_set(
    *, actor: User | None, organisation: Organisation, code: str, good: str
) -> Crosswalk:
    """Map a product-code prefix (``hs:6109``, ``cpv:18``, ``unspsc:53``) to a good of the list."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    row_errors: list[RowError] = []
    normalised = orders.product_code(code, 0, row_errors)
    errs = [FieldError("code", e.message) for e in row_errors]
    if not normalised and not errs:
        errs.append(FieldError("code", "Required."))
    good = _text(good, "good", 200, errs, required=True)
    if errs:
        raise InvalidInput(errs)
    with transaction.atomic():
        item, _created = Crosswalk.objects.update_or_create(
            organisation=organisation, code=normalised, defaults={"good": good}
        )
        _audit("update", actor, organisation, "supply.crosswalk", item.pk, code=normalised)
    return item


# --- screening purchase orders --------------------------------------------------------------


@dataclass
class OrderImport:
    preview: Preview[orders.OrderLine]
    results: list[tuple[orders.OrderLine, Any]] = field(default_factory=list)
    ocds_lines: ocds.Lines | None = None  # an OCDS file's lines: currency, where each came from


def screen_lines(
    lines: Sequence[orders.OrderLine],
    *,
    index: RiskIndex,
    crosswalk: dict[str, str],
    evidence: dict[str, frozenset[str]],
    excluded: dict[str, str],
) -> list[tuple[orders.OrderLine, Any]]:
    """Screen lines with the editions' index (``selectors.risk_lists``): (line, result) in
    the file's order; ``excluded`` maps a company id to the exclusion-list entry naming it."""
    return list(
        orders.screen_lines(
            lines, index=index, crosswalk=crosswalk, evidence=evidence, excluded=excluded
        )
    )


@dataclass
class _Screening:
    """A file checked and screened as columns (``supply/orderframe.py``), and what the
    import needs to keep it."""

    checked: orderframe.FramePreview
    screened: orderframe.Screened
    from_ocds: ocds.Lines | None
    suppliers: dict[str, Supplier]
    contracts: dict[str, int]
    crosswalk: dict[str, str]
    lists: selectors.RiskLists


def _screen_orders(organisation: Organisation, data: bytes, name: str) -> _Screening:
    """Read, check and screen an order file: CSV and XLSX as columns, OCDS through its
    reader; a contract reference not registered is an error of its row."""
    check_bytes(data, import_limits("default"), name=name)
    from_ocds: ocds.Lines | None = None
    if ocds.is_ocds(name):
        ocds_preview, from_ocds = ocds.preview(data, name)
        checked = orderframe.from_lines(ocds_preview.rows, ocds_preview)
    else:
        checked = orderframe.preview(data, name)
    contracts = dict(
        Contract.objects.filter(organisation=organisation).values_list("reference", "pk")
    )
    unknown = checked.frame.filter(
        (pl.col("contract_ref") != "") & ~pl.col("contract_ref").is_in(list(contracts))
    )["row"]
    for row in unknown.to_list():
        checked.errors.append(
            RowError(row, "contract_ref", tables._("No contract with this reference."))
        )
    if checked.errors:
        checked.drop_rows({e.row for e in checked.errors})
        checked.errors.sort(key=lambda e: (e.row, e.field))
    suppliers = {s.company_id: s for s in Supplier.objects.filter(organisation=organisation)}
    lists = selectors.risk_lists()  # the current edition of every kind of list
    from palermo.supply.services.crosswalks import effective_crosswalk

    crosswalk = effective_crosswalk(organisation)  # with CPV/UNSPSC codes mapped through HS
    screened = orderframe.screen_frame(
        checked,
        index=lists.index,
        crosswalk=crosswalk,
        evidence={cid: s.evidence() for cid, s in suppliers.items()},
        excluded=lists.excluded,
    )
    return _Screening(checked, screened, from_ocds, suppliers, contracts, crosswalk, lists)


@dataclass
class OrderResults:
    """``orders_results_file``: the file's errors (then nothing was written), or how many
    lines are at each level."""

    errors: list[RowError]
    levels: dict[str, int] = field(default_factory=dict)


def orders_results_file(
    *, actor: User | None, organisation: Organisation, data: bytes, name: str, out: IO[bytes]
) -> OrderResults:
    """Screen an order file without keeping it and write the results into ``out`` as CSV
    (``orderframe.RESULT_COLUMNS``, most severe first): what ``palermo supply screen FILE
    --out RESULTS.csv`` writes. The same checks, errors and results as ``orders_import``;
    the lines are never built as Python objects (issue 18: a million lines)."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    done = _screen_orders(organisation, data, name)
    if done.checked.errors:
        return OrderResults(done.checked.errors)
    counts = dict(done.screened.frame["level"].value_counts().iter_rows())
    orderframe.write_results(done.screened, done.lists.index.label, out)
    return OrderResults([], {level: int(counts.get(level, 0)) for level in vocabulary.LEVELS})


def orders_import(
    *, actor: User | None, organisation: Organisation, data: bytes, name: str, commit: bool = True
) -> OrderImport:
    """Check every line, screen it against the current edition of every kind of risk list;
    with ``commit`` and no error keep every screened line (the import records the editions
    used), else none. A ``.json``, ``.jsonl`` or ``.ndjson`` file is read as an OCDS export
    (``supply/ocds.py``)."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    done = _screen_orders(organisation, data, name)
    preview = done.checked.preview()
    result = OrderImport(preview, done.screened.pairs(), done.from_ocds)
    from_ocds, suppliers, contracts = done.from_ocds, done.suppliers, done.contracts
    crosswalk, editions = done.crosswalk, done.lists.editions
    if not commit or not preview.ok:
        return result
    now = timezone.now()
    levels = dict.fromkeys(vocabulary.LEVELS, 0)
    with transaction.atomic():
        batch = _batch(ImportBatch.Kind.ORDERS, actor, organisation, data, name, len(preview.rows))
        BatchEdition.objects.bulk_create([BatchEdition(batch=batch, edition=e) for e in editions])
        maker = orderwrite.RowMaker(
            organisation_id=organisation.pk,
            batch=batch,
            suppliers=suppliers,
            contracts=contracts,
            crosswalk=crosswalk,
            now=now,
        )
        if connection.vendor == "postgresql":  # COPY text made from the columns
            rows = orderwrite.FrameRows(maker, done.screened)
            chunks = orderwrite.write_frame(rows, ORDER_WRITE_CHUNK)
            levels = rows.levels()
        else:
            chunks = orderwrite.write(
                maker.rows(chunk, levels)
                for chunk in orderwrite.chunked(result.results, ORDER_WRITE_CHUNK)
            )
        # One entry for the whole file (not one per line): which file, how many lines at
        # each level, on which editions of the risk lists, written in how many chunks.
        _audit(
            "create",
            actor,
            organisation,
            "supply.order_import",
            batch.pk,
            rows=len(preview.rows),
            levels=levels,
            editions=[e.pk for e in editions],
            sha256=batch.sha256,
            chunks=chunks,
            **({"format": "ocds", "currency": from_ocds.currency} if from_ocds else {}),
        )
    return result


# Lines whose rows are built and written at a time (``services.orderwrite``: one
# ``executemany`` on SQLite, part of the one ``COPY`` on PostgreSQL): memory stays flat.
ORDER_WRITE_CHUNK = 10_000


# --- the screening results and the supplier risk register as XLSX ------------------------------


def reason_text(reason: dict[str, Any]) -> str:
    """A kept reason in the reader's language: the template translated, then filled in."""
    params = {k: gettext(v) if k in ("what", "kinds") else v for k, v in reason["params"].items()}
    if "kinds" in params:
        params["kinds"] = ", ".join(
            gettext(k.strip()) for k in reason["params"]["kinds"].split(",")
        )
    return gettext(reason["template"]) % params if params else gettext(reason["template"])


def screening_export(
    *, actor: User | None, organisation: Organisation, level: str = "", request: Any = None
) -> bytes:
    """The screened order lines (all, or one level's) and the supplier risk register as an
    XLSX workbook, every text cell typed as text (never a formula). Needs ``supply.view``;
    the export is audited with its row counts (no line is named in the trail)."""
    _require(actor, organisation, Perm.SUPPLY_VIEW)
    level = level if level in vocabulary.LEVELS else ""
    lines = list(
        OrderLine.objects.filter(organisation=organisation, **({"level": level} if level else {}))
        .select_related("supplier", "contract")
        .order_by("-score", "-exposure", "ref", "id")
    )
    used = {
        batch: selectors.editions_text(editions)
        for batch, editions in selectors.batch_editions({x.batch_id for x in lines}).items()
    }
    label = {k: gettext(v) for k, v in vocabulary.LEVEL_LABELS.items()}
    line_rows = [
        (
            line.ref,
            line.supplier_name,
            line.supplier.company_id if line.supplier else "",
            line.contract.reference if line.contract else "",
            line.origin_country,
            tables.country_name(line.origin_country),
            line.good,
            line.product_code,
            line.value,
            line.share,
            line.exposure,
            label.get(line.level, line.level),
            line.score,
            "\n".join(
                f"{r['points']:+d} {reason_text(r)}" + (f" [{r['source']}]" if r["source"] else "")
                for r in line.result.get("reasons", [])
            ),
            used.get(line.batch_id, ""),
            line.result.get("rule", ""),
            timezone.localtime(line.screened_at).strftime("%Y-%m-%d %H:%M"),
            _heading(line.product_code),
        )
        for line in lines
    ]
    register = _risk_register(organisation, label)
    yes, no = gettext("yes"), gettext("no")
    data = export.workbook(
        [
            export.Sheet(
                gettext("Screened order lines"),
                [
                    gettext("Order and line"),
                    gettext("Supplier"),
                    gettext("National company id"),
                    gettext("Contract"),
                    gettext("Origin (ISO code)"),
                    gettext("Origin"),
                    gettext("Good"),
                    gettext("Product code"),
                    gettext("Value"),
                    gettext("Share of the product"),
                    gettext("Exposure"),
                    gettext("Risk level"),
                    gettext("Score"),
                    gettext("Reasons (points, reason [source])"),
                    gettext("Risk-list editions"),
                    gettext("Rule"),
                    gettext("Screened at"),
                    gettext("HS chapter or heading"),
                ],
                line_rows,
            ),
            export.Sheet(
                gettext("Supplier risk register"),
                [
                    gettext("Supplier"),
                    gettext("National company id"),
                    gettext("Country"),
                    gettext("Highest risk level"),
                    gettext("High-risk lines"),
                    gettext("Medium-risk lines"),
                    gettext("Low-risk lines"),
                    gettext("Spend"),
                    gettext("Spend on high-risk lines"),
                    gettext("Anti-trafficking policy in place"),
                    gettext("Audit reports made available"),
                    gettext("Sites in the supply chain disclosed"),
                    gettext("Labour recruiter or agency"),
                    gettext("On the exclusion list"),
                    gettext("Open corrective actions"),
                ],
                [(*r[:9], *(yes if flag else no for flag in r[9:14]), r[14]) for r in register],
            ),
        ]
    )
    audit.record(
        action="export",
        actor=actor,
        organisation=organisation,
        object_type="supply.screening_export",
        details={"lines": len(line_rows), "suppliers": len(register), "level": level or "all"},
        request=request,
        actor_username=None if actor is not None else CLI_ACTOR,
    )
    return data


def _heading(code: str) -> str:
    heading = hscodes.label(code)
    return gettext(heading) if heading else ""


def _risk_register(organisation: Organisation, label: dict[str, str]) -> list[tuple[Any, ...]]:
    """One row per supplier: name, company id, country, highest level, lines at high,
    medium and low, spend, high-risk spend, the five yes/no flags, open corrective actions."""
    from django.db.models import Count, Q, Sum

    excluded = selectors.exclusions_in_force()
    out: list[tuple[Any, ...]] = []
    suppliers = Supplier.objects.filter(organisation=organisation).annotate(
        n_high=Count("orders", filter=Q(orders__level="high"), distinct=True),
        n_medium=Count("orders", filter=Q(orders__level="medium"), distinct=True),
        n_low=Count("orders", filter=Q(orders__level="low"), distinct=True),
        n_open=Count("actions", filter=Q(actions__closed_on__isnull=True), distinct=True),
    )
    spend = {
        r["supplier"]: r
        for r in OrderLine.objects.filter(organisation=organisation, supplier__isnull=False)
        .values("supplier")
        .annotate(total=Sum("value"), high=Sum("value", filter=Q(level="high")))
    }
    for s in suppliers:
        counts = (s.n_high, s.n_medium, s.n_low)
        highest = next(
            (lvl for lvl, n in zip(("high", "medium", "low"), counts, strict=True) if n), ""
        )
        money = spend.get(s.pk, {})
        out.append(
            (
                s.name,
                s.company_id,
                s.country,
                label.get(highest, ""),
                *counts,
                money.get("total") or Decimal(0),
                money.get("high") or Decimal(0),
                s.has_policy,
                s.audit_access,
                s.sites_disclosed,
                s.is_recruiter,
                s.company_id in excluded,
                s.n_open,
            )
        )
    # Most severe first: the most high-risk lines, then medium, then the high-risk spend.
    out.sort(key=lambda r: (-r[4], -r[5], -r[8], r[0]))
    return out


# --- contracts and measures (a)–(g) -----------------------------------------------------------


def contract_create(
    *,
    actor: User | None,
    organisation: Organisation,
    reference: str,
    title: str,
    risk_level: str,
    supplier: Supplier | None = None,
) -> Contract:
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    errs: list[FieldError] = []
    reference = _text(reference, "reference", 60, errs, required=True)
    title = _text(title, "title", 200, errs, required=True)
    if risk_level not in vocabulary.LEVELS:
        errs.append(FieldError("risk_level", "Choose low, medium or high."))
    if supplier is not None and supplier.organisation_id != organisation.pk:
        errs.append(FieldError("supplier", "Not a supplier of your organisation."))
    if (
        reference
        and Contract.objects.filter(organisation=organisation, reference=reference).exists()
    ):
        errs.append(FieldError("reference", "A contract with this reference exists."))
    if errs:
        raise InvalidInput(errs)
    with transaction.atomic():
        contract = Contract.objects.create(
            organisation=organisation,
            reference=reference,
            title=title,
            supplier=supplier,
            risk_level=risk_level,
            created_at=timezone.now(),
        )
        _audit("create", actor, organisation, "supply.contract", contract.pk, level=risk_level)
    return contract


def measure_record(
    *,
    actor: User | None,
    organisation: Organisation,
    contract: Contract,
    code: str,
    outcome: str,
    note: str,
    evidence_name: str = "",
    evidence: bytes | None = None,
) -> MeasureRecord:
    """Record measure ``code`` of a contract (replacing an earlier record): a note always, a
    file where the measure needs one; the file is kept with its SHA-256."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    if contract.organisation_id != organisation.pk:
        raise NotAllowed("This contract belongs to another organisation.")
    problems = diligence.check_step(code, outcome, note, bool(evidence))
    errs = [FieldError(f, m) for f, m in problems]
    if code in vocabulary.MEASURES and code not in diligence.required_measures(contract.risk_level):
        errs.append(FieldError("measure", "This measure is not on this contract's track."))
    if evidence is not None and len(evidence) > MAX_EVIDENCE_BYTES:
        errs.append(FieldError("evidence", "A file of at most 10 MB."))
    if errs:
        raise InvalidInput(errs)
    digest = hashlib.sha256(evidence).hexdigest() if evidence else ""
    with transaction.atomic():
        record, created = MeasureRecord.objects.update_or_create(
            contract=contract,
            code=code,
            defaults={
                "outcome": outcome,
                "note": note.strip(),
                "evidence_name": evidence_name[-200:] if evidence else "",
                "evidence_sha256": digest,
                "evidence": evidence or None,
                "recorded_by": actor,
                "recorded_at": timezone.now(),
            },
        )
        _audit(
            "create" if created else "update",
            actor,
            organisation,
            "supply.measure",
            f"{contract.pk}:{code}",
            outcome=outcome,
            sha256=digest,
        )
    return record


# --- remediation ------------------------------------------------------------------------------


def corrective_action_create(
    *,
    actor: User | None,
    organisation: Organisation,
    supplier: Supplier,
    site: Site | None,
    indicator: str,
    finding: str,
    workers_affected: int,
    description: str,
    owner: str,
    due_on: date | None,
) -> CorrectiveAction:
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    errs: list[FieldError] = []
    if supplier.organisation_id != organisation.pk:
        errs.append(FieldError("supplier", "Not a supplier of your organisation."))
    if site is not None and site.organisation_id != organisation.pk:
        errs.append(FieldError("site", "Not a site of your organisation."))
    if indicator not in vocabulary.ILO_INDICATORS:
        errs.append(FieldError("indicator", "Choose one of the 11 ILO indicators."))
    if finding not in CorrectiveAction.Finding.values:
        errs.append(FieldError("finding", "Choose non-compliance or observation."))
    if workers_affected < 0:
        errs.append(FieldError("workers_affected", "Cannot be negative."))
    description = _text(description, "description", 4000, errs, required=True)
    owner = _text(owner, "owner", 200, errs, required=True)
    if due_on is None:
        errs.append(FieldError("due_on", "A deadline is required."))
    if errs or due_on is None:
        raise InvalidInput(errs)
    with transaction.atomic():
        action = CorrectiveAction.objects.create(
            supplier=supplier,
            site=site,
            indicator=indicator,
            finding=finding,
            workers_affected=workers_affected,
            description=description,
            owner=owner,
            due_on=due_on,
            created_by=actor,
            created_at=timezone.now(),
        )
        _audit("create", actor, organisation, "supply.corrective_action", action.pk)
    return action


def corrective_action_close(
    *,
    actor: User | None,
    organisation: Organisation,
    action: CorrectiveAction,
    on: date | None = None,
) -> CorrectiveAction:
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    if action.supplier.organisation_id != organisation.pk:
        raise NotAllowed("This action belongs to another organisation.")
    if action.closed_on is not None:
        raise InvalidInput(FieldError("", "This action is already closed."))
    action.closed_on = on or timezone.localdate()
    action.save(update_fields=["closed_on"])
    _audit("update", actor, organisation, "supply.corrective_action", action.pk, closed=True)
    return action


def findings_import(
    *, actor: User | None, organisation: Organisation, data: bytes, name: str, commit: bool = True
) -> Preview[remediation.FindingRow]:
    """Social-audit findings from a file, each a corrective action: every row or none."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    check_bytes(data, import_limits("default"), name=name)
    suppliers = {s.company_id: s for s in Supplier.objects.filter(organisation=organisation)}
    site_by_id = {
        s.os_id: s for s in Site.objects.filter(organisation=organisation).exclude(os_id="")
    }
    preview = remediation.preview_findings(data, name, suppliers=suppliers, sites=site_by_id)
    if not commit or not preview.ok:
        return preview
    now = timezone.now()
    with transaction.atomic():
        batch = _batch(
            ImportBatch.Kind.FINDINGS, actor, organisation, data, name, len(preview.rows)
        )
        CorrectiveAction.objects.bulk_create(
            [
                CorrectiveAction(
                    supplier=suppliers[r.supplier_company_id],
                    site=site_by_id.get(r.os_id),
                    indicator=r.indicator,
                    finding=r.finding,
                    workers_affected=r.workers_affected,
                    description=r.description,
                    owner=r.owner,
                    due_on=r.due_on,
                    created_by=actor,
                    created_at=now,
                )
                for r in preview.rows
            ]
        )
        _audit(
            "create",
            actor,
            organisation,
            "supply.findings_import",
            batch.pk,
            rows=len(preview.rows),
            sha256=batch.sha256,
        )
    return preview


def fee_record(
    *,
    actor: User | None,
    organisation: Organisation,
    supplier: Supplier,
    site: Site | None,
    workers_affected: int,
    amount_owed: Decimal | None,
    amount_repaid: Decimal | None,
    currency: str,
    note: str = "",
) -> FeeRepayment:
    """One line of the recruitment-fee ledger (employer pays): no worker named."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    errs = [
        FieldError(f, m)
        for f, m in remediation.check_fee(workers_affected, amount_owed, amount_repaid)
    ]
    if supplier.organisation_id != organisation.pk:
        errs.append(FieldError("supplier", "Not a supplier of your organisation."))
    if site is not None and site.organisation_id != organisation.pk:
        errs.append(FieldError("site", "Not a site of your organisation."))
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        errs.append(FieldError("currency", "A three-letter ISO 4217 code, such as EUR."))
    note = _text(note, "note", 500, errs, required=False)
    if errs or amount_owed is None or amount_repaid is None:
        raise InvalidInput(errs)
    with transaction.atomic():
        entry = FeeRepayment.objects.create(
            supplier=supplier,
            site=site,
            workers_affected=workers_affected,
            amount_owed=amount_owed,
            amount_repaid=amount_repaid,
            currency=code,
            note=note,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        _audit("create", actor, organisation, "supply.fee_repayment", entry.pk)
    return entry


def overdue_actions(today: date | None = None) -> list[CorrectiveAction]:
    day = today or timezone.localdate()
    return list(
        CorrectiveAction.objects.filter(closed_on__isnull=True, due_on__lt=day).select_related(
            "supplier", "site"
        )
    )


# --- labour inspections and the route to the NRM ----------------------------------------------


def _require_inspectorate(actor: User | None, organisation: Organisation) -> None:
    _require(actor, organisation, Perm.SUPPLY_INSPECT)
    if organisation.org_type != OrganisationType.LABOUR_INSPECTORATE:
        raise NotAllowed(
            "Only a labour inspectorate records inspections.", perm=Perm.SUPPLY_INSPECT
        )


def inspection_record(
    *,
    actor: User | None,
    organisation: Organisation,
    site: Site,
    visited_on: date | None,
    indicators: Iterable[str],
    workers_interviewed: int,
    summary: str = "",
) -> Inspection:
    """A labour inspector's visit: the ILO indicators found at the site (no worker named)."""
    _require_inspectorate(actor, organisation)
    errs: list[FieldError] = []
    found = sorted(set(indicators))
    unknown = [i for i in found if i not in vocabulary.ILO_INDICATORS]
    if unknown:
        errs.append(FieldError("indicators", "Unknown indicator."))
    if visited_on is None:
        errs.append(FieldError("visited_on", "The date of the visit is required."))
    elif visited_on > timezone.localdate():
        errs.append(FieldError("visited_on", "This date is in the future."))
    if workers_interviewed < 0:
        errs.append(FieldError("workers_interviewed", "Cannot be negative."))
    summary = _text(summary, "summary", 4000, errs, required=False)
    if errs or visited_on is None:
        raise InvalidInput(errs)
    with transaction.atomic():
        inspection = Inspection.objects.create(
            organisation=organisation,
            site=site,
            visited_on=visited_on,
            indicators=found,
            workers_interviewed=workers_interviewed,
            summary=summary,
            created_by=actor,
            created_at=timezone.now(),
        )
        _audit("create", actor, organisation, "supply.inspection", inspection.pk, indicators=found)
    return inspection


def inspection_screen_worker(
    *, actor: User, organisation: Organisation, inspection: Inspection, consent: bool
) -> str:
    """With the worker's informed consent, open a screening pre-filled with the indicators
    found at the site (labour exploitation), for the inspector to go through with the worker;
    from its result the screening context refers the person to the NRM. Returns the
    screening's reference; the case will record it as its source."""
    from palermo.screening import selectors as screening_selectors
    from palermo.screening import services as screening_services

    _require_inspectorate(actor, organisation)
    if inspection.organisation_id != organisation.pk:
        raise NotAllowed("This inspection belongs to another inspectorate.")
    if not has_perm(actor, Perm.SCREEN, organisation):
        raise NotAllowed("You may not screen.", perm=Perm.SCREEN)
    if not consent:
        raise InvalidInput(
            FieldError(
                "consent",
                "Screen a worker only with their informed consent. Without it, give them "
                "information on their rights and on where to get help.",
            )
        )
    answers: dict[str, Any] = {"forms": ["labour"]}
    for code in inspection.indicators:
        key = ILO_TO_SCREENING.get(code)
        if key:
            answers[key] = "x"
    with transaction.atomic():
        # The origin travels screening → referral → case, so statistics can count the cases
        # identified through a supply-chain inspection.
        screening = screening_services.screening_create(
            actor=actor,
            organisation=organisation,
            answers=answers,
            assess=False,
            origin=screening_selectors.ScreeningOrigin.SUPPLY_INSPECTION,
        )
        InspectionReferral.objects.create(
            inspection=inspection,
            screening_reference=screening.reference,
            created_by=actor,
            created_at=timezone.now(),
        )
        _audit(
            "create",
            actor,
            organisation,
            "supply.inspection_referral",
            inspection.pk,
            screening=screening.reference,
            consent=True,
        )
    return str(screening.reference)


# Issue 18 additions, one module each (re-exported for views, API, CLI and the demo).
from palermo.supply.services.clauses import (  # noqa: E402, F401
    EvidencePack,
    clause_attach,
    clause_detach,
    contract_advance,
    evidence_pack,
    gate_for,
)

# Modules of their own (issue 18), re-exported here: ``services.<name>`` as before.
from palermo.supply.services.crosswalks import *  # noqa: E402, F403
from palermo.supply.services.questionnaires import *  # noqa: E402, F403
from palermo.supply.services.recruiters import *  # noqa: E402, F403
from palermo.supply.services.risklists import *  # noqa: E402, F403
from palermo.supply.services.statements import (  # noqa: E402, F401
    InformationPack,
    info_request_create,
    information_pack,
    statement_draft,
)
