"""Demo data for supply chains: a fictional ministry's procurement office, its suppliers,
sites, screened purchase orders, one high-risk tender part-way through measures (a)–(g),
corrective actions, and a labour inspection at one site (no worker screened yet).

The demo risk list is synthetic and names only fictional countries (user-assigned ISO
codes XA–XD): it is *not* the US DOL list and says nothing about any real country. Load
the real list with ``palermo supply import-risk`` (docs/supply.md).

Skipped under the test suite unless PALERMO_DEMO_SUPPLY=1 (tests build their own).
"""

from __future__ import annotations

import os
import random
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from palermo.core.demo import DEMO_COUNTRY, DEMO_ORGS, DEMO_PASSWORD, DEMO_USERS
from palermo.core.models import Membership, Organisation, User
from palermo.core.roles import OrganisationType, Role
from palermo.supply import osid, services
from palermo.supply.models import Contract, Site, Supplier

OFFICE = "Ministry of Public Works — Procurement Office (fictional)"
# (username, organisation, role): listed with the demo's logins (core.demo.DEMO_MORE_USERS).
DEMO_SUPPLY_USERS = [
    ("procurement", OFFICE, Role.PROCUREMENT_OFFICER),
    ("diligence", OFFICE, Role.DILIGENCE_ANALYST),
]
SOURCE = "Palermo demo risk list (synthetic, fictional countries; not the US DOL list)"

DEMO_RISK_CSV = """Country,Country_ISOCode,Region,Sector,Good,All_Exploitations,CL,FL,FCL
Arland (fictional),XA,Demo region,Agriculture,Cotton,"Child Labor, Forced Labor",2012,2012,
Arland (fictional),XA,Demo region,Manufacturing,Garments,Forced Labor,,2016,
Borvia (fictional),XB,Demo region,Manufacturing,Bricks,"Child Labor, Forced Labor",2010,2010,2014
Borvia (fictional),XB,Demo region,Manufacturing,Gloves,Forced Labor,,2020,
Cestria (fictional),XC,Demo region,Agriculture,Fish,Forced Labor,,2014-2022,
Cestria (fictional),XC,Demo region,Mining,Gravel,Child Labor,2018,,
Dunmark (fictional),XD,Demo region,Agriculture,Cotton,Forced Labor,,2020,
"""

SUPPLIERS = [
    # name, company id, country, policy, audit, sites disclosed
    ("Northwind Uniforms Ltd (fictional)", "DEMO-0001", "XA", False, False, False),
    ("Harbour Workwear Co (fictional)", "DEMO-0002", "XK", True, True, True),
    ("Redclay Building Supplies (fictional)", "DEMO-0003", "XB", False, True, False),
    ("Glovemakers Union Works (fictional)", "DEMO-0004", "XB", True, False, False),
    ("Seaside Catering (fictional)", "DEMO-0005", "XK", True, True, False),
    ("Quarry & Gravel Partners (fictional)", "DEMO-0006", "XC", False, False, False),
    ("Office Paper House (fictional)", "DEMO-0007", "XK", True, True, True),
    ("Blue Thread Textiles (fictional)", "DEMO-0008", "XD", False, False, True),
]
GOODS = {
    "DEMO-0001": ("Garments", "XA", ("workforce", "business_model")),
    "DEMO-0002": ("Garments", "XK", ()),
    "DEMO-0003": ("Bricks", "XB", ("workforce",)),
    "DEMO-0004": ("Gloves", "XB", ("industry",)),
    "DEMO-0005": ("Fish", "XC", ("workforce",)),
    "DEMO-0006": ("Gravel", "XC", ("location",)),
    "DEMO-0007": ("Paper", "XK", ()),
    "DEMO-0008": ("Cotton", "XD", ("commodity",)),
}


def _user(username: str, org: Organisation, role: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            first_name="Demo",
            last_name="Example",
            email=f"{username}@example.org",
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    Membership.objects.get_or_create(user=user, organisation=org, role=role)
    return user


def _coordinator() -> tuple[User, Organisation]:
    """The demo's national co-ordinator (core.demo.DEMO_USERS), acting for their office: the
    one who imports the national risk lists (supply.risk_lists)."""
    username, org_index, _roles = next(u for u in DEMO_USERS if Role.COORDINATOR in u[2])
    org = Organisation.objects.get(name=DEMO_ORGS[org_index].name)
    return User.objects.get(username=username), org


def _orders_csv(rng: random.Random) -> bytes:
    lines = [
        "order_ref,line,supplier_name,supplier_company_id,contract_ref,origin_country,good,product_code,value,share,characteristics"
    ]
    names = {cid: name for name, cid, *_rest in SUPPLIERS}
    for n in range(1, 41):
        cid = rng.choice(list(GOODS))
        good, country, chars = GOODS[cid]
        value = rng.choice([1_200, 4_800, 15_000, 38_000, 120_000, 260_000])
        contract = "MPW-2026-014" if cid == "DEMO-0001" else ""
        code = "hs:6211" if good == "Garments" else ""
        lines.append(
            f'PO-2026-{n:04d},1,"{names[cid]}",{cid},{contract},{country},'
            f"{'' if code else good},{code},{value}.00,1,{';'.join(chars)}"
        )
    return ("\n".join(lines) + "\n").encode()


def demo_supply(rng: random.Random) -> str:
    if getattr(settings, "TESTING", False) and os.environ.get("PALERMO_DEMO_SUPPLY") != "1":
        return "supply: skipped under tests"
    if Organisation.objects.filter(name=OFFICE).exists():
        return "supply: demo procurement office already there"
    local = random.Random(2026)  # its own stream: other demo steps' data does not shift
    with transaction.atomic():
        office = Organisation.objects.create(
            name=OFFICE, org_type=OrganisationType.CENTRAL_GOVERNMENT, country=DEMO_COUNTRY
        )
        officer = _user(DEMO_SUPPLY_USERS[0][0], office, DEMO_SUPPLY_USERS[0][2])
        _user(DEMO_SUPPLY_USERS[1][0], office, DEMO_SUPPLY_USERS[1][2])
        # The risk lists are national: the demo co-ordinator imports them, not the office.
        coordinator, national_office = _coordinator()
        services.risk_import(
            actor=coordinator,
            organisation=national_office,
            data=DEMO_RISK_CSV.encode(),
            name="demo-risk-list.csv",
            info=services.EditionInfo(SOURCE, "demo 2026", "CC0 (synthetic)", date(2026, 1, 15)),
        )
        services.crosswalk_set(actor=officer, organisation=office, code="hs:6211", good="Garments")
        suppliers = []
        for name, cid, country, policy, audit_ok, disclosed in SUPPLIERS:
            suppliers.append(
                services.supplier_save(
                    actor=officer,
                    organisation=office,
                    data={
                        "name": name,
                        "company_id": cid,
                        "country": country,
                        "has_policy": policy,
                        "audit_access": audit_ok,
                        "sites_disclosed": disclosed,
                    },
                )
            )
        site_rows = [
            "os_id,name,address,country_code,sector,number_of_workers,product_type,supplier_company_id,contributor"
        ]
        for i, (name, cid, country, *_r) in enumerate(SUPPLIERS):
            code = country if country != "XK" else "XK"
            rnd = "".join(local.choice(osid.SYMBOLS) for _ in range(5))
            site_rows.append(
                f'{osid.make(code, 2025, 10 + i, rnd)},"{name.replace(" (fictional)", "")} plant (fictional)",'
                f'"{i + 1} Industrial Road, Demo City",{country},{GOODS[cid][0]},{50 * (i + 1)}-{120 * (i + 1)},'
                f"{GOODS[cid][0]},{cid},Palermo demo"
            )
        # A second report of the first plant, with a typing error: queued as a potential duplicate.
        site_rows.append(
            ',"Nortwind Uniform Ltd (fictional)","12 Harbour Street, Demo City",XA,Garments,60-120,Garments,DEMO-0001,Buyer audit 2026'
        )
        services.sites_import(
            actor=officer,
            organisation=office,
            data=("\n".join(site_rows) + "\n").encode(),
            name="demo-sites.csv",
        )
        tender = services.contract_create(
            actor=officer,
            organisation=office,
            reference="MPW-2026-014",
            title="Work uniforms for road maintenance crews (fictional)",
            risk_level="high",
            supplier=suppliers[0],
        )
        tender.sites.add(*Site.objects.filter(supplier=suppliers[0]))
        services.contract_create(
            actor=officer,
            organisation=office,
            reference="MPW-2026-021",
            title="Office paper (fictional)",
            risk_level="low",
            supplier=suppliers[6],
        )
        services.orders_import(
            actor=officer, organisation=office, data=_orders_csv(local), name="demo-orders.csv"
        )
        services.measure_record(
            actor=officer,
            organisation=office,
            contract=tender,
            code="a",
            outcome="met",
            note="Checked the national exclusion list on 2 February 2026: the supplier is not on it.",
        )
        services.measure_record(
            actor=officer,
            organisation=office,
            contract=tender,
            code="b",
            outcome="met",
            note="The supplier gave access to its 2025 social-audit report.",
            evidence_name="audit-report-2025.txt",
            evidence=b"Demo audit report (fictional): two non-compliances on working hours.\n",
        )
        # Model clauses of the library on the high-risk tender, and its move to selection
        # (award waits for measure (c): the gate names it on the contract's page).
        for clause_id in (
            "selection-exclusion",
            "selection-supply-chain-disclosure",
            "award-ilo-core-conventions",
            "contract-employer-pays",
            "management-audit-access",
            "termination-non-compliance",
        ):
            services.clause_attach(
                actor=officer, organisation=office, contract=tender, clause_id=clause_id
            )
        services.contract_advance(
            actor=officer, organisation=office, contract=tender, stage="selection"
        )
        today = timezone.localdate()
        northwind_site = Site.objects.filter(supplier=suppliers[0]).order_by("id").first()
        services.corrective_action_create(
            actor=officer,
            organisation=office,
            supplier=suppliers[0],
            site=northwind_site,
            indicator="excessive_overtime",
            finding="non_compliance",
            workers_affected=45,
            description="Weekly hours above the legal maximum in peak season; cap overtime and record hours.",
            owner="Northwind plant manager (fictional)",
            due_on=today - timedelta(days=10),
        )
        services.corrective_action_create(
            actor=officer,
            organisation=office,
            supplier=suppliers[0],
            site=northwind_site,
            indicator="debt_bondage",
            finding="non_compliance",
            workers_affected=12,
            description="Recruitment fees charged to migrant workers; repay them (employer pays).",
            owner="Northwind HR director (fictional)",
            due_on=today + timedelta(days=60),
        )
        services.corrective_action_create(
            actor=officer,
            organisation=office,
            supplier=suppliers[2],
            site=None,
            indicator="retention_of_documents",
            finding="observation",
            workers_affected=0,
            description="Passports kept 'for safekeeping' in the office safe; give them back.",
            owner="Redclay compliance officer (fictional)",
            due_on=today + timedelta(days=30),
        )
        # Added after the orders were screened, so the demo's screenings stay as they were:
        # the shipped goods → HS crosswalk, a CPV class mapped to HS, and a supplier's
        # self-assessment questionnaire with its answers (two red flags, not yet actions).
        services.crosswalk_load_defaults(actor=officer, organisation=office)
        services.code_map_set(actor=officer, organisation=office, code="cpv:18100000-0", hs="6211")
        saq = services.questionnaire_send(
            actor=officer,
            organisation=office,
            supplier=suppliers[2],
            sent_on=today - timedelta(days=20),
        )
        services.questionnaire_answer(
            actor=officer,
            organisation=office,
            questionnaire=saq,
            answers={
                "fees_charged": "no",
                "debts": "no",
                "documents_held": "locker",
                "wages_withheld": "no",
                "free_to_leave": "yes",
                "resign_notice": "yes",
                "contract_language": "no",
                "overtime_hours": "66",
                "sites_disclosed": "yes",
                "recruiters_disclosed": "yes",
                "grievance": "independent",
                "audits": "yes",
            },
        )
        inspector = User.objects.filter(username="inspector").first()
        if inspector is not None and northwind_site is not None:
            inspectorate = inspector.organisations()[0]
            services.inspection_record(
                actor=inspector,
                organisation=inspectorate,
                site=northwind_site,
                visited_on=today - timedelta(days=3),
                indicators=["withholding_of_wages", "retention_of_documents", "excessive_overtime"],
                workers_interviewed=9,
                summary="Wages paid two months late; several workers' passports held by the supervisor.",
            )
    return (
        f"supply: procurement office with {Supplier.objects.filter(organisation=office).count()} "
        f"suppliers, {Site.objects.filter(organisation=office).count()} sites, 40 screened orders, "
        f"{Contract.objects.filter(organisation=office).count()} contracts, one inspection "
        "(log in as procurement / diligence)"
    )
