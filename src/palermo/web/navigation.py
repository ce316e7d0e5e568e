"""Navigation and dashboard tiles by role.

Each entry names the permission it needs; the menu a user sees is exactly
what the policy lets them open. Capabilities whose issue has not landed show
a tile that says so, instead of a dead link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from palermo.core.policy import Perm

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from palermo.core.models import Organisation, User


@dataclass(frozen=True)
class NavItem:
    label: StrOrPromise
    url_name: str
    perm: str | None  # None: any signed-in user
    description: StrOrPromise = ""
    pending: str = ""  # set while the capability is not built yet
    # Shown only when this also holds for the user and organisation (e.g. it receives service
    # referrals).
    when: Callable[[Any, Any], bool] | None = None


def _receives_service_referrals(user: Any, organisation: Any) -> bool:
    from palermo.web.mywork import receives_service_referrals

    return receives_service_referrals(organisation)


def _may_start_jobs(user: Any, organisation: Any) -> bool:
    """Only those who may start some kind of job (and so see it) get the Jobs page in the menu."""
    from palermo.core.policy import has_perm
    from palermo.jobs import registry

    return any(has_perm(user, k.perm, organisation) for k in registry.kinds())


def _labour_inspectorate(user: Any, organisation: Any) -> bool:
    return getattr(organisation, "org_type", "") == "labour_inspectorate"


def _not_supply_staff(user: Any, organisation: Any) -> bool:
    """Supply staff (supply.view) find the risk lists in the supply pages' own navigation."""
    from palermo.core.policy import has_perm

    return not has_perm(user, Perm.SUPPLY_VIEW, organisation)


def _in_exercise(user: Any, organisation: Any) -> bool:
    """An exercise instance's participants get its pages in the menu (palermo.exercise)."""
    from palermo.core.policy import has_perm
    from palermo.exercise.isolation import is_exercise_instance

    return is_exercise_instance() and any(
        has_perm(user, p, organisation)
        for p in (
            Perm.EXERCISE_CONTROL,
            Perm.EXERCISE_TRAIN,
            Perm.EXERCISE_ROLEPLAY,
            Perm.EXERCISE_OBSERVE,
        )
    )


NAV: list[NavItem] = [
    NavItem(_("My work"), "dashboard", None),
    NavItem(
        _("Screenings"),
        "screening:list",
        Perm.VIEW_SCREENINGS,
        _(
            "Screen a person against the ILO/EC indicators and the Palermo definition, with an explained result."
        ),
    ),
    NavItem(
        _("Cases"),
        "cases:list",
        Perm.VIEW_CASES,
        _("The NRM case file: referrals, decisions, deadlines, safeguards."),
    ),
    # The inbox of an organisation that provides services (a shelter): issue 15, item 1.
    NavItem(
        _("Referrals received"),
        "cases:referrals",
        Perm.VIEW_CASES,
        _("Service referrals sent to your organisation: accept or decline them."),
        when=_receives_service_referrals,
    ),
    NavItem(
        _("Statistics"),
        "stats:dashboard",
        Perm.VIEW_STATISTICS,
        _("Anonymised statistics and standard exports."),
    ),
    NavItem(
        _("Investigations"),
        "investigate:list",
        Perm.INVESTIGATE,
        _("Follow the money: statements, red flags, networks, proceeds."),
    ),
    NavItem(
        _("Monitoring"),
        "monitor:home",
        Perm.MONITOR_VIEW,
        _(
            "National action plan, recommendations from monitoring bodies, indicators and the annual report."
        ),
    ),
    NavItem(
        _("Supply chains"),
        "supply:home",
        Perm.SUPPLY_VIEW,
        _("Suppliers and sites, risk lists, purchase-order screening, due diligence (a)–(g)."),
    ),
    # The national co-ordinator imports the national risk lists (supply.risk_lists) without
    # seeing any organisation's procurement; supply staff reach them from "Supply chains".
    NavItem(
        _("Risk lists"),
        "supply:risk",
        Perm.SUPPLY_RISK_LISTS,
        _(
            "The national risk lists and exclusion list every organisation's supply screening reads: import a new edition."
        ),
        when=_not_supply_staff,
    ),
    NavItem(
        _("Labour inspections"),
        "supply:inspections",
        Perm.SUPPLY_INSPECT,
        _("Site visits on the 11 ILO indicators; with consent, screen a worker."),
        when=_labour_inspectorate,
    ),
    NavItem(
        _("Advert screening"),
        "prevent:workbench",
        Perm.PREVENT_SCREEN,
        _("Screen job adverts for warning signs; one lead per recruiter's campaign."),
    ),
    NavItem(
        _("Worker reports"),
        "prevent:reports",
        Perm.PREVENT_TRIAGE,
        _("Anonymous reports from workers and witnesses, to triage."),
    ),
    NavItem(
        _("Licence registry"),
        "prevent:registry",
        Perm.PREVENT_LICENCES,
        _("Licensed and certified recruitment agencies."),
    ),
    NavItem(
        _("Online-risk statistics"),
        "prevent:statistics",
        Perm.PREVENT_STATS,
        _("Adverts screened and worker reports, by week, country and warning sign."),
    ),
    NavItem(
        _("Cross-border"),
        "crossborder:home",
        Perm.CROSSBORDER_SEND,
        _("Hand a case over to a partner country's instance: consent, send, receipts, status."),
    ),
    NavItem(
        _("Cross-border trust list"),
        "crossborder:trust_list",
        Perm.CROSSBORDER_ADMIN,
        _("The signed list of partner instances in force; load a newer one."),
    ),
    NavItem(
        _("Audit trail"),
        "audit_list",
        Perm.VIEW_AUDIT,
        _("Who did what, when, for which organisation; filter and export."),
    ),
    NavItem(
        _("Administration"), "admin:index", Perm.ADMINISTER, _("Organisations, users and roles.")
    ),
    NavItem(_("API tokens"), "token_list", None, _("Personal access tokens for machine clients.")),
    NavItem(
        _("Jobs"),
        "jobs:list",
        None,
        _("Imports and red-flag runs you started, with their progress and results."),
        when=_may_start_jobs,
    ),
    NavItem(
        _("Exercise"),
        "exercise:home",
        None,
        _("The training exercise: injects, observations, the direction dashboard."),
        when=_in_exercise,
    ),
]


@dataclass(frozen=True)
class VisibleItem:
    label: str
    url: str | None
    description: str
    pending: str


def visible_items(user: User | None, organisation: Organisation | None) -> list[VisibleItem]:
    from palermo.core.policy import has_perm

    items: list[VisibleItem] = []
    for item in NAV:
        if item.perm is not None and not has_perm(user, item.perm, organisation):
            continue
        if item.when is not None and not item.when(user, organisation):
            continue
        try:
            url: str | None = reverse(item.url_name)
            pending = ""
        except NoReverseMatch:
            url, pending = None, str(item.pending)
        items.append(VisibleItem(str(item.label), url, str(item.description), pending))
    return items
