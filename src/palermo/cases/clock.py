"""The case file's clock: one place to read "now" and "today".

Deadlines are days in the deployment's time zone. ``travel`` sets the clock
for a block of code — the demo generator uses it to build a history of cases
opened over past months, and tests use it to watch a deadline become overdue
instead of waiting or editing stored dates. It is process-wide on purpose
(a browser test's server thread must see it too), so it is for the demo,
tests and one-off imports, never for a request handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.utils import timezone

_override: datetime | None = None


def now() -> datetime:
    return _override if _override is not None else timezone.now()


def today() -> date:
    return timezone.localtime(now()).date()


@contextmanager
def travel(to: datetime) -> Iterator[None]:
    global _override
    previous, _override = _override, to
    try:
        yield
    finally:
        _override = previous
