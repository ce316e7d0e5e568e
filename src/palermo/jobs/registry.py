"""The kinds of background job, contributed by each bounded context.

A context registers its kinds in its ``AppConfig.ready`` (e.g. ``stats/jobs.py``): the
handler that does the work, the permission a user needs to start the job *and* to see it
afterwards, and the template that shows its result. The jobs context knows nothing else
about the work, so contexts stay apart (DESIGN.md: contexts talk through small modules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from palermo.jobs.models import Job
    from palermo.jobs.services import JobOutcome, JobRun


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Any  # a lazy translation: what the user reads in the list of jobs
    perm: str  # needed to start the job and, later, to see it
    handler: Callable[[JobRun], JobOutcome]
    result_template: str  # rendered on the job's page with ``job``, ``summary`` and ``report``
    back: Callable[[Job], tuple[str, Any] | None] = field(
        default=lambda job: None
    )  # (url, label) to go back to


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    existing = _KINDS.get(kind.name)
    if existing is not None and existing.handler is not kind.handler:
        raise ValueError(f"job kind {kind.name!r} registered twice")
    _KINDS[kind.name] = kind


def get(name: str) -> JobKind | None:
    return _KINDS.get(name)


def kinds() -> list[JobKind]:
    return list(_KINDS.values())
