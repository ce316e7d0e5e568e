"""Idle session timeout without a session write on every request.

Sessions end after ``SESSION_COOKIE_AGE`` idle seconds (shared office computers are the
norm in the field). Django's ``SESSION_SAVE_EVERY_REQUEST`` keeps that promise by
writing the session row on every request — one UPDATE and a commit per page, nearly
always to push the expiry a few seconds further (issue 13: the case page benchmark).

This middleware keeps the same rule another way: the session remembers when its expiry
was last pushed, and a request pushes it again (one write) only once ``refresh_seconds``
have passed since. So a session still ends between ``SESSION_COOKIE_AGE - refresh`` and
``SESSION_COOKIE_AGE`` seconds after the last request — never later — and a page that
changes nothing in the session writes nothing.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse

SEEN_KEY = "_palermo_expiry_pushed_at"


def refresh_seconds() -> int:
    """How stale the expiry may get: a minute, or a tenth of the idle timeout when shorter."""
    return max(1, min(60, int(settings.SESSION_COOKIE_AGE) // 10))


def _now() -> float:
    return time.time()


class IdleTimeoutSessionMiddleware(SessionMiddleware):
    """Django's session middleware, pushing the idle expiry at most once per ``refresh_seconds``."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        # Only an existing, live session is touched: no cookie (or an expired one) means
        # nothing to keep alive, and creating a row for an anonymous visitor is not wanted.
        if session is not None and session.session_key and not session.is_empty():
            now = _now()
            pushed = session.get(SEEN_KEY)
            if not isinstance(pushed, (int, float)) or now - pushed >= refresh_seconds():
                session[SEEN_KEY] = int(now)  # marks the session modified: saved below
        return super().process_response(request, response)
