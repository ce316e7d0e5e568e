"""The monitoring pages and API: per role, failure paths as hard as happy ones."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.conftest import needs_french
from tests.monitor.monitor_helpers import GOOD_ROWS, acting, csv_file

from palermo.core.models import AuditEntry
from palermo.monitor import indicators
from palermo.monitor.models import Measure, Recommendation

PAGES = ["/monitor/", "/monitor/recommendations/", "/monitor/indicators/"]


@pytest.mark.parametrize("persona_name", ["coordinator", "analyst", "caseworker", "police"])
def test_readers_see_the_pages(monitor_demo, login_as, persona_name):
    c = login_as(persona_name)
    for url in PAGES:
        assert c.get(url).status_code == 200, url
    rec = Recommendation.objects.first()
    assert c.get(f"/monitor/recommendations/{rec.pk}/").status_code == 200


@pytest.mark.parametrize("persona_name", ["inspector", "admin"])
def test_others_are_refused_and_the_refusal_is_audited(monitor_demo, login_as, persona_name):
    c = login_as(persona_name)
    before = AuditEntry.objects.filter(action="refused").count()
    for url in PAGES:
        assert c.get(url).status_code == 403
    assert AuditEntry.objects.filter(action="refused").count() == before + len(PAGES)


def test_missing_objects_are_404(monitor_demo, login_as):
    c = login_as("coordinator")
    assert c.get("/monitor/recommendations/999999/").status_code == 404
    assert c.get("/monitor/measures/999999/").status_code == 404
    assert c.get("/monitor/indicators/no_such_indicator/cases/").status_code == 404


def test_web_import_preview_then_confirm(monitor_demo, login_as):
    c = login_as("coordinator")
    before = Recommendation.objects.count()
    bad = SimpleUploadedFile(
        "r.csv", csv_file(GOOD_ROWS[0], 'osce,R,1,2025-01-01,sweets,Gov,"t",,')
    )
    r = c.post("/monitor/recommendations/import/", {"file": bad})
    assert r.status_code == 400
    body = r.content.decode()
    assert "Unknown thematic area" in body and "nothing was imported" in body
    assert (
        c.post("/monitor/recommendations/import/confirm/").status_code == 302
    )  # nothing held: back to upload
    assert Recommendation.objects.count() == before
    r = c.post(
        "/monitor/recommendations/import/",
        {"file": SimpleUploadedFile("r.csv", csv_file(*GOOD_ROWS))},
    )
    assert (
        r.status_code == 200 and Recommendation.objects.count() == before
    )  # a preview writes nothing
    r = c.post("/monitor/recommendations/import/confirm/")
    assert r.status_code == 302 and Recommendation.objects.count() == before + 3


def test_import_page_is_the_coordinators(monitor_demo, login_as):
    for name in ("analyst", "caseworker", "police"):
        c = login_as(name)
        assert c.get("/monitor/recommendations/import/").status_code == 403
        r = c.post(
            "/monitor/recommendations/import/",
            {"file": SimpleUploadedFile("r.csv", csv_file(*GOOD_ROWS))},
        )
        assert r.status_code == 403
    assert Recommendation.objects.filter(source_body="us_tip").count() == 0


def test_status_and_link_on_the_page(monitor_demo, login_as):
    c = login_as("coordinator")
    rec = Recommendation.objects.filter(measures__isnull=True).first()
    m = Measure.objects.get(objective__code="1")
    r = c.post(
        f"/monitor/recommendations/{rec.pk}/",
        {"st-status": "not_accepted", "st-reason": "", "st-version": rec.version},
    )
    assert r.status_code == 400 and "Required." in r.content.decode()
    r = c.post(f"/monitor/recommendations/{rec.pk}/", {"ln-measure": m.pk})
    assert r.status_code == 302 and rec.measures.filter(pk=m.pk).exists()
    analyst = login_as("analyst")
    assert (
        analyst.post(f"/monitor/recommendations/{rec.pk}/", {"ln-measure": m.pk}).status_code == 403
    )


def test_measure_page_progress_and_evidence_upload(monitor_demo, login_as):
    m = Measure.objects.get(objective__code="1")
    c = login_as("caseworker")  # the shelter NGO is responsible for this measure
    r = c.post(
        f"/monitor/measures/{m.pk}/",
        {
            "note-noted_on": "2025-11-02",
            "note-status": "completed",
            "note-text": "Roster covers all regions.",
        },
    )
    assert r.status_code == 302
    r = c.post(
        f"/monitor/measures/{m.pk}/",
        {
            "ev-kind": "file",
            "ev-title": "Roster",
            "ev-file": SimpleUploadedFile("roster.pdf", b"%PDF-1.4 roster"),
        },
    )
    assert r.status_code == 302
    page = c.get(f"/monitor/measures/{m.pk}/").content.decode()
    assert "Roster covers all regions." in page and "SHA-256" in page
    r = c.post(f"/monitor/measures/{m.pk}/", {"ev-kind": "file", "ev-title": "No file"})
    assert r.status_code == 400 and "Choose a file." in r.content.decode()
    police = login_as("police")  # not responsible for measure 1.1
    r = police.post(
        f"/monitor/measures/{m.pk}/",
        {"note-noted_on": "2025-11-02", "note-status": "completed", "note-text": "x"},
    )
    assert r.status_code == 403


def test_report_downloads(monitor_demo, login_as):
    c = login_as("analyst")
    pdf = c.get("/monitor/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    html = c.get("/monitor/report.html").content.decode()
    assert "Recommendations by monitoring body" in html and "Council of Europe GRETA" in html
    docx = c.get("/monitor/report.docx")
    assert docx.status_code == 200 and docx.content.startswith(b"PK")
    import io

    import docx as python_docx

    text = "\n".join(p.text for p in python_docx.Document(io.BytesIO(docx.content)).paragraphs)
    assert "Action plan progress" in text and "Recommendations by thematic area" in text
    assert AuditEntry.objects.filter(object_type="monitor.report", action="export").count() == 3
    assert login_as("caseworker").get("/monitor/report.pdf").status_code == 403


# --- the drill-down shows no more than each reader sees on the case itself ------------------------------


DRILL_PERSONAS = ("coordinator", "caseworker", "outreach", "police", "prosecutor", "fiu")


def test_drill_down_lists_only_cases_the_reader_sees_with_every_group(
    demo_cases, monitor_demo, client
):
    """Per persona and indicator, the drill-down equals what the single-case door (case_visibility)
    lets the reader see with every group the indicator draws on. (One test: the demo cases are
    built once.)"""
    from palermo.cases import selectors as case_selectors

    facts = case_selectors.monitoring_facts()
    ref_of = {f.case_id: f.reference for f in facts}
    for indicator_id in ("victims_by_form", "children_guardian_in_time", "referrals_accepted"):
        defn = indicators.definition(indicator_id)
        counted = set(indicators.numerator_case_ids(defn, facts))
        for persona_name in DRILL_PERSONAS:
            actor, org = acting(persona_name)
            expected = {
                case.reference
                for case in case_selectors.Case.objects.filter(pk__in=counted)
                if defn.groups <= case_selectors.case_visibility(actor, org, case).groups
            }
            if persona_name == "coordinator" and indicator_id == "victims_by_form":
                assert expected, "the identification body sees counted cases"
            client.force_login(actor)
            r = client.get(f"/api/v1/monitor/indicators/{indicator_id}/cases")
            assert r.status_code == 200
            assert set(r.json()["cases"]) == expected, (indicator_id, persona_name)
            page = client.get(f"/monitor/indicators/{indicator_id}/cases/").content.decode()
            for case_id in counted:
                assert (ref_of[case_id] in page) == (ref_of[case_id] in expected), (
                    indicator_id,
                    persona_name,
                )
    # Some persona sees fewer counted cases than are counted: the filter is doing work.
    caseworker, shelter = acting("caseworker")
    visible = set(case_selectors.cases_visible_to(caseworker, shelter).values_list("pk", flat=True))
    assert (
        set(indicators.numerator_case_ids(indicators.definition("victims_by_form"), facts))
        - visible
    )


def test_drill_down_refused_without_case_access(demo_cases, monitor_demo, login_as):
    c = login_as("analyst")
    assert c.get("/monitor/indicators/victims_by_form/cases/").status_code == 403
    assert c.get("/api/v1/monitor/indicators/victims_by_form/cases").status_code == 403


# --- API ------------------------------------------------------------------------------------------------


def test_api_register_import_status_link(monitor_demo, login_as):
    c = login_as("coordinator")
    plans = c.get("/api/v1/monitor/plans").json()
    assert plans[0]["objectives"][0]["measures"][0]["responsible"]
    r = c.post(
        "/api/v1/monitor/recommendations/import",
        {"file": SimpleUploadedFile("r.csv", csv_file(GOOD_ROWS[0], "osce,,,,,,,,"))},
    )
    assert r.status_code == 422 and {e["row"] for e in r.json()["rows"]} == {3}
    r = c.post(
        "/api/v1/monitor/recommendations/import",
        {"file": SimpleUploadedFile("r.csv", csv_file(*GOOD_ROWS)), "dry_run": "true"},
    )
    assert r.status_code == 200 and r.json()["imported"] == 0
    r = c.post(
        "/api/v1/monitor/recommendations/import",
        {"file": SimpleUploadedFile("r.csv", csv_file(*GOOD_ROWS))},
    )
    assert r.json()["imported"] == 3
    recs = c.get("/api/v1/monitor/recommendations?source_body=us_tip").json()
    assert len(recs) == 1 and recs[0]["response"] == "shelters"
    rid = recs[0]["id"]
    r = c.post(
        f"/api/v1/monitor/recommendations/{rid}/status",
        {"status": "not_accepted"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = c.post(
        f"/api/v1/monitor/recommendations/{rid}/status",
        {"status": "implemented", "version": 1},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "implemented" and r.json()["version"] == 2
    mid = plans[0]["objectives"][0]["measures"][0]["id"]
    r = c.post(
        f"/api/v1/monitor/recommendations/{rid}/measures",
        {"measure": mid},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["measures"] == [mid]
    assert (
        c.post(
            f"/api/v1/monitor/recommendations/{rid}/measures",
            {"measure": 999999},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_api_refusals_per_role(monitor_demo, login_as):
    rec = Recommendation.objects.first()
    analyst = login_as("analyst")
    assert analyst.get("/api/v1/monitor/indicators").status_code == 200
    assert (
        analyst.post(
            f"/api/v1/monitor/recommendations/{rec.pk}/status",
            {"status": "implemented"},
            content_type="application/json",
        ).status_code
        == 403
    )
    worker = login_as("caseworker")
    assert worker.get("/api/v1/monitor/report").status_code == 403
    m = Measure.objects.get(objective__code="2")  # not the shelter's
    r = worker.post(
        f"/api/v1/monitor/measures/{m.pk}/notes",
        {"noted_on": "2025-01-01", "status": "completed", "text": "x"},
        content_type="application/json",
    )
    assert r.status_code == 403
    inspector = login_as("inspector")
    assert inspector.get("/api/v1/monitor/recommendations").status_code == 403
    rec.refresh_from_db()
    assert rec.status in {"not_started", "in_progress"}


def test_api_indicators_are_protected(demo_cases, monitor_demo, login_as):
    data = login_as("analyst").get("/api/v1/monitor/indicators").json()
    assert {d["id"] for d in data} == {d.id for d in indicators.definitions()}
    for d in data:
        for f in d["figures"]:
            for v in (f["value"], f["denominator"]):
                assert v is None or v == 0 or v >= 11


@needs_french
def test_pages_speak_french(monitor_demo, login_as):
    c = login_as("coordinator")
    html = c.get("/monitor/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Suivi des engagements" in html and "GRETA du Conseil de l'Europe" in html.replace(
        "&#x27;", "'"
    )
    html = c.get("/monitor/recommendations/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Registre des recommandations" in html and "Traite des enfants" in html


def test_api_builds_a_plan_and_takes_evidence(demo_world, login_as):
    from palermo.core.models import Organisation

    c = login_as("coordinator")
    r = c.post(
        "/api/v1/monitor/plans",
        {"title": "Plan", "starts_on": "2026-01-01", "ends_on": "2025-01-01"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "ends_on"
    plan = c.post(
        "/api/v1/monitor/plans",
        {"title": "Plan 2026–2028 (fictional)", "starts_on": "2026-01-01", "ends_on": "2028-12-31"},
        content_type="application/json",
    ).json()["id"]
    obj = c.post(
        f"/api/v1/monitor/plans/{plan}/objectives",
        {"code": "1", "title": "Identify", "area": "victim_identification"},
        content_type="application/json",
    ).json()["id"]
    dup = c.post(
        f"/api/v1/monitor/plans/{plan}/objectives",
        {"code": "1", "title": "Again"},
        content_type="application/json",
    )
    assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "code"
    ngo = Organisation.objects.get(name__startswith="Safe Harbour")
    r = c.post(
        f"/api/v1/monitor/objectives/{obj}/measures",
        {"code": "1", "title": "Train", "responsible": [999999], "deadline": "2026-06-30"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "responsible"
    r = c.post(
        f"/api/v1/monitor/objectives/{obj}/measures",
        {
            "code": "1",
            "title": "Train",
            "responsible": [ngo.pk],
            "deadline": "2026-06-30",
            "budget_amount": "5000",
            "budget_currency": "",
        },
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "budget_currency"
    m = c.post(
        f"/api/v1/monitor/objectives/{obj}/measures",
        {
            "code": "1",
            "title": "Train",
            "responsible": [ngo.pk],
            "deadline": "2026-06-30",
            "budget_line": "Justice 1.2",
            "budget_amount": "5000.50",
            "budget_currency": "eur",
        },
        content_type="application/json",
    ).json()["id"]
    assert Measure.objects.get(pk=m).budget_currency == "EUR"
    r = c.post(
        f"/api/v1/monitor/measures/{m}/indicators",
        {"title": "Trained", "baseline": "0", "target": "200", "computed": "nope"},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert (
        c.post(
            f"/api/v1/monitor/measures/{m}/indicators",
            {"title": "Trained", "baseline": "0", "target": "200"},
            content_type="application/json",
        ).status_code
        == 201
    )
    # The shelter NGO is responsible: it adds a file; the police unit is not.
    worker = login_as("caseworker")
    r = worker.post(
        f"/api/v1/monitor/measures/{m}/evidence",
        {"kind": "file", "title": "Attendance", "file": SimpleUploadedFile("a.csv", b"name\nA\n")},
    )
    assert r.status_code == 201 and len(r.json()["sha256"]) == 64, r.json()
    r = login_as("police").post(
        f"/api/v1/monitor/measures/{m}/evidence",
        {"kind": "statistics", "title": "S", "target": "2025"},
    )
    assert r.status_code == 403
    assert (
        login_as("analyst")
        .post(
            "/api/v1/monitor/plans",
            {"title": "x", "starts_on": "2026-01-01", "ends_on": "2026-02-01"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_web_builds_a_plan_objective_and_measure(demo_world, login_as):
    from palermo.core.models import Organisation
    from palermo.monitor.models import ActionPlan

    c = login_as("coordinator")
    r = c.post(
        "/monitor/plans/new/", {"title": "Plan", "starts_on": "2027-01-01", "ends_on": "2026-01-01"}
    )
    assert r.status_code == 400 and "The plan cannot end before it starts." in r.content.decode()
    r = c.post(
        "/monitor/plans/new/",
        {"title": "Plan (fictional)", "starts_on": "2026-01-01", "ends_on": "2027-12-31"},
    )
    plan = ActionPlan.objects.get(title="Plan (fictional)")
    assert r.status_code == 302
    assert (
        c.post(
            f"/monitor/plans/{plan.pk}/", {"obj-code": "1", "obj-title": "Protect", "obj-area": ""}
        ).status_code
        == 302
    )
    obj = plan.objectives.get()
    police = Organisation.objects.get(name__startswith="Riverside")
    r = c.post(
        f"/monitor/plans/{plan.pk}/",
        {
            "ms-objective": obj.pk,
            "ms-code": "1",
            "ms-title": "Patrols",
            "ms-deadline": "2026-05-01",
        },
    )
    assert r.status_code == 400  # no responsible organisation
    r = c.post(
        f"/monitor/plans/{plan.pk}/",
        {
            "ms-objective": obj.pk,
            "ms-code": "1",
            "ms-title": "Patrols",
            "ms-responsible": [police.pk],
            "ms-deadline": "2026-05-01",
            "ms-budget_amount": "100",
        },
    )
    assert r.status_code == 400 and "ISO 4217" in r.content.decode()
    r = c.post(
        f"/monitor/plans/{plan.pk}/",
        {
            "ms-objective": obj.pk,
            "ms-code": "1",
            "ms-title": "Patrols",
            "ms-responsible": [police.pk],
            "ms-deadline": "2026-05-01",
        },
    )
    assert r.status_code == 302 and list(obj.measures.get().responsible.all()) == [police]
    for name in ("analyst", "police"):
        w = login_as(name)
        assert w.get("/monitor/plans/new/").status_code == 403
        assert (
            w.post(f"/monitor/plans/{plan.pk}/", {"obj-code": "2", "obj-title": "x"}).status_code
            == 403
        )
    assert plan.objectives.count() == 1


@needs_french
def test_import_errors_read_in_french(monitor_demo, login_as):
    c = login_as("coordinator")
    bad = SimpleUploadedFile("r.csv", csv_file('osce,R,1,2025-01-01,sweets,Gov,"t",,'))
    html = c.post(
        "/monitor/recommendations/import/", {"file": bad}, HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Domaine thématique inconnu ; utilisez l" in html and "victim_support" in html
