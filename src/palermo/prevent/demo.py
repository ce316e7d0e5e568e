"""Fictional demo data for the online-risk pages: a licence list, one recruiter's campaign of
near-identical adverts among ordinary ones (so the workbench shows it as one lead), and a few
worker reports waiting for triage. Every name, number and address is invented."""

from __future__ import annotations

import os
import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from palermo.core.models import User
from palermo.prevent import services
from palermo.prevent.advert_input import AdvertIn
from palermo.prevent.models import AdvertBatch, LicenceList

LIST_TITLE = "Ministry of Labour — licensed recruitment agencies (fictional)"
BATCH_LABEL = "Demo: job-board adverts, week 48 (fictional)"

CAMPAIGN = (
    "Терміново! Робота на складі в Польщі, без досвіду, зарплата {pay} євро. "
    "Житло безкоштовне, квитки за рахунок роботодавця — вираховується з першої зарплати. "
    "Передоплата за оформлення {fee} грн. Пишіть у Viber +380 67 {num}. Агентство Світ Праці"
)
ORDINARY = [
    "Warehouse operatives wanted in Leeds. Permanent contract, 40 hours a week, paid weekly. "
    "Apply at www.example.org/jobs with your CV. Agency Northway Staffing Ltd, licence GB-1234.",
    "Ofertă: lucrător în seră, Olanda. Contract de muncă în limba română înainte de plecare, "
    "transport organizat, salariu conform legii. Agenția Muncă Corectă SRL, licența RO-0042.",
    "Кухар у ресторан, Варшава. Досвід від 2 років. Офіційне працевлаштування, договір до виїзду.",
    "Shërbim klientësh në Tiranë, orar i plotë, kontratë pune. Dërgoni CV në jobs@example.org.",
    "Girls 18-25 wanted for hostess work in Dubai, free flights, send full-body photos on WhatsApp.",
    "URGENT farm work in Italy, tourist visa is enough, registration fee 300 EUR, start tomorrow.",
]

LICENCES = [
    ("Світ Праці ТОВ", "UA-2024-118", "UA", "suspended"),
    ("Northway Staffing Ltd", "GB-1234", "GB", "valid"),
    ("Muncă Corectă SRL", "RO-0042", "RO", "valid"),
    ("Agjencia Puna e Sigurt sh.p.k.", "AL-77", "AL", "cancelled"),
    ("Golden Horizon Recruitment", "AE-9001", "AE", "banned"),
    ("Fair Harvest Agency", "IT-5510", "IT", "valid"),
]

REPORTS: list[dict[str, object]] = [
    {
        "who": "witness",
        "country": "PL",
        "place": "A warehouse town near the border",
        "work_kind": "factory",
        "signs": ["documents_taken", "debt"],
        "description": "Neighbours from my village work there; the boss keeps their passports.",
    },
    {
        "who": "worker",
        "country": "IT",
        "place": "Greenhouses in the south",
        "work_kind": "agriculture",
        "signs": ["not_paid", "long_hours", "cannot_leave"],
        "description": "We work 14 hours and were paid nothing for two months.",
        "consent_to_contact": True,
        "contact": "Signal, ask for Ana (fictional)",
    },
    {
        "who": "witness",
        "country": "RS",
        "place": "",
        "work_kind": "street",
        "signs": ["children"],
        "description": "Children sell flowers at night at the same crossing every day.",
    },
]


def demo_prevent(rng: random.Random) -> str:
    if getattr(settings, "TESTING", False) and os.environ.get("PALERMO_DEMO_PREVENT") != "1":
        return "prevent: skipped under tests"
    if LicenceList.objects.filter(title=LIST_TITLE).exists():
        return "prevent: demo data already there"
    coordinator = User.objects.get(username="coordinator")
    office = coordinator.organisations()[0]
    police = User.objects.get(username="police")
    police_org = police.organisations()[0]
    today = timezone.localdate()
    services.licences_import(
        actor=coordinator,
        organisation=office,
        kind="licence",
        title=LIST_TITLE,
        rows=[
            {
                "name": name,
                "licence_number": number,
                "country": country,
                "status": status,
                "valid_until": (today + timedelta(days=365)).isoformat(),
                "source": "https://example.org/ministry/licences (fictional)",
                "retrieved_on": (today - timedelta(days=3)).isoformat(),
            }
            for name, number, country, status in LICENCES
        ],
        today=today,
    )
    items = [
        AdvertIn(
            CAMPAIGN.format(
                pay=rng.choice([1800, 1900, 2000, 2100]),
                fee=rng.choice([2500, 3000, 3500]),
                num=f"{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            ),
            f"demo-board/{1000 + i}",
        )
        for i in range(12)
    ]
    items += [AdvertIn(t, f"demo-board/{2000 + i}") for i, t in enumerate(ORDINARY)]
    rng.shuffle(items)
    batch = services.adverts_import(
        actor=police, organisation=police_org, label=BATCH_LABEL, items=items, region="UA"
    )
    for data in REPORTS:
        services.report_submit(data=data)
    return (
        f"prevent: a licence list of {len(LICENCES)} agencies, {batch.adverts} adverts "
        f"in {AdvertBatch.objects.get(pk=batch.pk).new_leads} leads, {len(REPORTS)} worker reports"
    )
