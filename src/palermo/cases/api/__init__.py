"""Case-file API: everything the case pages can do, at /api/v1/cases.

Paths carry only the pseudonymous case reference. Edits of the case name the ``version`` they
were based on; a stale version is answered 409 and nothing is saved. (No ``from __future__
import annotations`` in this package: django-ninja reads the annotations at run time.)

One module per part of the case file (issue 14), as in ``palermo.cases.services``: ``listing``,
``opening``, ``directory``, ``received_referrals``, ``break_glass``, ``reading``, ``editing``,
``identification``, ``phases``, ``notes``, ``team``, ``consent``, ``referrals``, ``tasks``,
``history``, ``children``, ``returns``, ``proceedings``, ``documents``. What they share is in ``_common``, the
field types in ``fields``. All of them add their operations to the one ``router``.

The order below is the order in which the URLs are matched, so it is not alphabetical: the
fixed paths (``/overdue``, ``/services``, ``/referrals/…``) must come before ``/{case_ref}``,
which would otherwise take them for case references. It is also the order of the published
schema. The route modules import only ``_common`` and ``fields``, never each other, so this
list alone decides the order.
"""

# isort: off
from palermo.cases.api import listing, opening, directory, received_referrals, break_glass
from palermo.cases.api import reading, editing, identification, phases, notes, team, consent
from palermo.cases.api import referrals, tasks, history, children, returns, proceedings
from palermo.cases.api import documents

# isort: on
from palermo.cases.api._common import router

__all__ = [
    "break_glass",
    "children",
    "consent",
    "directory",
    "documents",
    "editing",
    "history",
    "identification",
    "listing",
    "notes",
    "opening",
    "phases",
    "proceedings",
    "reading",
    "received_referrals",
    "referrals",
    "returns",
    "router",
    "tasks",
    "team",
]
