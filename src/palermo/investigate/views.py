"""Investigation pages: list and search, open, the investigation page (statements, red flags,
entity resolution, case records), the network, the proceeds, and the downloads.

Views read through ``selectors`` (the one door, which audits the read and answers 404 to
anyone without a need to know) and call one service per action.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from functools import wraps
from typing import Any

import yaml
from django import forms as djforms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.core import audit
from palermo.core.errors import InvalidInput
from palermo.core.middleware import refused
from palermo.core.models import Organisation
from palermo.core.policy import Perm, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.investigate import alertlist, forms, selectors, services
from palermo.investigate import jobs as inv_jobs
from palermo.investigate.evidence import network_svg
from palermo.investigate.models import (
    INVESTIGATING_TYPES,
    Investigation,
    MappingProfile,
)
from palermo.jobs import services as job_services
from palermo.prevent import selectors as prevent_selectors

PAGE_SIZE = 25


def _busy(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A workspace held by another process: say so (503) instead of failing. A change to
    a closed investigation: back to its page with the reason (every write service
    refuses it, so no view needs its own check)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except services.WorkspaceBusy as exc:
            return render(request, "investigate/busy.html", {"message": str(exc)}, status=503)
        except services.InvestigationClosed as exc:
            messages.error(request, str(exc))
            return redirect("investigate:detail", kwargs["reference"])

    return wrapper


def _who(request: HttpRequest) -> tuple[Any, Organisation | None]:
    return request.user, getattr(request, "organisation", None)


def _inv(request: HttpRequest, reference: str, what: str = "investigation") -> Investigation:
    actor, org = _who(request)
    return selectors.access_investigation(actor, org, reference, request=request, what=what)


def _refused(request: HttpRequest, inv: Investigation) -> HttpResponse:
    """A service refusal after the need-to-know check (e.g. a member adding members): audited, then 403."""
    audit.record_refusal(
        request, perm=Perm.INVESTIGATE, object_type="investigation", object_ref=inv.reference
    )
    return refused(request)


def _apply_errors(form: djforms.Form, exc: InvalidInput) -> None:
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, e.message)


# --- list and open -------------------------------------------------------------------------------


@requires(Perm.INVESTIGATE)
@_busy
def investigation_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = forms.SearchForm(request.GET or None)
    valid = form.is_valid()
    q = form.cleaned_data.get("q", "") if valid else ""
    status = form.cleaned_data.get("status", "") if valid else ""
    page = Paginator(selectors.investigation_list(actor, org, q, status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit.record_request(
        request, action="read", object_type="investigation_list", details={"search": bool(q)}
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "investigate/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_open": org is not None and org.org_type in INVESTIGATING_TYPES,
        },
    )


@requires(Perm.INVESTIGATE)
@_busy
def investigation_create(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    if org is None or org.org_type not in INVESTIGATING_TYPES:
        audit.record_refusal(request, perm=Perm.INVESTIGATE, object_type="investigation")
        return refused(request)
    form = forms.CreateForm(request.POST or None, actor=actor, organisation=org)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        refs = [r for r in re.split(r"[\s,;]+", d.get("cases") or "") if r]
        try:
            inv = services.investigation_create(
                actor=actor,
                organisation=org,
                title=d["title"],
                members=list(d.get("members") or []),
                case_refs=refs,
            )
        except InvalidInput as exc:
            _apply_errors(form, exc)
        except services.NotAllowed:
            return refused(request)
        else:
            messages.success(request, _("Investigation %(ref)s opened.") % {"ref": inv.reference})
            return redirect("investigate:detail", reference=inv.reference)
    return render(request, "investigate/create.html", {"form": form})


# --- the investigation page -----------------------------------------------------------------------------


def _detail(
    request: AuthedRequest, inv: Investigation, status: int = 200, **forms_: Any
) -> HttpResponse:
    actor, org = _who(request)
    ctx = {
        **_alert_list(request, inv),
        "inv": inv,
        "is_owner": selectors.is_owner(org, inv),
        "members": inv.members.select_related("organisation"),
        "cases": selectors.linked_cases_for(actor, org, inv),
        # Adverts attached as evidence in the online-risk context, read through its selector
        # (which asks this context's selector whether the reader may open the investigation).
        "adverts": prevent_selectors.adverts_for_investigation(
            actor, org, inv.reference, request=request
        ),
        "statements": inv.statements.all(),
        "skipped": services.last_skipped(inv),
        "proposals": services.match_proposals(inv),
        "judgements": services.judgements(inv),
        "parties": inv.parties.all(),
        "upload_form": forms_.get("upload_form")
        or forms.UploadForm(profiles=services.profile_choices(org)),
        "party_form": forms_.get("party_form") or forms.PartyForm(),
        "member_form": forms_.get("member_form") or forms.MemberForm(actor=actor, organisation=org),
        "case_form": forms_.get("case_form") or forms.CaseLinkForm(),
        "close_form": forms_.get("close_form") or forms.CloseForm(),
        "closed": inv.is_closed,
    }
    return render(request, "investigate/detail.html", ctx, status=status)


ALERT_PAGE_SIZE = 20


def _alert_list(request: AuthedRequest, inv: Investigation) -> dict[str, Any]:
    """The red-flag alerts the page lists: filtered, sorted and paged on the server (GET form,
    so it works without JavaScript); only the page's alerts load their transactions."""
    from palermo.investigate.templatetags.investigate_labels import typology_label

    every = services.alert_views(inv, include_decided=True, with_transactions=False)
    subjects = alertlist.subjects(every)
    rules = sorted({(a.rule_id, a.rule_title) for a in every})
    typologies = sorted({a.typology for a in every if a.typology})
    form = forms.AlertFilterForm(
        request.GET or None,
        rules=[(rid, f"{rid} — {title}") for rid, title in rules],
        typologies=[(t, typology_label(t)) for t in typologies],
        subjects=subjects,
        auto_id="alerts-%s",
    )
    chosen = alertlist.AlertFilter()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        chosen = alertlist.AlertFilter(
            rule=d.get("rule") or "",
            typology=d.get("typology") or "",
            status=d.get("status") or "open",
            account=d.get("account"),
            sort=d.get("sort") or "score",
        )
    shown = alertlist.apply(every, chosen)
    page = Paginator(shown, ALERT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = services.alert_transactions(inv, list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    counts = alertlist.counts(every)
    return {
        "alert_form": form,
        "alert_page": page,
        "alert_query": query.urlencode(),
        "alert_counts": counts,
        "alerts_shown": len(shown),
        "alert_filtered": chosen != alertlist.AlertFilter(),
        "alert_status": chosen.status,
    }


@requires(Perm.INVESTIGATE)
@_busy
def investigation_detail(request: AuthedRequest, reference: str) -> HttpResponse:
    return _detail(request, _inv(request, reference))


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def statement_upload(request: AuthedRequest, reference: str) -> HttpResponse:
    """Check the upload at once, then hand the import to a background job and show its progress."""
    actor, org = _who(request)
    inv = _inv(request, reference, "statement_upload")
    form = forms.UploadForm(request.POST, request.FILES, profiles=services.profile_choices(org))
    if not form.is_valid():
        return _detail(request, inv, status=422, upload_form=form)
    d = form.cleaned_data
    upload = d["file"]
    params = {
        "kind": d["kind"],
        "profile": d.get("profile") or "",
        "account": d.get("account") or "",
        "account_name": d.get("account_name") or "",
    }
    try:
        services.statement_import_check(
            actor=actor, organisation=org, investigation=inv, size=upload.size, **params
        )
    except InvalidInput as exc:
        _apply_errors(form, exc)
        return _detail(request, inv, status=422, upload_form=form)
    except services.NotAllowed:
        return _refused(request, inv)
    job = _start(
        actor,
        org,
        inv,
        inv_jobs.STATEMENT_IMPORT,
        {**params, "file_name": upload.name},
        inputs={"statement": job_services.save_upload(upload.chunks())},
    )
    if job is None:
        return _refused(request, inv)
    messages.info(request, _("The statement import is queued: this page shows its progress."))
    return redirect("jobs:detail", job_id=job.pk)


def _start(
    actor: Any,
    org: Organisation | None,
    inv: Investigation,
    kind: str,
    params: dict[str, Any],
    inputs: dict[str, Any] | None = None,
) -> Any:
    try:
        return job_services.job_start(
            actor=actor,
            organisation=org,
            kind=kind,
            subject_ref=inv.reference,
            params={**params, "investigation": inv.pk},
            inputs=inputs,
        )
    except job_services.NotAllowed:
        return None
    finally:
        for path in (inputs or {}).values():
            path.unlink(missing_ok=True)  # moved to the job unless starting it failed


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def rules_run(request: AuthedRequest, reference: str) -> HttpResponse:
    """Hand the red-flag run to a background job and show its progress."""
    actor, org = _who(request)
    inv = _inv(request, reference, "rules_run")
    try:
        services.rules_run_check(actor=actor, organisation=org, investigation=inv)
    except services.NotAllowed:
        return _refused(request, inv)
    job = _start(actor, org, inv, inv_jobs.RULES_RUN, {})
    if job is None:
        return _refused(request, inv)
    messages.info(request, _("The red-flag run is queued: this page shows its progress."))
    return redirect("jobs:detail", job_id=job.pk)


def _url(inv: Investigation) -> str:
    from django.urls import reverse

    return reverse("investigate:detail", args=[inv.reference])


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def alert_decide(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "alert_decide")
    form = forms.DecisionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.alert_decide(
                actor=actor,
                organisation=org,
                investigation=inv,
                alert_key=d["alert_key"],
                decision=d["decision"],
                note=d.get("note") or "",
            )
        except InvalidInput as exc:
            messages.error(request, "; ".join(e.message for e in exc.errors))
        except services.NotAllowed:
            return _refused(request, inv)
        else:
            messages.success(
                request,
                _("Alert confirmed.") if d["decision"] == "confirmed" else _("Alert dismissed."),
            )
    else:
        messages.error(request, _("Choose confirm or dismiss."))
    return redirect(f"{_url(inv)}{_back(request)}#alerts")


_LIST_KEYS = ("status", "rule", "typology", "account", "sort", "page")


def _back(request: HttpRequest) -> str:
    """The alert list's filters to return to (known keys only; they hold no account number)."""
    from django.http import QueryDict

    back = QueryDict(str(request.POST.get("back", ""))[:500])
    kept = QueryDict(mutable=True)
    for key in _LIST_KEYS:
        value = back.get(key, "")
        if value and re.fullmatch(r"[-\w.:]{1,80}", value):
            kept[key] = value
    return f"?{kept.urlencode()}" if kept else ""


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def party_add(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "party_add")
    form = forms.PartyForm(request.POST)
    if form.is_valid():
        try:
            services.party_add(
                actor=actor, organisation=org, investigation=inv, **form.cleaned_data
            )
        except InvalidInput as exc:
            _apply_errors(form, exc)
        except services.NotAllowed:
            return _refused(request, inv)
        else:
            messages.success(request, _("Case record added."))
            return redirect(f"{_url(inv)}#matches")
    return _detail(request, inv, status=422, party_form=form)


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def parties_from_cases(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "parties_from_cases")
    try:
        result = services.parties_from_cases(actor=actor, organisation=org, investigation=inv)
    except services.NotAllowed:
        return _refused(request, inv)
    messages.success(request, _("%(n)d people added from linked cases.") % {"n": result.added})
    if result.withheld:
        messages.info(
            request,
            _(
                "The person of %(refs)s is not shown to your organisation, or to every "
                "organisation sharing this investigation (no consent or legal basis), so it was "
                "not added."
            )
            % {"refs": ", ".join(result.withheld)},
        )
    return redirect(f"{_url(inv)}#matches")


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def match_judge(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "match_judge")
    form = forms.JudgeForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.match_judge(
                actor=actor,
                organisation=org,
                investigation=inv,
                left=d["left"],
                right=d["right"],
                decision=d["decision"],
            )
        except InvalidInput as exc:
            messages.error(request, "; ".join(e.message for e in exc.errors))
        except services.NotAllowed:
            return _refused(request, inv)
        else:
            messages.success(
                request,
                _("Match judged: the same person or company.")
                if d["decision"] == "same"
                else _("Match judged: different people or companies."),
            )
    else:
        messages.error(request, _("Choose same or different."))
    return redirect(f"{_url(inv)}#matches")


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def investigation_close(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "close")
    form = forms.CloseForm(request.POST)
    if form.is_valid():
        try:
            services.investigation_close(
                actor=actor, organisation=org, investigation=inv, reason=form.cleaned_data["reason"]
            )
        except InvalidInput as exc:
            _apply_errors(form, exc)
        except services.NotAllowed:
            return _refused(request, inv)
        else:
            messages.success(request, _("Investigation closed: it is now read-only."))
            return redirect(_url(inv))
    return _detail(request, inv, status=422, close_form=form)


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def investigation_reopen(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "reopen")
    try:
        services.investigation_reopen(actor=actor, organisation=org, investigation=inv)
    except InvalidInput as exc:
        messages.error(request, "; ".join(e.message for e in exc.errors))
    except services.NotAllowed:
        return _refused(request, inv)
    else:
        messages.success(request, _("Investigation reopened."))
    return redirect(_url(inv))


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def member_add(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "member_add")
    form = forms.MemberForm(request.POST, actor=actor, organisation=org)
    if form.is_valid():
        try:
            services.member_add(
                actor=actor,
                organisation=org,
                investigation=inv,
                member=form.cleaned_data["organisation"],
            )
        except InvalidInput as exc:
            _apply_errors(form, exc)
        except services.NotAllowed:
            return _refused(request, inv)
        else:
            messages.success(request, _("Organisation given access."))
            return redirect(_url(inv))
    return _detail(request, inv, status=422, member_form=form)


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def case_link(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "case_link")
    form = forms.CaseLinkForm(request.POST)
    if form.is_valid():
        try:
            services.case_link(
                actor=actor, organisation=org, investigation=inv, case_ref=form.cleaned_data["case"]
            )
        except InvalidInput as exc:
            form.add_error("case", "; ".join(e.message for e in exc.errors))
        except services.NotAllowed:
            return _refused(request, inv)
        else:
            messages.success(request, _("Case linked."))
            return redirect(_url(inv))
    return _detail(request, inv, status=422, case_form=form)


# --- network ----------------------------------------------------------------------------------------


ROLES = ("collector", "pass_through", "facilitator", "beneficial_owner")


def network_graph_data(
    edges: list[tuple[str, str, Any, int]],
    roles: dict[str, str],
    hubs: set[str],
    index: dict[str, int],
    holders: dict[str, str],
) -> dict[str, Any]:
    """Nodes and links for the interactive graph (Cytoscape.js reads them from the page as JSON;
    ids are row numbers, so a selected node leads to its row of the accounts table)."""
    top = max((float(amount) for _, _, amount, _ in edges), default=1.0) or 1.0
    keys = sorted({k for a, b, _, _ in edges for k in (a, b)} | set(roles) | hubs)
    nodes = [
        {
            "id": f"n{index[k]}",
            "label": k if len(k) <= 18 else k[:8] + "…" + k[-6:],
            "title": k + (f" — {holders[k]}" if holders.get(k) else ""),
            "role": roles.get(k, ""),
            "hub": k in hubs,
        }
        for k in keys
    ]
    links = [
        {
            "id": f"e{i}",
            "source": f"n{index[a]}",
            "target": f"n{index[b]}",
            "amount": str(amount),
            "payments": n,
            "width": round(1 + 5 * float(amount) / top, 2),
        }
        for i, (a, b, amount, n) in enumerate(edges)
    ]
    return {"nodes": nodes, "edges": links}


@requires(Perm.INVESTIGATE)
@_busy
def network(request: AuthedRequest, reference: str) -> HttpResponse:
    from palermo.investigate.templatetags.investigate_labels import role_label, typology_label

    inv = _inv(request, reference, "network")
    form = forms.NetworkFilterForm(
        request.GET or None,
        roles=[(r, role_label(r)) for r in ROLES],
        typologies=[(t, typology_label(t)) for t in services.alert_typologies(inv)],
    )
    d = form.cleaned_data if form.is_bound and form.is_valid() else {}
    whole = d.get("scope") == "all"  # fixed words, never account data
    typology = d.get("typology") or ""
    role = d.get("role") or ""
    net = services.network(inv, whole=whole, typology=typology)
    roles = {r.account_key: r.role for r in net.roles}
    hubs = {h.account_key for h in net.hubs}
    edges = list(net.edges)
    if role:
        # The accounts of that role and the payments that touch them.
        edges = [e for e in edges if roles.get(e[0]) == role or roles.get(e[1]) == role]
        keep = {k for a, b, _, _ in edges for k in (a, b)} | {
            k for k, r in roles.items() if r == role
        }
        roles = {k: r for k, r in roles.items() if k in keep}
        hubs &= keep
    keys = sorted({k for a, b, _, _ in edges for k in (a, b)} | set(roles) | hubs)
    index = {k: i for i, k in enumerate(keys)}
    flows: dict[str, dict[str, Any]] = defaultdict(lambda: {"out": [], "in": []})
    for a, b, amount, n in edges:
        flows[a]["out"].append((b, amount, n))
        flows[b]["in"].append((a, amount, n))
    holders = services.holders(inv, keys)
    rows = [
        {
            "i": index[k],
            "key": k,
            "holder": holders.get(k, ""),
            "role": roles.get(k, ""),
            "out": flows[k]["out"],
            "in": flows[k]["in"],
        }
        for k in keys
    ]
    return render(
        request,
        "investigate/network.html",
        {
            "inv": inv,
            "net": net,
            "form": form,
            "filtered": bool(role or typology),
            "rows": rows,
            "whole": whole,
            "role": role,
            "hub_rows": [h for h in net.hubs if h.account_key in hubs],
            "role_rows": [r for r in net.roles if r.account_key in roles],
            "graph": network_graph_data(edges, roles, hubs, index, holders) if edges else None,
            "svg": mark_safe(  # noqa: S308 – every label escaped
                network_svg(
                    [(a, b, str(amount), n) for a, b, amount, n in edges],
                    roles,
                    width=900,
                    height=600,
                    index=index,
                    labelled=(set(roles) | hubs) if len(keys) > 40 else None,
                )
            )
            if edges
            else "",
        },
    )


# --- proceeds ----------------------------------------------------------------------------------------


@requires(Perm.INVESTIGATE)
@_busy
def proceeds(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "proceeds")
    accounts = services.accounts(inv)
    choices = [(a["key"], f"{a['key']} — {a['holder'] or '?'} ({a['payments']})") for a in accounts]
    saved = inv.proceeds_settings or {}
    estimate = None
    if request.method == "POST":
        form = forms.ProceedsForm(request.POST, accounts=choices)
        if form.is_valid():
            d = form.cleaned_data
            try:
                estimate = services.proceeds_estimate(
                    actor=actor,
                    organisation=org,
                    investigation=inv,
                    offenders=d["offenders"],
                    victims=d.get("victims") or [],
                    reference_wage=d.get("reference_wage"),
                )
            except InvalidInput as exc:
                _apply_errors(form, exc)
            except services.NotAllowed:
                return _refused(request, inv)
    else:
        form = forms.ProceedsForm(
            accounts=choices,
            initial={
                "offenders": saved.get("offenders", []),
                "victims": saved.get("victims", []),
                "reference_wage": saved.get("reference_wage") or None,
            },
        )
        if saved.get("offenders"):
            estimate = services.saved_proceeds(inv)
    cases = [c.reference for c in selectors.linked_cases_for(actor, org, inv)]
    return render(
        request,
        "investigate/proceeds.html",
        {
            "inv": inv,
            "form": form,
            "estimate": estimate,
            "attach_form": forms.AttachForm(cases=cases) if cases else None,
            "closed": inv.is_closed,
        },
    )


@requires(Perm.INVESTIGATE)
@_busy
@require_POST
def proceeds_attach(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "proceeds_attach")
    # Any linked case is a valid choice here: the service refuses, saying why, one the actor may not act on.
    cases = [link.case.reference for link in inv.case_links.select_related("case")]
    form = forms.AttachForm(request.POST, cases=cases)
    target = redirect("investigate:proceeds", reference=inv.reference)
    if not form.is_valid():
        messages.error(request, _("Choose a linked case and a total."))
        return target
    try:
        claim = services.proceeds_attach(
            actor=actor,
            organisation=org,
            investigation=inv,
            case_ref=form.cleaned_data["case"],
            total=form.cleaned_data["total"],
        )
    except InvalidInput as exc:
        messages.error(request, "; ".join(e.message for e in exc.errors))
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Compensation claim of %(a)s %(c)s recorded on case %(ref)s.")
            % {
                "a": formats.number_format(claim.amount, 2, force_grouping=True),
                "c": claim.currency,
                "ref": form.cleaned_data["case"],
            },
        )
    return target


# --- downloads ----------------------------------------------------------------------------------------


def _download(data: bytes, content_type: str, name: str) -> HttpResponse:
    resp = HttpResponse(data, content_type=content_type)
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    resp["Cache-Control"] = "no-store"
    return resp


@requires(Perm.INVESTIGATE)
@_busy
def evidence_pack(request: AuthedRequest, reference: str, fmt: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "evidence_pack")
    try:
        data, _digest = services.evidence_pack(
            actor=actor, organisation=org, investigation=inv, fmt=fmt
        )
    except services.NotAllowed:
        return _refused(request, inv)
    ctype = "text/html; charset=utf-8" if fmt == "html" else "application/pdf"
    return _download(data, ctype, f"{inv.reference}-evidence-pack.{fmt}")


@requires(Perm.INVESTIGATE)
@_busy
def ftm_export(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    inv = _inv(request, reference, "ftm_export")
    try:
        data = services.ftm_export(actor=actor, organisation=org, investigation=inv)
    except services.NotAllowed:
        return _refused(request, inv)
    return _download(data, "application/x-ndjson", f"{inv.reference}-ftm.json")


# --- mapping profiles -----------------------------------------------------------------------------------


@requires(Perm.INVESTIGATE)
@_busy
def profiles(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = forms.ProfileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            definition = yaml.safe_load(d["definition"])
        except yaml.YAMLError:
            form.add_error("definition", _("This is not valid YAML."))
        else:
            try:
                services.mapping_profile_save(
                    actor=actor,
                    organisation=org,
                    slug=d["slug"],
                    label=d["label"],
                    definition=definition,
                )
            except InvalidInput as exc:
                _apply_errors(form, exc)
            except services.NotAllowed:
                return refused(request)
            else:
                messages.success(request, _("Mapping profile saved."))
                return redirect("investigate:profiles")
    saved = (
        MappingProfile.objects.filter(organisation=org) if org else MappingProfile.objects.none()
    )
    from palermo.investigate.profiles import packaged_profiles

    return render(
        request,
        "investigate/profiles.html",
        {
            "form": form,
            "saved": saved,
            "packaged": packaged_profiles(),
            "can_investigate": has_perm(actor, Perm.INVESTIGATE, org),
        },
    )
