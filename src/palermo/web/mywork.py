""" "My work": what waits for this person and organisation (issue 15, item 1).

Each entry counts the rows of one list page, through the very selector and filter that
page uses, so a count never reveals more than the person can open: if the list would show
them 3 rows, the home page says 3. Entries appear only for the permissions that open the
list, and each links to that list, already filtered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from palermo.core.policy import Perm, has_perm

# Investigations looked at for undecided alerts (each is a workspace file to open).
MAX_INVESTIGATIONS = 10


@dataclass(frozen=True)
class WorkItem:
    key: str  # stable, for tests and CSS
    title: str  # what waits, in words, with the count
    count: int
    url: str
    action: str  # the link text
    empty: str  # said instead when nothing waits
    capped: bool = False
    urgent: bool = False
    link_when_empty: bool = False  # the empty state still offers its link


def _url(
    name: str, query: dict[str, str] | None = None, args: tuple[Any, ...] = (), fragment: str = ""
) -> str:
    url = reverse(name, args=args)
    if query:
        url += "?" + urlencode(query)
    return url + (f"#{fragment}" if fragment else "")


def receives_service_referrals(organisation: Any) -> bool:
    """Organisations in the service directory, or that were ever sent a service referral."""
    from palermo.cases import selectors

    return selectors.receives_service_referrals(organisation)


def _cases(actor: Any, org: Any) -> list[WorkItem]:
    from palermo.cases import selectors
    from palermo.cases import workflow as wf

    items: list[WorkItem] = []
    if not has_perm(actor, Perm.VIEW_CASES, org):
        return items

    def count(**filters: Any) -> tuple[int, bool]:
        return selectors.capped_count(
            selectors.case_list(actor, org, selectors.CaseFilter(**filters))
        )

    if has_perm(actor, Perm.DECIDE_IDENTIFICATION, org):
        q = {"phase": wf.IDENTIFICATION, "identification_status": wf.POTENTIAL, "sort": "oldest"}
        n, capped = count(**q)
        items.append(
            WorkItem(
                "awaiting_decision",
                ngettext(
                    "%(n)s referral awaits an identification decision",
                    "%(n)s referrals await an identification decision",
                    n,
                )
                % {"n": n},
                n,
                _url("cases:list", q),
                _("Triage the referrals, oldest first"),
                _("No referral awaits an identification decision."),
                capped,
                urgent=n > 0,
            )
        )
    if receives_service_referrals(org):
        n, capped = selectors.capped_count(
            selectors.incoming_referrals_for(actor, org, status=wf.REFERRAL_SENT)
        )
        items.append(
            WorkItem(
                "referrals_received",
                ngettext(
                    "%(n)s service referral awaits your answer",
                    "%(n)s service referrals await your answer",
                    n,
                )
                % {"n": n},
                n,
                _url("cases:referrals", {"status": wf.REFERRAL_SENT}),
                _("Accept or decline them"),
                _("No service referral awaits your answer."),
                capped,
                urgent=n > 0,
            )
        )
    n, capped = count(deadline="overdue", sort="deadline")
    items.append(
        WorkItem(
            "deadlines_overdue",
            ngettext(
                "%(n)s case has an overdue deadline", "%(n)s cases have an overdue deadline", n
            )
            % {"n": n},
            n,
            _url("cases:list", {"deadline": "overdue", "sort": "deadline"}),
            _("See the cases"),
            _("No case of yours has an overdue deadline."),
            capped,
            urgent=n > 0,
        )
    )
    n, capped = count(deadline="due_soon", sort="deadline")
    items.append(
        WorkItem(
            "deadlines_due_soon",
            ngettext(
                "%(n)s case has a deadline in the next %(days)s days",
                "%(n)s cases have a deadline in the next %(days)s days",
                n,
            )
            % {"n": n, "days": wf.DUE_SOON_DAYS},
            n,
            _url("cases:list", {"deadline": "due_soon", "sort": "deadline"}),
            _("See the cases"),
            _("No deadline falls due in the coming days."),
            capped,
        )
    )
    if has_perm(actor, Perm.OVERSEE_CASES, org):
        n, capped = selectors.capped_count(selectors.overdue_deadlines_for(actor, org))
        items.append(
            WorkItem(
                "tasks_overdue",
                ngettext(
                    "%(n)s task is overdue across the cases you oversee",
                    "%(n)s tasks are overdue across the cases you oversee",
                    n,
                )
                % {"n": n},
                n,
                _url("cases:oversight"),
                _("Open the oversight page"),
                _("No task is overdue."),
                capped,
                urgent=n > 0,
            )
        )
    return items


def _screenings(actor: Any, org: Any) -> list[WorkItem]:
    if not (has_perm(actor, Perm.SCREEN, org) and has_perm(actor, Perm.VIEW_SCREENINGS, org)):
        return []
    from palermo.screening import selectors
    from palermo.screening.selectors import ScreeningStatus

    n, capped = _capped(selectors.screening_list(actor, org, status=ScreeningStatus.DRAFT))
    return [
        WorkItem(
            "screenings_draft",
            ngettext("%(n)s screening is still a draft", "%(n)s screenings are still drafts", n)
            % {"n": n},
            n,
            _url("screening:list", {"status": ScreeningStatus.DRAFT}),
            _("Finish them"),
            _("No screening in draft."),
            capped,
        )
    ]


def _investigations(actor: Any, org: Any) -> list[WorkItem]:
    if not has_perm(actor, Perm.INVESTIGATE, org):
        return []
    from palermo.investigate import selectors, services
    from palermo.investigate.selectors import InvestigationStatus

    items: list[WorkItem] = []
    for inv in selectors.investigation_list(actor, org, status=InvestigationStatus.OPEN)[
        :MAX_INVESTIGATIONS
    ]:
        try:
            with services.open_workspace(inv) as ws:
                n = len(ws.alerts())
        except services.WorkspaceBusy:
            continue  # being written to: it will be counted on the next visit
        if n:
            items.append(
                WorkItem(
                    "alerts_undecided",
                    ngettext(
                        "%(ref)s: %(n)s red-flag alert to decide",
                        "%(ref)s: %(n)s red-flag alerts to decide",
                        n,
                    )
                    % {"ref": inv.reference, "n": n},
                    n,
                    _url("investigate:detail", args=(inv.reference,), fragment="alerts"),
                    _("Decide them"),
                    "",
                    urgent=True,
                )
            )
    if not items:
        items.append(
            WorkItem(
                "alerts_undecided",
                _("Red-flag alerts to decide"),
                0,
                _url("investigate:list"),
                _("Your investigations"),
                _("No red-flag alert waits for a decision."),
                link_when_empty=True,
            )
        )
    return items


def _capped(qs: Any) -> tuple[int, bool]:
    from palermo.cases.selectors import capped_count

    return capped_count(qs)


def my_work(actor: Any, organisation: Any) -> list[WorkItem]:
    """The work waiting for ``actor`` acting for ``organisation``, most pressing kinds first."""
    if organisation is None:
        return []
    return (
        _cases(actor, organisation)
        + _screenings(actor, organisation)
        + _investigations(actor, organisation)
    )
