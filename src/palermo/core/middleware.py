"""Request plumbing: who acts for which organisation, the policy gate, headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from palermo.core import audit
from palermo.core.policy import AUTHENTICATED, PUBLIC, has_perm, policy_of

SESSION_ORG_KEY = "palermo_organisation_id"


class ActiveOrganisationMiddleware:
    """Sets ``request.organisation``: the organisation the user acts for.

    A user with several memberships picks one (stored in the session); roles
    count only there. API tokens set it from the token instead (see api.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organisation = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            orgs = user.organisations()
            chosen = request.session.get(SESSION_ORG_KEY)
            by_id = {o.pk: o for o in orgs}
            if chosen in by_id:
                request.organisation = by_id[chosen]  # type: ignore[attr-defined]
            elif orgs:
                request.organisation = orgs[0]  # type: ignore[attr-defined]
                request.session[SESSION_ORG_KEY] = orgs[0].pk
        return self.get_response(request)


class PolicyMiddleware:
    """Deny by default: a view without a policy mark is refused.

    The Django admin is gated by ``PalermoAdminSite.has_permission`` (same
    policy) and the API by per-operation ``api_requires`` (checked at start-up).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.namespace.startswith("api"):
            return None  # per-operation api_requires, checked at start-up
        if match is not None and match.namespace == "admin":
            from palermo.core.admin import ADMIN_POLICY

            policy = ADMIN_POLICY
        else:
            policy = policy_of(view_func)
        if getattr(view_func, "__module__", "").startswith("django.views.static"):
            return None  # DEBUG-only static file serving
        if policy is None:
            audit.record_refusal(request, perm="(view without policy)")
            return refused(request, status=403)
        if policy.kind == PUBLIC:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if policy.kind == AUTHENTICATED:
            return None
        assert policy.perm is not None
        if not has_perm(request.user, policy.perm, request.organisation):  # type: ignore[attr-defined]
            audit.record_refusal(request, perm=policy.perm)
            return refused(request, status=403)
        return None


def refused(request: HttpRequest, status: int = 403, reason: str = "") -> HttpResponse:
    """The refusal page; ``reason`` says in words why, when it is not the role (issue 15, item 9)."""
    return render(request, "web/refused.html", {"status": status, "reason": reason}, status=status)


class SecurityHeadersMiddleware:
    """Headers Django does not set itself: a strict Content-Security-Policy
    (all scripts and styles are served by Palermo; nothing from third parties),
    and a Permissions-Policy that switches off device APIs Palermo never uses."""

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'self'; object-src 'none'"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Pages show personal data: never keep them in shared caches or the back button.
        if request.user.is_authenticated if hasattr(request, "user") else False:
            response.headers.setdefault("Cache-Control", "no-store")
        return response
