"""The case page's actions grouped by the phase they belong to, and the one next step (issue 15, item 8).

Up to 23 equal buttons told nobody what to do next. Here the actions a person may take are
sorted into a few groups, the group of the case's current phase first, and one of them is
put forward as the next step, with the reason in words. Pure: the view passes plain facts
(from the typed case file) and the slugs of the actions this person may take; nothing here
decides who may do what — it only orders what is already allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Group → the action slugs in it, in the order they are offered.
GROUPS: dict[str, tuple[str, ...]] = {
    "identification": ("decide", "appeal", "legal-basis"),
    "support": ("consent", "refer", "task", "guardian", "child-protection", "bid"),
    "return": ("return-assessment", "return"),
    "proceedings": ("proceedings", "non-punishment", "compensation", "suspect"),
    "record": ("note", "details", "person", "document", "context", "event"),
    "team": ("team", "transition"),
}
# The group each phase of the case works in (first on the page, open).
PHASE_GROUP: dict[str, str] = {
    "identification": "identification",
    "first_line": "support",
    "medium_long_term": "support",
    "return_inclusion": "return",
    "proceedings": "proceedings",
    "closed": "team",
}


@dataclass(frozen=True)
class Facts:
    """What the next step depends on; None where the reader may not see that part."""

    phase: str
    identification_status: str
    is_open: bool
    is_child: bool
    has_lead: bool
    guardian_appointed: bool | None
    overdue_task_id: int | None
    active_consent: bool | None
    referrals: int | None


@dataclass(frozen=True)
class NextStep:
    slug: str
    reason: str  # a key of REASONS (the view words it)
    item_id: int | None = None


def group_order(phase: str) -> list[str]:
    """The groups, the current phase's first, the others in their usual order."""
    first = PHASE_GROUP.get(phase, "record")
    return [first] + [g for g in GROUPS if g != first]


def grouped(available: list[str], phase: str) -> list[tuple[str, list[str]]]:
    """(group, slugs) for the groups that have an available action, current phase first.
    Every available slug appears exactly once (an unknown one under "record")."""
    known = {s for slugs in GROUPS.values() for s in slugs}
    out = []
    for g in group_order(phase):
        slugs = [s for s in GROUPS[g] if s in available]
        if g == "record":
            slugs += [s for s in available if s not in known]
        if slugs:
            out.append((g, slugs))
    return out


def next_step(f: Facts, available: set[str], *, can_mark_tasks: bool) -> NextStep | None:
    """The one action to put first, or None when this person can do nothing here."""
    # In order of priority: the first that holds is the next step (every test is cheap).
    candidates: tuple[tuple[bool, NextStep], ...] = (
        (
            f.identification_status == "potential" and "decide" in available,
            NextStep("decide", "decide"),
        ),
        (
            f.identification_status in ("presumed", "identified")
            and f.is_open
            and not f.has_lead
            and "team" in available,
            NextStep("team", "lead"),
        ),
        (
            f.is_child and f.guardian_appointed is False and "guardian" in available,
            NextStep("guardian", "guardian"),
        ),
        (
            f.overdue_task_id is not None and can_mark_tasks,
            NextStep("task-done", "overdue", f.overdue_task_id),
        ),
        (
            f.is_open and f.active_consent is False and "consent" in available,
            NextStep("consent", "consent"),
        ),
        (
            bool(f.is_open and f.active_consent and f.referrals == 0 and "refer" in available),
            NextStep("refer", "refer"),
        ),
        (not f.is_open and "transition" in available, NextStep("transition", "reopen")),
        ("note" in available, NextStep("note", "note")),
        (
            f.phase == "proceedings" and "compensation" in available,
            NextStep("compensation", "compensation"),
        ),
    )
    return next((step for holds, step in candidates if holds), None)


def first_overdue(tasks: list[tuple[int, date, bool]] | None, today: date) -> int | None:
    """The id of the open task due longest ago, if any is overdue. ``tasks``: (id, due, done)."""
    late = sorted((due, pk) for pk, due, done in tasks or [] if not done and due < today)
    return late[0][1] if late else None
