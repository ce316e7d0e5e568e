"""Correcting plans and objectives, removing plans, objectives and measures after a confirmation
(refused while recommendations or evidence are linked), and reminders of overdue
recommendations: per role over HTTP, stale versions, refusals audited, the CLI."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from palermo.core.models import AuditEntry, User
from palermo.monitor import plan_edit, services
from palermo.monitor.models import (
    ActionPlan,
    Measure,
    Objective,
    PlanIndicator,
    ProgressNote,
    Recommendation,
)


def _office():
    user = User.objects.get(username="coordinator")
    return user, user.organisations()[0]


def _spare_objective(plan: ActionPlan) -> tuple[Objective, Measure]:
    """An objective with one measure, an indicator and a note, linked to nothing."""
    user, office = _office()
    obj = services.objective_add(
        actor=user, organisation=office, plan=plan, code="9", title="Spare objective"
    )
    m = services.measure_add(
        actor=user,
        organisation=office,
        objective=obj,
        code="1",
        title="Spare measure",
        responsible=[office],
        deadline=date(2026, 12, 31),
    )
    services.plan_indicator_add(
        actor=user, organisation=office, measure=m, title="Spare", baseline="0", target="1"
    )
    services.progress_note_add(
        actor=user,
        organisation=office,
        measure=m,
        noted_on=date(2025, 1, 1),
        status="in_progress",
        text="Started.",
    )
    return obj, m


def test_editing_a_plan_refuses_a_stale_save_and_a_bad_date(monitor_demo, login_as):
    c = login_as("coordinator")
    plan = ActionPlan.objects.get()
    url = f"/monitor/plans/{plan.pk}/edit/"
    assert c.get(url).status_code == 200
    form = {
        "title": "National action plan 2025–2028",
        "starts_on": "2025-01-01",
        "ends_on": "2028-12-31",
        "version": plan.version,
    }
    bad = c.post(url, {**form, "ends_on": "2024-12-31"})
    assert bad.status_code == 422 and "cannot end before it starts" in bad.content.decode()
    plan.refresh_from_db()
    assert plan.ends_on == date(2027, 12, 31)
    assert c.post(url, form).status_code == 302
    plan.refresh_from_db()
    assert plan.title == "National action plan 2025–2028" and plan.version == form["version"] + 1
    stale = c.post(url, {**form, "title": "Overwrite"})
    assert stale.status_code == 422 and "after you opened it" in stale.content.decode()
    plan.refresh_from_db()
    assert plan.title == "National action plan 2025–2028"
    assert AuditEntry.objects.filter(
        object_type="monitor.plan", object_ref=str(plan.pk), action="update"
    ).exists()


def test_editing_an_objective_refuses_a_duplicate_number_and_a_stale_save(monitor_demo, login_as):
    c = login_as("coordinator")
    obj = Objective.objects.get(code="2")
    url = f"/monitor/objectives/{obj.pk}/edit/"
    form = {"code": "1", "title": "Follow the money", "area": "", "version": obj.version}
    dup = c.post(url, form)
    assert dup.status_code == 422 and "already has an objective" in dup.content.decode()
    assert c.post(url, {**form, "code": "2a", "title": "Trace the money"}).status_code == 302
    obj.refresh_from_db()
    assert (obj.code, obj.title, obj.area) == ("2a", "Trace the money", "")
    stale = c.post(url, {**form, "code": "2b"})
    assert stale.status_code == 422
    obj.refresh_from_db()
    assert obj.code == "2a"


def test_removing_an_objective_says_what_goes_with_it(monitor_demo, login_as):
    obj, m = _spare_objective(ActionPlan.objects.get())
    c = login_as("coordinator")
    url = f"/monitor/objectives/{obj.pk}/remove/"
    page = c.get(url).content.decode()
    assert "Measures: 1" in page and "Plan indicators: 1" in page and "Progress notes: 1" in page
    # Without the confirmation nothing happens.
    assert c.post(url, {"version": obj.version}).status_code == 200
    assert Objective.objects.filter(pk=obj.pk).exists()
    stale = c.post(url, {"confirm": "yes", "version": obj.version + 1})
    assert stale.status_code == 422 and Objective.objects.filter(pk=obj.pk).exists()
    assert c.post(url, {"confirm": "yes", "version": obj.version}).status_code == 302
    assert not Objective.objects.filter(pk=obj.pk).exists()
    assert not Measure.objects.filter(pk=m.pk).exists()
    assert not PlanIndicator.objects.filter(measure_id=m.pk).exists()
    assert not ProgressNote.objects.filter(measure_id=m.pk).exists()
    entry = AuditEntry.objects.get(
        object_type="monitor.objective", object_ref=str(obj.pk), action="delete"
    )
    assert entry.details["measures"] == 1


def test_removing_a_measure(monitor_demo, login_as):
    _obj, m = _spare_objective(ActionPlan.objects.get())
    c = login_as("coordinator")
    url = f"/monitor/measures/{m.pk}/remove/"
    assert "Progress notes: 1" in c.get(url).content.decode()
    assert c.post(url, {"confirm": "yes", "version": m.version}).status_code == 302
    assert not Measure.objects.filter(pk=m.pk).exists()


@pytest.mark.parametrize("what", ["plan", "objective", "measure"])
def test_removal_is_refused_while_recommendations_or_evidence_are_linked(
    monitor_demo, login_as, what
):
    m = Measure.objects.get(objective__code="1", code="1")  # linked and with evidence (demo)
    target = {"plan": m.objective.plan, "objective": m.objective, "measure": m}[what]
    url = f"/monitor/{what}s/{target.pk}/remove/"
    c = login_as("coordinator")
    page = c.get(url).content.decode()
    assert "It cannot be removed" in page and "recommendation(s) are linked" in page
    assert "evidence" in page and 'name="confirm"' not in page
    r = c.post(url, {"confirm": "yes", "version": target.version})
    assert r.status_code == 422 and "GRETA" in r.content.decode()
    assert type(target).objects.filter(pk=target.pk).exists()
    assert Measure.objects.filter(pk=m.pk).exists()
    assert AuditEntry.objects.filter(
        object_type=f"monitor.{what}", object_ref=str(target.pk), action="refused"
    ).exists()


def test_removing_a_whole_plan(monitor_demo, login_as):
    user, office = _office()
    plan = services.plan_create(
        actor=user,
        organisation=office,
        title="Draft plan",
        starts_on=date(2028, 1, 1),
        ends_on=date(2030, 12, 31),
    )
    _spare_objective(plan)
    c = login_as("coordinator")
    url = f"/monitor/plans/{plan.pk}/remove/"
    assert "Objectives: 1" in c.get(url).content.decode()
    assert c.post(url, {"confirm": "yes", "version": plan.version}).status_code == 302
    assert not ActionPlan.objects.filter(pk=plan.pk).exists()
    assert ActionPlan.objects.count() == 1  # the demo plan stays


@pytest.mark.parametrize("name", ["analyst", "caseworker", "police"])
def test_only_the_office_edits_removes_and_reminds(monitor_demo, login_as, name):
    plan = ActionPlan.objects.get()
    obj = Objective.objects.get(code="2")
    m = Measure.objects.get(objective=obj)
    c = login_as(name)
    for url in (
        f"/monitor/plans/{plan.pk}/edit/",
        f"/monitor/plans/{plan.pk}/remove/",
        f"/monitor/objectives/{obj.pk}/edit/",
        f"/monitor/objectives/{obj.pk}/remove/",
        f"/monitor/measures/{m.pk}/remove/",
    ):
        assert c.get(url).status_code == 403, url
    r = c.post(f"/monitor/objectives/{obj.pk}/remove/", {"confirm": "yes", "version": 1})
    assert r.status_code == 403 and Objective.objects.filter(pk=obj.pk).exists()
    assert c.post("/monitor/recommendations/remind-overdue/").status_code == 403
    assert not Recommendation.objects.exclude(reminded_at=None).exists()


def _overdue() -> tuple[Recommendation, Recommendation]:
    """Make the two guardianship recommendations (linked to measure 1.1) and an unlinked one overdue."""
    past = timezone.localdate() - timedelta(days=10)
    linked = Recommendation.objects.get(source_body="greta", paragraph="87")
    unlinked = Recommendation.objects.filter(measures=None).first()
    Recommendation.objects.filter(pk__in=[linked.pk, unlinked.pk]).update(
        due_on=past, issued_on=past - timedelta(days=100), status="in_progress"
    )
    return linked, unlinked


def test_overdue_reminder_button_mails_once_a_day(
    monitor_demo, login_as, settings, django_capture_on_commit_callbacks
):
    settings.PALERMO_EXERCISE = ""
    linked, unlinked = _overdue()
    c = login_as("coordinator")
    page = c.get("/monitor/recommendations/").content.decode()
    assert "/monitor/recommendations/remind-overdue/" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/monitor/recommendations/remind-overdue/")
    assert r.status_code == 302
    linked.refresh_from_db()
    unlinked.refresh_from_db()
    assert linked.reminded_at is not None and unlinked.reminded_at is not None
    assert mail.outbox, "the responsible organisations' staff are mailed"
    assert any("87" in m.body for m in mail.outbox)
    assert AuditEntry.objects.filter(
        object_type="monitor.recommendation", object_ref=str(linked.pk), action="update"
    ).exists()
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        again = plan_edit.remind_overdue(actor=None, organisation=None)
    assert again == 0 and len(mail.outbox) == sent  # at most once a day


def test_no_reminder_mail_leaves_an_exercise_instance(
    monitor_demo, settings, django_capture_on_commit_callbacks
):
    settings.PALERMO_EXERCISE = "drill"
    _overdue()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert plan_edit.remind_overdue(actor=None, organisation=None) >= 2
    assert mail.outbox == []


def test_cli_reminds_of_overdue_recommendations(monitor_demo, settings):
    from typer.testing import CliRunner

    from palermo.monitor.cli import app

    settings.PALERMO_EXERCISE = ""
    _overdue()
    expected = Recommendation.objects.filter(
        due_on__lt=timezone.localdate(), status__in=["not_started", "in_progress"]
    ).count()
    assert expected >= 2
    out = CliRunner().invoke(app, ["remind-overdue"])
    assert out.exit_code == 0, out.output
    assert f"{expected} overdue recommendation(s) reminded." in out.output
    assert "0 overdue" in CliRunner().invoke(app, ["remind-overdue"]).output


def test_older_service_messages_go_through_gettext(monitor_demo, monkeypatch):
    from palermo.core.errors import InvalidInput

    # A stand-in catalogue: a message that bypassed gettext would come back unchanged.
    monkeypatch.setattr(services, "_", lambda text: f"[t] {text}")
    user, office = _office()
    with pytest.raises(InvalidInput) as exc:
        services.plan_create(
            actor=user,
            organisation=office,
            title="",
            starts_on=date(2026, 1, 1),
            ends_on=date(2025, 1, 1),
        )
    messages = {e.field: e.message for e in exc.value.errors}
    assert messages == {
        "title": "[t] Required.",
        "ends_on": "[t] The plan cannot end before it starts.",
    }


def _per_case_groups(year):
    """The indicators' rows built case by case (the reference), grouped for comparison."""
    from palermo.cases import selectors as case_selectors
    from palermo.investigate import selectors as investigate_selectors
    from palermo.monitor import indicators

    linked = investigate_selectors.investigations_per_case(year=year)
    rows = [
        {**indicators.fact_row(f), "financial_investigations": linked.get(f.case_id, 0)}
        for f in case_selectors.monitoring_facts(year=year)
    ]
    return indicators.group_rows(rows)


def _canon(rows):
    return sorted(tuple(sorted(r.items())) for r in rows)


def _joined_facts_on_three_cases():
    """Guardian deadlines, safeguards, reflection periods, referrals and claims on three cases."""
    from palermo.cases.models import (
        Case,
        ChildSafeguard,
        CompensationClaim,
        Consent,
        ServiceProvider,
        ServiceReferral,
        Task,
    )

    now = timezone.now()
    org = User.objects.get(username="coordinator").organisations()[0]
    provider = ServiceProvider.objects.first() or ServiceProvider.objects.create(
        organisation=org, service_types=["shelter"], capacity=5
    )
    for i, case in enumerate(Case.objects.order_by("id")[:3]):
        day = case.incoming_referral_date
        for key, due in (("guardian_appointment", 3), ("guardian_appointment", 5)):
            Task.objects.create(
                case=case,
                title="t",
                kind="deadline",
                rule_key=key,
                rule_version="1",
                starts_on=day,
                due_on=day + timedelta(days=due),
                created_at=now,
            )
        if i != 1:
            Task.objects.create(
                case=case,
                title="t",
                kind="deadline",
                rule_key="reflection_recovery_period",
                rule_version="1",
                starts_on=day,
                due_on=day + timedelta(days=30),
                created_at=now,
            )
        ChildSafeguard.objects.update_or_create(
            case=case, defaults={"guardian_appointed_on": day + timedelta(days=2 * i + 1)}
        )
        consent = Consent.objects.create(
            case=case,
            scopes=["subject"],
            recipient=provider.organisation,
            purpose="assistance",
            given_by="person",
            given_on=day,
            recorded_at=now,
        )
        for status, responded in (("sent", None), ("closed", now), ("accepted", now))[: i + 1]:
            ServiceReferral.objects.create(
                case=case,
                service_type="shelter",
                provider=provider,
                receiving_organisation=provider.organisation,
                sending_organisation=org,
                consent=consent,
                status=status,
                sent_at=now,
                responded_at=responded,
            )
        for status in ("planned", "filed", "awarded")[: i + 1]:
            CompensationClaim.objects.create(
                case=case,
                amount=100,
                currency="EUR",
                source="offender",
                status=status,
                recorded_at=now,
            )


def test_facts_counted_in_the_database_equal_the_per_case_facts(demo_cases):
    from palermo.cases.models import Case
    from palermo.monitor import indicators, selectors

    _joined_facts_on_three_cases()
    years = sorted({d.year for d in Case.objects.values_list("incoming_referral_date", flat=True)})
    assert years
    for year in (None, years[-1], 1990):
        grouped = selectors.fact_groups(year)
        assert _canon(grouped) == _canon(_per_case_groups(year)), year
    everything = selectors.fact_groups(None)
    assert sum(r["weight"] for r in everything) == Case.objects.count()
    # The demo world exercises the joined facts, so the comparison is not of empty columns.
    assert any(r["referrals_sent"] for r in everything)
    assert any(r["guardian_in_time"] or r["reflection_period_granted"] for r in everything)
    # The published indicators are every year's facts protected together (compute_years);
    # the reference builds the same years case by case.
    per_case = indicators.compute_years(
        {y: _per_case_groups(y) for y in selectors.years()}, year=None
    )
    assert selectors.indicator_results(None, None, year=None) == per_case
