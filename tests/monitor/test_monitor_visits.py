"""Country visits: the pure rules, then the workflow through HTTP — plan, meetings, a draft
assembled from the register/indicators/survey, the State's comments, publication (immutable;
recommendations issued into the register), correction as a new version, and the follow-up
visit's comparison."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.monitor.monitor_helpers import acting

from palermo.core.models import AuditEntry
from palermo.monitor import visit_services, visits
from palermo.monitor.models import (
    CountryVisit,
    Recommendation,
    ReportStatus,
    ThematicArea,
    VisitReport,
)

AREAS = ThematicArea.values
GOOD = {
    "paragraph": "7",
    "area": "child_trafficking",
    "addressee": "Ministry of Social Affairs (fictional)",
    "text": "Appoint guardians within 24 hours.",
    "due_on": "2027-06-30",
}


# --- pure ----------------------------------------------------------------------------------------


def test_a_good_proposal_is_kept_whole():
    clean, problems = visits.check_proposal(GOOD, areas=AREAS, taken=[])
    assert problems == [] and clean == GOOD


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"paragraph": ""}, "paragraph"),
        ({"paragraph": "7"}, "paragraph"),  # taken below
        ({"area": "sweets"}, "area"),
        ({"addressee": ""}, "addressee"),
        ({"text": "  "}, "text"),
        ({"due_on": "30/06/2027"}, "due_on"),
        ({"text": "a\x00b"}, "text"),
    ],
)
def test_a_bad_proposal_names_the_field(change, field):
    _clean, problems = visits.check_proposal({**GOOD, **change}, areas=AREAS, taken=["7"])
    assert field in [p.field for p in problems]


def test_comparison_never_reveals_a_suppressed_cell_by_difference():
    then = {
        "indicators": [
            {
                "id": "a",
                "title": "A",
                "figures": [{"label": "Total", "value": None, "denominator": None}],
            }
        ]
    }
    now = {
        "indicators": [
            {
                "id": "a",
                "title": "A",
                "figures": [{"label": "Total", "value": 14, "denominator": None}],
            }
        ]
    }
    (row,) = visits.compare_indicators(then, now)
    assert row["then"] == "x" and row["now"] == "14" and row["change"] == ""


def test_comparison_gives_the_change_of_counts_and_shows_shares_without_one():
    then = {
        "indicators": [
            {
                "id": "a",
                "title": "A",
                "figures": [{"label": "Total", "value": 20, "denominator": None}],
            },
            {
                "id": "s",
                "title": "S",
                "figures": [{"label": "Total", "value": 11, "denominator": 20}],
            },
        ]
    }
    now = {
        "indicators": [
            {
                "id": "a",
                "title": "A",
                "figures": [{"label": "Total", "value": 26, "denominator": None}],
            },
            {
                "id": "s",
                "title": "S",
                "figures": [{"label": "Total", "value": 15, "denominator": 22}],
            },
        ]
    }
    rows = {r["indicator"]: r for r in visits.compare_indicators(then, now)}
    assert rows["a"]["change"] == "+6"
    assert (
        rows["s"]["then"] == "11 / 20"
        and rows["s"]["now"] == "15 / 22"
        and rows["s"]["change"] == ""
    )


@given(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=5))
def test_the_fingerprint_depends_on_content_not_key_order(content):
    reordered = dict(reversed(list(content.items())))
    assert visits.fingerprint(content) == visits.fingerprint(reordered)
    assert visits.fingerprint({**content, "findings": "changed"}) != visits.fingerprint(
        {**content, "findings": "other"}
    )


# --- workflow ------------------------------------------------------------------------------------


@pytest.fixture
def visit(monitor_demo):
    actor, org = acting("coordinator")
    return visit_services.visit_create(
        actor=actor,
        organisation=org,
        title="OSCE country visit 2026, second mission (fictional)",
        source_body="osce",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 5),
    )


def test_meetings_must_fall_within_the_visit(visit, login_as):
    c = login_as("coordinator")
    r = c.post(
        f"/monitor/visits/{visit.pk}/",
        {"action": "meeting", "m-held_on": "2026-04-01", "m-counterpart": "Labour Inspectorate"},
    )
    assert r.status_code == 422 and "within the visit" in r.content.decode()
    assert not visit.meetings.exists()
    r = c.post(
        f"/monitor/visits/{visit.pk}/",
        {"action": "meeting", "m-held_on": "2026-03-03", "m-counterpart": "Labour Inspectorate"},
    )
    assert r.status_code == 302
    meeting = visit.meetings.get()
    r = c.post(
        f"/monitor/visits/{visit.pk}/",
        {
            "action": "notes",
            "meeting": meeting.pk,
            f"n{meeting.pk}-notes": "No mandate to identify.",
        },
    )
    assert r.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "held"


def test_the_whole_workflow_from_draft_to_follow_up(visit, login_as):
    c = login_as("coordinator")
    r = c.post(f"/monitor/visits/{visit.pk}/", {"action": "draft"})
    assert r.status_code == 302
    report = VisitReport.objects.get(visit=visit)
    assert report.version == 1 and report.status == ReportStatus.DRAFT
    snap = report.snapshot
    assert snap["indicators"] and snap["survey"]["rows"]  # the demo's answered survey
    assert {r["paragraph"] for r in snap["register"]} >= {"12", "19"}  # the OSCE recommendations
    # a second draft while one is open is refused
    assert c.post(f"/monitor/visits/{visit.pk}/", {"action": "draft"}).status_code == 422

    url = f"/monitor/visits/reports/{report.pk}/"
    page = c.get(url)
    assert (
        page.status_code == 200
        and "Recommendations of this body in the register" in page.content.decode()
    )
    r = c.post(
        url,
        {
            "action": "findings",
            "f-findings": "Guardianship improved.",
            "f-lock_version": report.lock_version,
        },
    )
    assert r.status_code == 302
    stale = c.post(
        url,
        {"action": "findings", "f-findings": "Overwrite", "f-lock_version": report.lock_version},
    )
    assert (
        stale.status_code == 422
        and "changed this report after you opened it" in stale.content.decode()
    )
    bad = {f"p-{k}": v for k, v in {**GOOD, "area": "sweets"}.items()}
    assert c.post(url, {"action": "propose", **bad}).status_code == 422
    assert (
        c.post(url, {"action": "propose", **{f"p-{k}": v for k, v in GOOD.items()}}).status_code
        == 302
    )
    assert c.post(url, {"action": "send"}).status_code == 302

    # the State's authorities comment; the rapporteur's office may read but not comment
    shelter = login_as("caseworker")
    assert (
        shelter.post(
            url, {"action": "comment", "c-text": "The roster covers two regions only."}
        ).status_code
        == 302
    )
    analyst = login_as("analyst")
    assert analyst.get(url).status_code == 200
    assert analyst.post(url, {"action": "comment", "c-text": "x"}).status_code == 403

    # publishing asks first, then issues the recommendations and freezes the report
    c = login_as("coordinator")
    r = c.post(url, {"action": "publish"})
    assert r.status_code == 200 and "can never change again" in r.content.decode()
    assert VisitReport.objects.get(pk=report.pk).status == ReportStatus.IN_REVIEW
    assert c.post(url, {"action": "publish", "confirm": "yes"}).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.PUBLISHED and len(report.sha256) == 64
    rec = Recommendation.objects.get(source_body="osce", report=visit.title, paragraph="7")
    assert list(report.issued.all()) == [rec]
    assert AuditEntry.objects.filter(
        object_type="monitor.visit_report", details__sha256=report.sha256
    ).exists()

    # a published report never changes
    r = c.post(
        url, {"action": "findings", "f-findings": "Rewrite", "f-lock_version": report.lock_version}
    )
    assert r.status_code == 422 and "never changes" in r.content.decode()
    actor, org = acting("coordinator")
    with pytest.raises(visit_services.InvalidInput, match="never changes"):
        visit_services.report_update(
            actor=actor, organisation=org, report=report, findings="Rewrite"
        )
    report.findings = "Rewrite behind the services' back"
    with pytest.raises(ValueError, match="never changes"):
        report.save()
    assert VisitReport.objects.get(pk=report.pk).findings == "Guardianship improved."

    # a correction is a new version; publishing it does not duplicate the recommendation
    r = c.post(url, {"action": "correct"})
    correction = VisitReport.objects.get(visit=visit, version=2)
    assert correction.corrects_id == report.pk and correction.status == ReportStatus.DRAFT
    c.post(f"/monitor/visits/reports/{correction.pk}/", {"action": "publish", "confirm": "yes"})
    assert Recommendation.objects.filter(source_body="osce", report=visit.title).count() == 1

    # the follow-up visit compares then and now
    from palermo.monitor import services

    services.recommendation_set_status(
        actor=actor, organisation=org, recommendation=rec, status="implemented", note="Done."
    )
    follow = visit_services.visit_create(
        actor=actor,
        organisation=org,
        title="OSCE follow-up visit 2027 (fictional)",
        source_body="osce",
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 3, 2),
        follows=visit,
    )
    r = c.get(f"/monitor/visits/{follow.pk}/compare/")
    body = r.content.decode()
    assert r.status_code == 200 and "Implemented" in body and "Not started" in body


def test_a_follow_up_cannot_come_before_the_visit_it_follows(visit):
    actor, org = acting("coordinator")
    with pytest.raises(visit_services.InvalidInput):
        visit_services.visit_create(
            actor=actor,
            organisation=org,
            title="Too early",
            source_body="osce",
            starts_on=visit.starts_on - timedelta(days=10),
            ends_on=visit.starts_on - timedelta(days=9),
            follows=visit,
        )


@pytest.mark.parametrize("name", ["caseworker", "analyst", "police"])
def test_only_the_office_plans_visits(visit, login_as, name):
    c = login_as(name)
    before = CountryVisit.objects.count()
    assert c.get("/monitor/visits/").status_code == 200
    r = c.post(
        "/monitor/visits/",
        {"title": "x", "source_body": "osce", "starts_on": "2026-01-01", "ends_on": "2026-01-02"},
    )
    assert r.status_code == 403
    assert c.post(f"/monitor/visits/{visit.pk}/", {"action": "draft"}).status_code == 403
    assert CountryVisit.objects.count() == before


@pytest.mark.parametrize("name", ["inspector", "admin"])
def test_others_cannot_see_visits(visit, login_as, name):
    assert login_as(name).get(f"/monitor/visits/{visit.pk}/").status_code == 403


def test_a_missing_visit_or_report_is_404(monitor_demo, login_as):
    c = login_as("coordinator")
    assert c.get("/monitor/visits/999999/").status_code == 404
    assert c.get("/monitor/visits/reports/999999/").status_code == 404


def test_the_demo_visit_is_with_the_state_for_comments(monitor_demo, login_as):
    demo = CountryVisit.objects.get(title="OSCE country visit 2026 (fictional)")
    report = demo.reports.get()
    assert report.status == ReportStatus.IN_REVIEW and report.comments.count() == 1
    body = login_as("coordinator").get(f"/monitor/visits/reports/{report.pk}/").content.decode()
    assert "Give labour inspectors a mandate" in body and "A pilot mandate" in body


def test_api_reads_visits_and_takes_the_states_comments(monitor_demo, login_as):
    demo = CountryVisit.objects.get(title="OSCE country visit 2026 (fictional)")
    report = demo.reports.get()
    c = login_as("caseworker")
    r = c.get("/api/v1/monitor/visits")
    assert r.status_code == 200 and any(v["id"] == demo.pk for v in r.json())
    r = c.get(f"/api/v1/monitor/visits/reports/{report.pk}")
    assert r.status_code == 200 and r.json()["status"] == "in_review"
    r = c.post(
        f"/api/v1/monitor/visits/reports/{report.pk}/comments",
        {"text": "Correction of a date.", "section": "Findings"},
        content_type="application/json",
    )
    assert r.status_code == 201 and report.comments.count() == 2
    r = login_as("analyst").post(
        f"/api/v1/monitor/visits/reports/{report.pk}/comments",
        {"text": "x"},
        content_type="application/json",
    )
    assert r.status_code == 403 and report.comments.count() == 2
    r = c.post(
        f"/api/v1/monitor/visits/reports/{report.pk}/comments",
        {"text": ""},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert login_as("inspector").get("/api/v1/monitor/visits").status_code == 403
