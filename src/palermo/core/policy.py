"""Palermo's one permission policy.

Every web view and every API operation is authorised here, and nowhere else:

* ``ROLE_PERMISSIONS`` is the table of what each role may do. It is data, so a
  reviewer can read the whole policy on one screen.
* ``has_perm`` answers for a user acting for one organisation. Anything not in
  the table is denied (deny by default).
* ``requires`` / ``authenticated`` / ``public`` mark a view with its policy.
  ``PolicyMiddleware`` refuses any view that carries no mark, and a test walks
  every URL pattern and API operation to keep it that way.

Object-level rules (who may see *this* case) live in each context's
``access_*`` selectors, which call ``has_perm`` first and then scope by
organisation and case team.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from palermo.core import scope as _scope
from palermo.core.roles import Role

if TYPE_CHECKING:
    from palermo.core.models import Organisation, User


class Perm:
    """Named permissions. The string values are stable: they appear in audit records."""

    # core
    VIEW_AUDIT = "core.view_audit"  # audit entries of one's own organisation
    VIEW_AUDIT_ALL = "core.view_audit_all"  # the whole national trail (identification body)
    EXPORT_AUDIT = "core.export_audit"
    ADMINISTER = "core.administer"  # organisations, users, roles
    VIEW_ORGANISATIONS = "core.view_organisations"
    # screening (identification)
    SCREEN = "screening.screen"
    VIEW_SCREENINGS = "screening.view_screenings"
    # NRM case file
    REFER = "cases.refer"
    VIEW_CASES = "cases.view_cases"
    EDIT_CASES = "cases.edit_cases"
    DECIDE_IDENTIFICATION = "cases.decide_identification"
    OVERSEE_CASES = "cases.oversee"  # every open case and overdue deadline
    BREAK_GLASS = "cases.break_glass"
    # Compensation claims on a case where one's organisation is on the case team: prosecutors
    # and police seek compensation for victims in criminal proceedings (OSCE 2016, 2020–21).
    RECORD_PROCEEDINGS = "cases.record_proceedings"
    # statistics and standard data
    VIEW_STATISTICS = "stats.view_statistics"
    EXPORT_DATA = "stats.export_data"
    IMPORT_DATA = "stats.import_data"
    # follow the money
    INVESTIGATE = "investigate.investigate"
    # monitoring commitments (palermo.monitor): action plan, recommendations, indicators, reports
    MONITOR_VIEW = "monitor.view"  # read the action plan, the register and the protected indicators
    MONITOR_MANAGE = "monitor.manage"  # edit the plan and the register, import recommendations
    MONITOR_PROGRESS = (
        "monitor.progress"  # progress notes and evidence on measures one's organisation carries
    )
    MONITOR_REPORT = "monitor.report"  # the national rapporteur's annual report
    # supply chains (palermo.supply): procurement due diligence; never a worker's personal data
    SUPPLY_VIEW = "supply.view"  # suppliers, sites, screened orders, contracts, dashboard
    SUPPLY_MANAGE = "supply.manage"  # import sites and orders; record measures (a)–(g)
    # import editions of the national risk lists and the exclusion list: national reference
    # data every organisation's screening reads (the national co-ordinator only)
    SUPPLY_RISK_LISTS = "supply.risk_lists"
    SUPPLY_INSPECT = "supply.inspect"  # record a labour inspection (labour inspectorates only)
    # simulation exercises (palermo.exercise): only ever granted inside an exercise instance
    EXERCISE_DIRECT = "exercise.direct"  # the clock, end of day, after-action report
    EXERCISE_CONTROL = "exercise.control"  # the dashboard, injects, ad-hoc injects, hot wash
    EXERCISE_ROLEPLAY = "exercise.roleplay"  # cue cards
    EXERCISE_OBSERVE = "exercise.observe"  # antennas' observations and ratings
    EXERCISE_TRAIN = "exercise.train"  # a trainee's inbox of injects
    # the exercise's audit entries behind the hot wash's and the AAR's evidence figures (the
    # trainees' entries only; never the national trail): the exercise direction
    EXERCISE_EVIDENCE = "exercise.evidence"
    # online risk and outreach (palermo.prevent)
    PREVENT_SCREEN = "prevent.screen_adverts"  # the advert-screening workbench and its leads
    PREVENT_LICENCES = "prevent.manage_licences"  # import recruitment-agency licence lists
    PREVENT_TRIAGE = "prevent.triage_reports"  # the designated organisation's report queue
    PREVENT_STATS = "prevent.view_statistics"  # protected counts of screened adverts and reports
    # cross-border hand-over (palermo.crossborder)
    CROSSBORDER_SEND = "crossborder.send"  # transfer consents, send, status, revoke (own cases)
    CROSSBORDER_RECEIVE = "crossborder.receive"  # incoming hand-overs in quarantine
    CROSSBORDER_ADMIN = "crossborder.admin"  # the trust list in force


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SCREENER: frozenset(
        {
            Perm.SCREEN,
            Perm.VIEW_SCREENINGS,
            Perm.REFER,
            Perm.VIEW_ORGANISATIONS,
            # supply: a screener at a labour inspectorate is a labour inspector (the service
            # refuses inspections from any other kind of organisation)
            Perm.SUPPLY_INSPECT,
            Perm.PREVENT_TRIAGE,  # prevent: a labour inspector or hotline triages worker reports
        }
    ),
    Role.CASE_WORKER: frozenset(
        {
            Perm.SCREEN,
            Perm.VIEW_SCREENINGS,
            Perm.REFER,
            Perm.VIEW_CASES,
            Perm.EDIT_CASES,
            Perm.VIEW_ORGANISATIONS,
            Perm.MONITOR_VIEW,  # monitor: a respondent organisation's staff
            Perm.MONITOR_PROGRESS,
            Perm.PREVENT_TRIAGE,  # prevent: a hotline NGO's staff triage worker reports
            Perm.CROSSBORDER_SEND,
        }
    ),
    Role.COORDINATOR: frozenset(
        {
            Perm.VIEW_SCREENINGS,
            Perm.REFER,
            Perm.VIEW_CASES,
            Perm.EDIT_CASES,
            Perm.DECIDE_IDENTIFICATION,
            Perm.OVERSEE_CASES,
            Perm.BREAK_GLASS,
            Perm.VIEW_AUDIT,
            Perm.VIEW_AUDIT_ALL,
            Perm.EXPORT_AUDIT,
            Perm.VIEW_STATISTICS,
            Perm.EXPORT_DATA,
            Perm.IMPORT_DATA,
            Perm.VIEW_ORGANISATIONS,
            # monitor: the national co-ordinator keeps the plan and the register
            Perm.MONITOR_VIEW,
            Perm.MONITOR_MANAGE,
            Perm.MONITOR_PROGRESS,
            Perm.MONITOR_REPORT,
            Perm.PREVENT_LICENCES,  # prevent: the licence registry
            Perm.PREVENT_TRIAGE,
            Perm.PREVENT_STATS,
            Perm.CROSSBORDER_SEND,
            Perm.CROSSBORDER_RECEIVE,
            # supply: the national risk lists and exclusion list every screening reads
            Perm.SUPPLY_RISK_LISTS,
        }
    ),
    Role.INVESTIGATOR: frozenset(
        {
            Perm.INVESTIGATE,
            Perm.VIEW_CASES,
            Perm.REFER,
            Perm.RECORD_PROCEEDINGS,
            Perm.VIEW_ORGANISATIONS,
            Perm.MONITOR_VIEW,
            Perm.MONITOR_PROGRESS,
            Perm.PREVENT_SCREEN,  # prevent: online investigators screen adverts
        }  # monitor: a respondent organisation's staff
    ),
    # The analyst role is the national rapporteur's office: statistics and the monitoring report.
    Role.ANALYST: frozenset(
        {
            Perm.VIEW_STATISTICS,
            Perm.EXPORT_DATA,
            Perm.VIEW_ORGANISATIONS,
            Perm.MONITOR_VIEW,
            Perm.MONITOR_REPORT,
            Perm.PREVENT_STATS,  # prevent: protected counts only; adverts are the online analyst's
        }
    ),
    # online risk (palermo.prevent): screens adverts, keeps the licence registry, reads the
    # protected statistics, and may open a referral from a lead (the route into the NRM).
    # No case file, investigation or worker report: attaching an advert to one needs a second
    # role that may see it.
    Role.ONLINE_ANALYST: frozenset(
        {
            Perm.PREVENT_SCREEN,
            Perm.PREVENT_LICENCES,
            Perm.PREVENT_STATS,
            Perm.REFER,
            Perm.VIEW_ORGANISATIONS,
        }
    ),
    Role.ADMINISTRATOR: frozenset(
        {
            Perm.ADMINISTER,
            Perm.VIEW_AUDIT,
            Perm.EXPORT_AUDIT,
            Perm.VIEW_ORGANISATIONS,
            Perm.CROSSBORDER_ADMIN,
        }
    ),
    # supply chains: a contracting authority's procurement office (no case, screening or audit)
    Role.PROCUREMENT_OFFICER: frozenset(
        {Perm.SUPPLY_VIEW, Perm.SUPPLY_MANAGE, Perm.VIEW_ORGANISATIONS}
    ),
    Role.DILIGENCE_ANALYST: frozenset({Perm.SUPPLY_VIEW, Perm.VIEW_ORGANISATIONS}),
    # Exercise roles exist only in an exercise instance's database (palermo.exercise).
    Role.CHIEF_CONTROLLER: frozenset(
        {
            Perm.EXERCISE_DIRECT,
            Perm.EXERCISE_CONTROL,
            Perm.EXERCISE_OBSERVE,
            Perm.EXERCISE_EVIDENCE,
        }
    ),
    Role.CONTROLLER: frozenset({Perm.EXERCISE_CONTROL, Perm.EXERCISE_EVIDENCE}),
    Role.ROLE_PLAYER: frozenset({Perm.EXERCISE_ROLEPLAY}),
    Role.ANTENNA: frozenset({Perm.EXERCISE_OBSERVE}),
    Role.TRAINEE: frozenset({Perm.EXERCISE_TRAIN}),
}

# Powers over the whole instance that mean nothing inside one team of an exercise: a user whose
# data is scoped (``palermo.core.scope``: a trainee in an exercise instance) never holds them,
# whatever their roles say. The national statistics count every team's cases, imports and the
# national plan, licence registry and incoming cross-border hand-overs are shared by all teams.
# (Case oversight, break-glass and the audit trail keep their meaning: they are narrowed to the
# scope by the selectors instead.) Unscoped users (every production user) are not affected.
# The national risk lists and exclusion list are read by every organisation's screening.
NATIONAL_ONLY: frozenset[str] = frozenset(
    {
        Perm.VIEW_STATISTICS,
        Perm.EXPORT_DATA,
        Perm.IMPORT_DATA,
        Perm.MONITOR_MANAGE,
        Perm.MONITOR_REPORT,
        Perm.PREVENT_LICENCES,
        Perm.PREVENT_STATS,
        Perm.CROSSBORDER_RECEIVE,
        Perm.CROSSBORDER_ADMIN,
        Perm.SUPPLY_RISK_LISTS,
    }
)

# Powers over every organisation's people and cases. Only an administrator acting for an
# identification body administers the whole instance; an organisation's own administrator
# manages that organisation's accounts only, and may grant only roles that carry none of
# these (core/admin.py; red-team finding: an NGO's administrator made themselves national
# co-ordinator).
NATIONAL_POWERS: frozenset[str] = NATIONAL_ONLY | {
    Perm.VIEW_AUDIT_ALL,
    Perm.OVERSEE_CASES,
    Perm.BREAK_GLASS,
    Perm.DECIDE_IDENTIFICATION,
}


def administers_all(user: User | None, organisation: Organisation | None) -> bool:
    """An administrator acting for an identification body: every organisation, user and role.
    Until an organisation is marked as the identification body (the first run: `palermo
    createadmin` makes an ordinary organisation), every administrator is one, so that someone
    can create the organisations and mark it."""
    if organisation is None or not has_perm(user, Perm.ADMINISTER, organisation):
        return False
    if _scope.organisations_in_scope(user) is not None:
        # A trainee in an exercise instance: each team has its own identification body, and
        # a team's administrator must not reach the other teams' people.
        return False
    if organisation.is_identification_body:
        return True
    from palermo.core.models import Organisation as Org

    return not Org.objects.filter(is_identification_body=True).exists()


def locally_grantable_roles() -> frozenset[str]:
    """The roles an organisation's own administrator may give within their organisation."""
    return frozenset(r for r, perms in ROLE_PERMISSIONS.items() if not perms & NATIONAL_POWERS)


ALL_PERMISSIONS: frozenset[str] = frozenset(
    v for k, v in vars(Perm).items() if k.isupper() and isinstance(v, str)
)


def permissions_for_roles(roles: set[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def has_perm(user: User | None, perm: str, organisation: Organisation | None) -> bool:
    """True when ``user``, acting for ``organisation``, holds ``perm``.

    Roles count only in the organisation the user is acting for: a case worker
    at an NGO who is also an analyst at the ministry cannot mix the two.
    """
    if perm not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")
    if user is None or not user.is_authenticated or not user.is_active or organisation is None:
        return False
    if perm not in user.permissions_in(organisation):
        return False
    scope = _scope.organisations_in_scope(user)
    if scope is None:
        return True  # every production user
    # A scoped user (a trainee in an exercise instance) acts only for the organisations of
    # their scope and holds no national-only power.
    return perm not in NATIONAL_ONLY and organisation.pk in scope


# --- view marks -----------------------------------------------------------------

PUBLIC = "public"
AUTHENTICATED = "authenticated"


@dataclass(frozen=True)
class ViewPolicy:
    kind: str  # PUBLIC, AUTHENTICATED or "perm"
    perm: str | None = None
    reason: str = ""


F = TypeVar("F", bound=Callable[..., Any])


def _mark(view: Any, policy: ViewPolicy) -> Any:
    view.palermo_policy = policy
    return view


def public(reason: str) -> Callable[[F], F]:
    """Anyone may call this view (login, password reset). Say why."""

    def deco(view: F) -> F:
        return _mark(view, ViewPolicy(PUBLIC, reason=reason))

    return deco


def authenticated(view: F) -> F:
    """Any signed-in user (their own profile, tokens, dashboard)."""
    return _mark(view, ViewPolicy(AUTHENTICATED))


def requires(perm: str) -> Callable[[F], F]:
    """The signed-in user must hold ``perm`` in the organisation they act for."""
    if perm not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")

    def deco(view: F) -> F:
        return _mark(view, ViewPolicy("perm", perm=perm))

    return deco


def policy_of(view: Any) -> ViewPolicy | None:
    # Class-based views keep the mark on the class; as_view() copies it to view_class.
    found = getattr(view, "palermo_policy", None)
    if found is None and hasattr(view, "view_class"):
        found = getattr(view.view_class, "palermo_policy", None)
    return found


def api_requires(perm: str | None) -> Callable[[F], F]:
    """Mark and enforce an API operation. ``None`` means any authenticated client.

    The API's authentication (token or session) has already run; this adds the
    role check, answers 403 with the standard error body, and audits the refusal.
    """
    if perm is not None and perm not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {perm!r}")

    def deco(func: F) -> F:
        @wraps(func)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            from ninja.errors import HttpError

            from palermo.core import audit

            if perm is not None and not has_perm(request.user, perm, request.organisation):
                audit.record_refusal(request, perm=perm)
                raise HttpError(403, "You do not have permission to do this.")
            return func(request, *args, **kwargs)

        wrapper.palermo_policy = ViewPolicy(  # type: ignore[attr-defined]
            "perm" if perm else AUTHENTICATED, perm=perm
        )
        return wrapper  # type: ignore[return-value]

    return deco
