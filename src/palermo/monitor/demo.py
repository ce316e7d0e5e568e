"""Demo data for monitoring: a fictional national action plan, recommendations from two
monitors (OSCE and GRETA) of which two share one national response, linked to measures.

Skipped under the test suite unless PALERMO_DEMO_MONITOR=1 (tests build their own).
"""

from __future__ import annotations

import os
import random
from datetime import date

from django.conf import settings
from django.db import transaction

from palermo.core.models import User
from palermo.monitor import services
from palermo.monitor.models import ActionPlan, Recommendation
from palermo.monitor.recimport import RecommendationRow

TITLE = "National Action Plan against Trafficking in Human Beings 2025–2027 (fictional)"

RECOMMENDATIONS = [
    (
        "osce",
        "Country visit report (fictional), 2025",
        "12",
        date(2025, 3, 14),
        "child_trafficking",
        "Ministry of Social Affairs (fictional)",
        "Appoint a guardian for every unaccompanied child presumed to be a victim without delay.",
        date(2026, 3, 31),
        "guardianship",
    ),
    (
        "greta",
        "Third evaluation round report (fictional), 2025",
        "87",
        date(2025, 6, 2),
        "child_trafficking",
        "Government (fictional)",
        "Ensure that a legal guardian is appointed promptly for every child victim of trafficking.",
        date(2026, 6, 30),
        "guardianship",
    ),
    (
        "osce",
        "Country visit report (fictional), 2025",
        "19",
        date(2025, 3, 14),
        "financial_investigations",
        "Financial Intelligence Unit (fictional)",
        "Open a parallel financial investigation alongside every trafficking investigation.",
        date(2025, 12, 31),
        "",
    ),
    (
        "greta",
        "Third evaluation round report (fictional), 2025",
        "112",
        date(2025, 6, 2),
        "victim_support",
        "Ministry of Justice (fictional)",
        "Guarantee effective access to compensation for victims, including through a state fund.",
        date(2027, 6, 30),
        "",
    ),
]


def demo_monitor(rng: random.Random) -> str:
    if getattr(settings, "TESTING", False) and os.environ.get("PALERMO_DEMO_MONITOR") != "1":
        return "monitor: skipped under tests"
    if ActionPlan.objects.filter(title=TITLE).exists():
        return "monitor: demo action plan already there"
    coordinator = User.objects.get(username="coordinator")
    office = coordinator.organisations()[0]
    police = User.objects.get(username="police").organisations()[0]
    shelter = User.objects.get(username="caseworker").organisations()[0]
    fiu = User.objects.get(username="fiu").organisations()[0]
    with transaction.atomic():
        plan = services.plan_create(
            actor=coordinator,
            organisation=office,
            title=TITLE,
            starts_on=date(2025, 1, 1),
            ends_on=date(2027, 12, 31),
        )
        o1 = services.objective_add(
            actor=coordinator,
            organisation=office,
            plan=plan,
            code="1",
            title="Protect child victims",
            area="child_trafficking",
        )
        o2 = services.objective_add(
            actor=coordinator,
            organisation=office,
            plan=plan,
            code="2",
            title="Follow the money",
            area="financial_investigations",
        )
        m1 = services.measure_add(
            actor=coordinator,
            organisation=office,
            objective=o1,
            code="1",
            title="Guardian on call within 72 hours for every presumed child victim",
            responsible=[shelter, office],
            deadline=date(2026, 6, 30),
            budget_line="Social affairs 4.2.1",
            budget_amount="120000",
            budget_currency="EUR",
        )
        services.plan_indicator_add(
            actor=coordinator,
            organisation=office,
            measure=m1,
            title="Children with a guardian within the deadline",
            baseline="40 %",
            target="95 %",
            computed="children_guardian_in_time",
        )
        m2 = services.measure_add(
            actor=coordinator,
            organisation=office,
            objective=o2,
            code="1",
            title="Parallel financial investigation in every trafficking case",
            responsible=[police, fiu],
            deadline=date(2025, 12, 31),
            budget_line="Interior 7.1",
        )
        services.progress_note_add(
            actor=coordinator,
            organisation=office,
            measure=m1,
            noted_on=date(2025, 9, 30),
            status="in_progress",
            text="Guardianship roster agreed with two NGOs.",
        )
        services.evidence_add(
            actor=coordinator,
            organisation=office,
            measure=m1,
            kind="indicator",
            title="Indicator: guardians appointed in time",
            target="children_guardian_in_time",
        )
        recs = []
        for body, rep, para, issued, area, addressee, text, due, response in RECOMMENDATIONS:
            row = RecommendationRow(
                0, body, rep, para, issued, area, addressee, text, due, response
            )
            recs.append(
                services.recommendation_create(actor=coordinator, organisation=office, row=row)
            )
        services.recommendations_share_response(
            actor=coordinator,
            organisation=office,
            recommendations=recs[:2],
            key="guardianship",
            summary="One national response to OSCE § 12 and GRETA § 87: the guardianship roster (measure 1.1).",
        )
        for rec in recs[:2]:
            services.recommendation_link_measure(
                actor=coordinator, organisation=office, recommendation=rec, measure=m1
            )
            services.recommendation_set_status(
                actor=coordinator,
                organisation=office,
                recommendation=rec,
                status="in_progress",
                note="Roster in place in two regions.",
            )
        services.recommendation_link_measure(
            actor=coordinator, organisation=office, recommendation=recs[2], measure=m2
        )
        _demo_survey(coordinator, office, [shelter, police])
        _demo_visit(coordinator, office, shelter)
    n = Recommendation.objects.count()
    return (
        f"monitor: action plan with 2 measures, {n} recommendations from 2 monitors "
        "(one shared response), a survey answered by 2 organisations, a country visit"
    )


def _demo_survey(coordinator: User, office: object, respondents: list) -> None:
    """The 2016 template sent to two organisations, both of which have answered."""
    from datetime import timedelta

    from django.utils import timezone

    from palermo.monitor import survey_services

    item = survey_services.survey_create(
        actor=coordinator,
        organisation=office,  # type: ignore[arg-type]
        title="Implementation of the national action plan 2025 (fictional)",
        from_template=True,
    )
    item = survey_services.survey_open(
        actor=coordinator,
        organisation=office,  # type: ignore[arg-type]
        item=item,
        organisations=respondents,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    no_areas = {f"{p}_works": "no" for p in ("le", "ch", "or", "id", "vs", "cj", "as", "fi")}
    answers = [
        {
            **no_areas,
            "ch_works": "yes",
            "ch_guardian_deadline": 72,
            "ch_bia": "yes",
            "vs_works": "yes",
            "vs_reflection_days": 90,
            "vs_unconditional": "yes",
            "vs_male_shelters": "no",
        },
        {
            **no_areas,
            "id_works": "yes",
            "id_avenues": ["police", "ngo"],
            "id_detention_access": "no",
            "id_identified": 31,
            "fi_works": "yes",
            "fi_parallel": 4,
            "fi_fiu": "yes",
            "fi_notes": "Earlier access to bank records.",
        },
    ]
    for organisation, given in zip(respondents, answers, strict=True):
        assignment = item.assignments.get(organisation=organisation)
        survey_services.answers_save(
            actor=None, organisation=organisation, assignment=assignment, answers=given, submit=True
        )


def _demo_visit(coordinator: User, office: object, shelter: object) -> None:
    """An OSCE country visit held, its draft report with the State for comments."""
    from palermo.monitor import visit_services

    visit = visit_services.visit_create(
        actor=coordinator,
        organisation=office,  # type: ignore[arg-type]
        title="OSCE country visit 2026 (fictional)",
        source_body="osce",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 4),
        purpose="Identification of victims of labour exploitation; guardianship of children.",
    )
    for day, counterpart, notes in (
        (2, "Labour Inspectorate (fictional)", "Inspectors have no mandate to identify victims."),
        (3, "Safe Harbour Shelter NGO (fictional)", "Guardians available in two regions only."),
    ):
        meeting = visit_services.meeting_add(
            actor=coordinator,
            organisation=office,  # type: ignore[arg-type]
            visit=visit,
            held_on=date(2026, 3, day),
            counterpart=counterpart,
        )
        visit_services.meeting_notes(
            actor=coordinator,
            organisation=office,  # type: ignore[arg-type]
            meeting=meeting,
            notes=notes,
        )
    report = visit_services.report_draft(actor=coordinator, organisation=office, visit=visit)  # type: ignore[arg-type]
    report = visit_services.report_update(
        actor=coordinator,
        organisation=office,  # type: ignore[arg-type]
        report=report,
        findings="Identification through labour inspections remains rare.",
    )
    report = visit_services.report_propose(
        actor=coordinator,
        organisation=office,  # type: ignore[arg-type]
        report=report,
        proposal={
            "paragraph": "4",
            "area": "labour_exploitation",
            "addressee": "Labour Inspectorate (fictional)",
            "text": "Give labour inspectors a mandate and training to identify presumed victims.",
            "due_on": "2027-06-30",
        },
    )
    report = visit_services.report_send(actor=coordinator, organisation=office, report=report)  # type: ignore[arg-type]
    visit_services.comment_add(
        actor=None,
        organisation=shelter,  # type: ignore[arg-type]
        report=report,
        section="Findings",
        text="A pilot mandate starts in one region in 2026.",
    )
