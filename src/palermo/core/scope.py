"""Data scope: which organisations' data a user may reach through powers that span the instance.

In a production instance nothing is scoped: the identification body's co-ordinators hold the
national powers (the whole audit trail, every case, break-glass, statistics) and
``organisations_in_scope`` answers ``None`` ("no limit"). A *scope provider* registered by a
context may narrow that for some users to a set of organisation ids: the exercise context does so
for a trainee in an exercise instance, whose team's copies of the organisations are all they may
reach (docs/exercise.md, "Team isolation"). The rules that consult the scope are:

* ``policy.has_perm`` withholds ``policy.NATIONAL_ONLY`` from a scoped user (powers that have
  no meaning inside one team: the national statistics, imports, the national plan);
* ``core.selectors.audit_entries_visible_to`` keeps the entries made for the scope's
  organisations;
* the case file's selectors (``cases.selectors``: ``AccessFacts.in_scope``,
  ``cases_visible_to``, oversight lists) and services (break-glass, the service directory)
  keep the cases and rows of the scope's organisations.

A provider is a function of the user answering ``None`` (no opinion) or a frozenset of
organisation ids; several providers intersect. Pure: no Django import (the registry is filled
in an ``AppConfig.ready``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from palermo.core.models import Organisation, User

ScopeProvider = Callable[[Any], frozenset[int] | None]

_PROVIDERS: list[ScopeProvider] = []
CACHE_PREFIX = "_palermo_scope"


def register(provider: ScopeProvider) -> None:
    """Add ``provider`` (idempotent: an app's ``ready`` may run more than once in tests)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def organisations_in_scope(user: User | Any | None) -> frozenset[int] | None:
    """The organisation ids ``user``'s data is limited to, or ``None`` when nothing limits it.

    Asked on every permission check: a provider keeps its answer on the user object for the
    request (like the user's roles), under a key starting with ``_palermo_scope``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    result: frozenset[int] | None = None
    for provider in _PROVIDERS:
        answer = provider(user)
        if answer is not None:
            result = answer if result is None else result & answer
    return result


def is_scoped(user: User | Any | None) -> bool:
    return organisations_in_scope(user) is not None


def reaches(user: User | Any | None, organisation_id: int | None) -> bool:
    """True when ``user`` may reach data made for ``organisation_id`` (always, unscoped)."""
    scope = organisations_in_scope(user)
    return scope is None or (organisation_id is not None and organisation_id in scope)


def reaches_any(user: User | Any | None, organisation_ids: set[int] | frozenset[int]) -> bool:
    scope = organisations_in_scope(user)
    return scope is None or bool(scope & set(organisation_ids))


def forget(user: User | Any) -> None:
    """Drop the providers' cached answers (after a membership change in the same request)."""
    for key in [k for k in user.__dict__ if k.startswith(CACHE_PREFIX)]:
        del user.__dict__[key]


def note_out_of_scope(
    *,
    actor: User | Any,
    organisation: Organisation | None,
    object_type: str,
    object_ref: str = "",
    request: Any = None,
) -> None:
    """Audit a scoped user's request for something outside their scope, as a refusal.

    Called for every miss of a scoped user (whether the object exists or not), so the trail
    of the user's own team is no oracle of what exists elsewhere. Unscoped users: nothing."""
    if not is_scoped(actor):
        return
    from palermo.core import audit
    from palermo.core.models import AuditAction

    audit.record(
        action=AuditAction.REFUSED,
        actor=actor,
        organisation=organisation,
        object_type=object_type,
        object_ref=object_ref[:64],
        outcome="refused",
        request=request,
        details={"reason": "out_of_scope"},
    )
