"""Authorised reads of the case file: the one door to case data.

``access_case`` answers Http404 alike for a case that does not exist and one
the actor may not see: knowing that a case exists can endanger a person.
``case_visibility`` says which field groups (``palermo.cases.access``) the
actor may see; views, the API and ``case_file`` show only those.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from palermo.cases import access, clock
from palermo.cases import casefile as cf
from palermo.cases import workflow as wf
from palermo.cases.models import (
    BreakGlassAccess,
    Case,
    CaseEvent,
    CaseExploitation,
    CaseTeamMember,
    Consent,
    IdentificationDecision,
    LegalBasis,
    ServiceProvider,
    ServiceReferral,
    Task,
)
from palermo.cases.models import CaseOrigin as CaseOrigin  # for other contexts
from palermo.core import audit, scope
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.core.roles import OrganisationType

LAW_ENFORCEMENT_TYPES = frozenset(
    {
        OrganisationType.LAW_ENFORCEMENT,
        OrganisationType.PROSECUTION,
        OrganisationType.FINANCIAL_INTELLIGENCE_UNIT,
        OrganisationType.IMMIGRATION,
    }
)
# Lists count at most this many matches: an exact count of a million rows costs
# more than it tells, and a person pages through at most 40 pages of 25; past this the UI says
# "more than N" and asks to refine the search.
COUNT_CAP = 1_000


def is_law_enforcement(organisation: Organisation) -> bool:
    return organisation.org_type in LAW_ENFORCEMENT_TYPES


def _active_team(organisation: Organisation) -> QuerySet[CaseTeamMember]:
    return CaseTeamMember.objects.filter(organisation=organisation, removed_at__isnull=True)


def _open_referrals_to(organisation: Organisation, today: date) -> QuerySet[ServiceReferral]:
    return ServiceReferral.objects.filter(
        Q(consent__withdrawn_on__isnull=True) | Q(consent__withdrawn_on__gt=today),
        receiving_organisation=organisation,
        status__in=wf.REFERRAL_OPEN,
        consent__given_on__lte=today,
    )


def _active_consents(case: Case, organisation: Organisation, today: date) -> list[Consent]:
    return [
        c
        for c in Consent.objects.filter(case=case, recipient=organisation)
        if wf.consent_active(c.given_on, c.withdrawn_on, today)
    ]


def in_scope_q(within: frozenset[int], prefix: str = "") -> Q:
    """Cases (``prefix``: the path to the case, e.g. ``case__``) of the organisations
    ``within``: led by, referred by, or with a team member among them (``core.scope``)."""
    team = CaseTeamMember.objects.filter(
        case=OuterRef(prefix.removesuffix("__") or "pk"), organisation_id__in=within
    )
    return (
        Q(**{f"{prefix}lead_organisation_id__in": within})
        | Q(**{f"{prefix}referring_organisation_id__in": within})
        | Q(Exists(team))
    )


def case_in_scope(actor: User, case: Case) -> bool:
    """True unless the actor's data is scoped (an exercise trainee) and the case is not of
    their scope's organisations. One query, and none for an unscoped actor."""
    within = scope.organisations_in_scope(actor)
    if within is None:
        return True
    if case.lead_organisation_id in within or case.referring_organisation_id in within:
        return True
    return CaseTeamMember.objects.filter(case=case, organisation_id__in=within).exists()


def access_facts(actor: User, organisation: Organisation | None, case: Case) -> access.AccessFacts:
    """Gather the facts the need-to-know rules decide on (a few small indexed queries)."""
    if organisation is None or not has_perm(actor, Perm.VIEW_CASES, organisation):
        return access.AccessFacts(False, False, False, False)
    if not case_in_scope(actor, case):
        return access.AccessFacts(True, False, False, False, in_scope=False)
    glass = (
        has_perm(actor, Perm.BREAK_GLASS, organisation)
        and BreakGlassAccess.objects.filter(
            case=case, user=actor, organisation=organisation, expires_at__gt=clock.now()
        ).exists()
    )
    return dataclasses.replace(_organisation_facts(organisation, case), break_glass=glass)


def _organisation_facts(organisation: Organisation, case: Case) -> access.AccessFacts:
    """The facts that hold for the organisation as a whole (everything but a user's break-glass)."""
    today = clock.today()
    on_team = _active_team(organisation).filter(case=case).exists()
    le = is_law_enforcement(organisation)
    le_identity = le_contact = False
    if on_team and le:
        consents = _active_consents(case, organisation, today)
        legal = (
            LegalBasis.objects.filter(case=case, organisation=organisation)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .exists()
        )
        le_identity = legal or any("identity" in c.scopes for c in consents)
        le_contact = legal or any("contact" in c.scopes for c in consents)
    scopes: set[str] = set()
    if not on_team:
        for r in (
            _open_referrals_to(organisation, today).filter(case=case).select_related("consent")
        ):
            scopes |= set(r.consent.scopes)
    return access.AccessFacts(
        can_view_cases=True,
        on_case_team=on_team,
        identification_body=organisation.is_identification_body,
        law_enforcement=le,
        law_enforcement_identity=le_identity,
        law_enforcement_contact=le_contact,
        referral_scopes=frozenset(scopes),
    )


def organisation_visibility(organisation: Organisation, case: Case) -> access.Visibility:
    """What an organisation's case staff may see of a case, with nobody of it acting (no break-glass).

    For sharing decisions about another organisation: before case data copied into a
    shared workspace (an investigation) reaches its other members, each must be
    entitled to it under the case file's own rules.
    """
    return access.visible_groups(_organisation_facts(organisation, case))


def case_visibility(
    actor: User, organisation: Organisation | None, case: Case
) -> access.Visibility:
    return access.visible_groups(access_facts(actor, organisation, case))


def case_visibilities(
    actor: User, organisation: Organisation | None, cases: Sequence[Case]
) -> dict[int, access.Visibility]:
    """``case_visibility`` for many cases at once, in a fixed number of queries (exports).

    The same facts as ``access_facts``, gathered per kind for the whole batch rather
    than per case; a test checks the two agree for every persona and demo case.
    """
    ids = [c.pk for c in cases]
    if organisation is None or not has_perm(actor, Perm.VIEW_CASES, organisation) or not ids:
        none = access.visible_groups(access.AccessFacts(False, False, False, False))
        return {pk: none for pk in ids}
    today = clock.today()
    on_team = set(
        _active_team(organisation).filter(case_id__in=ids).values_list("case_id", flat=True)
    )
    le = is_law_enforcement(organisation)
    identity: set[int] = set()
    contact: set[int] = set()
    if le and on_team:
        for c in Consent.objects.filter(case_id__in=on_team, recipient=organisation):
            if wf.consent_active(c.given_on, c.withdrawn_on, today):
                if "identity" in c.scopes:
                    identity.add(c.case_id)
                if "contact" in c.scopes:
                    contact.add(c.case_id)
        legal = set(
            LegalBasis.objects.filter(case_id__in=on_team, organisation=organisation)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .values_list("case_id", flat=True)
        )
        identity |= legal
        contact |= legal
    scopes: dict[int, set[str]] = {}
    off_team = [pk for pk in ids if pk not in on_team]
    if off_team:
        for r in (
            _open_referrals_to(organisation, today)
            .filter(case_id__in=off_team)
            .select_related("consent")
        ):
            scopes.setdefault(r.case_id, set()).update(r.consent.scopes)
    within = scope.organisations_in_scope(actor)
    in_scope = (
        set(ids)
        if within is None
        else set(
            Case.objects.filter(pk__in=ids).filter(in_scope_q(within)).values_list("pk", flat=True)
        )
    )
    glass: set[int] = set()
    if has_perm(actor, Perm.BREAK_GLASS, organisation):
        glass = set(
            BreakGlassAccess.objects.filter(
                case_id__in=ids, user=actor, organisation=organisation, expires_at__gt=clock.now()
            ).values_list("case_id", flat=True)
        )
    return {
        pk: access.visible_groups(
            access.AccessFacts(
                can_view_cases=True,
                on_case_team=pk in on_team,
                identification_body=organisation.is_identification_body,
                law_enforcement=le,
                law_enforcement_identity=pk in identity,
                law_enforcement_contact=pk in contact,
                referral_scopes=frozenset(scopes.get(pk, ())),
                break_glass=pk in glass,
                in_scope=pk in in_scope,
            )
        )
        for pk in ids
    }


def access_case(
    actor: User,
    organisation: Organisation | None,
    case_ref: str,
    *,
    request: Any = None,
    purpose: str = "",
    record_read: bool = True,
    for_update: bool = False,
) -> Case:
    """The case with ``case.visibility`` set, or Http404. Records the read in the audit trail."""
    ref = wf.normalise_reference(case_ref)

    def not_found() -> Http404:
        # A scoped user's miss (exercise trainee) is an audited refusal, existing case or not.
        scope.note_out_of_scope(
            actor=actor,
            organisation=organisation,
            object_type="case",
            object_ref=ref if wf.is_reference(ref) else "",
            request=request,
        )
        return Http404("not found")

    if not wf.is_reference(ref):
        raise not_found()
    qs = Case.objects.select_related(
        "lead_organisation", "referring_organisation", "decision_organisation"
    )
    case = qs.filter(reference=ref).first()
    if case is None:
        raise not_found()
    visibility = case_visibility(actor, organisation, case)
    if not visibility.visible:
        raise not_found()
    case.visibility = visibility
    if record_read:
        audit.record(
            action="read",
            actor=actor,
            organisation=organisation,
            object_type="case",
            object_ref=case.reference,
            purpose=purpose,
            request=request,
            details={"groups": sorted(visibility.groups), "basis": list(visibility.basis)},
        )
    return case


# --- lists and search --------------------------------------------------------------------

SORTS = {
    "newest": ("-opened_at", "-id"),
    "oldest": ("opened_at", "id"),
    "deadline": ("next_deadline", "-opened_at", "-id"),
    "reference": ("reference",),
    "phase": ("phase", "-opened_at", "-id"),
}
DEADLINE_FILTERS = ("overdue", "due_soon", "none")


@dataclass
class CaseFilter:
    q: str = ""  # a reference or its beginning
    status: str = ""
    phase: str = ""
    identification_status: str = ""
    deadline: str = ""  # overdue | due_soon | none
    organisation: int | None = None  # on the case team
    nationality: str = ""
    exploitation: str = ""
    child: bool | None = None
    sort: str = "newest"

    def as_details(self) -> dict[str, Any]:
        # Filters are no personal data (a reference prefix, codes), so the audit can keep them.
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


def cases_visible_to(actor: User, organisation: Organisation | None) -> QuerySet[Case]:
    """Every case the actor may open (without break-glass)."""
    if organisation is None or not has_perm(actor, Perm.VIEW_CASES, organisation):
        return Case.objects.none()
    within = scope.organisations_in_scope(actor)
    if organisation.is_identification_body:
        qs = Case.objects.all()
    else:
        team = _active_team(organisation).filter(case=OuterRef("pk"))
        referred = _open_referrals_to(organisation, clock.today()).filter(case=OuterRef("pk"))
        qs = Case.objects.filter(Q(Exists(team)) | Q(Exists(referred)))
    return qs if within is None else qs.filter(in_scope_q(within))


def case_list(
    actor: User, organisation: Organisation | None, f: CaseFilter | None = None
) -> QuerySet[Case]:
    f = f or CaseFilter()
    qs = cases_visible_to(actor, organisation).select_related("lead_organisation")
    if f.q:
        ref = wf.normalise_reference(f.q)
        qs = (
            qs.filter(reference=ref)
            if wf.is_reference(ref)
            else qs.filter(reference__startswith=ref)
        )
    if f.status:
        qs = qs.filter(status=f.status)
    if f.phase:
        qs = qs.filter(phase=f.phase)
    if f.identification_status:
        qs = qs.filter(identification_status=f.identification_status)
    today = clock.today()
    if f.deadline == "overdue":
        qs = qs.filter(next_deadline__lt=today)
    elif f.deadline == "due_soon":
        qs = qs.filter(
            next_deadline__gte=today, next_deadline__lte=today + timedelta(days=wf.DUE_SOON_DAYS)
        )
    elif f.deadline == "none":
        qs = qs.filter(next_deadline__isnull=True)
    if f.organisation:
        qs = qs.filter(
            Exists(
                CaseTeamMember.objects.filter(
                    case=OuterRef("pk"), organisation_id=f.organisation, removed_at__isnull=True
                )
            )
        )
    if f.nationality:
        qs = qs.filter(nationality=f.nationality.upper())
    if f.exploitation:
        qs = qs.filter(
            Exists(CaseExploitation.objects.filter(case=OuterRef("pk"), code=f.exploitation))
        )
    if f.child is not None:
        qs = qs.filter(is_child=f.child)
    return qs.order_by(*SORTS.get(f.sort, SORTS["newest"]))


def capped_count(qs: QuerySet[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, capped): counts at most ``cap`` + 1 rows."""
    if isinstance(qs, list):
        return (cap, True) if len(qs) > cap else (len(qs), False)
    # values("pk"): no joins the page's select_related asked for, only the rows to count.
    n = qs.order_by().values("pk")[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


# --- timeline, tasks, referrals --------------------------------------------------------------


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    """Newest first. Callers check ``access.TIMELINE`` in ``case.visibility`` first."""
    return (
        CaseEvent.objects.filter(case=case)
        .select_related("actor", "organisation")
        .order_by("-at", "-id")
    )


def overdue_deadlines_for(
    actor: User, organisation: Organisation | None, *, today: date | None = None
) -> QuerySet[Task]:
    """Open tasks past their due date: all of them for a co-ordinator (oversight), else
    those of the cases the organisation works on. For the dashboard and the oversight page."""
    day = today or clock.today()
    qs = Task.objects.filter(done_at__isnull=True, due_on__lt=day).select_related(
        "case", "assigned_organisation"
    )
    if organisation is None or not has_perm(actor, Perm.VIEW_CASES, organisation):
        return qs.none()
    if not (
        has_perm(actor, Perm.OVERSEE_CASES, organisation) and organisation.is_identification_body
    ):
        qs = qs.filter(Exists(_active_team(organisation).filter(case=OuterRef("case"))))
    within = scope.organisations_in_scope(actor)
    if within is not None:
        qs = qs.filter(in_scope_q(within, prefix="case__"))
    return qs.order_by("due_on", "id")


def deadlines_due_for_reminder(today: date) -> QuerySet[Task]:
    """Open tasks whose reminder day has come and that were not reminded yet (for ``palermo cases remind``)."""
    return Task.objects.filter(
        done_at__isnull=True, reminded_at__isnull=True, due_on__gte=today
    ).select_related("case", "assigned_organisation")


def incoming_referrals_for(
    actor: User, organisation: Organisation | None, *, status: str = ""
) -> QuerySet[ServiceReferral]:
    """Service referrals sent to the organisation (its inbox)."""
    if organisation is None or not has_perm(actor, Perm.VIEW_CASES, organisation):
        return ServiceReferral.objects.none()
    qs = ServiceReferral.objects.filter(receiving_organisation=organisation).select_related(
        "case", "sending_organisation", "consent"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-sent_at", "-id")


def access_referral(
    actor: User, organisation: Organisation | None, referral_id: int
) -> ServiceReferral:
    """A referral for its receiver, or for whoever may see its case's referrals; else Http404."""
    ref = (
        ServiceReferral.objects.select_related(
            "case", "consent", "provider", "receiving_organisation", "sending_organisation"
        )
        .filter(pk=referral_id)
        .first()
    )
    if ref is None or organisation is None or not has_perm(actor, Perm.VIEW_CASES, organisation):
        raise Http404("not found")
    if ref.receiving_organisation_id == organisation.pk:
        return ref
    if access.REFERRALS in case_visibility(actor, organisation, ref.case):
        return ref
    raise Http404("not found")


def service_directory(
    *,
    service_type: str = "",
    language: str = "",
    include_inactive: bool = False,
    within: frozenset[int] | None = None,
) -> QuerySet[ServiceProvider]:
    """The directory; ``within`` (a reader's ``core.scope``): only those organisations' entries."""
    qs = ServiceProvider.objects.select_related("organisation")
    if within is not None:
        qs = qs.filter(organisation_id__in=within)
    if not include_inactive:
        qs = qs.filter(is_active=True, organisation__is_active=True)
    providers = list(qs)
    # JSON containment differs between SQLite and PostgreSQL; the directory is small.
    ids = [
        p.pk
        for p in providers
        if (not service_type or service_type in p.service_types)
        and (not language or language in p.languages)
    ]
    return (
        ServiceProvider.objects.filter(pk__in=ids)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def active_referral_counts() -> dict[int, int]:
    """Open referrals per provider, to show against capacity."""
    from django.db.models import Count

    rows = (
        ServiceReferral.objects.filter(status__in=(wf.REFERRAL_ACCEPTED, wf.REFERRAL_DELIVERED))
        .values("provider_id")
        .annotate(n=Count("id"))
    )
    return {r["provider_id"]: r["n"] for r in rows}


def break_glass_flags(
    actor: User, organisation: Organisation | None, *, unreviewed_only: bool = True
) -> QuerySet[BreakGlassAccess]:
    if organisation is None or not has_perm(actor, Perm.OVERSEE_CASES, organisation):
        return BreakGlassAccess.objects.none()
    qs = BreakGlassAccess.objects.select_related("case", "user", "organisation")
    within = scope.organisations_in_scope(actor)
    if within is not None:
        qs = qs.filter(organisation_id__in=within)
    if unreviewed_only:
        qs = qs.filter(reviewed_at__isnull=True)
    return qs.order_by("-started_at")


def team_of(case: Case) -> QuerySet[CaseTeamMember]:
    return (
        case.team.filter(removed_at__isnull=True)
        .select_related("organisation")
        .order_by("added_at")
    )


def case_consents(case: Case) -> list[Consent]:
    return list(case.consents.select_related("recipient").order_by("-given_on", "-id"))


def active_consents_for(case: Case, recipient: Organisation) -> list[Consent]:
    return _active_consents(case, recipient, clock.today())


def active_consents_for_case(case: Case) -> list[Consent]:
    today = clock.today()
    return [c for c in case_consents(case) if wf.consent_active(c.given_on, c.withdrawn_on, today)]


def consent_of(case: Case, consent_id: int) -> Consent | None:
    return case.consents.select_related("recipient").filter(pk=consent_id).first()


def provider(provider_id: int) -> ServiceProvider:
    found = ServiceProvider.objects.select_related("organisation").filter(pk=provider_id).first()
    if found is None:
        raise Http404("not found")
    return found


def current_version(case: Case) -> int:
    return int(Case.objects.filter(pk=case.pk).values_list("version", flat=True).get())


def latest_return_assessment(case: Case) -> Any:
    return case.return_assessments.order_by("-assessed_on", "-id").first()


def can_edit_case(
    actor: User, organisation: Organisation | None, visibility: access.Visibility
) -> bool:
    """Team members and the identification body with the edit permission; not referral receivers."""
    return (
        organisation is not None
        and has_perm(actor, Perm.EDIT_CASES, organisation)
        and ("case team" in visibility.basis or "identification body" in visibility.basis)
    )


# --- the case file, cut to what the actor may see ----------------------------------------------------

TIMELINE_PREVIEW = 50


def _org(o: Organisation | None) -> cf.OrgRef | None:
    return cf.OrgRef(id=o.pk, name=o.name) if o is not None else None


# Rows the case file shows besides the case itself: name → (field group, model). One query
# asks which of them exist (EXISTS per section, on their case_id indexes); only those are
# then read. Most cases have few of them, so a page makes a few queries rather than one per
# section (issue 13: 14 section queries per page, most of them empty).
def _section_models() -> dict[str, tuple[str, Any]]:
    from palermo.cases import models as m

    return {
        "trafficking_events": (access.VICTIM_CONTEXT, m.TraffickingEvent),
        "suspects": (access.SUSPECTS, m.SuspectLink),
        "decisions": (access.TIMELINE, m.IdentificationDecision),
        "appeals": (access.TIMELINE, m.Appeal),
        "consents": (access.CONSENTS, m.Consent),
        "referrals": (access.REFERRALS, m.ServiceReferral),
        "tasks": (access.TASKS, m.Task),
        "bids": (access.SAFEGUARDS, m.BestInterestsDetermination),
        "return_assessments": (access.SAFEGUARDS, m.ReturnRiskAssessment),
        "returns": (access.SAFEGUARDS, m.ReturnRecord),
        "non_punishment": (access.SAFEGUARDS, m.NonPunishment),
        "compensation_claims": (access.SAFEGUARDS, m.CompensationClaim),
        "proceedings": (access.SAFEGUARDS, m.CriminalProceeding),
        "documents": (access.IDENTITY, m.IdentityDocument),
    }


def _case_rows(case: Case, g: frozenset[str]) -> tuple[Case, set[str]]:
    """The case again with its one-to-one parts the reader may see (person, context, child) and
    the names of the visible sections that have rows — all in one query."""
    related = []
    if access.IDENTITY in g or access.CONTACT in g:
        related.append("person")
    if access.VICTIM_CONTEXT in g:
        related.append("context")
    if access.SAFEGUARDS in g and case.is_child:
        related += ["child", "child__guardian_organisation"]
    flags = {
        f"has_{name}": Exists(model.objects.filter(case_id=OuterRef("pk")))
        for name, (group, model) in _section_models().items()
        if group in g
    }
    row = Case.objects.filter(pk=case.pk).select_related(*related).annotate(**flags).first()
    if row is None:  # deleted between the access check and now
        raise Http404("not found")
    present = {name for name in _section_models() if getattr(row, f"has_{name}", False)}
    return row, present


def _overview(case: Case) -> cf.Overview:
    referring = _org(case.referring_organisation)
    assert referring is not None
    return cf.Overview(
        status=case.status,
        phase=case.phase,
        identification_status=case.identification_status,
        htcds_trafficking_status=case.htcds_trafficking_status,
        decision_organisation=_org(case.decision_organisation),
        is_child=case.is_child,
        nationality=case.nationality,
        exploitation_types=list(case.exploitation_types),
        source=case.source,
        source_ref=case.source_ref,
        referring_organisation=referring,
        incoming_referral_date=case.incoming_referral_date,
        referring_country=case.referring_country,
        lead_organisation=_org(case.lead_organisation),
        cooperates_with_authorities=case.cooperates_with_authorities,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        closure_reason=case.closure_reason,
        next_deadline=case.next_deadline,
        team=[
            cf.TeamMember(
                organisation=_org(m.organisation),  # type: ignore[arg-type]
                role=m.role,
                added_at=m.added_at,
            )
            for m in team_of(case)
        ],
    )


def case_file(
    case: Case, visibility: access.Visibility, *, today: date | None = None
) -> cf.CaseFile:
    """The case as typed plain data (``palermo.cases.casefile``), one section per visible field
    group (others are None).

    The same structure feeds the API, the case page and investigate, so they can never
    show different things to the same person. A fixed, small number of queries: the case
    with its one-to-one parts and which sections have rows (one), the team (one), and one
    per section that has rows.
    """
    day = today or clock.today()
    g = visibility.groups
    row, present = _case_rows(case, g)
    person = getattr(row, "person", None) if (access.IDENTITY in g or access.CONTACT in g) else None
    identity = (
        cf.Identity(**{f: getattr(person, f) for f in person.IDENTITY_FIELDS})
        if person is not None and access.IDENTITY in g
        else None
    )
    contact = (
        cf.Contact(**{f: getattr(person, f) for f in person.CONTACT_FIELDS})
        if person is not None and access.CONTACT in g
        else None
    )

    def rows(name: str, qs: Any) -> list[Any]:
        return list(qs) if name in present else []

    victim_context = trafficking_events = None
    if access.VICTIM_CONTEXT in g:
        ctx = getattr(row, "context", None)
        victim_context = cf.VictimContext(
            **{f: getattr(ctx, f) for f in ctx.FIELDS} if ctx is not None else _EMPTY_CONTEXT,
            summary=row.summary,
        )
        trafficking_events = [
            cf.TraffickingEvent(
                id=e.pk,
                event_type=e.event_type,
                date=e.date,
                country=e.country,
                city=e.city,
                description=e.description,
            )
            for e in rows("trafficking_events", case.trafficking_events.all())
        ]
    suspects = (
        [
            cf.Suspect(
                id=s.pk,
                name_or_alias=s.name_or_alias,
                roles=list(s.roles),
                organisation=s.organisation,
                details=s.details,
                recorded_at=s.recorded_at,
            )
            for s in rows("suspects", case.suspects.all())
        ]
        if access.SUSPECTS in g
        else None
    )
    decisions = appeals = None
    if access.TIMELINE in g:
        decisions = [
            cf.Decision(
                id=d.pk,
                outcome=d.outcome,
                previous_status=d.previous_status,
                reasons=d.reasons,
                basis=d.basis,
                organisation=_org(d.organisation),  # type: ignore[arg-type]
                decided_at=d.decided_at,
            )
            for d in rows("decisions", case.decisions.select_related("organisation"))
        ]
        appeals = [
            cf.Appeal(
                id=a.pk,
                decision_id=a.decision_id,
                lodged_on=a.lodged_on,
                grounds=a.grounds,
                status=a.status,
                outcome_on=a.outcome_on,
                outcome_reasons=a.outcome_reasons,
            )
            for a in rows("appeals", case.appeals.all())
        ]
    consents = (
        [
            cf.ConsentEntry(
                id=c.pk,
                scopes=list(c.scopes),
                recipient=_org(c.recipient),  # type: ignore[arg-type]
                purpose=c.purpose,
                given_by=c.given_by,
                given_on=c.given_on,
                withdrawn_on=c.withdrawn_on,
                active=wf.consent_active(c.given_on, c.withdrawn_on, day),
            )
            for c in (case_consents(case) if "consents" in present else [])
        ]
        if access.CONSENTS in g
        else None
    )
    referrals = (
        [
            cf.ReferralEntry(
                id=r.pk,
                service_type=r.service_type,
                receiving_organisation=_org(r.receiving_organisation),  # type: ignore[arg-type]
                status=r.status,
                consent_id=r.consent_id,
                sent_at=r.sent_at,
                responded_at=r.responded_at,
                delivered_at=r.delivered_at,
                closed_at=r.closed_at,
                outcome=r.outcome,
                decline_reason=r.decline_reason,
            )
            for r in rows(
                "referrals", case.service_referrals.select_related("receiving_organisation")
            )
        ]
        if access.REFERRALS in g
        else None
    )
    tasks = (
        [
            cf.TaskEntry(
                id=t.pk,
                title=t.title,
                kind=t.kind,
                rule_key=t.rule_key,
                rule_version=t.rule_version,
                starts_on=t.starts_on,
                due_on=t.due_on,
                done_at=t.done_at,
                state=wf.deadline_state(t.due_on, t.done_at is not None, day),
                assigned_organisation=_org(t.assigned_organisation),
            )
            for t in rows(
                "tasks",
                case.tasks.select_related("assigned_organisation").order_by(
                    "done_at", "due_on", "id"
                ),
            )
        ]
        if access.TASKS in g
        else None
    )
    documents = (
        [_document(d) for d in rows("documents", case.documents.all())]
        if access.IDENTITY in g
        else None
    )
    child = bids = assessments = returns = non_punishment = claims = proceedings = None
    if access.SAFEGUARDS in g:
        c = getattr(row, "child", None) if case.is_child else None
        child = (
            cf.ChildSafeguards(
                guardian_name=c.guardian_name,
                guardian_appointed_on=c.guardian_appointed_on,
                guardian_organisation=_org(c.guardian_organisation),
                child_protection_authority=c.child_protection_authority,
                child_protection_notified_on=c.child_protection_notified_on,
            )
            if c is not None
            else None
        )
        bids = [
            cf.BestInterests(
                id=b.pk,
                factors=b.factors,
                durable_solution=b.durable_solution,
                decided_on=b.decided_on,
                participants=b.participants,
            )
            for b in rows("bids", case.bids.all())
        ]
        assessments = [
            cf.ReturnAssessment(
                id=r.pk,
                country=r.country,
                answers=r.answers,
                conclusion=r.conclusion,
                suggested_conclusion=wf.suggested_return_conclusion(r.answers),
                assessed_on=r.assessed_on,
                notes=r.notes,
            )
            for r in rows("return_assessments", case.return_assessments.all())
        ]
        returns = [
            cf.ReturnEntry(
                id=r.pk,
                country=r.country,
                returned_on=r.returned_on,
                assessment_id=r.assessment_id,
                override_reason=r.override_reason,
            )
            for r in rows("returns", case.returns.all())
        ]
        non_punishment = [
            cf.NonPunishmentEntry(
                id=n.pk,
                offence=n.offence,
                compulsion=n.compulsion,
                decision=n.decision,
                decided_by_body=n.decided_by_body,
                decided_on=n.decided_on,
            )
            for n in rows("non_punishment", case.non_punishment.all())
        ]
        claims = [
            cf.CompensationEntry(
                id=c.pk,
                amount=c.amount,
                currency=c.currency,
                source=c.source,
                status=c.status,
                filed_on=c.filed_on,
                decided_on=c.decided_on,
                amount_awarded=c.amount_awarded,
            )
            for c in rows("compensation_claims", case.compensation_claims.all())
        ]
        proceedings = [_proceeding(p) for p in rows("proceedings", case.proceedings.all())]
    return cf.CaseFile(
        reference=case.reference,
        version=case.version,
        visible_groups=sorted(g),
        access_basis=list(visibility.basis),
        overview=_overview(case),
        identity=identity,
        contact=contact,
        victim_context=victim_context,
        trafficking_events=trafficking_events,
        suspects=suspects,
        decisions=decisions,
        appeals=appeals,
        consents=consents,
        referrals=referrals,
        tasks=tasks,
        child=child,
        best_interests_determinations=bids,
        return_assessments=assessments,
        returns=returns,
        non_punishment=non_punishment,
        compensation_claims=claims,
        proceedings=proceedings,
        documents=documents,
    )


def _proceeding(p: Any) -> cf.ProceedingsEntry:
    return cf.ProceedingsEntry(
        id=p.pk,
        country=p.country,
        stage=p.stage,
        roles=list(p.roles),
        authority=p.authority,
        stage_on=p.stage_on,
    )


def _document(d: Any) -> cf.DocumentEntry:
    return cf.DocumentEntry(
        id=d.pk,
        doc_type=d.doc_type,
        issuing_country=d.issuing_country,
        status=d.status,
        number=d.number,
        expires_on=d.expires_on,
    )


# What other contexts read of a case's proceedings and documents (crossborder's hand-over):
# typed entries, never the models. The caller has the case from ``access_case`` (read audited)
# and decides with ``case.visibility`` which groups it may use.


def case_proceedings(case: Case) -> list[cf.ProceedingsEntry]:
    """The criminal proceedings the person takes part in (field group: safeguards)."""
    return [_proceeding(p) for p in case.proceedings.all()]


def case_documents(case: Case) -> list[cf.DocumentEntry]:
    """The person's identity and travel documents (field group: identity)."""
    return [_document(d) for d in case.documents.all()]


def case_non_punishment(case: Case) -> list[cf.NonPunishmentEntry]:
    """Offences committed under compulsion and the decisions on them (field group: safeguards)."""
    return [
        cf.NonPunishmentEntry(
            id=n.pk,
            offence=n.offence,
            compulsion=n.compulsion,
            decision=n.decision,
            decided_by_body=n.decided_by_body,
            decided_on=n.decided_on,
        )
        for n in case.non_punishment.all()
    ]


def case_compensation_claims(case: Case) -> list[cf.CompensationEntry]:
    """Compensation claims (field group: safeguards)."""
    return [
        cf.CompensationEntry(
            id=c.pk,
            amount=c.amount,
            currency=c.currency,
            source=c.source,
            status=c.status,
            filed_on=c.filed_on,
            decided_on=c.decided_on,
            amount_awarded=c.amount_awarded,
        )
        for c in case.compensation_claims.all()
    ]


_EMPTY_CONTEXT: dict[str, Any] = {
    "methods_of_recruitment": [],
    "methods_of_control": [],
    "exploitation_types": [],
    "forced_labour_industry": "",
    "sex_exploitation_types": [],
    "relationship_to_trafficker": "",
    "age_when_trafficked": None,
    "countries_of_recruitment": [],
    "countries_of_transit": [],
    "countries_of_exploitation": [],
}


def timeline_entry(e: CaseEvent) -> cf.TimelineEntry:
    return cf.TimelineEntry(
        id=e.pk,
        at=e.at,
        kind=e.kind,
        summary=e.summary,
        text=e.text,
        actor=e.actor.username if e.actor else "",
        organisation=e.organisation.name if e.organisation else "",
        corrects_id=e.corrects_id,
    )


def timeline_entries(case: Case, limit: int = TIMELINE_PREVIEW) -> list[cf.TimelineEntry]:
    return [timeline_entry(e) for e in case_timeline(case)[:limit]]


# What a referral page can show of the case, besides the referral and its consent.
REFERRAL_VIEW_GROUPS = frozenset({access.IDENTITY, access.VICTIM_CONTEXT, access.SAFEGUARDS})


def _referral_live(referral: ServiceReferral, today: date) -> bool:
    consent = referral.consent
    return referral.status in wf.REFERRAL_OPEN and wf.consent_active(
        consent.given_on, consent.withdrawn_on, today
    )


def referral_visibility(
    actor: User, organisation: Organisation | None, referral: ServiceReferral
) -> access.Visibility:
    """Which field groups of the case a referral page shows to this reader.

    The receiving organisation (acting for it) gets what the referral's consent covers, while
    the referral is open and the consent active. Everyone else gets exactly their own
    visibility of the case, the case file's rule: a referral is never a second door to the
    case (issue 11: a police unit on the team read the identity the shelter's consent covers).
    Either way the answer is cut to what the same reader may see on the case itself.
    """
    case_vis = case_visibility(actor, organisation, referral.case)
    if organisation is not None and referral.receiving_organisation_id == organisation.pk:
        scopes = (
            frozenset(referral.consent.scopes) & access.REFERRAL_SHAREABLE
            if _referral_live(referral, clock.today())
            else frozenset()
        )
        return access.Visibility(
            (frozenset({access.OVERVIEW}) | scopes) & case_vis.groups, ("referral",)
        )
    return case_vis


def referral_view(
    referral: ServiceReferral, visibility: access.Visibility, *, receiver: bool
) -> dict[str, Any]:
    """A referral and the case fields ``visibility`` (from ``referral_visibility``) allows.

    ``shared_groups`` names the groups of case data shown: what the page says the reader
    may see, and what the audit entry records as read.
    """
    today = clock.today()
    consent = referral.consent
    live = _referral_live(referral, today)
    shown = visibility.groups & REFERRAL_VIEW_GROUPS
    case = referral.case
    data = {
        "id": referral.pk,
        "service_type": referral.service_type,
        "status": referral.status,
        "details": referral.details if (live or not receiver) else "",
        "sending_organisation": _org(referral.sending_organisation),
        "receiving_organisation": _org(referral.receiving_organisation),
        "sent_at": referral.sent_at,
        "responded_at": referral.responded_at,
        "delivered_at": referral.delivered_at,
        "closed_at": referral.closed_at,
        "outcome": referral.outcome,
        "decline_reason": referral.decline_reason,
        "consent": {
            "scopes": consent.scopes,
            "purpose": consent.purpose,
            "given_on": consent.given_on,
            "withdrawn_on": consent.withdrawn_on,
            "active": live,
        },
        "case_reference": case.reference,
        "shared_groups": sorted(shown),
        "is_child": case.is_child,
    }
    full = (
        case_file(case, access.Visibility(frozenset({access.OVERVIEW}) | shown, visibility.basis))
        if shown
        else None
    )
    data["identity"] = full.identity if full else None
    data["victim_context"] = full.victim_context if full else None
    data["trafficking_events"] = full.trafficking_events if full else None
    data["safeguards"] = (
        {
            "child": dataclasses.asdict(full.child) if full.child else None,
            "best_interests_determinations": [
                dataclasses.asdict(b) for b in full.best_interests_determinations or []
            ],
            "return_assessments": [dataclasses.asdict(r) for r in full.return_assessments or []],
        }
        if full and access.SAFEGUARDS in shown
        else None
    )
    return data


def read_referral(
    actor: User, organisation: Organisation | None, referral_id: int, *, request: Any = None
) -> tuple[ServiceReferral, dict[str, Any]]:
    """The referral page's data for this reader (or Http404), with the read audited: the
    case's groups this reader was shown, and on which basis."""
    ref = access_referral(actor, organisation, referral_id)
    receiver = organisation is not None and ref.receiving_organisation_id == organisation.pk
    visibility = referral_visibility(actor, organisation, ref)
    data = referral_view(ref, visibility, receiver=receiver)
    audit.record(
        action="read",
        actor=actor,
        organisation=organisation,
        object_type="case",
        object_ref=ref.case.reference,
        purpose="service referral",
        request=request,
        details={
            "referral": ref.pk,
            "groups": data["shared_groups"],
            "basis": list(visibility.basis),
        },
    )
    return ref, data


# --- monitoring facts (palermo.monitor's indicators) ---------------------------------------------------


@dataclass(frozen=True)
class MonitoringFact:
    """What the monitoring indicators count of one case: codes, dates and yes/no only — no name,
    no free text. ``case_id`` is kept for the drill-down, which re-checks need-to-know per case."""

    case_id: int
    reference: str
    year: int  # of the incoming referral
    identification_status: str
    is_child: bool
    forms: tuple[str, ...]
    guardian_due_on: date | None
    guardian_appointed_on: date | None
    reflection_period_granted: bool
    referrals_sent: int
    referrals_accepted: int  # accepted, delivered, or closed after being accepted
    compensation_claimed: int
    compensation_awarded: int


@dataclass(frozen=True)
class MonitoringFactGroup:
    """Cases that share the same monitoring facts, and how many they are (``cases``).

    The facts of ``MonitoringFact`` without the case's identity; the guardian's timeliness is
    already decided (appointed on or before the earliest ``guardian_appointment`` due date).
    ``extra`` holds the per-case counts the caller supplied (e.g. financial investigations).
    """

    identification_status: str
    is_child: bool
    forms: tuple[str, ...]
    guardian_in_time: bool
    reflection_period_granted: bool
    referrals_sent: int
    referrals_accepted: int
    compensation_claimed: int
    compensation_awarded: int
    extra: tuple[tuple[str, int], ...]
    cases: int


def monitoring_fact_groups(
    *, year: int | None = None, extra_counts: dict[str, QuerySet[Any]] | None = None
) -> list[MonitoringFactGroup]:
    """The facts of ``monitoring_facts`` counted in the database: one row per distinct
    combination, so a million cases come back as a few thousand rows (one query).

    ``extra_counts`` names querysets of another context that yield ``(case_id, n)`` rows
    (``values_list("case_id", "n")``); each is joined as a subquery, so this context neither
    imports the other's models nor sends a list of ids back and forth.
    """
    import json

    from django.db import connection, transaction

    from palermo.cases.models import ChildSafeguard, CompensationClaim

    extra = sorted((extra_counts or {}).items())
    case_t = Case._meta.db_table
    task_t = Task._meta.db_table
    safe_t = ChildSafeguard._meta.db_table
    ref_t = ServiceReferral._meta.db_table
    claim_t = CompensationClaim._meta.db_table
    joins: list[str] = []
    params: list[Any] = []
    cols: list[str] = []
    for i, (_name, qs) in enumerate(extra):
        sql, qparams = qs.query.sql_with_params()
        joins.append(f"LEFT JOIN ({sql}) x{i} ON x{i}.case_id = c.id")
        params.extend(qparams)
        cols.append(f"COALESCE(x{i}.n, 0)")
    where = ""
    if year is not None:
        where = "WHERE c.incoming_referral_date >= %s AND c.incoming_referral_date < %s"
        params += [date(year, 1, 1), date(year + 1, 1, 1)]
    accepted = (wf.REFERRAL_ACCEPTED, wf.REFERRAL_DELIVERED)
    facts = [
        "c.identification_status",
        "c.is_child",
        "c.exploitation_types",
        "CASE WHEN g.due IS NOT NULL AND s.appointed IS NOT NULL AND s.appointed <= g.due"
        " THEN 1 ELSE 0 END",
        "CASE WHEN r.case_id IS NOT NULL THEN 1 ELSE 0 END",
        "COALESCE(ref.sent, 0)",
        "COALESCE(ref.accepted, 0)",
        "COALESCE(cl.claimed, 0)",
        "COALESCE(cl.awarded, 0)",
        *cols,
    ]
    # The same rules as ``monitoring_facts`` (a test compares the two), written as joins of
    # per-case aggregates so PostgreSQL hashes each table once.
    sql = f"""
        SELECT {", ".join(facts)}, COUNT(*)
        FROM {case_t} c
        LEFT JOIN (SELECT case_id, MIN(due_on) AS due FROM {task_t}
                   WHERE rule_key = 'guardian_appointment' GROUP BY case_id) g ON g.case_id = c.id
        LEFT JOIN (SELECT DISTINCT case_id FROM {task_t}
                   WHERE rule_key = 'reflection_recovery_period') r ON r.case_id = c.id
        LEFT JOIN (SELECT case_id, guardian_appointed_on AS appointed FROM {safe_t}
                   WHERE guardian_appointed_on IS NOT NULL) s ON s.case_id = c.id
        LEFT JOIN (SELECT case_id, COUNT(*) AS sent,
                          SUM(CASE WHEN status IN (%s, %s)
                                    OR (status = %s AND responded_at IS NOT NULL)
                               THEN 1 ELSE 0 END) AS accepted
                   FROM {ref_t} GROUP BY case_id) ref ON ref.case_id = c.id
        LEFT JOIN (SELECT case_id,
                          SUM(CASE WHEN status <> 'planned' THEN 1 ELSE 0 END) AS claimed,
                          SUM(CASE WHEN status IN ('awarded', 'paid') THEN 1 ELSE 0 END) AS awarded
                   FROM {claim_t} GROUP BY case_id) cl ON cl.case_id = c.id
        {" ".join(joins)}
        {where}
        GROUP BY {", ".join(str(i + 1) for i in range(len(facts)))}
    """  # noqa: S608 — table names from the models, values as parameters
    params = [*accepted, wf.REFERRAL_CLOSED, *params]
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # PostgreSQL's JIT compiles this one-off query for longer than it saves: 6.5 s of
            # 22 s over a million cases (EXPLAIN ANALYZE); off for this transaction only.
            cur.execute("SET LOCAL jit = off")
        cur.execute(sql, params)
        rows = cur.fetchall()
    out = []
    for row in rows:
        status, child, forms, in_time, reflection, sent, acc, claimed, awarded = row[:9]
        if isinstance(forms, str):  # SQLite hands JSON back as text
            forms = json.loads(forms)
        out.append(
            MonitoringFactGroup(
                identification_status=status,
                is_child=bool(child),
                forms=tuple(forms or ()),
                guardian_in_time=bool(in_time),
                reflection_period_granted=bool(reflection),
                referrals_sent=int(sent),
                referrals_accepted=int(acc),
                compensation_claimed=int(claimed),
                compensation_awarded=int(awarded),
                extra=tuple(
                    (name, int(v)) for (name, _qs), v in zip(extra, row[9:-1], strict=True)
                ),
                cases=int(row[-1]),
            )
        )
    return out


def monitoring_facts(*, year: int | None = None) -> list[MonitoringFact]:
    """Every case as a ``MonitoringFact``, for protected aggregates only (a fixed number of queries).

    Like ``stats.selectors.victim_stats``, it counts every case of the instance: figures
    leave only through small-cell protection; a drill-down to cases goes through
    ``case_visibilities`` for the reader.
    """
    from django.db.models import Count

    from palermo.cases.models import ChildSafeguard, CompensationClaim

    qs = Case.objects.all()
    if year is not None:
        qs = qs.filter(incoming_referral_date__year=year)
    rows = list(
        qs.values_list(
            "id",
            "reference",
            "incoming_referral_date",
            "identification_status",
            "is_child",
            "exploitation_types",
        ).order_by("id")
    )
    if not rows:
        return []
    # The other tables are read for the same cases through a subquery (or whole, for every
    # year), never through a list of a million ids sent back to the database.
    scope = Q() if year is None else Q(case_id__in=qs.values("id"))
    guardian_due: dict[int, date] = {}
    reflection: set[int] = set()
    for case_id, rule_key, due_on in Task.objects.filter(
        scope, rule_key__in=("guardian_appointment", "reflection_recovery_period")
    ).values_list("case_id", "rule_key", "due_on"):
        if rule_key == "guardian_appointment":
            guardian_due[case_id] = min(due_on, guardian_due.get(case_id, due_on))
        else:
            reflection.add(case_id)
    appointed = dict(
        ChildSafeguard.objects.filter(scope, guardian_appointed_on__isnull=False).values_list(
            "case_id", "guardian_appointed_on"
        )
    )
    sent: dict[int, int] = {}
    accepted: dict[int, int] = {}
    for r in (
        ServiceReferral.objects.filter(scope)
        .values("case_id", "status", "responded_at")
        .annotate(n=Count("id"))
    ):
        sent[r["case_id"]] = sent.get(r["case_id"], 0) + r["n"]
        if r["status"] in (wf.REFERRAL_ACCEPTED, wf.REFERRAL_DELIVERED) or (
            r["status"] == wf.REFERRAL_CLOSED and r["responded_at"] is not None
        ):
            accepted[r["case_id"]] = accepted.get(r["case_id"], 0) + r["n"]
    claimed: dict[int, int] = {}
    awarded: dict[int, int] = {}
    for case_id, status in CompensationClaim.objects.filter(scope).values_list("case_id", "status"):
        if status != "planned":
            claimed[case_id] = claimed.get(case_id, 0) + 1
        if status in ("awarded", "paid"):
            awarded[case_id] = awarded.get(case_id, 0) + 1
    return [
        MonitoringFact(
            case_id=pk,
            reference=ref,
            year=received.year,
            identification_status=status,
            is_child=child,
            forms=tuple(forms or ()),
            guardian_due_on=guardian_due.get(pk),
            guardian_appointed_on=appointed.get(pk),
            reflection_period_granted=pk in reflection,
            referrals_sent=sent.get(pk, 0),
            referrals_accepted=accepted.get(pk, 0),
            compensation_claimed=claimed.get(pk, 0),
            compensation_awarded=awarded.get(pk, 0),
        )
        for pk, ref, received, status, child, forms in rows
    ]


def visible_case_ids(
    actor: User, organisation: Organisation | None, case_ids: Sequence[int], groups: frozenset[str]
) -> set[int]:
    """Of ``case_ids``, those whose every field group in ``groups`` the actor may see (drill-downs)."""
    if organisation is None or not has_perm(actor, Perm.VIEW_CASES, organisation) or not case_ids:
        return set()
    cases = list(cases_visible_to(actor, organisation).filter(pk__in=list(case_ids)).only("id"))
    seen = case_visibilities(actor, organisation, cases)
    return {pk for pk, vis in seen.items() if groups <= vis.groups}


# --- Reads for other contexts (issue 14, item 4) ---------------------------------------------------
# Statistics, investigations and the dashboards read the case file only through these functions
# (an import-linter contract forbids them the models of ``cases``; docs/architecture.md).


def cases_for_aggregates() -> QuerySet[Case]:
    """Every case with its person and context, for aggregates only (never shown one by one)."""
    return Case.objects.select_related("person", "context").order_by("id")


def cases_for_victim_statistics(*, year: int | None = None, form: str = "") -> QuerySet[Case]:
    """``cases_for_aggregates`` with each case's referrals (``stats_referrals``) and identification
    decisions (``stats_decisions``) prefetched, optionally of one year or form of exploitation."""
    qs = cases_for_aggregates().prefetch_related(
        Prefetch(
            "service_referrals",
            queryset=ServiceReferral.objects.only("id", "case_id", "sent_at", "status", "outcome"),
            to_attr="stats_referrals",
        ),
        Prefetch(
            "decisions",
            queryset=IdentificationDecision.objects.only("id", "case_id", "decided_at"),
            to_attr="stats_decisions",
        ),
    )
    if year is not None:
        qs = qs.filter(incoming_referral_date__year=year)
    if form:
        qs = qs.filter(exploitation_rows__code=form).distinct()
    return qs


def recruitment_facts() -> list[tuple[int, str | None, tuple[str, ...], tuple[str, ...]]]:
    """Every case as ``(year of registration, first country of exploitation, forms of
    exploitation, methods of recruitment)``: for the protected share of cases recruited online
    only (one query; no reference, no person, never shown one by one)."""
    rows = Case.objects.values_list(
        "incoming_referral_date",
        "exploitation_types",
        "context__countries_of_exploitation",
        "context__methods_of_recruitment",
    ).order_by("id")
    out = []
    for received, forms, countries, methods in rows:
        out.append(
            (
                received.year,
                (countries or [None])[0] or None,
                tuple(forms or ()),
                tuple(methods or ()),
            )
        )
    return out


def origin_facts() -> list[tuple[int, str]]:
    """Every case as ``(year of registration, origin)`` — ``origin`` is ``CaseOrigin``, "" when
    none was recorded: for the protected count of cases identified through a supply-chain
    inspection (aggregates only; no reference, no person)."""
    return [
        (received.year, origin or "")
        for received, origin in Case.objects.values_list(
            "incoming_referral_date", "origin"
        ).order_by("id")
    ]


def cases_from_sources(source_refs: list[str], origin: str) -> int:
    """How many cases were opened from these referring screenings with this origin (a count;
    which cases is never said)."""
    if not source_refs:
        return 0
    return Case.objects.filter(source_ref__in=source_refs, origin=origin).count()


def registration_years() -> list[int]:
    """The years in which cases were registered, newest first (no case is identified)."""
    return sorted(
        {d.year for d in Case.objects.dates("incoming_referral_date", "year")}, reverse=True
    )


def case_count() -> int:
    return Case.objects.count()


def case_for_import(case_id: int) -> Case:
    """A case an import matched by its own key, with person and context, to update it (the
    importer's need-to-know is checked by the caller with ``case_visibility``)."""
    return Case.objects.select_related("person", "context").get(pk=case_id)


def cases_by_reference(references: Iterable[str]) -> QuerySet[Case]:
    """The cases of these references (for a caller that checks visibility case by case)."""
    return Case.objects.filter(reference__in=set(references))


def first_case_on_team(organisation: Organisation, *, form: str) -> Case | None:
    """The first case (by reference) with ``organisation`` on its team and this form of
    exploitation; the demo's investigation links one."""
    return (
        Case.objects.filter(
            team__organisation=organisation,
            team__removed_at__isnull=True,
            exploitation_rows__code=form,
        )
        .order_by("reference")
        .first()
    )


def receives_service_referrals(organisation: Organisation | None) -> bool:
    """Organisations in the service directory, or that were ever sent a service referral."""
    if organisation is None:
        return False
    return (
        ServiceProvider.objects.filter(organisation=organisation).exists()
        or ServiceReferral.objects.filter(receiving_organisation=organisation).exists()
    )
