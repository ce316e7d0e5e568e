"""Supply-chain pages: the procurement office's dashboard, suppliers, sites (import with
preview, review queue, Open Supply Hub export), risk lists (import, editions and their
diff, crosswalk), screened purchase orders (import with preview, reasons per line),
contracts with measures (a)–(g) and the evidence pack, corrective actions, and the labour
inspectorate's inspections with the consent-based route to a screening.

Views read through ``selectors`` and call one service per change. Paths carry numeric ids
only. Procurement pages never show a screening reference or anything about a worker.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.core import audit
from palermo.core.errors import InvalidInput
from palermo.core.middleware import refused
from palermo.core.policy import Perm, authenticated, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.supply import (
    counts,
    diligence,
    export,
    hscodes,
    riskdata,
    selectors,
    services,
    sites,
    tables,
    views_diligence,
    views_portfolio,
    vocabulary,
)
from palermo.supply.forms import (
    ActionForm,
    ConsentForm,
    ContractForm,
    CrosswalkForm,
    FeeForm,
    FileForm,
    InspectionForm,
    MeasureForm,
    OrderFileForm,
    RiskImportForm,
    SupplierForm,
)
from palermo.supply.models import (
    Contract,
    CorrectiveAction,
    Inspection,
    OrderLine,
    RiskEdition,
    Site,
    Supplier,
)
from palermo.web.held import Holder, nothing_held

MAX_IMPORT_BYTES = 5 * 1024 * 1024
HELD = Holder("supply_import")  # the file between preview and "Import" (web/held.py)


def _who(request: HttpRequest) -> tuple[Any, Any]:
    return request.user, getattr(request, "organisation", None)


def _refuse(request: HttpRequest, perm: str) -> HttpResponse:
    audit.record_refusal(request, perm=perm)
    return refused(request)


def _errors_to(form: Any, exc: InvalidInput) -> None:
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, _(e.message))


def _row_errors(errors: list[tables.RowError]) -> list[dict[str, Any]]:
    """Row messages in the reader's language: the template translated, then filled in."""
    return [
        {
            "row": e.row,
            "field": e.field,
            "message": _(e.template) % dict(e.params) if e.params else _(e.template),
        }
        for e in errors
    ]


_reason_text = services.reason_text


def _upload(form: Any) -> tuple[bytes, str] | None:
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        form.add_error("file", _("A file of at most 5 MB."))
        return None
    return upload.read(), upload.name


# --- dashboard ---------------------------------------------------------------------------------


@requires(Perm.SUPPLY_VIEW)
def home(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    return render(
        request,
        "supply/home.html",
        {
            "d": selectors.dashboard(org),
            "more": counts.more_counts(org),
            "can_manage": has_perm(actor, Perm.SUPPLY_MANAGE, org),
            "can_import": has_perm(actor, Perm.SUPPLY_RISK_LISTS, org),
            "min_cell": selectors.MIN_CELL,
        },
    )


# --- suppliers ---------------------------------------------------------------------------------


@requires(Perm.SUPPLY_VIEW)
def supplier_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    can_manage = has_perm(actor, Perm.SUPPLY_MANAGE, org)
    form = SupplierForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.SUPPLY_MANAGE)
        if form.is_valid():
            try:
                services.supplier_save(actor=actor, organisation=org, data=form.cleaned_data)
            except InvalidInput as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("Supplier added."))
                return redirect("supply:suppliers")
    return render(
        request,
        "supply/suppliers.html",
        {"suppliers": selectors.suppliers(org), "form": form, "can_manage": can_manage},
        status=400 if form.errors else 200,
    )


def _provenance_rows(rows: list[selectors.FieldRow]) -> list[dict[str, Any]]:
    """A field, its value and who or what set it last, in the reader's language."""
    yes, no = _("yes"), _("no")
    out = []
    for r in rows:
        e = r.provenance
        value = {"true": yes, "false": no}.get(r.value, r.value) if r.value else ""
        if r.field == "is_closed" and r.value == "":
            value = no
        out.append(
            {
                "label": _(r.label),
                "value": value,
                "source": e.get_source_display() if e else "",
                "by": (e.recorded_by.username if e.recorded_by else _("command line")) if e else "",
                "at": e.recorded_at if e else None,
                "file": e.batch.name if e and e.batch else "",
                "sha256": e.batch.sha256[:12] if e and e.batch else "",
                "row": e.row if e else None,
                "contributor": e.contributor if e else "",
                "evidence": e.evidence if e else "",
            }
        )
    return out


@requires(Perm.SUPPLY_VIEW)
def supplier_detail(request: AuthedRequest, supplier_id: int) -> HttpResponse:
    """A supplier, its sites, and the provenance of every field: who or what source set it
    (an imported file and its row, a person's edit, a row matched by its OS ID) and when."""
    actor, org = _who(request)
    supplier = get_object_or_404(Supplier, pk=supplier_id, organisation=org)
    can_manage = has_perm(actor, Perm.SUPPLY_MANAGE, org)
    initial = {k: getattr(supplier, k) for k in vocabulary.SUPPLIER_FIELDS}
    form = SupplierForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.SUPPLY_MANAGE)
        if form.is_valid():
            try:
                services.supplier_save(
                    actor=actor, organisation=org, data=form.cleaned_data, supplier=supplier
                )
            except InvalidInput as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("Supplier updated."))
                return redirect("supply:supplier", supplier_id=supplier.pk)
    return render(
        request,
        "supply/supplier.html",
        {
            "supplier": supplier,
            "fields": _provenance_rows(selectors.supplier_provenance(supplier)),
            "sites": [
                {"site": site, "fields": _provenance_rows(rows)}
                for site, rows in selectors.site_provenance(supplier)
            ],
            "form": form,
            "can_manage": can_manage,
            "whole": views_portfolio.supplier_block(request, supplier),
        },
        status=400 if form.errors else 200,
    )


# --- sites -------------------------------------------------------------------------------------


@requires(Perm.SUPPLY_VIEW)
def site_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    review = request.GET.get("review") == "1"
    return render(
        request,
        "supply/sites.html",
        {
            "sites": selectors.sites(org, review=review),
            "review": review,
            "can_manage": has_perm(actor, Perm.SUPPLY_MANAGE, org),
        },
    )


@requires(Perm.SUPPLY_VIEW)
def site_export(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    rows = selectors.site_export_rows(org)
    audit.record_request(
        request, action="export", object_type="supply.sites", details={"rows": len(rows)}
    )
    response = HttpResponse(sites.export_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sites-open-supply-hub.csv"'
    return response


@requires(Perm.SUPPLY_VIEW)
def site_export_xlsx(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    rows = selectors.site_export_rows(org)
    audit.record_request(
        request,
        action="export",
        object_type="supply.sites",
        details={"rows": len(rows), "format": "xlsx"},
    )
    response = HttpResponse(sites.export_xlsx(rows), content_type=export.XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="sites-open-supply-hub.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def site_review(request: AuthedRequest, site_id: int) -> HttpResponse:
    actor, org = _who(request)
    site = get_object_or_404(Site, pk=site_id, organisation=org)
    same = request.POST.get("decision") == "same"
    try:
        services.site_review(actor=actor, organisation=org, site=site, same=same)
    except InvalidInput as exc:
        messages.error(request, _(exc.errors[0].message if exc.errors else exc.detail))
    else:
        messages.success(
            request, _("Merged into the known site.") if same else _("Kept as a separate site.")
        )
    return redirect(reverse("supply:sites") + "?review=1")


def _site_preview_context(result: services.SiteImport) -> dict[str, Any]:
    rows = [
        {"row": r, "match": m, "label": _(sites.MATCH_LABELS[m.status])}
        for r, m in zip(result.preview.rows, result.matches, strict=True)
    ]
    return {
        "preview": result.preview,
        "rows": rows,
        "errors": _row_errors(result.preview.errors),
        "confirm_url": reverse("supply:site_import_confirm"),
        "what": _("sites"),
    }


@requires(Perm.SUPPLY_MANAGE)
def site_import(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = FileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and (got := _upload(form)):
        data, name = got
        try:
            result = services.sites_import(
                actor=actor, organisation=org, data=data, name=name, commit=False
            )
        except InvalidInput as exc:
            _errors_to(form, exc)
        else:
            if result.preview.ok:
                HELD.hold(request, "sites", data, name)
            return render(
                request,
                "supply/site_preview.html",
                _site_preview_context(result),
                status=200 if result.preview.ok else 400,
            )
    return render(
        request,
        "supply/import.html",
        {"form": form, "title": _("Import sites"), "kind": "sites"},
        status=400 if form.errors else 200,
    )


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def site_import_confirm(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    held = HELD.take(request, "sites")
    if held is None:
        return nothing_held(request, "supply:site_import")
    result = services.sites_import(actor=actor, organisation=org, data=held.data, name=held.name)
    if not result.preview.ok:
        return render(
            request, "supply/site_preview.html", _site_preview_context(result), status=400
        )
    messages.success(
        request,
        _("%(n)s rows imported: %(new)s new sites, %(matched)s matched, %(potential)s to review.")
        % {
            "n": len(result.preview.rows),
            "new": result.count(sites.NEW),
            "matched": result.count(sites.MATCHED),
            "potential": result.count(sites.POTENTIAL),
        },
    )
    return redirect("supply:sites")


# --- risk lists --------------------------------------------------------------------------------


def _lists_only(request: HttpRequest) -> bool | None:
    """The risk-list pages' reader: ``False`` for supply staff (``supply.view``: the whole
    supply navigation), ``True`` for the national co-ordinator, who imports the national
    lists without seeing any organisation's procurement (``supply.risk_lists``), ``None``
    for anyone else (to be refused)."""
    actor, org = _who(request)
    if has_perm(actor, Perm.SUPPLY_VIEW, org):
        return False
    if has_perm(actor, Perm.SUPPLY_RISK_LISTS, org):
        return True
    return None


@authenticated  # supply.view or supply.risk_lists: checked first thing (_lists_only)
def risk_list(request: AuthedRequest, code_form: Any = None) -> HttpResponse:
    """Editions, the crosswalk, and the CPV/UNSPSC → HS map (``code_form``: that form with
    its errors, when ``views_saq.code_map_set`` shows the page again). The national
    co-ordinator sees the editions and the import button only: the crosswalk and the code
    map are a procurement office's own."""
    from palermo.supply.forms_saq import CodeMapForm

    lists_only = _lists_only(request)
    if lists_only is None:
        return _refuse(request, Perm.SUPPLY_VIEW)
    actor, org = _who(request)
    can_manage = has_perm(actor, Perm.SUPPLY_MANAGE, org)
    crosswalk_form = CrosswalkForm(request.POST or None if code_form is None else None)
    if request.method == "POST" and code_form is None:
        if not can_manage:
            return _refuse(request, Perm.SUPPLY_MANAGE)
        if crosswalk_form.is_valid():
            try:
                services.crosswalk_set(actor=actor, organisation=org, **crosswalk_form.cleaned_data)
            except InvalidInput as exc:
                _errors_to(crosswalk_form, exc)
            else:
                messages.success(request, _("Crosswalk saved."))
                return redirect("supply:risk")
    return render(
        request,
        "supply/risk.html",
        {
            "editions": selectors.editions(),
            "crosswalk": [] if lists_only else selectors.crosswalk(org),
            "crosswalk_form": crosswalk_form,
            "code_map": [] if lists_only else selectors.code_map(org),
            "code_form": code_form or CodeMapForm(),
            "can_manage": can_manage,
            "can_import": has_perm(actor, Perm.SUPPLY_RISK_LISTS, org),
            "lists_only": lists_only,
        },
        status=400 if crosswalk_form.errors or code_form is not None else 200,
    )


@authenticated  # supply.view or supply.risk_lists: checked first thing (_lists_only)
def edition_detail(request: AuthedRequest, edition_id: int) -> HttpResponse:
    lists_only = _lists_only(request)
    if lists_only is None:
        return _refuse(request, Perm.SUPPLY_VIEW)
    edition = get_object_or_404(RiskEdition.objects.select_related("batch"), pk=edition_id)
    previous = (
        RiskEdition.objects.filter(format=edition.format, pk__lt=edition.pk).order_by("-pk").first()
    )
    goods = edition.format != riskdata.EXCLUSIONS
    diff = selectors.edition_diff(previous, edition) if previous and goods else None
    return render(
        request,
        "supply/edition.html",
        {
            "edition": edition,
            "entries": edition.entries.all(),
            "exclusions": edition.exclusions.all(),
            "previous": previous,
            "diff": diff,
            "kinds": {k: _(v) for k, v in vocabulary.EXPLOITATION_KINDS.items()},
            "lists_only": lists_only,
        },
    )


# The national lists: the co-ordinator only (``services.risklists``, which checks it again).
@requires(Perm.SUPPLY_RISK_LISTS)
def risk_import(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = RiskImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and (got := _upload(form)):
        data, name = got
        d = form.cleaned_data
        d["format"] = d["format"] or "us_dol"
        info = services.EditionInfo(
            d["source"], d["edition"], d["licence"], d["retrieved_on"], d["url"] or ""
        )
        try:
            preview = services.risk_import(
                actor=actor,
                organisation=org,
                data=data,
                name=name,
                info=info,
                fmt=d["format"],
                commit=False,
            )
        except InvalidInput as exc:
            _errors_to(form, exc)
        else:
            if preview.ok:
                HELD.hold(
                    request,
                    "risk",
                    data,
                    name,
                    info=[
                        info.source,
                        info.edition,
                        info.licence,
                        str(info.retrieved_on),
                        info.url,
                    ],
                    format=d["format"],
                )
            return render(
                request,
                "supply/risk_preview.html",
                {
                    "preview": preview,
                    "errors": _row_errors(preview.errors),
                    "info": info,
                    "lists_only": _lists_only(request),
                },
                status=200 if preview.ok else 400,
            )
    kinds = [(_(label), columns) for _key, label, columns in riskdata.list_kinds()]
    return render(
        request,
        "supply/risk_import.html",
        {"form": form, "kinds": kinds, "lists_only": _lists_only(request)},
        status=400 if form.errors else 200,
    )


@requires(Perm.SUPPLY_RISK_LISTS)
@require_POST
def risk_import_confirm(request: AuthedRequest) -> HttpResponse:
    from datetime import date

    actor, org = _who(request)
    held = HELD.take(request, "risk")
    if held is None:
        return nothing_held(request, "supply:risk_import")
    source, edition, licence, retrieved, url = held.extra["info"]
    info = services.EditionInfo(source, edition, licence, date.fromisoformat(retrieved), url)
    preview = services.risk_import(
        actor=actor,
        organisation=org,
        data=held.data,
        name=held.name,
        info=info,
        fmt=held.extra.get("format", "us_dol"),
    )
    messages.success(request, _("%(n)s rows of the risk list imported.") % {"n": len(preview.rows)})
    return redirect("supply:risk")


# --- purchase orders ---------------------------------------------------------------------------


def _order_preview_context(result: services.OrderImport) -> dict[str, Any]:
    return {
        "preview": result.preview,
        "results": [
            {"line": line, "result": res, "label": _(vocabulary.LEVEL_LABELS[res.level])}
            for line, res in result.results
        ],
        "errors": _row_errors(result.preview.errors),
        "editions": selectors.current_risk_editions(),
        "ocds": _ocds_summary(result.ocds_lines),
    }


def _ocds_summary(lines: Any) -> dict[str, Any] | None:
    """An OCDS file's currency and where each line's country came from (issue 18)."""
    if lines is None:
        return None
    used = [s.country_from for s in lines.sources]
    return {
        "currency": lines.currency,
        "delivery": used.count("delivery address"),
        "supplier": used.count("supplier address"),
    }


@requires(Perm.SUPPLY_VIEW)
def order_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    level = request.GET.get("level", "")
    return render(
        request,
        "supply/orders.html",
        {
            "lines": selectors.order_lines(org, level=level)[:500],
            "level": level,
            "levels": [(k, _(v)) for k, v in vocabulary.LEVEL_LABELS.items()],
            "can_manage": has_perm(actor, Perm.SUPPLY_MANAGE, org),
        },
    )


@requires(Perm.SUPPLY_VIEW)
def order_export(request: AuthedRequest) -> HttpResponse:
    """The screened lines (all or one level) and the supplier risk register as XLSX. The
    query string carries a level only; the export is audited by the service."""
    actor, org = _who(request)
    level = request.GET.get("level", "")
    data = services.screening_export(actor=actor, organisation=org, level=level, request=request)
    response = HttpResponse(data, content_type=export.XLSX_TYPE)
    suffix = f"-{level}" if level in vocabulary.LEVELS else ""
    response["Content-Disposition"] = f'attachment; filename="supply-screening{suffix}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


@requires(Perm.SUPPLY_VIEW)
def order_detail(request: AuthedRequest, line_id: int) -> HttpResponse:
    actor, org = _who(request)
    line = get_object_or_404(
        OrderLine.objects.select_related("batch"), pk=line_id, organisation=org
    )
    reasons = [{**r, "text": _reason_text(r)} for r in line.result.get("reasons", [])]
    heading = hscodes.label(line.product_code)
    return render(
        request,
        "supply/order.html",
        {
            "line": line,
            "editions": selectors.line_editions(line),
            "reasons": reasons,
            "code_label": _(heading) if heading else "",
        },
    )


@requires(Perm.SUPPLY_MANAGE)
def order_import(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = OrderFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid() and (got := _upload(form)):
        data, name = got
        try:
            result = services.orders_import(
                actor=actor, organisation=org, data=data, name=name, commit=False
            )
        except InvalidInput as exc:
            _errors_to(form, exc)
        else:
            if result.preview.ok:
                HELD.hold(request, "orders", data, name)
            return render(
                request,
                "supply/order_preview.html",
                _order_preview_context(result),
                status=200 if result.preview.ok else 400,
            )
    return render(
        request,
        "supply/import.html",
        {"form": form, "title": _("Screen purchase orders"), "kind": "orders"},
        status=400 if form.errors else 200,
    )


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def order_import_confirm(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    held = HELD.take(request, "orders")
    if held is None:
        return nothing_held(request, "supply:order_import")
    result = services.orders_import(actor=actor, organisation=org, data=held.data, name=held.name)
    if not result.preview.ok:
        return render(
            request, "supply/order_preview.html", _order_preview_context(result), status=400
        )
    messages.success(
        request, _("%(n)s order lines screened and kept.") % {"n": len(result.preview.rows)}
    )
    return redirect("supply:orders")


# --- contracts and measures (a)–(g) --------------------------------------------------------------


@requires(Perm.SUPPLY_VIEW)
def contract_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    can_manage = has_perm(actor, Perm.SUPPLY_MANAGE, org)
    form = ContractForm(request.POST or None, organisation=org)
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.SUPPLY_MANAGE)
        if form.is_valid():
            try:
                contract = services.contract_create(
                    actor=actor, organisation=org, **form.cleaned_data
                )
            except InvalidInput as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("Contract created."))
                return redirect("supply:contract", contract_id=contract.pk)
    rows = [
        (c, selectors.progress(c)) for c in selectors.contracts(org).prefetch_related("measures")
    ]
    for c, _p in rows:
        c.stage_label = _(vocabulary.STAGES.get(c.stage, c.stage))  # type: ignore[attr-defined]
    return render(
        request,
        "supply/contracts.html",
        {"rows": rows, "form": form, "can_manage": can_manage},
        status=400 if form.errors else 200,
    )


def _contract(org: Any, contract_id: int) -> Contract:
    return get_object_or_404(
        Contract.objects.select_related("supplier"), pk=contract_id, organisation=org
    )


@requires(Perm.SUPPLY_VIEW)
def contract_detail(request: AuthedRequest, contract_id: int) -> HttpResponse:
    actor, org = _who(request)
    contract = _contract(org, contract_id)
    return render(
        request,
        "supply/contract.html",
        {
            **_contract_context(contract, can_manage=has_perm(actor, Perm.SUPPLY_MANAGE, org)),
            "whole": views_portfolio.contract_block(request, contract),
        },
    )


def _contract_context(
    contract: Contract, *, can_manage: bool, form: Any = None, code: str = ""
) -> dict[str, Any]:
    progress = selectors.progress(contract)
    return {
        "contract": contract,
        "measures": [
            {
                "code": m.code,
                "label": _(m.label),
                "stage": _(m.stage),
                "required": m.required,
                "record": m.record,
                "needs_evidence": m.code in diligence.NEEDS_EVIDENCE,
                "form": form
                if (form is not None and m.code == code)
                else MeasureForm(prefix=m.code),
            }
            for m in selectors.measure_rows(contract)
        ],
        "progress": progress,
        "stage": _(vocabulary.STAGES[diligence.stage_of(progress)]),
        "light": contract.risk_level == "low",
        "can_manage": can_manage,
        "sites": contract.sites.all(),
        "orders": contract.orders.all()[:50],
        **views_diligence.contract_extras(contract),
    }


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def measure_record(request: AuthedRequest, contract_id: int, code: str) -> HttpResponse:
    actor, org = _who(request)
    contract = _contract(org, contract_id)
    if code not in vocabulary.MEASURES:
        raise Http404
    form = MeasureForm(request.POST, request.FILES, prefix=code)
    if form.is_valid():
        upload = form.cleaned_data.get("evidence")
        data = upload.read() if upload else None
        try:
            services.measure_record(
                actor=actor,
                organisation=org,
                contract=contract,
                code=code,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                evidence_name=upload.name if upload else "",
                evidence=data,
            )
        except InvalidInput as exc:
            for e in exc.errors:
                form.add_error(
                    "evidence"
                    if e.field == "evidence"
                    else (e.field if e.field in form.fields else None),
                    _(e.message),
                )
        else:
            messages.success(request, _("Measure recorded."))
            return redirect(reverse("supply:contract", args=[contract.pk]) + f"#measure-{code}")
    return render(
        request,
        "supply/contract.html",
        _contract_context(contract, can_manage=True, form=form, code=code),
        status=400,
    )


@requires(Perm.SUPPLY_VIEW)
def evidence_download(request: AuthedRequest, contract_id: int, code: str) -> HttpResponse:
    actor, org = _who(request)
    contract = _contract(org, contract_id)
    record = contract.measures.filter(code=code).exclude(evidence_sha256="").first()
    if record is None or record.evidence is None:
        raise Http404
    audit.record_request(
        request,
        action="read",
        object_type="supply.measure_evidence",
        object_ref=f"{contract.pk}:{code}",
    )
    response = HttpResponse(bytes(record.evidence), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="evidence-{contract.pk}-{code}"'
    return response


@requires(Perm.SUPPLY_VIEW)
def evidence_pack(request: AuthedRequest, contract_id: int) -> HttpResponse:
    """The tender's evidence pack: every measure, its record, its file's SHA-256 (HTML, printable)."""
    actor, org = _who(request)
    contract = _contract(org, contract_id)
    audit.record_request(
        request, action="export", object_type="supply.evidence_pack", object_ref=str(contract.pk)
    )
    context = _contract_context(contract, can_manage=False)
    context["editions"] = selectors.current_risk_editions()
    response = render(request, "supply/evidence_pack.html", context)
    if request.GET.get("download") == "1":
        response["Content-Disposition"] = f'attachment; filename="evidence-pack-{contract.pk}.html"'
    return response


# --- corrective actions ------------------------------------------------------------------------


@requires(Perm.SUPPLY_VIEW)
def action_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    can_manage = has_perm(actor, Perm.SUPPLY_MANAGE, org)
    form = ActionForm(request.POST or None, organisation=org)
    if request.method == "POST":
        if not can_manage:
            return _refuse(request, Perm.SUPPLY_MANAGE)
        if form.is_valid():
            try:
                services.corrective_action_create(
                    actor=actor, organisation=org, **form.cleaned_data
                )
            except InvalidInput as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("Corrective action added."))
                return redirect("supply:actions")
    return _actions_page(request, org, form=form, can_manage=can_manage)


def _actions_page(
    request: HttpRequest,
    org: Any,
    *,
    can_manage: bool,
    form: Any = None,
    fee_form: Any = None,
    findings: Any = None,
) -> HttpResponse:
    from django.utils import timezone

    indicators = {
        k: _(v) for k, v in {**vocabulary.ILO_INDICATORS, **vocabulary.SAQ_MEASURES}.items()
    }
    form = form if form is not None else ActionForm(organisation=org)
    fee_form = fee_form if fee_form is not None else FeeForm(organisation=org)
    bad = bool(form.errors or fee_form.errors or (findings and not findings["preview"].ok))
    return render(
        request,
        "supply/actions.html",
        {
            "actions": [
                (a, indicators.get(a.indicator, a.indicator)) for a in selectors.actions(org)
            ],
            "form": form,
            "fee_form": fee_form,
            "findings_form": FileForm(),
            "findings": findings,
            "fees": selectors.fees(org),
            "fee_totals": selectors.fee_totals(org),
            "can_manage": can_manage,
            "today": timezone.localdate(),
        },
        status=400 if bad else 200,
    )


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def fee_record(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    fee_form = FeeForm(request.POST, organisation=org)
    if fee_form.is_valid():
        try:
            services.fee_record(actor=actor, organisation=org, **fee_form.cleaned_data)
        except InvalidInput as exc:
            _errors_to(fee_form, exc)
        else:
            messages.success(request, _("Recorded in the fee ledger."))
            return redirect(reverse("supply:actions") + "#fees")
    return _actions_page(request, org, can_manage=True, fee_form=fee_form)


def _findings_failed(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    messages.error(request, _(exc.errors[0].message if exc.errors else exc.detail))
    return redirect("supply:actions")


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def findings_import(request: AuthedRequest) -> HttpResponse:
    """Social-audit findings: checked whole and previewed; nothing is saved until the user
    confirms, and then every row becomes a corrective action, or none does."""
    actor, org = _who(request)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid() or not (got := _upload(form)):
        messages.error(request, _("Choose a file of at most 5 MB."))
        return redirect("supply:actions")
    data, name = got
    try:
        preview = services.findings_import(
            actor=actor, organisation=org, data=data, name=name, commit=False
        )
    except InvalidInput as exc:
        return _findings_failed(request, exc)
    if not preview.ok:
        return _actions_page(
            request,
            org,
            can_manage=True,
            findings={"preview": preview, "errors": _row_errors(preview.errors)},
        )
    HELD.hold(request, "findings", data, name)
    named = {r.supplier_company_id for r in preview.rows}
    suppliers = {
        s.company_id: s.name for s in selectors.suppliers(org).filter(company_id__in=named)
    }
    indicators = {**vocabulary.ILO_INDICATORS, **vocabulary.SAQ_MEASURES}
    finding_labels = dict(CorrectiveAction.Finding.choices)
    rows = [
        {
            "row": r.row,
            "supplier": suppliers.get(r.supplier_company_id, r.supplier_company_id),
            "os_id": r.os_id,
            "indicator": _(indicators.get(r.indicator, r.indicator)),
            "finding": finding_labels.get(r.finding, r.finding),
            "workers": r.workers_affected,
            "description": r.description,
            "owner": r.owner,
            "due_on": r.due_on,
        }
        for r in preview.rows
    ]
    return render(request, "supply/findings_preview.html", {"rows": rows})


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def findings_import_confirm(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    held = HELD.take(request, "findings")
    if held is None:
        return nothing_held(request, "supply:actions")
    try:
        preview = services.findings_import(
            actor=actor, organisation=org, data=held.data, name=held.name
        )
    except InvalidInput as exc:
        return _findings_failed(request, exc)
    if not preview.ok:  # the suppliers or sites changed since the preview
        return _actions_page(
            request,
            org,
            can_manage=True,
            findings={"preview": preview, "errors": _row_errors(preview.errors)},
        )
    messages.success(
        request, _("%(n)s findings imported as corrective actions.") % {"n": len(preview.rows)}
    )
    return redirect("supply:actions")


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def action_close(request: AuthedRequest, action_id: int) -> HttpResponse:
    actor, org = _who(request)
    action = get_object_or_404(CorrectiveAction, pk=action_id, supplier__organisation=org)
    try:
        services.corrective_action_close(actor=actor, organisation=org, action=action)
    except InvalidInput as exc:
        messages.error(request, _(exc.errors[0].message if exc.errors else exc.detail))
    else:
        messages.success(request, _("Corrective action closed."))
    return redirect("supply:actions")


# --- labour inspections (the inspectorate only) --------------------------------------------------


def _inspectorate(org: Any) -> bool:
    return getattr(org, "org_type", "") == "labour_inspectorate"


@requires(Perm.SUPPLY_INSPECT)
def inspection_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    if not _inspectorate(org):
        return refused(request, reason=_("Only a labour inspectorate records inspections."))
    form = InspectionForm(request.POST or None, sites=selectors.all_sites())
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.inspection_record(
                actor=actor, organisation=org, **form.cleaned_data
            )
        except InvalidInput as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Inspection recorded."))
            return redirect("supply:inspection", inspection_id=inspection.pk)
    return render(
        request,
        "supply/inspections.html",
        {"inspections": selectors.inspections_of(org), "form": form},
        status=400 if form.errors else 200,
    )


@requires(Perm.SUPPLY_INSPECT)
def inspection_detail(request: AuthedRequest, inspection_id: int) -> HttpResponse:
    actor, org = _who(request)
    inspection = get_object_or_404(
        Inspection.objects.select_related("site"), pk=inspection_id, organisation=org
    )
    form = ConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reference = services.inspection_screen_worker(
                actor=actor,
                organisation=org,
                inspection=inspection,
                consent=form.cleaned_data["consent"],
            )
        except InvalidInput as exc:
            _errors_to(form, exc)
        except services.NotAllowed as exc:
            return refused(request, reason=_(str(exc)))
        else:
            messages.success(
                request,
                _(
                    "Screening %(ref)s opened with the indicators found at the site: go through it with the worker."
                )
                % {"ref": reference},
            )
            return redirect("screening:interview", reference=reference)
    indicators = {
        k: _(v) for k, v in {**vocabulary.ILO_INDICATORS, **vocabulary.SAQ_MEASURES}.items()
    }
    audit.record_request(
        request, action="read", object_type="supply.inspection", object_ref=str(inspection.pk)
    )
    return render(
        request,
        "supply/inspection.html",
        {
            "inspection": inspection,
            "found": [indicators.get(i, i) for i in inspection.indicators],
            "referrals": selectors.referrals_of(inspection),
            "form": form,
        },
        status=400 if form.errors else 200,
    )
