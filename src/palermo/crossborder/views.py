"""Cross-border pages: hand-overs out and in (overdue loops flagged), partners of the trust
list, consent and send, one hand-over with its receipts, statuses and revocation.

Paths carry numeric ids; only the police-channel records of a case carry its pseudonymous
reference, as the case page does.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.core.errors import Conflict, InvalidInput
from palermo.core.policy import Perm, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.crossborder import envelope as env
from palermo.crossborder import forms, selectors, services
from palermo.crossborder import vocabulary as v
from palermo.crossborder.models import Direction


def _who(request: HttpRequest) -> tuple[Any, Any]:
    return request.user, getattr(request, "organisation", None)


def _errors_to(form: Any, exc: InvalidInput) -> None:
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, e.message)


def _partners() -> tuple[list[Any], str]:
    """Valid partners (not this instance) and, when none can be used, why."""
    try:
        trust = services.trust_list()
    except Conflict as exc:
        return [], exc.detail
    now = services.now_ts()
    me = services.entity_id()
    return [p for p in trust.partners if p.entity_id != me and p.valid_at(now)], ""


def _choices(partners: list[Any]) -> list[tuple[str, str]]:
    return [(p.entity_id, f"{p.organisation} ({p.country})") for p in partners]


@requires(Perm.CROSSBORDER_SEND)
def home(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    partners, problem = _partners()
    outgoing = selectors.handovers(actor, org, direction=Direction.OUT)
    incoming = selectors.handovers(actor, org, direction=Direction.IN)
    return render(
        request,
        "crossborder/home.html",
        {
            "partners": [
                {
                    "p": p,
                    "basis": _(v.LEGAL_BASES[p.legal_basis]),
                    "role": _(v.PARTNER_ROLES[p.role]),
                    "groups": [_(v.GROUP_LABELS[g]) for g in sorted(p.allowed_groups)],
                    "until": datetime.fromtimestamp(p.valid_until, tz=UTC),
                }
                for p in partners
            ],
            "problem": problem,
            "outgoing": [(h, selectors.is_overdue(h)) for h in outgoing],
            "incoming": incoming,
            "can_receive": has_perm(actor, Perm.CROSSBORDER_RECEIVE, org),
            "overdue": sum(1 for h in outgoing if selectors.is_overdue(h)),
        },
    )


@requires(Perm.CROSSBORDER_SEND)
def send(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    partners, problem = _partners()
    choices = _choices(partners)
    action = request.POST.get("action") if request.method == "POST" else None
    consent_form = forms.ConsentForm(
        request.POST if action == "consent" else None, partners=choices, prefix="c"
    )
    send_form = forms.SendForm(
        request.POST if action == "send" else None, partners=choices, prefix="s"
    )
    if action == "consent" and consent_form.is_valid():
        d = consent_form.cleaned_data
        try:
            services.consent_give(
                actor,
                org,
                case_ref=d["case"],
                partner_id=d["partner"],
                purpose=d["purpose"],
                groups=list(d["groups"]),
                risks_explained=bool(d["risks_explained"]),
                guardian_consent=bool(d["guardian_consent"]),
                expires_on=d["expires_on"],
                request=request,
            )
        except InvalidInput as exc:
            _errors_to(consent_form, exc)
        else:
            messages.success(request, _("The transfer consent is recorded."))
            send_form = forms.SendForm(
                initial={"case": d["case"], "partner": d["partner"], "purpose": d["purpose"]},
                partners=choices,
                prefix="s",
            )
    if action == "send" and send_form.is_valid():
        d = send_form.cleaned_data
        try:
            h = services.handover_send(
                actor,
                org,
                case_ref=d["case"],
                partner_id=d["partner"],
                purpose=d["purpose"],
                handling=d["handling"],
                request=request,
            )
        except InvalidInput as exc:
            _errors_to(send_form, exc)
        else:
            if h.state == "received":
                messages.success(request, _("Sent. The partner's signed receipt has arrived."))
            else:
                messages.warning(
                    request,
                    _(
                        "Sealed, but the partner could not be reached. Try again later or "
                        "carry the file."
                    ),
                )
            return redirect("crossborder:handover", handover_id=h.pk)
    return render(
        request,
        "crossborder/send.html",
        {"consent_form": consent_form, "send_form": send_form, "problem": problem},
    )


def _detail(request: AuthedRequest, h: Any, **extra: Any) -> HttpResponse:
    receipt = None
    deletion = None
    try:
        trust = services.trust_list()
        if h.receipt:
            receipt = env.verify_receipt(
                h.receipt, trust=trust, own_id=services.entity_id(), now=services.now_ts()
            )
        if h.deletion_receipt:
            deletion = env.verify_receipt(
                h.deletion_receipt, trust=trust, own_id=services.entity_id(), now=services.now_ts()
            )
    except (Conflict, env.Rejected):
        pass  # shown as "not verifiable now" below
    partner = None
    with contextlib.suppress(Conflict):
        partner = services.trust_list().find(h.partner)
    data = [
        {
            "label": _(v.GROUP_LABELS.get(group, group)),
            "fields": sorted((name, services.field_text(x, name)) for name, x in values.items()),
        }
        for group, values in sorted((h.payload or {}).items())
    ]
    ctx = {
        "h": h,
        "partner": partner,
        "receipt": receipt,
        "deletion": deletion,
        "groups": [_(v.GROUP_LABELS[g]) for g in h.groups if g in v.GROUP_LABELS],
        "handling": _(v.HANDLING.get(h.handling, "")),
        "data": data,
        "updates": list(h.updates.all()),
        "outgoing": h.direction == Direction.OUT,
        "overdue": selectors.is_overdue(h),
        "reason_word": _(v.REJECT_REASONS.get(h.receipt_reason, "")) if h.receipt_reason else "",
        "status_form": extra.pop("status_form", None) or forms.StatusForm(prefix="st"),
        "revoke_form": extra.pop("revoke_form", None) or forms.RevokeForm(prefix="rv"),
    }
    ctx.update(extra)
    return render(request, "crossborder/handover.html", ctx)


@requires(Perm.CROSSBORDER_SEND)
def handover(request: AuthedRequest, handover_id: int) -> HttpResponse:
    actor, org = _who(request)
    h = services.handover_of(actor, org, handover_id, request)
    return _detail(request, h)


@requires(Perm.CROSSBORDER_SEND)
@require_POST
def handover_action(request: AuthedRequest, handover_id: int) -> HttpResponse:
    actor, org = _who(request)
    action = request.POST.get("action", "")
    status_form = forms.StatusForm(request.POST if action == "status" else None, prefix="st")
    revoke_form = forms.RevokeForm(request.POST if action == "revoke" else None, prefix="rv")
    try:
        if action == "accept":
            services.incoming_accept(actor, org, handover_id, request=request)
            messages.success(request, _("Accepted into a new case; the sender was told."))
            return redirect("crossborder:handover", handover_id=handover_id)
        if action == "status" and status_form.is_valid():
            services.status_send(
                actor, org, handover_id, status_form.cleaned_data["status"], request=request
            )
            messages.success(request, _("The status update was sent and acknowledged."))
            return redirect("crossborder:handover", handover_id=handover_id)
        if action == "revoke" and revoke_form.is_valid():
            services.revoke(
                actor, org, handover_id, revoke_form.cleaned_data["reason"], request=request
            )
            messages.success(request, _("Revoked. The partner confirmed the deletion."))
            return redirect("crossborder:handover", handover_id=handover_id)
    except InvalidInput as exc:
        _errors_to(status_form if action == "status" else revoke_form, exc)
    except Conflict as exc:
        messages.error(request, exc.detail)
        return redirect("crossborder:handover", handover_id=handover_id)
    h = services.handover_of(actor, org, handover_id, request)
    return _detail(request, h, status_form=status_form, revoke_form=revoke_form)


@requires(Perm.CROSSBORDER_SEND)
def envelope_file(request: AuthedRequest, handover_id: int) -> HttpResponse:
    """The sealed envelope as a file for offline carriage (encrypted to the partner)."""
    actor, org = _who(request)
    h = services.handover_of(actor, org, handover_id, request)
    if h.direction != Direction.OUT or not h.envelope:
        raise Conflict(_("Only a sent hand-over has an envelope to carry."))
    resp = HttpResponse(h.envelope, content_type="application/jose")
    resp["Content-Disposition"] = f'attachment; filename="handover-{h.pk}.jwe"'
    return resp


@requires(Perm.CROSSBORDER_SEND)
def police_exchanges(request: AuthedRequest, reference: str) -> HttpResponse:
    """A case's records of exchanges over police channels, and recording one. Reached from the
    case page; a case the user may not see is a 404 (services.NotFound), as everywhere."""
    actor, org = _who(request)
    form = forms.PoliceExchangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.police_exchange_record(
                actor,
                org,
                case_ref=reference,
                channel=d["channel"],
                direction=d["direction"],
                reference=d["reference"],
                handling=d["handling"],
                country=d["country"],
                exchanged_on=d["exchanged_on"],
                note=d["note"],
                request=request,
            )
        except InvalidInput as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect("crossborder:police", reference=reference)
    case, rows = selectors.police_exchanges(actor, org, reference, request=request)
    return render(
        request,
        "crossborder/police.html",
        {
            "case": case,
            "rows": [
                {
                    "r": r,
                    "channel": _(v.POLICE_CHANNELS.get(r.channel, r.channel)),
                    "handling": _(v.HANDLING.get(r.handling, "")),
                }
                for r in rows
            ],
            "form": form,
        },
        status=422 if request.method == "POST" else 200,
    )


MAX_TRUST_LIST_BYTES = 1_000_000


@requires(Perm.CROSSBORDER_ADMIN)
def trust_list(request: AuthedRequest) -> HttpResponse:
    """The trust list in force, and loading a newer signed one."""
    actor, _org = _who(request)
    form = forms.TrustListForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_TRUST_LIST_BYTES:
            form.add_error("file", _("The file is larger than 1 MB."))
        else:
            try:
                text = upload.read().decode("ascii")
                found = services.trust_list_load(text, actor=actor, request=request)
            except UnicodeDecodeError:
                form.add_error("file", _("This is not a signed trust list."))
            except InvalidInput as exc:
                _errors_to(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(
                    request,
                    _("Trust list version %(v)s is in force.") % {"v": found.version},
                )
                return redirect("crossborder:trust_list")
    current, problem = None, ""
    try:
        current = services.trust_list()
    except Conflict as exc:
        problem = exc.detail
    now = services.now_ts()
    rows = [
        {
            "p": p,
            "valid": p.valid_at(now),
            "until": datetime.fromtimestamp(p.valid_until, tz=UTC),
            "kids": ", ".join(str(key.get("kid", "")) for key in p.jwks.get("keys", [])),
        }
        for p in (current.partners if current else ())
    ]
    return render(
        request,
        "crossborder/trust_list.html",
        {
            "current": current,
            "expires": datetime.fromtimestamp(current.expires_at, tz=UTC) if current else None,
            "rows": rows,
            "problem": problem,
            "form": form,
        },
    )
