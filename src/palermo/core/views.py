"""Web views of the core context: sign-in, organisation switch, API tokens, audit trail."""

from __future__ import annotations

import csv
from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from palermo.core import audit, mfa_views, reset_limits, scope, tokens
from palermo.core.forms import AuditFilterForm, TokenForm
from palermo.core.middleware import SESSION_ORG_KEY
from palermo.core.models import PersonalAccessToken
from palermo.core.policy import Perm, authenticated, has_perm, public, requires
from palermo.core.request import AuthedRequest, SignedInRequest
from palermo.core.selectors import AuditFilter, audit_entries_visible_to
from palermo.core.spreadsheet import spreadsheet_safe

# --- sign-in and passwords (Django's views, marked with their policy) ----------

# The login view adds the second step and single sign-on (see mfa_views.py).
login = mfa_views.login
logout = authenticated(auth_views.LogoutView.as_view())


def tell_tokens_revoked(request: HttpRequest, count: int, *, own: bool = True) -> None:
    """Say on the next page that a password change revoked API tokens (``User.save`` did it)."""
    if not count:
        return
    if own:
        text = ngettext(
            "%(n)d API token was revoked: a new password ends the old ones. Create a new "
            "token where you need one; it is shown once.",
            "%(n)d API tokens were revoked: a new password ends the old ones. Create new "
            "tokens where you need them; each is shown once.",
            count,
        )
    else:
        text = ngettext(
            "%(n)d API token of this user was revoked with the old password.",
            "%(n)d API tokens of this user were revoked with the old password.",
            count,
        )
    messages.warning(request, text % {"n": count})


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        tell_tokens_revoked(self.request, form.user.tokens_revoked)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        tell_tokens_revoked(self.request, form.user.tokens_revoked)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, rate-limited per client and per address asked for
    (``core.reset_limits``); past a limit it answers the same and sends nothing."""

    def form_valid(self, form: Any) -> HttpResponse:
        if not reset_limits.allow(self.request, form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


password_change = authenticated(PasswordChangeView.as_view())
password_change_done = authenticated(auth_views.PasswordChangeDoneView.as_view())
password_reset = public("requesting a reset link")(PasswordResetView.as_view())
password_reset_done = public("reset link sent")(auth_views.PasswordResetDoneView.as_view())
password_reset_confirm = public("following a reset link")(PasswordResetConfirmView.as_view())
password_reset_complete = public("reset complete")(auth_views.PasswordResetCompleteView.as_view())


@authenticated
@require_POST
def switch_organisation(request: SignedInRequest) -> HttpResponse:
    try:
        org_id = int(request.POST.get("organisation", ""))
    except ValueError:
        org_id = -1
    orgs = {o.pk: o for o in request.user.organisations()}
    if org_id not in orgs:
        messages.error(request, _("You are not a member of that organisation."))
    else:
        request.session[SESSION_ORG_KEY] = org_id
        messages.success(request, _("You now act for %(org)s.") % {"org": orgs[org_id].name})
    return redirect("dashboard")


# --- personal access tokens -------------------------------------------------------


@authenticated
def token_list(request: SignedInRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created_clear = None
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data.get("expires_at")
        expires_at = (
            datetime.combine(expires, time.max, tzinfo=timezone.get_current_timezone())
            if expires
            else None
        )
        try:
            _token, created_clear = tokens.token_create(
                actor=request.user,
                organisation=request.organisation,
                name=form.cleaned_data["name"],
                expires_at=expires_at,
            )
            form = TokenForm()
        except tokens.TokenError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    items = PersonalAccessToken.objects.filter(user=request.user).select_related("organisation")
    return render(
        request, "core/tokens.html", {"form": form, "tokens": items, "created_clear": created_clear}
    )


@authenticated
def token_revoke(request: SignedInRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.user)
    if request.method == "POST":
        tokens.token_revoke(actor=request.user, token=token)
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
        return redirect("token_list")
    # GET shows a confirmation page: revoking breaks the client that uses it.
    return render(request, "core/token_revoke.html", {"token": token})


# --- audit trail -------------------------------------------------------------------


def _audit_filter(request: HttpRequest) -> tuple[AuditFilterForm, AuditFilter | None]:
    form = AuditFilterForm(request.GET or None)
    if not request.GET:
        return form, AuditFilter()
    if not form.is_valid():
        return form, None
    return form, AuditFilter(**{k: v for k, v in form.cleaned_data.items() if v not in (None, "")})


def _entry_out_of_scope(request: AuthedRequest, f: AuditFilter, qs: Any) -> None:
    """A scoped user (a trainee in an exercise instance) asking for one entry outside their
    scope: an audited refusal and "not found" (``core.scope``). Nobody else is affected."""
    if f.entry is None or not scope.is_scoped(request.user) or qs.exists():
        return
    scope.note_out_of_scope(
        actor=request.user,
        organisation=request.organisation,
        object_type="audit_entry",
        object_ref=str(f.entry),
        request=request,
    )
    raise Http404("not found")


@requires(Perm.VIEW_AUDIT)
def audit_list(request: AuthedRequest) -> HttpResponse:
    form, f = _audit_filter(request)
    page = None
    if f is not None:
        qs = audit_entries_visible_to(request.user, request.organisation, f)
        _entry_out_of_scope(request, f, qs)
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        audit.record_request(
            request, action="read", object_type="audit_trail", details={"filters": f.as_details()}
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_export": has_perm(request.user, Perm.EXPORT_AUDIT, request.organisation),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@requires(Perm.EXPORT_AUDIT)
def audit_export(request: AuthedRequest) -> HttpResponseBase:
    form, f = _audit_filter(request)
    if f is None:
        return render(
            request, "core/audit_list.html", {"form": form, "page": None, "query": ""}, status=400
        )
    qs = audit_entries_visible_to(request.user, request.organisation, f)
    _entry_out_of_scope(request, f, qs)
    audit.record_request(
        request, action="export", object_type="audit_trail", details={"filters": f.as_details()}
    )
    writer = csv.writer(_Echo())
    header = [
        "seq",
        "at",
        "actor_username",
        "organisation_id",
        "action",
        "object_type",
        "object_ref",
        "purpose",
        "outcome",
        "prev_hash",
        "hash",
    ]

    def rows():  # type: ignore[no-untyped-def]
        yield writer.writerow(header)
        for e in qs.order_by("id").iterator(chunk_size=2000):
            # Usernames tried at the login form and typed reasons are in here: no cell
            # may run as a spreadsheet formula when a co-ordinator opens the file.
            yield writer.writerow(
                [spreadsheet_safe(getattr(e, h)) if h != "at" else e.at.isoformat() for h in header]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="palermo-audit.csv"'
    return response
