"""Shared set-up for the case-file tests (imported by the test modules, not collected)."""

from __future__ import annotations

from datetime import date
from typing import Any

from palermo.core.models import Organisation, User

REASONS = "Credible account; several strong indicators of labour exploitation."


def org(prefix: str) -> Organisation:
    return Organisation.objects.get(name__startswith=prefix)


def user(name: str) -> User:
    return User.objects.get(username=name)


def acting(name: str) -> tuple[User, Organisation]:
    u = user(name)
    return u, u.organisations()[0]


def open_case(by: str = "outreach", *, child: bool = False, **kw: Any):
    from palermo.cases import services

    actor, organisation = acting(by)
    person = kw.pop(
        "person",
        {
            "given_name": "Ana",
            "family_name": "Example",
            "citizenship": ["RO"],
            "phone": "+40 21 123 4567",
            "street": "1 Fictional Street",
            "city": "Nowhere",
            "primary_language": "ro",
        },
    )
    return services.referral_receive(
        actor=actor,
        organisation=organisation,
        source=kw.pop("source", "screening"),
        source_ref=kw.pop("source_ref", "SCR-TEST-0001"),
        person=person,
        exploitation_forms=kw.pop("exploitation_forms", ["labour"]),
        is_child_or_presumed_child=child,
        **kw,
    )


def decide(case, outcome: str = "presumed"):
    from palermo.cases import services

    actor, organisation = acting("coordinator")
    case.refresh_from_db()
    return services.identification_decide(
        actor=actor,
        organisation=organisation,
        case=case,
        expected_version=case.version,
        outcome=outcome,
        reasons=REASONS,
    )


def shelter_provider(name: str = "Safe Harbour", **kw: Any):
    from palermo.cases.models import ServiceProvider

    defaults = {
        "service_types": ["shelter", "psychological"],
        "capacity": 12,
        "languages": ["en", "ro"],
        "area_served": "Northern District",
        "accepts_children": False,
    }
    defaults.update(kw)
    return ServiceProvider.objects.update_or_create(organisation=org(name), defaults=defaults)[0]


def consent_for(
    case,
    recipient_prefix: str = "Safe Harbour",
    scopes=("identity",),
    purpose: str = "shelter",
    by: str = "outreach",
    given_by: str = "person",
):
    from palermo.cases import services

    actor, organisation = acting(by)
    return services.consent_give(
        actor=actor,
        organisation=organisation,
        case=case,
        scopes=list(scopes),
        recipient=org(recipient_prefix),
        purpose=purpose,
        given_by=given_by,
        given_on=date.today(),
    )


def refer_to_shelter(case, scopes=("identity",)):
    from palermo.cases import services

    provider = shelter_provider()
    consent = consent_for(case, scopes=scopes)
    actor, organisation = acting("outreach")
    return services.service_referral_send(
        actor=actor,
        organisation=organisation,
        case=case,
        provider=provider,
        service_type="shelter",
        consent=consent,
        details="Needs a safe place.",
    )
