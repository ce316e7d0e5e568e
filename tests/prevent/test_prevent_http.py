"""The online-risk pages: public pages without an account (and their red-team cases), the
licence registry, the workbench and the report triage, per role; failure paths as hard as happy
ones."""

from __future__ import annotations

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from tests.prevent.prevent_helpers import all_yes, licence_csv

from palermo.cases.models import Case, VictimContext
from palermo.core.models import AuditEntry
from palermo.prevent.models import (
    Advert,
    Lead,
    Licence,
    LicenceList,
    ReportStatus,
    WorkerReport,
)

pytestmark = pytest.mark.django_db

MARKER = "Zqxjv Unique Agency 7731"  # a string no page, log or row should hold unless stored


def _row_counts() -> dict[str, int]:
    return {
        "audit": AuditEntry.objects.count(),
        "reports": WorkerReport.objects.count(),
        "licences": Licence.objects.count(),
        "adverts": Advert.objects.count(),
        "leads": Lead.objects.count(),
    }


# --- the public job-offer check ----------------------------------------------------------


def test_check_page_opens_without_an_account_and_sets_only_the_csrf_cookie(client, demo_world):
    r = client.get("/check/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Check a job offer" in body
    assert "Have you been asked to pay a fee" in body
    assert set(r.cookies) <= {"csrftoken"}
    assert len(r.content) < 150 * 1024


def test_answers_raise_cited_warnings_and_store_and_log_nothing(client, prevent_demo, caplog):
    before = _row_counts()
    client.get("/check/")
    data = {**all_yes(), "q_contract": "no", "agency": MARKER, "origin": "UA", "destination": "PL"}
    with caplog.at_level(logging.DEBUG):
        r = client.post("/check/", data)
    assert r.status_code == 200
    body = r.content.decode()
    assert "warning signs found" in body
    # every warning carries its indicator and at least one source link
    assert "Operational indicators of trafficking in human beings" in body
    assert "Recruitment fees charged to the worker" in body
    assert "Ukraine" in body and "Poland" in body  # the hotlines of both countries
    assert _row_counts() == before
    assert MARKER not in caplog.text
    for answer_word in ("q_fee", "q_passport", MARKER):
        assert answer_word not in caplog.text
    assert set(r.cookies) <= {"csrftoken"}
    assert "sessionid" not in r.cookies


def test_no_answers_never_says_safe(client, demo_world):
    r = client.post("/check/", {"q_fee": "no", "q_contract": "yes"})
    body = r.content.decode()
    assert r.status_code == 200
    assert "No warning signs among the questions you answered (2 of 16)" in body
    assert "does not mean the offer is safe" in body
    assert "The offer is safe" not in body


def test_licence_lookup_from_the_check_page_across_alphabets(client, prevent_demo):
    r = client.post("/check/", {"q_licence": "unknown", "agency": "Svit Pratsi"})
    body = r.content.decode()
    assert "Світ Праці ТОВ" in body
    assert "Suspended" in body


def test_check_escapes_injected_markup(client, demo_world):
    r = client.post("/check/", {"agency": "<script>alert(1)</script>", "q_fee": "<b>x</b>"})
    body = r.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert r.status_code == 422  # the invalid answer is refused next to its question


def test_check_refuses_nul_bytes_and_oversized_input_without_a_server_error(client, demo_world):
    r = client.post("/check/", {"agency": "abc\x00def"})
    assert r.status_code == 400
    r = client.post("/check/", {"agency": "x" * 10_000})
    assert r.status_code == 422
    assert "at most 200 characters" in r.content.decode()


def test_answers_never_travel_in_the_url(client, demo_world):
    r = client.get("/check/?q_fee=yes&agency=" + MARKER.replace(" ", "+"))
    assert r.status_code == 200
    assert "warning sign" not in r.content.decode().lower().split("<form")[0]
    assert 'method="post"' in r.content.decode()


@override_settings(PALERMO_PREVENT_RATE_LIMITS={"check": (3, 600), "report": (2, 3600)})
def test_floods_of_checks_are_rate_limited(client, demo_world):
    codes = [client.post("/check/", {"q_fee": "yes"}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert "Too many checks" in client.post("/check/", {"q_fee": "yes"}).content.decode()


def test_csrf_is_enforced_on_the_public_forms(demo_world):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    assert c.post("/check/", {"q_fee": "yes"}).status_code == 403
    assert c.post("/report/", {"who": "worker", "signs": ["debt"]}).status_code == 403


# --- the anonymous worker report ---------------------------------------------------------


def test_report_lands_in_the_queue_with_no_address_and_an_anonymous_audit_entry(
    client, demo_world, caplog
):
    with caplog.at_level(logging.DEBUG):
        r = client.post(
            "/report/",
            {
                "who": "worker",
                "country": "IT",
                "work_kind": "agriculture",
                "signs": ["not_paid", "documents_taken"],
                "description": f"They keep our passports. {MARKER}",
            },
            REMOTE_ADDR="203.0.113.77",
        )
    assert r.status_code == 302
    assert r["Location"] == "/report/thanks/"
    report = WorkerReport.objects.get()
    assert report.status == ReportStatus.NEW
    assert report.organisation.org_type == "labour_inspectorate"
    assert report.contact == ""
    entry = AuditEntry.objects.filter(object_type="worker_report").get()
    assert entry.client == ""
    assert entry.actor_id is None
    assert "203.0.113.77" not in str(entry.details)
    assert MARKER not in caplog.text and "203.0.113.77" not in caplog.text
    # stored encrypted: the raw column does not hold the text
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT description FROM prevent_workerreport")
        raw = cur.fetchone()[0]
    assert MARKER not in str(raw)


def test_contact_without_consent_is_refused_not_dropped(client, demo_world):
    r = client.post(
        "/report/",
        {"who": "witness", "signs": ["debt"], "contact": "+380 67 000 00 00"},
    )
    assert r.status_code == 422
    assert "Tick the box to let us contact you" in r.content.decode()
    assert WorkerReport.objects.count() == 0


def test_empty_report_is_refused(client, demo_world):
    r = client.post("/report/", {"who": "witness"})
    assert r.status_code == 422
    assert "Please tick a warning sign or describe what happened." in r.content.decode()
    assert WorkerReport.objects.count() == 0


def test_robot_filling_the_trap_field_stores_nothing(client, demo_world):
    r = client.post(
        "/report/", {"who": "witness", "signs": ["debt"], "website": "http://spam.example"}
    )
    assert r.status_code == 302
    assert WorkerReport.objects.count() == 0


@override_settings(PALERMO_PREVENT_RATE_LIMITS={"check": (3, 600), "report": (2, 3600)})
def test_floods_of_reports_are_rate_limited(client, demo_world):
    codes = [
        client.post("/report/", {"who": "witness", "signs": ["debt"]}).status_code for _ in range(4)
    ]
    assert codes == [302, 302, 429, 429]
    assert WorkerReport.objects.count() == 2


def test_report_text_is_escaped_on_the_triage_page(client, demo_world, login_as):
    client.post("/report/", {"who": "witness", "description": "<img src=x onerror=alert(1)>"})
    report = WorkerReport.objects.get()
    c = login_as("inspector")
    body = c.get(f"/prevent/reports/{report.pk}/").content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body


# --- triage ---------------------------------------------------------------------------------


def test_inspector_triages_and_opens_a_referral_through_the_case_services(prevent_demo, login_as):
    c = login_as("inspector")
    r = c.get("/prevent/reports/")
    assert r.status_code == 200
    assert "3 reports" in r.content.decode()
    report = WorkerReport.objects.get(country="IT")
    before_reads = AuditEntry.objects.filter(action="read", object_type="worker_report").count()
    body = c.get(f"/prevent/reports/{report.pk}/").content.decode()
    assert "Signal, ask for Ana" in body  # contact given with consent
    assert (
        AuditEntry.objects.filter(action="read", object_type="worker_report").count()
        == before_reads + 1
    )
    r = c.post(f"/prevent/reports/{report.pk}/decide/", {"decision": "refer"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.REFERRED
    case = Case.objects.get(reference=report.case_reference)
    assert case.source == "hotline"
    ctx = VictimContext.objects.get(case=case)
    assert ctx.countries_of_exploitation == ["IT"]
    assert case.person.given_name == ""  # the case starts with no personal data
    # a second decision is refused, nothing changes
    r = c.post(f"/prevent/reports/{report.pk}/decide/", {"decision": "dismissed"}, follow=True)
    assert "already been triaged" in r.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.REFERRED


def test_dismissal_is_recorded_and_audited(prevent_demo, login_as):
    c = login_as("inspector")
    report = WorkerReport.objects.get(country="RS")
    c.post(f"/prevent/reports/{report.pk}/decide/", {"decision": "dismissed", "note": "dup"})
    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED
    assert AuditEntry.objects.filter(
        object_type="worker_report", object_ref=str(report.pk), action="update"
    ).exists()


def test_other_organisations_do_not_see_reports(prevent_demo, login_as):
    report = WorkerReport.objects.first()
    c = login_as("caseworker")  # holds the triage permission, but is not the designated org
    r = c.get("/prevent/reports/")
    assert r.status_code == 200 and "0 reports" in r.content.decode()
    assert c.get(f"/prevent/reports/{report.pk}/").status_code == 404
    assert c.post(f"/prevent/reports/{report.pk}/decide/", {"decision": "refer"}).status_code == 404


@pytest.mark.parametrize("name", ["analyst", "fiu", "admin"])
def test_roles_without_triage_are_refused_and_audited(prevent_demo, login_as, name):
    c = login_as(name)
    before = AuditEntry.objects.filter(action="refused").count()
    assert c.get("/prevent/reports/").status_code == 403
    assert AuditEntry.objects.filter(action="refused").count() == before + 1


# --- licence registry ------------------------------------------------------------------------


def test_registry_import_with_row_errors_changes_nothing(login_as, demo_world):
    c = login_as("coordinator")
    bad = licence_csv(
        "Good Agency,L-1,DE,valid,2027-01-01,https://example.org,2026-11-30",
        "Bad Country,L-2,Germany,valid,,https://example.org,2026-11-30",
        "Bad Status,L-3,DE,maybe,,https://example.org,2026-11-30",
        "Dup,L-1,DE,valid,,https://example.org,2026-11-30",
        ",L-4,DE,valid,,https://example.org,2026-11-30",
    )
    r = c.post(
        "/prevent/licences/import/",
        {"kind": "licence", "title": "Test", "file": SimpleUploadedFile("l.csv", bad)},
    )
    assert r.status_code == 422
    body = r.content.decode()
    assert "row 2 country" in body and "two-letter ISO 3166-1" in body
    assert "row 3 status" in body
    assert "already on row 1" in body
    assert "row 5 name" in body
    assert LicenceList.objects.count() == 0 and Licence.objects.count() == 0


def test_registry_import_refuses_binary_and_non_utf8(login_as, demo_world):
    c = login_as("coordinator")
    for payload, message in [
        (b"\x00\x01\x02PK", "binary file"),
        ("name\nÇa\n".encode("latin-1"), "not UTF-8"),
    ]:
        r = c.post(
            "/prevent/licences/import/",
            {"kind": "licence", "title": "T", "file": SimpleUploadedFile("l.csv", payload)},
        )
        assert r.status_code == 422
        assert message in r.content.decode()
    assert LicenceList.objects.count() == 0


def test_registry_import_and_fuzzy_search(login_as, demo_world):
    c = login_as("coordinator")
    good = licence_csv(
        "ТОВ Праця Світ,UA-1,UA,valid,2027-01-01,https://example.org,2026-11-30",
        "Fair Harvest Agency,IT-5510,IT,banned,,https://example.org,2026-11-30",
    )
    r = c.post(
        "/prevent/licences/import/",
        {"kind": "licence", "title": "Ministry list", "file": SimpleUploadedFile("l.csv", good)},
    )
    assert r.status_code == 302
    assert Licence.objects.count() == 2
    assert AuditEntry.objects.filter(object_type="licence_list", action="create").exists()
    body = c.get("/prevent/licences/", {"q": "Pratsia Svit"}).content.decode()
    assert "ТОВ Праця Світ" in body


def test_registry_warns_about_stale_lists(login_as, demo_world):
    from tests.prevent.prevent_helpers import acting

    from palermo.prevent import services

    user, org = acting("coordinator")
    services.licences_import(
        actor=user,
        organisation=org,
        kind="ethical",
        title="Old IRIS list",
        rows=[
            {
                "name": "Old Recruiter",
                "country": "NP",
                "status": "valid",
                "source": "https://example.org",
                "retrieved_on": "2020-01-01",
            }
        ],
    )
    body = login_as("coordinator").get("/prevent/licences/").content.decode()
    assert "older than 30 days" in body


@pytest.mark.parametrize("name", ["police", "caseworker", "inspector"])
def test_registry_refused_to_others(login_as, demo_world, name):
    assert login_as(name).get("/prevent/licences/").status_code == 403


# --- workbench -----------------------------------------------------------------------------


def test_demo_campaign_is_one_lead_with_highlighted_flags(prevent_demo, login_as):
    c = login_as("police")
    r = c.get("/prevent/")
    assert r.status_code == 200
    lead = max(Lead.objects.all(), key=lambda lead: lead.adverts.count())
    assert lead.adverts.count() == 12
    body = c.get(f"/prevent/leads/{lead.pk}/").content.decode()
    assert '<mark class="flag' in body
    assert "A-fee-uk" in body
    assert "Світ Праці ТОВ" in body  # the agency matched in the registry
    assert AuditEntry.objects.filter(object_type="advert_lead", action="read").exists()


def test_lead_decision_is_kept_on_reimport(prevent_demo, login_as):
    from tests.prevent.prevent_helpers import acting

    from palermo.prevent import services
    from palermo.prevent.advert_input import AdvertIn
    from palermo.prevent.demo import CAMPAIGN

    c = login_as("police")
    lead = max(Lead.objects.all(), key=lambda lead: lead.adverts.count())
    c.post(f"/prevent/leads/{lead.pk}/decide/", {"decision": "monitor", "note": "watch"})
    lead.refresh_from_db()
    assert lead.decision == "monitor"
    user, org = acting("police")
    leads_before = Lead.objects.count()
    batch = services.adverts_import(
        actor=user,
        organisation=org,
        label="again",
        items=[AdvertIn(CAMPAIGN.format(pay=2500, fee=4000, num="555 55 55"), "x")],
    )
    assert batch.new_leads == 0
    assert Lead.objects.count() == leads_before
    lead.refresh_from_db()
    assert lead.decision == "monitor" and lead.adverts.count() == 13


def test_lead_opens_a_referral_with_the_recruitment_method_prefilled(prevent_demo, login_as):
    c = login_as("police")
    lead = max(Lead.objects.all(), key=lambda lead: lead.adverts.count())
    r = c.post(
        f"/prevent/leads/{lead.pk}/refer/",
        {"country_of_recruitment": "UA", "exploitation_form": "labour"},
    )
    assert r.status_code == 302
    lead.refresh_from_db()
    assert lead.decision == "referred"
    ctx = VictimContext.objects.get(case__reference=lead.case_reference)
    assert ctx.methods_of_recruitment == ["ThroughOnlineSocialNetworks"]  # a Viber number
    assert ctx.countries_of_recruitment == ["UA"]
    r = c.post(f"/prevent/leads/{lead.pk}/refer/", {"exploitation_form": "labour"}, follow=True)
    assert "A referral has been opened from this lead." in r.content.decode()
    assert Case.objects.filter(source_ref=f"advert lead {lead.pk}").count() == 1


def test_lead_referral_with_a_bad_country_changes_nothing(prevent_demo, login_as):
    c = login_as("police")
    lead = Lead.objects.first()
    cases = Case.objects.count()
    r = c.post(
        f"/prevent/leads/{lead.pk}/refer/",
        {"country_of_recruitment": "QQ", "exploitation_form": "labour"},
        follow=True,
    )
    assert "ISO 3166-1" in r.content.decode()
    assert Case.objects.count() == cases
    lead.refresh_from_db()
    assert lead.decision != "referred"


def test_a_screener_without_cases_refer_sees_no_referral_button(
    prevent_demo, login_as, monkeypatch
):
    from palermo.core import policy
    from palermo.core.roles import Role
    from palermo.prevent.models import AdvertBatch

    # No demo role screens adverts without `cases.refer` (the online analyst and the
    # investigator both may refer): take it from the online analyst for this test.
    monkeypatch.setitem(
        policy.ROLE_PERMISSIONS,
        Role.ONLINE_ANALYST,
        policy.ROLE_PERMISSIONS[Role.ONLINE_ANALYST] - {policy.Perm.REFER},
    )
    c = login_as("online")
    r = c.post(
        "/prevent/adverts/import/",
        {"label": "pasted", "fmt": "text", "pasted": "Urgent! No experience needed.\n\nSecond ad."},
    )
    assert r.status_code == 302
    assert AdvertBatch.objects.filter(label="pasted").exists()
    lead = Lead.objects.filter(
        organisation__name=AdvertBatch.objects.get(label="pasted").organisation.name
    ).first()
    body = c.get(f"/prevent/leads/{lead.pk}/").content.decode()
    assert "Open a referral" not in body
    cases = Case.objects.count()
    c.post(f"/prevent/leads/{lead.pk}/refer/", {"exploitation_form": "labour"})
    assert Case.objects.count() == cases


def test_leads_of_another_organisation_are_not_found(prevent_demo, login_as):
    lead = Lead.objects.first()  # the police's
    c = login_as("fiu")  # screens adverts too, at another organisation
    assert c.get(f"/prevent/leads/{lead.pk}/").status_code == 404


def test_advert_import_bad_input(login_as, demo_world):
    c = login_as("police")
    r = c.post(
        "/prevent/adverts/import/",
        {
            "label": "b",
            "fmt": "jsonl",
            "file": SimpleUploadedFile("a.jsonl", b'{"text": "ok"}\nnot json\n'),
        },
    )
    assert r.status_code == 422 and "Line 2 is not JSON." in r.content.decode()
    r = c.post(
        "/prevent/adverts/import/",
        {"label": "b", "fmt": "csv", "file": SimpleUploadedFile("a.csv", b"\x00\x00binary")},
    )
    assert r.status_code == 422 and "binary file" in r.content.decode()
    assert Advert.objects.count() == 0


@pytest.mark.parametrize("name", ["caseworker", "inspector", "admin"])
def test_workbench_refused_to_others(login_as, demo_world, name):
    assert login_as(name).get("/prevent/").status_code == 403


# --- API ---------------------------------------------------------------------------------------


def test_api_screens_without_storing_and_imports_into_leads(client, prevent_demo, api_token):
    token = api_token("police")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    before = _row_counts()
    r = client.post(
        "/api/v1/prevent/adverts/screen",
        {"adverts": [{"text": "Urgent! No experience needed. Write on WhatsApp.", "ref": "a"}]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert {f["indicator"] for f in body[0]["flags"]} == {"urgency", "no_experience", "messenger"}
    assert all(f["sources"] for f in body[0]["flags"])
    assert _row_counts()["adverts"] == before["adverts"]
    r = client.post(
        "/api/v1/prevent/adverts/import",
        {"label": "api", "adverts": [{"text": "Registration fee 300 EUR, tourist visa."}]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201 and r.json()["new_leads"] == 1
    lead_id = max(lead["id"] for lead in client.get("/api/v1/prevent/leads", **auth).json())
    r = client.post(
        f"/api/v1/prevent/leads/{lead_id}/decision",
        {"decision": "platform"},
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 200 and r.json()["decision"] == "platform"


def test_api_refuses_nul_and_the_wrong_role(client, prevent_demo, api_token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('police')}"}
    r = client.post(
        "/api/v1/prevent/adverts/screen",
        {"adverts": [{"text": "a\u0000b"}]},
        content_type="application/json",
        **auth,
    )
    assert r.status_code in (400, 422)
    r = client.get("/api/v1/prevent/leads", HTTP_AUTHORIZATION=f"Bearer {api_token('caseworker')}")
    assert r.status_code == 403
    r = client.get(
        "/api/v1/prevent/licences/lookup",
        {"name": "Svit Pratsi"},
        HTTP_AUTHORIZATION=f"Bearer {api_token('coordinator')}",
    )
    assert r.status_code == 200 and r.json()[0]["status"] == "suspended"
