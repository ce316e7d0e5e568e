"""Friendly error pages, in the demo too (issue 15, item 9).

Django shows its technical pages when DEBUG is on (the demo runs with DEBUG): a 404
lists every URL pattern, a 500 shows settings and local variables. Those are for a
developer at their desk, never for a frontline worker or a visitor to a demo, so
``FriendlyErrorsMiddleware`` replaces them with Palermo's own pages unless the developer
asks for them explicitly with ``PALERMO_DEBUG_PAGES=1`` (only honoured with DEBUG on).
It also gives a page to the blank 405 Django answers for a wrong method (a GET on an
export URL).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.template import loader

# Django's technical 404/500/CSRF pages all carry this tag (django/views/templates/*.html).
_TECHNICAL_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


def _friendly(response: HttpResponse) -> HttpResponse:
    response.palermo_friendly = True  # type: ignore[attr-defined]
    return response


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _friendly(render(request, "web/refused.html", {"status": 403}, status=403))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _friendly(render(request, "web/refused.html", {"status": 404}, status=404))


def not_allowed(request: HttpRequest, allowed: str = "") -> HttpResponse:
    response = render(request, "web/refused.html", {"status": 405}, status=405)
    if allowed:
        response["Allow"] = allowed
    return _friendly(response)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever failed (the database?) must not fail this page too.
    return _friendly(HttpResponse(loader.get_template("web/error.html").render({}), status=500))


def debug_pages_wanted() -> bool:
    return bool(settings.DEBUG and getattr(settings, "PALERMO_DEBUG_PAGES", False))


class FriendlyErrorsMiddleware:
    """Swap Django's technical error pages and blank 405s for Palermo's pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "palermo_friendly", False) or response.status_code < 400:
            return response
        if request.path.startswith("/api/"):
            return response  # the API answers in JSON
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            return not_allowed(request, response.get("Allow", ""))
        if debug_pages_wanted() or getattr(response, "streaming", False):
            return response
        if _TECHNICAL_MARK not in response.content[:2000]:
            return response  # a page of Palermo's own (a refusal with its reason, a form's errors)
        if response.status_code == 404:
            return not_found(request)
        if response.status_code == 403:
            return forbidden(request)
        return server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check: say so in words, not "your role" (and not Django's page)."""
    from django.utils.translation import gettext as _

    text = _(
        "This form could not be accepted: it was open for too long, or your session ended in the "
        "meantime, or it was sent from another site. Nothing was changed. Go back, reload the page "
        "and try again."
    )
    return _friendly(
        render(request, "web/refused.html", {"status": 403, "reason": text}, status=403)
    )
