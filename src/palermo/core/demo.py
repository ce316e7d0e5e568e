"""Deterministic demo data: clearly fictional organisations and users.

Same seed, same data. Later contexts register extra steps in ``DEMO_STEPS``
(cases, screenings …) so `palermo demo` builds a whole fictional country.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from palermo.core.models import Membership, Organisation, User
from palermo.core.roles import OrganisationType, Role

DEMO_PASSWORD = "Palermo-demo-2026"  # noqa: S105 – printed on purpose: fictional demo accounts only
DEMO_COUNTRY = (
    "XK"  # a user-assigned ISO 3166 code would be clearer; XK is widely used for fictional demos
)


@dataclass(frozen=True)
class DemoOrg:
    name: str
    org_type: str
    identification_body: bool = False


DEMO_ORGS = [
    DemoOrg(
        "National Referral Coordination Office (fictional)",
        OrganisationType.CENTRAL_GOVERNMENT,
        True,
    ),
    DemoOrg("Riverside Police Anti-Trafficking Unit (fictional)", OrganisationType.LAW_ENFORCEMENT),
    DemoOrg("Safe Harbour Shelter NGO (fictional)", OrganisationType.NGO),
    DemoOrg(
        "Labour Inspectorate, Northern District (fictional)", OrganisationType.LABOUR_INSPECTORATE
    ),
    DemoOrg(
        "Financial Intelligence Unit (fictional)", OrganisationType.FINANCIAL_INTELLIGENCE_UNIT
    ),
    DemoOrg("Office of the Prosecutor (fictional)", OrganisationType.PROSECUTION),
    DemoOrg("Eastbay Outreach NGO (fictional)", OrganisationType.NGO),
]

# (username, organisation index, roles)
DEMO_USERS = [
    ("coordinator", 0, [Role.COORDINATOR]),
    ("analyst", 0, [Role.ANALYST]),
    ("admin", 0, [Role.ADMINISTRATOR]),
    ("police", 1, [Role.SCREENER, Role.INVESTIGATOR]),
    ("caseworker", 2, [Role.CASE_WORKER]),
    ("inspector", 3, [Role.SCREENER]),
    ("fiu", 4, [Role.INVESTIGATOR]),
    ("prosecutor", 5, [Role.INVESTIGATOR]),
    ("outreach", 6, [Role.SCREENER, Role.CASE_WORKER]),
    ("online", 1, [Role.ONLINE_ANALYST]),  # the police unit's online analyst (palermo.prevent)
]

# Users that later contexts' demo steps create: (username, organisation name, role). They
# register here (as in DEMO_STEPS) so the demo's list of logins names them too.
DEMO_MORE_USERS: list[tuple[str, str, str]] = []

FIRST = ["Ana", "Bojan", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hana", "Ivo", "Jana"]
LAST = ["Example", "Sample", "Fictive", "Placeholder", "Demo"]

DemoStep = Callable[[random.Random], str]
DEMO_STEPS: list[DemoStep] = []


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, password, what they do) for the README and `palermo demo`."""
    return [(u, DEMO_PASSWORD, f"{roles} — {org}") for u, roles, org in demo_people()]


def demo_people() -> list[tuple[str, str, str]]:
    """(username, roles, organisation) of every demo user, the later contexts' too."""
    out = []
    for username, org_index, roles in DEMO_USERS:
        what = ", ".join(str(Role(r).label) for r in roles)
        out.append((username, what, DEMO_ORGS[org_index].name))
    for username, org_name, role in DEMO_MORE_USERS:
        out.append((username, str(Role(role).label), org_name))
    return out


@transaction.atomic
def load_demo(seed: int = 2026, steps: list[DemoStep] | None = None) -> list[str]:
    """Create (or complete) the demo data. Idempotent: running twice adds nothing.
    ``steps``: only these of ``DEMO_STEPS`` after the organisations and users (default all)."""
    rng = random.Random(seed)
    orgs = []
    for spec in DEMO_ORGS:
        org, _ = Organisation.objects.get_or_create(
            name=spec.name,
            defaults={
                "org_type": spec.org_type,
                "country": DEMO_COUNTRY,
                "is_identification_body": spec.identification_body,
            },
        )
        orgs.append(org)
    for username, org_index, roles in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                email=f"{username}@example.org",
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        for role in roles:
            Membership.objects.get_or_create(user=user, organisation=orgs[org_index], role=role)
    report = [f"{len(orgs)} organisations, {len(DEMO_USERS)} users"]
    for step in DEMO_STEPS if steps is None else steps:
        report.append(step(rng))
    return report
