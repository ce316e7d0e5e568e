"""Staff pages: the advert-screening workbench, the licence registry and the worker-report
triage queue. Views read through ``selectors`` and make one service call per change; paths carry
numeric ids only.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from palermo.core.errors import InvalidInput
from palermo.core.policy import Perm, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.prevent import advert_input, adverts, forms, reports, selectors, services
from palermo.prevent.models import LeadDecision, LicenceStatus, ReportStatus

MAX_LICENCE_BYTES = 5 * 1024 * 1024


def _who(request: HttpRequest) -> tuple[Any, Any]:
    return request.user, getattr(request, "organisation", None)


def _errors_to(form: Any, exc: InvalidInput) -> None:
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, e.message)


def _input_message(err: advert_input.InputError) -> str:
    return _(err.message).format(**dict(err.params))


# --- workbench --------------------------------------------------------------------------


@requires(Perm.PREVENT_SCREEN)
def workbench(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    decision = request.GET.get("decision", "open")
    leads = list(selectors.leads_for(actor, org, decision)[:200])
    return render(
        request,
        "prevent/workbench.html",
        {
            "leads": leads,
            "decision": decision,
            "decisions": LeadDecision.choices,
            "labels": adverts.INDICATOR_LABELS,
            "batches": selectors.batches_for(actor, org)[:10],
            "form": forms.AdvertImportForm(),
        },
    )


@requires(Perm.PREVENT_SCREEN)
@require_POST
def advert_import(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = forms.AdvertImportForm(request.POST, request.FILES)
    context: dict[str, Any] = {"form": form, "row_errors": []}
    if not form.is_valid():
        return render(request, "prevent/advert_import.html", context, status=422)
    upload = form.cleaned_data.get("file")
    if upload is not None:
        if upload.size > advert_input.MAX_BYTES:
            form.add_error("file", _("The input is larger than 5 MB: split it."))
            return render(request, "prevent/advert_import.html", context, status=422)
        raw = upload.read()
    else:
        raw = (form.cleaned_data.get("pasted") or "").encode("utf-8")
    text, err = advert_input.decode(raw)
    if err is not None or text is None:
        form.add_error("file", _input_message(err) if err else _("Nothing to import."))
        return render(request, "prevent/advert_import.html", context, status=422)
    items, errors = advert_input.parse(text, form.cleaned_data["fmt"])
    context["row_errors"] = [_input_message(e) for e in errors]
    if errors and any(e.line == 0 for e in errors):
        form.add_error("file", context["row_errors"][0])
        return render(request, "prevent/advert_import.html", context, status=422)
    if errors:
        # Nothing imported while a line cannot be read: fix the lines, then import all.
        form.add_error(None, _("Some lines cannot be read; nothing was imported."))
        return render(request, "prevent/advert_import.html", context, status=422)
    try:
        batch = services.adverts_import(
            actor=actor, organisation=org, label=form.cleaned_data["label"], items=items
        )
    except InvalidInput as exc:
        _errors_to(form, exc)
        return render(request, "prevent/advert_import.html", context, status=422)
    messages.success(
        request,
        ngettext(
            "%(adverts)d adverts imported; %(leads)d new lead.",
            "%(adverts)d adverts imported; %(leads)d new leads.",
            batch.new_leads,
        )
        % {"adverts": batch.adverts, "leads": batch.new_leads},
    )
    return redirect("prevent:workbench")


@requires(Perm.PREVENT_SCREEN)
def lead_detail(request: AuthedRequest, lead_id: int) -> HttpResponse:
    actor, org = _who(request)
    lead = selectors.access_lead(actor, org, lead_id, request=request)
    items = list(lead.adverts.all()[:50])
    sources = services.checker.load().sources
    evidence = selectors.evidence_of(lead)
    shown = []
    for a in items:
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
        shown.append(
            {
                "advert": a,
                "pieces": adverts.highlight(a.text, flags),
                "flags": flags,
                "sources": sorted({sources[s].title for f in flags for s in f.sources}),
                "evidence": evidence.get(a.pk, []),
                # one form per advert: the prefix keeps the fields' ids unique on the page
                "evidence_form": forms.EvidenceForm(prefix=f"a{a.pk}"),
            }
        )
    return render(
        request,
        "prevent/lead.html",
        {
            "lead": lead,
            "shown": shown,
            "total": lead.adverts.count(),
            "labels": adverts.INDICATOR_LABELS,
            "decision_form": forms.LeadDecisionForm(),
            "refer_form": forms.LeadReferForm(),
            "can_refer": has_perm(actor, Perm.REFER, org),
            "statuses": dict(LicenceStatus.choices),
        },
    )


@requires(Perm.PREVENT_SCREEN)
@require_POST
def advert_attach(request: AuthedRequest, lead_id: int, advert_id: int) -> HttpResponse:
    actor, org = _who(request)
    lead = selectors.access_lead(actor, org, lead_id)
    advert = selectors.advert_of(lead, advert_id)
    form = forms.EvidenceForm(request.POST, prefix=f"a{advert.pk}")
    if form.is_valid():
        try:
            services.advert_attach(
                actor=actor,
                organisation=org,
                advert=advert,
                target=form.cleaned_data["target"],
                reference=form.cleaned_data["reference"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Advert attached."))
            return redirect("prevent:lead", lead_id=lead.pk)
        except InvalidInput as exc:
            _errors_to(form, exc)
    # The lead page shows one form per advert: the refusal comes back as a message above them.
    for errs in form.errors.values():
        for msg in errs:
            messages.error(request, str(msg))
    return redirect("prevent:lead", lead_id=lead.pk)


@requires(Perm.PREVENT_SCREEN)
@require_POST
def lead_decide(request: AuthedRequest, lead_id: int) -> HttpResponse:
    actor, org = _who(request)
    lead = selectors.access_lead(actor, org, lead_id)
    form = forms.LeadDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.lead_decide(
                actor=actor,
                organisation=org,
                lead=lead,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Decision recorded."))
            return redirect("prevent:lead", lead_id=lead.pk)
        except InvalidInput as exc:
            _errors_to(form, exc)
    for errs in form.errors.values():
        for msg in errs:
            messages.error(request, str(msg))
    return redirect("prevent:lead", lead_id=lead.pk)


@requires(Perm.PREVENT_SCREEN)
@require_POST
def lead_refer(request: AuthedRequest, lead_id: int) -> HttpResponse:
    actor, org = _who(request)
    lead = selectors.access_lead(actor, org, lead_id)
    form = forms.LeadReferForm(request.POST)
    if form.is_valid():
        try:
            ref = services.lead_refer(
                actor=actor,
                organisation=org,
                lead=lead,
                country_of_recruitment=form.cleaned_data["country_of_recruitment"],
                exploitation_form=form.cleaned_data["exploitation_form"],
            )
            messages.success(request, _("Referral %(ref)s opened in the NRM.") % {"ref": ref})
            return redirect("prevent:lead", lead_id=lead.pk)
        except InvalidInput as exc:
            for fe in exc.errors:
                messages.error(request, fe.message)
            return redirect("prevent:lead", lead_id=lead.pk)
    for errs in form.errors.values():
        for msg in errs:
            messages.error(request, str(msg))
    return redirect("prevent:lead", lead_id=lead.pk)


# --- statistics --------------------------------------------------------------------------


def _stat_tables(counts: Any, place: str) -> list[dict[str, Any]]:
    from palermo.web.display import country_name

    def place_label(code: str) -> str:
        if not code:
            return _("Unknown")
        return country_name(code) if place == "country" else code

    def sign_label(code: str) -> str:
        text = adverts.INDICATOR_LABELS.get(code) or reports.SIGNS.get(code) or code
        return _(str(text))

    return [
        {"title": _("Week"), "rows": list(counts.by("week").items())},
        {
            "title": _("Country") if place == "country" else _("Language"),
            "rows": [(place_label(k), v) for k, v in counts.by("place").items()],
        },
        {
            "title": _("Warning signs"),
            "rows": [(sign_label(k), v) for k, v in counts.by("sign").items()],
        },
    ]


@requires(Perm.PREVENT_STATS)
def statistics(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    stats = selectors.online_statistics(actor, org)
    return render(
        request,
        "prevent/statistics.html",
        {
            "sections": [
                (_("Adverts screened"), stats["adverts"], _stat_tables(stats["adverts"], "lang")),
                (_("Worker reports"), stats["reports"], _stat_tables(stats["reports"], "country")),
            ],
            "since": stats["reports"].since,
            "threshold": stats["reports"].threshold,
        },
    )


# --- licence registry ---------------------------------------------------------------------


@requires(Perm.PREVENT_LICENCES)
def registry(request: AuthedRequest) -> HttpResponse:
    search = forms.LicenceSearchForm(request.GET or None)
    q = search.cleaned_data.get("q", "") if search.is_valid() else ""
    return render(
        request,
        "prevent/registry.html",
        {
            "lists": selectors.licence_lists(),
            "entries": selectors.licence_entries(q),
            "matches": services.licence_lookup(q) if q else [],
            "search": search,
            "q": q,
            "form": forms.LicenceImportForm(),
        },
    )


@requires(Perm.PREVENT_LICENCES)
@require_POST
def registry_import(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = forms.LicenceImportForm(request.POST, request.FILES)
    context: dict[str, Any] = {"form": form, "row_errors": []}
    if not form.is_valid():
        return render(request, "prevent/registry_import.html", context, status=422)
    upload = form.cleaned_data["file"]
    raw = upload.read(MAX_LICENCE_BYTES + 1)
    if len(raw) > MAX_LICENCE_BYTES:
        form.add_error("file", _("The file is larger than 5 MB: split it."))
        return render(request, "prevent/registry_import.html", context, status=422)
    text, err = advert_input.decode(raw)
    if text is None:
        form.add_error("file", _input_message(err) if err else _("Nothing to import."))
        return render(request, "prevent/registry_import.html", context, status=422)
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error:
        form.add_error("file", _("The CSV file cannot be read (a quote is not closed)."))
        return render(request, "prevent/registry_import.html", context, status=422)
    try:
        lst = services.licences_import(
            actor=actor,
            organisation=org,
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            rows=rows,
        )
    except InvalidInput as exc:
        for e in exc.errors:
            if e.field in form.fields:
                form.add_error(e.field, e.message)
            else:
                context["row_errors"].append((e.field, e.message))
        return render(request, "prevent/registry_import.html", context, status=422)
    messages.success(request, _("%(n)d agencies imported.") % {"n": lst.rows})
    return redirect("prevent:registry")


# --- worker-report triage -----------------------------------------------------------------


@requires(Perm.PREVENT_TRIAGE)
def report_queue(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    status = request.GET.get("status", "new")
    return render(
        request,
        "prevent/reports.html",
        {
            "reports": list(selectors.reports_for(actor, org, status)[:200]),
            "status": status,
            "statuses": ReportStatus.choices,
            "kinds": reports.WORK_KINDS,
            "sign_labels": reports.SIGNS,
            "is_designated": services.triage_organisation() == org,
        },
    )


@requires(Perm.PREVENT_TRIAGE)
def report_detail(request: AuthedRequest, report_id: int) -> HttpResponse:
    actor, org = _who(request)
    report = selectors.access_report(actor, org, report_id, request=request)
    return render(
        request,
        "prevent/report_detail.html",
        {
            "report": report,
            "who": reports.WHO.get(report.who, ""),
            "kind": reports.WORK_KINDS.get(report.work_kind, ""),
            "signs": [reports.SIGNS[s] for s in report.signs if s in reports.SIGNS],
            "form": forms.ReportTriageForm(),
            "can_refer": has_perm(actor, Perm.REFER, org),
        },
    )


@requires(Perm.PREVENT_TRIAGE)
@require_POST
def report_decide(request: AuthedRequest, report_id: int) -> HttpResponse:
    actor, org = _who(request)
    report = selectors.access_report(actor, org, report_id)
    form = forms.ReportTriageForm(request.POST)
    try:
        if request.POST.get("decision") == "refer":
            ref = services.report_refer(actor=actor, organisation=org, report=report)
            messages.success(request, _("Referral %(ref)s opened in the NRM.") % {"ref": ref})
        elif form.is_valid():
            services.report_triage(
                actor=actor,
                organisation=org,
                report=report,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Decision recorded."))
        else:
            for errs in form.errors.values():
                for msg in errs:
                    messages.error(request, str(msg))
    except InvalidInput as exc:
        for fe in exc.errors:
            messages.error(request, fe.message)
    return redirect("prevent:report_detail", report_id=report.pk)
