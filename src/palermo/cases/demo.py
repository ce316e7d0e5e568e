"""Demo cases: a realistic spread of clearly fictional NRM cases.

Built through the services (so every case has a coherent timeline, deadlines
and audit entries), with the case clock set back in time so cases were opened
over the past eight months and move through the phases at plausible intervals.
Deterministic (same seed, same cases) and idempotent (run twice, added once).
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from palermo.cases import clock, services
from palermo.cases import workflow as wf
from palermo.cases.models import Case, ServiceProvider
from palermo.core.models import Membership, Organisation, User
from palermo.core.roles import OrganisationType, Role

DEMO_CASES = 80
CHILDREN_HOME_USER = "childhome"
# Whole years back from the recent months for case number i (i % 5): two in five cases are
# recent, one in five each one, two and three years older.
YEARS_BACK = (0, 1, 0, 2, 3)
MARK = "DEMO-"  # source_ref prefix of demo cases: how the step knows it already ran

EXTRA_ORGS = [
    ("Northside Legal Aid Clinic (fictional)", OrganisationType.LEGAL_SERVICE),
    ("Children's Emergency Home (fictional)", OrganisationType.NGO),
    ("Regional Child Protection Office (fictional)", OrganisationType.LOCAL_GOVERNMENT),
    ("Return and Reintegration Centre (fictional)", OrganisationType.INTERNATIONAL_ORGANISATION),
]
# (organisation name prefix, services, capacity, languages, area, closed facility, children)
PROVIDERS = [
    (
        "Safe Harbour Shelter NGO",
        ["shelter", "psychological", "interpretation"],
        14,
        ["en", "ro", "uk", "ru"],
        "Northern and Central Districts",
        False,
        False,
    ),
    (
        "Eastbay Outreach NGO",
        ["social_inclusion", "interpretation", "hotline_follow_up"],
        0,
        ["en", "sq", "vi"],
        "Eastbay",
        False,
        False,
    ),
    ("Northside Legal Aid Clinic", ["legal_aid"], 40, ["en", "fr", "ro"], "National", False, True),
    (
        "Children's Emergency Home",
        ["shelter", "guardian", "child_protection", "psychological"],
        8,
        ["en", "ro", "sq"],
        "National",
        False,
        True,
    ),
    (
        "Return and Reintegration Centre",
        ["return_assistance", "social_inclusion"],
        0,
        ["en", "fr", "ro", "uk"],
        "International",
        False,
        False,
    ),
]
NATIONALITIES = [
    "RO",
    "RO",
    "MD",
    "MD",
    "UA",
    "UA",
    "NG",
    "VN",
    "AL",
    "BG",
    "PH",
    "IN",
    "BR",
    "XK",
    "XK",
    "TR",
]
FORMS = (
    [["ForcedLabour"]] * 9
    + [["SexualExploitation"]] * 7
    + [["Servitude"]] * 2
    + [["ForcedBegging"]]
    + [["ForcedMarriage"]]
    + [["ForcedLabour", "SexualExploitation"]]
)
GIVEN = [
    "Ana",
    "Bojan",
    "Chiara",
    "Dmitri",
    "Elif",
    "Farid",
    "Greta",
    "Hana",
    "Ivo",
    "Jana",
    "Kemal",
    "Lina",
    "Mira",
    "Nikola",
    "Olga",
    "Petra",
    "Quyen",
    "Rosa",
    "Sami",
    "Tudor",
]
FAMILY = ["Example", "Sample", "Fictive", "Placeholder", "Demo", "Testperson", "Nomen"]
LANG = {
    "RO": "ro",
    "MD": "ro",
    "UA": "uk",
    "NG": "en",
    "VN": "vi",
    "AL": "sq",
    "BG": "bg",
    "PH": "tl",
    "IN": "hi",
    "BR": "pt",
    "XK": "sq",
    "TR": "tr",
}
SUMMARIES = [
    "Recruited through an online job advert for farm work abroad; passport taken on arrival; wages withheld.",
    "Met at a bus station by outreach workers; describes debt to a recruiter that keeps growing.",
    "Referred by the labour inspectorate after an inspection of a construction site; several workers housed on site.",
    "Hotline caller describes being moved between flats and forced to see clients; phone controlled.",
    "Domestic worker in a private household; not allowed to leave; no days off.",
    "Transnational referral from a partner NRM; the person asks for protection on return.",
    "Found begging at a shopping centre; the adult accompanying the child left when approached.",
]
NOTES = [
    "First meeting in a safe place with an interpreter. The person is tired and worried about family at home.",
    "Medical check-up arranged; follow-up appointment next week.",
    "The person wants to think about whether to speak to the police. Reminded that assistance does not depend on it.",
    "Called the shelter: a place is available from Monday.",
    "Discussed options for work and language classes.",
]
REASONS = {
    wf.PRESUMED: "Reasonable grounds: consistent account with several strong indicators (deception, withheld documents).",
    wf.IDENTIFIED: "Identified after the full assessment: the act, means and purpose of trafficking are established.",
    wf.NOT_IDENTIFIED: "No indicators of means or exploitation after two interviews; referred to general migrant support.",
}
BID = {
    k: "Assessed with the child, the guardian and the social worker (fictional demo text)."
    for k in wf.BID_FACTORS
}


def _org(prefix: str) -> Organisation:
    return Organisation.objects.get(name__startswith=prefix)


def _user(username: str) -> tuple[User, Organisation]:
    user = User.objects.get(username=username)
    return user, user.organisations()[0]


def _at(day: datetime, rng: random.Random) -> datetime:
    return day.replace(hour=rng.randint(8, 17), minute=rng.randint(0, 59), second=0, microsecond=0)


def _setup_directory(coordinator: User, office: Organisation) -> None:
    country = office.country
    for name, org_type in EXTRA_ORGS:
        Organisation.objects.get_or_create(
            name=name, defaults={"org_type": org_type, "country": country}
        )
    for prefix, service_types, capacity, languages, area, closed, children in PROVIDERS:
        if not ServiceProvider.objects.filter(organisation__name__startswith=prefix).exists():
            services.service_provider_save(
                actor=coordinator,
                organisation=office,
                provider_organisation=_org(prefix),
                service_types=service_types,
                capacity=capacity,
                languages=languages,
                area_served=area,
                is_closed_facility=closed,
                accepts_children=children,
            )
    # A case worker of the children's home answers its referrals (same demo password as the others).
    from palermo.core.demo import DEMO_PASSWORD

    kids = User.objects.filter(username=CHILDREN_HOME_USER).first()
    if kids is None:
        kids = User(
            username=CHILDREN_HOME_USER,
            first_name="Demo",
            last_name="Placeholder",
            email=f"{CHILDREN_HOME_USER}@example.org",
        )
        kids.set_password(DEMO_PASSWORD)
        kids.save()
    Membership.objects.get_or_create(
        user=kids, organisation=_org("Children's Emergency Home"), role=Role.CASE_WORKER
    )


def demo_cases(rng: random.Random) -> str:
    """Create the demo cases (skipped under the test suite unless PALERMO_DEMO_CASES=1: tests build their own)."""
    if getattr(settings, "TESTING", False) and os.environ.get("PALERMO_DEMO_CASES") != "1":
        return "cases: skipped under tests"
    if Case.objects.filter(source_ref__startswith=MARK).exists():
        return "cases: demo cases already there"
    with transaction.atomic():
        return _build(rng)


def _build(rng: random.Random) -> str:
    coordinator, office = _user("coordinator")
    _setup_directory(coordinator, office)
    referrers = [
        "police",
        "inspector",
        "outreach",
        "outreach",
        "police",
        "caseworker",
        "coordinator",
    ]
    sources = {
        "police": "agency",
        "inspector": "screening",
        "outreach": "screening",
        "caseworker": "agency",
        "coordinator": "transnational",
    }
    today = timezone.localdate()
    stats = {"cases": 0, "children": 0, "referrals": 0, "overdue": 0}
    for i in range(DEMO_CASES):
        by = rng.choice(referrers)
        actor, org = _user(by)
        # Spread over four years of registration (issue 15, item 11: "Victims by year" needs more
        # than one bar). The shift is by the case's number, not a random draw, so the seed
        # produces the same sequence of people, references and forms as before.
        days_ago = rng.randint(1, 240)
        opened = _at(
            datetime.combine(
                today - timedelta(days=days_ago), time(), tzinfo=timezone.get_current_timezone()
            ),
            rng,
        )
        child = rng.random() < 0.15
        if not child:
            # Children's cases stay recent: an old one would have run to its end, and a child's
            # case closes only after a best-interests determination, which the demo does not make.
            opened -= timedelta(days=365 * YEARS_BACK[i % len(YEARS_BACK)])
        nat = rng.choice(NATIONALITIES)
        source = "hotline" if (by == "outreach" and rng.random() < 0.3) else sources[by]
        person = {
            "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
            "citizenship": [nat],
            "primary_language": LANG[nat],
            "gender": rng.choice(["Feminine", "Masculine", "Feminine"]),
        }
        if rng.random() < 0.6:
            person.update({"street": f"{rng.randint(1, 99)} Fictional Lane", "city": "Demo City"})
        person.update(_documents_and_contacts(i, person))
        born = _birthdate(f"{MARK}{i + 1:04d}", opened.date(), child)
        if born is not None:
            person["birthdate"] = born.isoformat()
        with clock.travel(opened):
            case = services.case_open(
                actor=actor,
                organisation=org,
                source=source,
                source_ref=f"{MARK}{i + 1:04d}",
                person=person,
                exploitation_forms=list(rng.choice(FORMS)),
                is_child_or_presumed_child=child,
                summary=rng.choice(SUMMARIES),
                referring_country="MD" if source == "transnational" else "",
                cooperates_with_authorities=rng.choice([None, None, True, False]),
                reference=wf.new_reference(rng),
            )
        stats["cases"] += 1
        stats["children"] += child
        _progress(case, opened, rng, today, stats)
    stats["overdue"] = Case.objects.filter(
        next_deadline__lt=today, source_ref__startswith=MARK
    ).count()
    return (
        f"{stats['cases']} demo cases ({stats['children']} children, {stats['referrals']} service referrals, "
        f"{stats['overdue']} with an overdue deadline)"
    )


def _progress(
    case: Case, opened: datetime, rng: random.Random, today: object, stats: dict[str, int]
) -> None:
    coordinator, office = _user("coordinator")
    # The lead case-work organisation: Eastbay Outreach or Safe Harbour.
    worker, org = _user("outreach") if rng.random() < 0.6 else _user("caseworker")
    with clock.travel(opened + timedelta(hours=2)):
        case.refresh_from_db()
        services.case_update(
            actor=coordinator,
            organisation=office,
            case=case,
            expected_version=case.version,
            lead_organisation=org,
        )
        _places(case, coordinator, office)
    _move(case, opened, rng, today, stats, worker, org)
    _keep_up(case, rng, today, worker, org)


def _documents_and_contacts(i: int, person: Mapping[str, object]) -> dict[str, str]:
    """Fictional identity numbers, phones (North America's 555-01xx range for fiction) and example.org e-mails for some persons.

    Drawn from their own generator, so the rest of the demo stays as it was.
    """
    rng = random.Random(f"{MARK}contacts-{i}")
    out: dict[str, str] = {}
    if rng.random() < 0.5:
        out["identity_number"] = f"DEMO{rng.randint(0, 99_999_999):08d}"
    if rng.random() < 0.5:
        out["phone"] = f"+1202555{rng.randint(100, 199):04d}"
    if rng.random() < 0.4:
        out["email"] = f"{str(person['given_name']).lower()}.{rng.randint(1000, 9999)}@example.org"
        out["postal_code"] = f"DC-{rng.randint(100, 999)}"
    return out


def _birthdate(key: str, on: date, child: bool) -> date | None:
    """A fictional birthdate fitting the child flag (one in five left unknown, as in practice).

    Its own RNG, seeded by the case's demo reference, so the rest of the demo is unchanged.
    """
    rng = random.Random(f"{key}-born")
    if rng.random() < 0.2:
        return None
    age = (
        rng.randint(12, 17)
        if child
        else rng.choice([rng.randint(18, 24), rng.randint(18, 35), rng.randint(25, 55)])
    )
    return on - timedelta(days=age * 365 + rng.randint(30, 330))


# Where people were exploited: mostly in the deployment country, some abroad before they came.
EXPLOITATION_COUNTRIES = ["", "", "", "", "", "DE", "IT", "TR", "AE", "PL"]


def _places(case: Case, coordinator: User, office: Organisation) -> None:
    """Countries of recruitment and exploitation, for the Rapporteur's flow table.

    Drawn from an RNG of the case's own (seeded by its demo source reference) so that
    adding them left every other draw of the demo, and so its spread, unchanged.
    """
    rng = random.Random(case.source_ref)
    home = services.deployment_country() or "MD"
    abroad = rng.choice(EXPLOITATION_COUNTRIES)
    exploitation = [abroad or home]
    if abroad and rng.random() < 0.3:
        exploitation.append(home)
    recruitment = [case.nationality] if case.nationality else []
    case.refresh_from_db()
    services.context_update(
        actor=coordinator,
        organisation=office,
        case=case,
        expected_version=case.version,
        changes={
            "countries_of_exploitation": exploitation,
            "countries_of_recruitment": recruitment,
        },
    )


def _keep_up(
    case: Case, rng: random.Random, today: object, worker: User, org: Organisation
) -> None:
    """Most deadlines are met: complete nine in ten past-due tasks on or before their day."""
    for task in case.tasks.filter(done_at__isnull=True).order_by("due_on"):
        if task.due_on >= today or rng.random() < 0.1:  # type: ignore[operator]
            continue
        span = max(0, (task.due_on - task.starts_on).days)
        day = task.starts_on + timedelta(days=rng.randint(0, span))
        at = _at(datetime.combine(day, time(), tzinfo=timezone.get_current_timezone()), rng)
        with clock.travel(at):
            services.task_complete(
                actor=worker, organisation=org, case=case, task_id=task.pk, note="Done (demo)."
            )


def _move(
    case: Case,
    opened: datetime,
    rng: random.Random,
    today: object,
    stats: dict[str, int],
    outreach: User,
    eastbay: Organisation,
) -> None:
    """Move one case along at plausible intervals, stopping before today (``outreach``/``eastbay``: the lead)."""
    coordinator, office = _user("coordinator")
    when = opened

    def step(days: int) -> bool:
        nonlocal when
        when = _at(when + timedelta(days=days), rng)
        return when.date() < today  # type: ignore[operator]

    if rng.random() < 0.5 and step(1):
        with clock.travel(when):
            services.note_add(
                actor=outreach, organisation=eastbay, case=case, text=rng.choice(NOTES)
            )
    if case.is_child and step(rng.randint(0, 5)):
        with clock.travel(when):
            services.child_protection_notify(
                actor=outreach,
                organisation=eastbay,
                case=case,
                authority="Regional Child Protection Office (fictional)",
                notified_on=when.date(),
            )
            if rng.random() < 0.7:
                services.guardian_appoint(
                    actor=outreach,
                    organisation=eastbay,
                    case=case,
                    guardian_name="Guardian (fictional)",
                    appointed_on=when.date(),
                )
    roll = rng.random()
    if roll < 0.25 or not step(rng.randint(3, 40)):
        return  # still awaiting a decision
    outcome = wf.NOT_IDENTIFIED if roll < 0.32 else wf.PRESUMED
    with clock.travel(when):
        case.refresh_from_db()
        services.identification_decide(
            actor=coordinator,
            organisation=office,
            case=case,
            expected_version=case.version,
            outcome=outcome,
            reasons=REASONS[outcome],
        )
    if outcome == wf.NOT_IDENTIFIED:
        if step(rng.randint(5, 30)):
            with clock.travel(when):
                case.refresh_from_db()
                services.case_transition(
                    actor=outreach,
                    organisation=eastbay,
                    case=case,
                    expected_version=case.version,
                    target=wf.CLOSED,
                    closure_reason="not_identified",
                )
        return
    if not step(rng.randint(1, 5)):
        return
    with clock.travel(when):
        case.refresh_from_db()
        services.case_transition(
            actor=outreach,
            organisation=eastbay,
            case=case,
            expected_version=case.version,
            target=wf.FIRST_LINE,
        )
        if rng.random() < 0.7:
            _refer(case, when, rng, stats, outreach, eastbay)
    if case.is_child and rng.random() < 0.6 and step(rng.randint(10, 40)):
        with clock.travel(when):
            services.bid_record(
                actor=outreach,
                organisation=eastbay,
                case=case,
                factors=BID,
                durable_solution=rng.choice(list(wf.DURABLE_SOLUTIONS)),
                decided_on=when.date(),
            )
    if rng.random() < 0.5 or not step(rng.randint(20, 60)):
        return
    with clock.travel(when):
        case.refresh_from_db()
        services.identification_decide(
            actor=coordinator,
            organisation=office,
            case=case,
            expected_version=case.version,
            outcome=wf.IDENTIFIED,
            reasons=REASONS[wf.IDENTIFIED],
        )
        target = rng.choice([wf.MEDIUM_LONG_TERM, wf.PROCEEDINGS, wf.RETURN_INCLUSION])
        case.refresh_from_db()
        services.case_transition(
            actor=outreach,
            organisation=eastbay,
            case=case,
            expected_version=case.version,
            target=target,
        )
        if target == wf.PROCEEDINGS:
            services.compensation_claim_record(
                actor=outreach,
                organisation=eastbay,
                case=case,
                amount=rng.choice(["1500.00", "4200.00", "12000.00"]),
                currency="EUR",
                source=rng.choice(list(wf.COMPENSATION_SOURCES)),
            )
        if target == wf.RETURN_INCLUSION:
            answers = (
                dict(wf.SAFE_ANSWER)
                if rng.random() < 0.6
                else {**wf.SAFE_ANSWER, "risk_of_harm": "unknown"}
            )
            services.return_assessment_record(
                actor=outreach,
                organisation=eastbay,
                case=case,
                country=case.nationality or "MD",
                answers=answers,
                conclusion=wf.suggested_return_conclusion(answers),
                assessed_on=when.date(),
            )
    if rng.random() < 0.5 and step(rng.randint(30, 90)):
        with clock.travel(when):
            case.refresh_from_db()
            if case.is_child and not case.bids.exists():
                return
            services.case_transition(
                actor=outreach,
                organisation=eastbay,
                case=case,
                expected_version=case.version,
                target=wf.CLOSED,
                closure_reason=rng.choice(
                    ["assistance_completed", "person_declined", "lost_contact"]
                ),
            )


def _refer(
    case: Case,
    when: datetime,
    rng: random.Random,
    stats: dict[str, int],
    outreach: User,
    eastbay: Organisation,
) -> None:
    if case.is_child:
        answerer, prefix, service, details = (
            CHILDREN_HOME_USER,
            "Children's Emergency Home",
            "shelter",
            "Needs a safe place to stay with staff trained for children.",
        )
    elif eastbay.name.startswith("Safe Harbour"):
        answerer, prefix, service, details = (
            "outreach",
            "Eastbay Outreach NGO",
            "social_inclusion",
            "Wants language classes and help finding lawful work.",
        )
    else:
        answerer, prefix, service, details = (
            "caseworker",
            "Safe Harbour Shelter NGO",
            "shelter",
            "Needs safe accommodation and a first medical check-up.",
        )
    shelter_worker, _ = _user(answerer)
    provider = ServiceProvider.objects.get(organisation__name__startswith=prefix)
    consent = services.consent_give(
        actor=outreach,
        organisation=eastbay,
        case=case,
        scopes=rng.choice([["identity"], ["identity", "victim_context"]]),
        recipient=provider.organisation,
        purpose=wf.SERVICE_PURPOSE[service],
        given_by="guardian" if case.is_child else "person",
        given_on=when.date(),
    )
    ref = services.service_referral_send(
        actor=outreach,
        organisation=eastbay,
        case=case,
        provider=provider,
        service_type=service,
        consent=consent,
        details=details,
    )
    stats["referrals"] += 1
    answer = rng.random()
    if answer < 0.2:
        return  # still waiting for an answer
    receiver = provider.organisation
    if answer < 0.3:
        services.service_referral_decline(
            actor=shelter_worker,
            organisation=receiver,
            referral=ref,
            reason="No place free this week; please try the other shelter.",
        )
        return
    services.service_referral_accept(actor=shelter_worker, organisation=receiver, referral=ref)
    if answer > 0.5:
        services.service_referral_deliver(actor=shelter_worker, organisation=receiver, referral=ref)
