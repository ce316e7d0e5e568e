"""Request plumbing: who acts for which organisation, the policy gate, headers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from palermo.core import audit
from palermo.core.errors import InvalidInput, NotAllowed, NotFound, PalermoError
from palermo.core.policy import AUTHENTICATED, PUBLIC, ViewPolicy, has_perm, policy_of

log = logging.getLogger("palermo.request")

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

            policy: ViewPolicy | None = ADMIN_POLICY
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


# --- One error path (docs/architecture.md, "Errors") ---------------------------------------------

# The audit trail's object type for a refusal raised under an API prefix.
_API_OBJECT_TYPES = {
    "cases": "case",
    "investigations": "investigation",
    "screenings": "screening",
    "jobs": "job",
    "monitor": "monitor",
    "stats": "stats",
}


def note_refusal(request: HttpRequest, exc: PalermoError) -> None:
    """Audit a ``NotAllowed`` (once per request) and log every refusal without personal data."""
    if getattr(request, "_palermo_refusal_noted", False):
        return
    request._palermo_refusal_noted = True  # type: ignore[attr-defined]
    if not isinstance(exc, NotAllowed):  # (a refusal is logged by the audit trail's record)
        log.info(
            "refused",
            extra={"event": "refused", "error": type(exc).__name__, "status": exc.status},
        )
        return
    object_type = exc.object_type
    if not object_type:
        parts = request.path.split("/")
        # /api/v1/<prefix>/… → the prefix's object type; /<context>/… for a page
        segment = parts[3] if request.path.startswith("/api/") and len(parts) > 3 else parts[1]
        object_type = _API_OBJECT_TYPES.get(segment, segment)[:40]
    audit.record_refusal(request, perm=exc.perm or None, object_type=object_type)


class ErrorMiddleware:
    """A ``PalermoError`` no view caught becomes its status and the one error shape: JSON under
    ``/api/``, the refusal page elsewhere. A refusal (``NotAllowed``) is audited, so a view or
    endpoint that forgets to catch one answers 403, never 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PalermoError):
            return None
        note_refusal(request, exception)
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            return JsonResponse(exception.as_dict(), status=exception.status)
        reason = "" if isinstance(exception, NotAllowed | NotFound) else exception.detail
        if isinstance(exception, InvalidInput):
            reason = " ".join(e.message for e in exception.errors) or exception.detail
        return refused(request, status=exception.status, reason=reason)


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


# --- Bounded, well-formed input (issue 11) ----------------------------------------------------------


def _text_problem(value: str) -> str | None:
    """Why a decoded text cannot be accepted: a NUL character (PostgreSQL refuses it in text, C
    libraries truncate at it) or a lone surrogate (not Unicode; fails when written anywhere)."""
    if "\x00" in value:
        return "nul"
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "surrogate"
    return None


def _bytes_problem(raw: bytes) -> str | None:
    if b"\x00" in raw:
        return "nul"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "utf8"
    return None


def _query_problem(query: str, max_fields: int = 10_000) -> tuple[str, str] | None:
    """(field, problem) for the first bad name or value of an URL-encoded string (query or form body)."""
    from urllib.parse import unquote_to_bytes

    for part in query.split("&")[:max_fields]:
        if not part:
            continue
        name, _sep, value = part.partition("=")
        name_b = unquote_to_bytes(name.replace("+", " "))
        field = name_b.decode("utf-8", "replace").replace("\x00", "") or "?"
        for raw in (name_b, unquote_to_bytes(value.replace("+", " "))):
            problem = _bytes_problem(raw)
            if problem:
                return field, problem
    return None


def _json_problem(document: object, max_values: int = 100_000) -> tuple[str, str] | None:
    """(field path, problem) for the first key or string of a parsed JSON body that is not clean text."""
    stack: list[tuple[str, object]] = [("", document)]
    seen = 0
    while stack and seen < max_values:
        path, value = stack.pop()
        seen += 1
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                return path or "body", problem
        elif isinstance(value, dict):
            for k, v in value.items():
                key = str(k)
                sub = f"{path}.{key}" if path else key
                problem = _text_problem(key)
                if problem:
                    return (path or "body"), problem
                stack.append((sub, v))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(value))
    return None


class InputSafetyMiddleware:
    """One gate before every view and API operation: the path, every query parameter and every
    form or JSON body field must be valid UTF-8 text without NUL characters or lone surrogates,
    and no body may be larger than the largest upload an importer accepts.

    A request that fails is answered before any view runs — 422 (413 for the size) in the API's
    one error shape under ``/api/``, a 400 page saying what is wrong elsewhere — and changes nothing.
    The offending value is never echoed (it may be personal data); only the field's name is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        limit = int(getattr(settings, "PALERMO_REQUEST_MAX_BYTES", 0) or 0)
        path = request.META.get("PATH_INFO", "")
        for prefix, prefix_limit in getattr(
            settings, "PALERMO_REQUEST_MAX_BYTES_BY_PREFIX", {}
        ).items():
            if path.startswith(prefix):
                limit = int(prefix_limit)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            return _too_large(request, limit)
        from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent

        try:
            found = self._problem(request)
        except RequestDataTooBig:
            # A form field (not a file) over DATA_UPLOAD_MAX_MEMORY_SIZE: the same answer as a
            # body over the limit, in the API's one shape, instead of Django's bare 400 page.
            from django.conf import settings as conf

            return _too_large(request, int(conf.DATA_UPLOAD_MAX_MEMORY_SIZE or 0))
        except TooManyFieldsSent:
            return _bad_input(request, "body", "fields")
        if found is not None:
            return _bad_input(request, *found)
        return self.get_response(request)

    def _problem(self, request: HttpRequest) -> tuple[str, str] | None:
        raw_path = request.META.get("PATH_INFO", "")
        try:
            path_bytes = raw_path.encode("iso-8859-1")  # WSGI: the path's bytes as latin-1 text
        except UnicodeEncodeError:
            path_bytes = raw_path.encode("utf-8", "surrogatepass")
        problem = _bytes_problem(path_bytes)
        if problem:
            return "path", problem
        found = _query_problem(request.META.get("QUERY_STRING", ""))
        if found:
            return found
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        ctype = request.content_type or ""
        if ctype == "application/json" or ctype.endswith("+json"):
            return self._json_body(request)
        if ctype == "application/x-www-form-urlencoded":
            found = _query_problem(request.body.decode("iso-8859-1"))
            if found:
                return found
        if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, values in request.POST.lists():
                for text in (key, *values):
                    problem = _text_problem(text)
                    if problem:
                        return key.replace("\x00", "") or "?", problem
            for key, files in request.FILES.lists():
                for f in files:
                    problem = _text_problem(f.name or "")
                    if problem:
                        return key, problem
        return None

    def _json_body(self, request: HttpRequest) -> tuple[str, str] | None:
        import json

        body = request.body
        if not body:
            return None
        problem = _bytes_problem(body)
        if problem == "utf8":
            return "body", problem
        try:
            document = json.loads(body)
        except ValueError:
            return None  # malformed JSON: the operation answers 422 itself
        except RecursionError:
            return "body", "deep"
        return _json_problem(document)


def _input_message(problem: str) -> str:
    from django.utils.translation import gettext as _

    return {
        "nul": _("contains a NUL character, which Palermo does not accept."),
        "surrogate": _("contains text that is not valid Unicode."),
        "utf8": _("is not valid UTF-8 text."),
        "deep": _("is nested too deeply."),
        "fields": _("holds more fields than Palermo accepts in one request."),
    }[problem]


def _bad_input(request: HttpRequest, field: str, problem: str) -> HttpResponse:
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    detail = _(
        "The request was refused: a value holds characters Palermo cannot accept. Nothing was changed."
    )
    message = _input_message(problem)
    if request.path_info.startswith("/api/") or request.META.get("PATH_INFO", "").startswith(
        "/api/"
    ):
        # 422 like every other invalid value in the API (the one error shape, field named)
        return JsonResponse(
            {"detail": detail, "errors": [{"field": field, "message": message}]}, status=422
        )
    return render(
        request,
        "web/bad_input.html",
        {"status": 400, "detail": detail, "field": field, "message": message},
        status=400,
    )


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    from palermo.core.limits import human_size

    detail = _(
        "The request is larger than the limit of %(limit)s: nothing was read or changed."
    ) % {"limit": human_size(limit)}
    if request.META.get("PATH_INFO", "").startswith("/api/"):
        return JsonResponse(
            {"detail": detail, "errors": [{"field": "body", "message": detail}]}, status=413
        )
    response = render(
        request,
        "web/bad_input.html",
        {"status": 413, "detail": detail, "field": "", "message": ""},
        status=413,
    )
    # The body was not read: the connection cannot be reused for another request.
    response["Connection"] = "close"
    return response
