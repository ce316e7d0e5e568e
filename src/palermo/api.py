"""The HTTP API at /api/v1/ (django-ninja), its authentication, its one error
format, its pagination, and the routers of every bounded context.

Every operation is marked with ``palermo.core.policy.api_requires``; building
the API fails at start-up if one is not (deny by default).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from palermo.core.apiutil import ErrorOut, PalermoPagination  # noqa: F401  (re-exported)
from palermo.core.errors import PalermoError
from palermo.core.middleware import note_refusal
from palermo.core.policy import policy_of
from palermo.core.tokens import token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer plm_…`` – a personal access token."""

    def __call__(self, request: HttpRequest) -> Any:
        # Read the header here: ninja's HttpBearer logs the whole header at ERROR when the
        # scheme is not "Bearer" and DEBUG is on (a Basic password, a token under another
        # scheme would be in the log). Same parsing: the scheme, then everything after a space.
        scheme, _space, token = request.headers.get(self.header, "").partition(" ")
        if not scheme or scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = token_authenticate(token)
        if found is None:
            return None
        request.user = found.user
        request.organisation = found.organisation  # type: ignore[attr-defined]
        return found


class BrowserSession(SessionAuth):
    """The web UI's own session (CSRF-checked), so htmx can call the API."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and getattr(request, "organisation", None) is None:
            return None
        return user


api = NinjaAPI(
    title="Palermo API",
    version="1",
    description=(
        "Palermo's HTTP API. Authenticate with a personal access token "
        "(`Authorization: Bearer plm_…`, created under *API tokens* in the web UI). "
        "Errors share one shape: `{detail, errors: [{field, message}]}`. "
        "Lists are paginated with `page` and `page_size`."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), BrowserSession()],
    docs_url="/docs",
)


def _field_name(loc: Any) -> str:
    parts = [str(p) for p in loc]
    # Body schemas are always bound to a parameter called ``payload``: drop it.
    if len(parts) > 1 and parts[0] == "body" and parts[1] == "payload":
        parts = parts[2:] or ["body"]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "body"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field_name(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors
    ]
    return api.create_response(request, {"detail": "Invalid input.", "errors": errors}, status=422)


@api.exception_handler(PalermoError)
def _palermo_error(request: HttpRequest, exc: PalermoError) -> HttpResponse:
    """Every service refusal, whichever operation raised it: its status, the one error shape,
    and an audit entry for a refusal (docs/architecture.md, "Errors")."""
    note_refusal(request, exc)
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc.message), "errors": []}, status=exc.status_code
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "Authentication required: send a valid personal access token.", "errors": []},
        status=401,
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found.", "errors": []}, status=404)


# Routers of the bounded contexts: each context with an ``api.py`` exposing ``router``.
CONTEXT_ROUTERS = [
    ("", "palermo.core.api"),
    ("/screenings", "palermo.screening.api"),
    ("/cases", "palermo.cases.api"),
    ("/stats", "palermo.stats.api"),
    ("/investigations", "palermo.investigate.api"),
    ("/jobs", "palermo.jobs.api"),
    ("/monitor", "palermo.monitor.api"),
    ("/monitor/surveys", "palermo.monitor.survey_api"),
    ("/monitor/visits", "palermo.monitor.visit_api"),
    ("/supply", "palermo.supply.api"),
    ("/supply", "palermo.supply.api_diligence"),  # issue 18: clauses, gates, packs, statement
    ("/supply", "palermo.supply.api_saq"),  # questionnaires, product classifications
    ("/supply", "palermo.supply.api_portfolio"),  # suppliers and contracts as a whole
    ("/exercises", "palermo.exercise.api"),
    ("/prevent", "palermo.prevent.api"),
    ("/crossborder", "palermo.crossborder.api"),
]

for _prefix, _module in CONTEXT_ROUTERS:
    try:
        _mod = importlib.import_module(_module)
    except ModuleNotFoundError as exc:  # a context whose API has not been written yet
        if exc.name != _module:
            raise
        continue
    api.add_router(_prefix, _mod.router)


def iter_operations(
    routers: Iterable[tuple[str, Any]] | None = None,
) -> Iterator[tuple[str, str, Any]]:
    """(path, method, view function) for every operation of the API (or of ``routers``),
    nested routers included: a context that mounts a sub-router with ``add_router`` must
    not slip past the start-up check below. Each router is walked once, whether it is
    reached through its parent or listed on its own (django-ninja lists nested routers
    at the top once the URLs are built)."""
    seen: set[int] = set()

    def walk(prefix: str, router: Any) -> Iterator[tuple[str, str, Any]]:
        if id(router) in seen:
            return
        seen.add(id(router))
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                for method in op.methods:
                    yield prefix + path, method, op.view_func
        for child_prefix, child, *_ in router._routers:
            yield from walk(prefix + child_prefix, child)

    for prefix, router in api._routers if routers is None else routers:
        yield from walk(prefix, router)


_unmarked = [f"{m} {p}" for p, m, fn in iter_operations() if policy_of(fn) is None]
if _unmarked:
    raise ImproperlyConfigured(
        f"API operations without a permission policy: {', '.join(_unmarked)}"
    )
