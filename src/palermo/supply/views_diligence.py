"""Pages of the due-diligence workflow added for issue 18: the model-clause library and
the clauses of a contract, the move along the lifecycle through the per-stage gates, the
evidence pack as PDF, the draft modern-slavery statement (HTML, text, DOCX), and the
information pack answering a competent authority under a forced-labour ban.

Every view is marked in the policy: the procurement officer (``supply.manage``) changes,
the due-diligence analyst (``supply.view``) reads. Paths carry numeric ids and clause ids
only. Each download is audited (through the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from palermo.core.errors import InvalidInput
from palermo.core.policy import Perm, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.supply import clauses, documents, gates, services, vocabulary
from palermo.supply.models import Contract, InformationRequest, Site, Supplier
from palermo.web.display import data_text


def _contract(org: Any, contract_id: int) -> Contract:
    return get_object_or_404(
        Contract.objects.select_related("supplier"), pk=contract_id, organisation=org
    )


def _clause_rows(items: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": c.clause_id if hasattr(c, "clause_id") else c.id,
            "version": c.version,
            "title": data_text(c.title),
            "text": data_text(c.text),
            "measures": ", ".join(f"({m})" for m in c.measures),
            "stage": _(vocabulary.STAGES[c.stage]),
            "attached": c if hasattr(c, "clause_id") else None,
        }
        for c in items
    ]


def contract_extras(contract: Contract, *, stage_error: str = "") -> dict[str, Any]:
    """What the contract page shows of the clauses and the lifecycle gate."""
    attached = list(contract.clauses.select_related("attached_by"))
    taken = {c.clause_id for c in attached}
    nxt = gates.next_stage(contract.stage)
    gate = services.gate_for(contract, nxt) if nxt else None
    blocked = gates.message(gate) if gate is not None and not gate.open else None
    return {
        "lifecycle_stage": _(vocabulary.STAGES.get(contract.stage, contract.stage)),
        "stages": [
            {"code": code, "label": _(label), "reached": i <= gates.index(contract.stage)}
            for i, (code, label) in enumerate(vocabulary.STAGES.items())
        ],
        "next_stage": nxt,
        "next_stage_label": _(vocabulary.STAGES[nxt]) if nxt else "",
        "next_blocked": blocked.said() if blocked is not None else "",
        "stage_error": stage_error,
        "clauses": _clause_rows(attached),
        "clause_choices": [
            (c.id, f"{data_text(c.title)} — {', '.join(f'({m})' for m in c.measures)}")
            for c in clauses.library().clauses
            if c.id not in taken
        ],
    }


@requires(Perm.SUPPLY_VIEW)
def clause_library(request: AuthedRequest) -> HttpResponse:
    lib = clauses.library()
    return render(
        request,
        "supply/clauses.html",
        {"library": lib, "rows": _clause_rows(lib.clauses)},
    )


def _back_to(contract: Contract, anchor: str) -> HttpResponse:
    return redirect(reverse("supply:contract", args=[contract.pk]) + anchor)


def _contract_page(request: AuthedRequest, contract: Contract, **extra: Any) -> HttpResponse:
    from palermo.supply.views import _contract_context

    context = _contract_context(contract, can_manage=True)
    context.update(contract_extras(contract, **extra))
    return render(request, "supply/contract.html", context, status=400)


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def clause_attach(request: AuthedRequest, contract_id: int) -> HttpResponse:
    org = request.organisation
    contract = _contract(org, contract_id)
    try:
        services.clause_attach(
            actor=request.user,
            organisation=org,
            contract=contract,
            clause_id=request.POST.get("clause", ""),
        )
    except InvalidInput as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, _("Clause attached."))
    return _back_to(contract, "#clauses")


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def clause_detach(request: AuthedRequest, contract_id: int, clause_id: str) -> HttpResponse:
    org = request.organisation
    contract = _contract(org, contract_id)
    try:
        services.clause_detach(
            actor=request.user, organisation=org, contract=contract, clause_id=clause_id
        )
    except InvalidInput as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, _("Clause removed."))
    return _back_to(contract, "#clauses")


@requires(Perm.SUPPLY_MANAGE)
@require_POST
def contract_advance(request: AuthedRequest, contract_id: int) -> HttpResponse:
    org = request.organisation
    contract = _contract(org, contract_id)
    try:
        services.contract_advance(
            actor=request.user,
            organisation=org,
            contract=contract,
            stage=request.POST.get("stage", ""),
        )
    except InvalidInput as exc:
        return _contract_page(
            request, contract, stage_error=" ".join(e.message for e in exc.errors)
        )
    messages.success(request, _("The contract moved to the next stage."))
    return _back_to(contract, "#lifecycle")


@requires(Perm.SUPPLY_VIEW)
def evidence_pack_pdf(request: AuthedRequest, contract_id: int) -> HttpResponse:
    org = request.organisation
    contract = _contract(org, contract_id)
    pack = services.evidence_pack(
        actor=request.user, organisation=org, contract=contract, fmt="pdf"
    )
    response = HttpResponse(documents.evidence_pack_pdf(pack), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="evidence-pack-{contract.pk}.pdf"'
    return response


# --- the draft modern-slavery statement ------------------------------------------------------


@requires(Perm.SUPPLY_VIEW)
def statement_page(request: AuthedRequest) -> HttpResponse:
    facts, parts = services.statement_draft(
        actor=request.user, organisation=request.organisation, fmt="html"
    )
    return render(
        request,
        "supply/statement.html",
        {
            "title": documents.statement_title(facts.organisation),
            "sections": [
                {"heading": s.heading.said(), "paragraphs": [p.said() for p in s.paragraphs]}
                for s in parts
            ],
        },
    )


@requires(Perm.SUPPLY_VIEW)
def statement_download(request: AuthedRequest, fmt: str) -> HttpResponse:
    if fmt not in ("txt", "docx"):
        raise Http404
    facts, parts = services.statement_draft(
        actor=request.user, organisation=request.organisation, fmt=fmt
    )
    if fmt == "docx":
        response = HttpResponse(
            documents.statement_docx(facts, parts),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    else:
        response = HttpResponse(
            documents.statement_text(facts, parts), content_type="text/plain; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="statement-draft.{fmt}"'
    return response


# --- information requests under a forced-labour ban -----------------------------------------


class InfoRequestForm(forms.Form):
    authority = forms.CharField(label=gettext_lazy("Competent authority"), max_length=200)
    authority_reference = forms.CharField(
        label=gettext_lazy("Its reference"), max_length=100, required=False
    )
    received_on = forms.DateField(
        label=gettext_lazy("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    due_on = forms.DateField(
        label=gettext_lazy("Answer due on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    supplier = forms.ModelChoiceField(
        label=gettext_lazy("Supplier"), queryset=Supplier.objects.none()
    )
    site = forms.ModelChoiceField(
        label=gettext_lazy("Site (leave empty for all the supplier's sites)"),
        queryset=Site.objects.none(),
        required=False,
    )
    product = forms.CharField(
        label=gettext_lazy("Product (leave empty for all)"), max_length=200, required=False
    )
    question = forms.CharField(
        label=gettext_lazy("What the authority asks"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )

    def __init__(self, *args: Any, organisation: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.filter(organisation=organisation)  # type: ignore[attr-defined]
        self.fields["site"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            organisation=organisation, supplier__isnull=False
        )


@requires(Perm.SUPPLY_VIEW)
def info_requests(request: AuthedRequest) -> HttpResponse:
    actor, org = request.user, request.organisation
    can_manage = has_perm(actor, Perm.SUPPLY_MANAGE, org)
    form = InfoRequestForm(request.POST or None, organisation=org)
    if request.method == "POST":
        if not can_manage:
            from palermo.supply.views import _refuse

            return _refuse(request, Perm.SUPPLY_MANAGE)
        if form.is_valid():
            try:
                req = services.info_request_create(
                    actor=actor, organisation=org, **form.cleaned_data
                )
            except InvalidInput as exc:
                for e in exc.errors:
                    form.add_error(e.field if e.field in form.fields else None, e.message)
            else:
                messages.success(request, _("Request recorded."))
                return redirect("supply:info_pack", request_id=req.pk)
    return render(
        request,
        "supply/info_requests.html",
        {
            "rows": InformationRequest.objects.filter(organisation=org).select_related(
                "supplier", "site"
            ),
            "form": form,
            "can_manage": can_manage,
        },
        status=400 if form.errors else 200,
    )


def _info_request(org: Any, request_id: int) -> InformationRequest:
    return get_object_or_404(
        InformationRequest.objects.select_related("supplier", "site"),
        pk=request_id,
        organisation=org,
    )


@requires(Perm.SUPPLY_VIEW)
def info_pack(request: AuthedRequest, request_id: int) -> HttpResponse:
    org = request.organisation
    req = _info_request(org, request_id)
    pack = services.information_pack(actor=request.user, organisation=org, request=req, fmt="html")
    return render(
        request,
        "supply/info_pack.html",
        {
            "pack": pack,
            "lines": [(line, documents.reason_lines(line.result)) for line in pack.lines],
            "contracts": [
                {
                    "contract": ce.contract,
                    "measures": [(_(vocabulary.MEASURES[m.code]), m) for m in ce.measures],
                    "clauses": _clause_rows(ce.clauses),
                }
                for ce in pack.contracts
            ],
            "actions": [
                (_(vocabulary.ILO_INDICATORS.get(a.indicator, a.indicator)), a)
                for a in pack.actions
            ],
        },
    )


@requires(Perm.SUPPLY_VIEW)
def info_pack_pdf(request: AuthedRequest, request_id: int) -> HttpResponse:
    org = request.organisation
    req = _info_request(org, request_id)
    pack = services.information_pack(actor=request.user, organisation=org, request=req, fmt="pdf")
    response = HttpResponse(documents.information_pack_pdf(pack), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="information-pack-{req.pk}.pdf"'
    return response
