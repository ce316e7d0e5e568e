"""Structured logs (docs/architecture.md, "Logging"): one line per request and per event, each
with the request id, the user id and the organisation id — never personal data.

- ``RequestContextMiddleware`` gives every request an id (``X-Request-ID``, echoed in the
  response), keeps the request for the log filter while it runs, and writes one ``request``
  line when it ends: method, the URL *pattern* (``cases/<str:reference>/``, never the path
  with its values, never the query string, which may hold a searched name), status, duration.
- ``ContextFilter`` adds ``request_id``, ``user_id`` and ``organisation_id`` to every record
  logged while a request runs (``-`` outside one: a worker, the command line).
- Settings pick the formatter: JSON lines (python-json-logger) in production, readable text
  in the demo and with ``DEBUG`` (``PALERMO_LOG_FORMAT=json|text`` overrides).

What may be logged: ids (database keys, pseudonymous references), codes, counts, statuses and
durations. What may not: names, dates of birth, document numbers, contacts, free text, uploaded
content, query strings and exception messages that quote input. A test signs in as the demo
personas, walks their journeys and fails if a demo person's name, birth date or document
number appears in any log line (tests/security/test_logs_no_personal_data.py).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # settings import this module: no Django at import time
    from django.http import HttpRequest, HttpResponse

_current: ContextVar[HttpRequest | None] = ContextVar("palermo_request", default=None)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

log = logging.getLogger("palermo.request")


def _user_id(request: HttpRequest) -> str:
    user = request.__dict__.get("user")
    if user is None:
        return "-"
    # ``request.user`` is a lazy object until first used: never load it for a log line (that
    # would query the database from inside logging).
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped.__class__.__name__ == "object":
        return "-"
    pk = getattr(wrapped, "pk", None)
    return str(pk) if pk is not None else "-"


def _organisation_id(request: HttpRequest) -> str:
    organisation = request.__dict__.get("organisation")
    pk = getattr(organisation, "pk", None)
    return str(pk) if pk is not None else "-"


def context(request: HttpRequest | None = None) -> dict[str, str]:
    """The ids of ``request``, or of the request being handled (``-`` outside a request)."""
    request = request if request is not None else _current.get()
    if request is None:
        return {"request_id": "-", "user_id": "-", "organisation_id": "-"}
    return {
        "request_id": str(getattr(request, "request_id", "-")),
        "user_id": _user_id(request),
        "organisation_id": _organisation_id(request),
    }


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``user_id`` and ``organisation_id`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a 4xx/5xx answer with the request attached, after the middleware has
        # finished: take the ids from it, and never let its text (the path *with the query
        # string*) reach a line — keep only the URL pattern.
        attached = record.__dict__.get("request")
        request = attached if hasattr(attached, "META") else None
        if request is not None:
            record.request = _route(request)
        for key, value in context(request).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _route(request: HttpRequest) -> str:
    match = request.resolver_match
    return str(match.route) if match is not None and match.route else "-"


class RequestContextMiddleware:
    """First in the chain: the request id, the log context, and the one ``request`` line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex  # type: ignore[attr-defined]
        token = _current.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
            log.info(
                "request",
                extra={
                    "event": "request",
                    "method": request.method,
                    "route": _route(request),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _current.reset(token)


def text_format() -> str:
    return (
        "%(asctime)s %(levelname)s %(name)s "
        "[req=%(request_id)s user=%(user_id)s org=%(organisation_id)s] %(message)s%(fields)s"
    )


class TextFormatter(logging.Formatter):
    """The demo's readable line: the message, then the structured fields as ``key=value``."""

    _STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
        "message",
        "asctime",
        "request_id",
        "user_id",
        "organisation_id",
        "fields",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(text_format())

    def format(self, record: logging.LogRecord) -> str:
        # A copy: other handlers see the record as it was.
        record = logging.makeLogRecord(record.__dict__)
        extra = {k: v for k, v in record.__dict__.items() if k not in self._STANDARD}
        record.fields = "".join(f" {k}={v}" for k, v in extra.items())
        for key in ("request_id", "user_id", "organisation_id"):
            if not hasattr(record, key):
                setattr(record, key, "-")
        return super().format(record)


def logging_config(*, json_lines: bool, level: str) -> dict[str, Any]:
    """The ``LOGGING`` setting: every record to standard error, one line each."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if json_lines
        else {"()": "palermo.core.logs.TextFormatter"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "palermo.core.logs.ContextFilter"}},
        "formatters": {"palermo": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "palermo",
            }
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "palermo": {"level": level},
            # Django's own request warnings name the path (pseudonymous ids only); its
            # development server's lines quote the query string, which may hold a searched
            # name: ours replaces them.
            "django.server": {"level": "ERROR"},
            # Django's own console handler (DEBUG only) would print its records a second time,
            # unfiltered: they go to ours alone.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
        },
    }
