"""Self-assessment questionnaires and product classifications over HTTP (pages and API): the
officer manages, the analyst reads, others are refused; bad input changes nothing."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from palermo.core.models import AuditEntry
from palermo.supply.models import (
    ClassificationMap,
    CorrectiveAction,
    Crosswalk,
    Questionnaire,
    Supplier,
)


def _supplier(cid: str = "DEMO-0001") -> Supplier:
    return Supplier.objects.get(company_id=cid)


def _send(c, supplier: Supplier) -> Questionnaire:
    r = c.post(f"/supply/suppliers/{supplier.pk}/questionnaires/", {"sent_on": "2026-01-10"})
    assert r.status_code == 302, r.content
    return Questionnaire.objects.filter(supplier=supplier).latest("id")


def test_officer_sends_enters_answers_and_turns_red_flags_into_actions(supply_demo, login_as):
    c = login_as("procurement")
    supplier = _supplier()
    q = _send(c, supplier)
    assert q.answered_at is None and (q.template, q.version) == ("saq-labour", 1)
    assert AuditEntry.objects.filter(object_type="supply.questionnaire", action="create").exists()
    # A second one while the first awaits its answers is refused.
    r = c.post(f"/supply/suppliers/{supplier.pk}/questionnaires/", {}, follow=True)
    assert "still awaits its answers" in r.content.decode()
    assert Questionnaire.objects.filter(supplier=supplier).count() == 1
    page = c.get(f"/supply/questionnaires/{q.pk}/").content.decode()
    assert "recruitment fees" in page and "No answers yet" in page
    # A bad answer: 400, the message beside the field, what was typed kept, nothing saved.
    r = c.post(
        f"/supply/questionnaires/{q.pk}/",
        {"fees_charged": "yes", "overtime_hours": "-3", "remarks": "Peak season"},
    )
    body = r.content.decode()
    assert r.status_code == 400 and "Peak season" in body
    q.refresh_from_db()
    assert q.answered_at is None and q.answers == {}
    r = c.post(
        f"/supply/questionnaires/{q.pk}/",
        {"fees_charged": "yes", "debts": "yes", "free_to_leave": "yes", "overtime_hours": "50"},
    )
    assert r.status_code == 302
    q.refresh_from_db()
    assert (q.red_flags, q.level, q.score) == (2, "high", 4)
    page = c.get(f"/supply/questionnaires/{q.pk}/").content.decode()
    assert "red flag" in page and "Turn the red flags into corrective actions" in page
    # The supplier page and the dashboard show it.
    assert (
        f"/supply/questionnaires/{q.pk}/"
        in c.get(f"/supply/suppliers/{supplier.pk}/").content.decode()
    )
    home = c.get("/supply/").content.decode()
    assert "questionnaires sent" in home and "red flags not yet corrective actions" in home
    # Red flags → corrective actions: an owner and a deadline are required.
    before = CorrectiveAction.objects.count()
    r = c.post(f"/supply/questionnaires/{q.pk}/actions/", {"owner": "", "due_on": "2026-09-30"})
    assert r.status_code == 400 and CorrectiveAction.objects.count() == before
    r = c.post(
        f"/supply/questionnaires/{q.pk}/actions/", {"owner": "Buyer", "due_on": "2026-09-30"}
    )
    assert r.status_code == 302
    made = CorrectiveAction.objects.order_by("-id")[:2]
    assert {a.indicator for a in made} == {"recruitment_fees", "debt_bondage"}
    assert all(a.supplier == supplier and a.finding == "non_compliance" for a in made)
    assert CorrectiveAction.objects.count() == before + 2
    assert "Recruitment fees charged to workers" in c.get("/supply/actions/").content.decode()
    # Done once; the answers are then kept as they were.
    r = c.post(
        f"/supply/questionnaires/{q.pk}/actions/", {"owner": "Buyer", "due_on": "2026-09-30"}
    )
    assert r.status_code == 400 and CorrectiveAction.objects.count() == before + 2
    r = c.post(f"/supply/questionnaires/{q.pk}/", {"fees_charged": "no"})
    assert r.status_code == 400
    q.refresh_from_db()
    assert q.answers["fees_charged"] == "yes"


HEADER = b"question,answer,comment\n"


def test_answers_file_preview_then_import_all_or_nothing(supply_demo, login_as):
    c = login_as("procurement")
    q = _send(c, _supplier("DEMO-0002"))
    bad = HEADER + b"fees_charged,yes,\ndocuments_held,safe,\nnope,yes,\n"
    r = c.post(f"/supply/questionnaires/{q.pk}/import/", {"file": SimpleUploadedFile("a.csv", bad)})
    body = r.content.decode()
    assert r.status_code == 400 and "nothing was imported" in body
    assert "Answer one of: worker, locker, employer." in body
    assert "No such question in this questionnaire." in body
    q.refresh_from_db()
    assert q.answered_at is None
    # Nothing is held after a bad file: confirming imports nothing.
    r = c.post(f"/supply/questionnaires/{q.pk}/import/confirm/")
    q.refresh_from_db()
    assert q.answered_at is None
    good = HEADER + b"fees_charged,no,We pay every cost\ndocuments_held,employer,\n"
    r = c.post(
        f"/supply/questionnaires/{q.pk}/import/", {"file": SimpleUploadedFile("a.xlsx.csv", good)}
    )
    body = r.content.decode()
    assert r.status_code == 200 and "2 answers are ready to import" in body and "red flag" in body
    q.refresh_from_db()
    assert q.answered_at is None  # a preview saves nothing
    r = c.post(f"/supply/questionnaires/{q.pk}/import/confirm/")
    assert r.status_code == 302
    q.refresh_from_db()
    assert q.answers == {"fees_charged": "no", "documents_held": "employer"}
    assert q.comments == {"fees_charged": "We pay every cost"}
    assert q.level == "high" and q.batch is not None and q.batch.kind == "answers"


@pytest.mark.parametrize("who", ["diligence"])
def test_analyst_reads_but_cannot_send_answer_or_act(supply_demo, login_as, who):
    q = Questionnaire.objects.get()  # the demo's
    c = login_as(who)
    assert c.get("/supply/questionnaires/").status_code == 200
    page = c.get(f"/supply/questionnaires/{q.pk}/")
    assert page.status_code == 200 and "Save the answers" not in page.content.decode()
    before = AuditEntry.objects.filter(action="refused").count()
    s = _supplier()
    assert c.post(f"/supply/suppliers/{s.pk}/questionnaires/", {}).status_code == 403
    assert c.post(f"/supply/questionnaires/{q.pk}/", {"fees_charged": "yes"}).status_code == 403
    assert (
        c.post(
            f"/supply/questionnaires/{q.pk}/actions/", {"owner": "x", "due_on": "2026-09-30"}
        ).status_code
        == 403
    )
    assert c.post("/supply/risk/codes/", {"code": "cpv:18100000-0", "hs": "61"}).status_code == 403
    assert c.post("/supply/risk/crosswalk/defaults/").status_code == 403
    assert AuditEntry.objects.filter(action="refused").count() == before + 5
    q.refresh_from_db()
    assert "fees_charged" not in q.answers or q.answers["fees_charged"] == "no"


@pytest.mark.parametrize("who", ["caseworker", "inspector"])
def test_others_are_refused_questionnaires(supply_demo, login_as, who):
    q = Questionnaire.objects.get()
    c = login_as(who)
    assert c.get("/supply/questionnaires/").status_code == 403
    assert c.get(f"/supply/questionnaires/{q.pk}/").status_code == 403


def test_code_map_on_the_risk_page(supply_demo, login_as):
    c = login_as("procurement")
    r = c.post("/supply/risk/codes/", {"code": "cpv:1810000-0", "hs": "6109"})
    body = r.content.decode()
    assert r.status_code == 400 and "8 digits, a dash and a check digit" in body
    assert "cpv:1810000-0" in body  # what was typed is kept
    assert not ClassificationMap.objects.filter(given="cpv:1810000-0").exists()
    r = c.post("/supply/risk/codes/", {"code": "unspsc:53100000", "hs": "6109"})
    assert r.status_code == 302
    page = c.get("/supply/risk/").content.decode()
    assert "unspsc:5310" in page and "hs:6109" in page
    item = ClassificationMap.objects.get(code="unspsc:5310")
    assert c.post(f"/supply/risk/codes/{item.pk}/delete/").status_code == 302
    assert not ClassificationMap.objects.filter(pk=item.pk).exists()
    Crosswalk.objects.filter(code="hs:52").delete()
    assert c.post("/supply/risk/crosswalk/defaults/").status_code == 302
    assert Crosswalk.objects.filter(code="hs:52", good="Cotton").exists()


def test_api_questionnaires_and_code_map(supply_demo, client, api_token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('procurement')}"}
    t = client.get("/api/v1/supply/questionnaire-template", **auth).json()
    assert t["rule"] == "supply-saq-1" and any(q["id"] == "fees_charged" for q in t["questions"])
    s = _supplier("DEMO-0002")
    r = client.post(
        "/api/v1/supply/questionnaires",
        json.dumps({"supplier_id": s.pk}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201, r.content
    qid = r.json()["id"]
    r = client.post(
        f"/api/v1/supply/questionnaires/{qid}/answers",
        json.dumps({"answers": {"free_to_leave": "perhaps"}}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "free_to_leave"
    r = client.post(
        f"/api/v1/supply/questionnaires/{qid}/import",
        {"file": SimpleUploadedFile("a.csv", HEADER + b"free_to_leave,no,\n"), "dry_run": "true"},
        **auth,
    )
    assert r.status_code == 200 and r.json()["level"] == "high" and not r.json()["answered"]
    r = client.post(
        f"/api/v1/supply/questionnaires/{qid}/answers",
        json.dumps({"answers": {"free_to_leave": "no"}, "comments": {"free_to_leave": "curfew"}}),
        content_type="application/json",
        **auth,
    )
    out = r.json()
    assert r.status_code == 200 and out["red_flags"][0]["indicator"] == "restriction_of_movement"
    r = client.post(
        f"/api/v1/supply/questionnaires/{qid}/actions",
        json.dumps({"owner": "Buyer", "due_on": "2026-10-01"}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 201 and r.json() == {"created": 1}
    r = client.post(
        "/api/v1/supply/code-map",
        json.dumps({"code": "cpv:18100000", "hs": "61"}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "code"
    assert client.post("/api/v1/supply/crosswalk/defaults", **auth).json()["added"] == 0
    reader = {"HTTP_AUTHORIZATION": f"Bearer {api_token('diligence')}"}
    assert client.get(f"/api/v1/supply/questionnaires/{qid}", **reader).status_code == 200
    assert client.get("/api/v1/supply/code-map", **reader).status_code == 200
    r = client.post(
        "/api/v1/supply/questionnaires",
        json.dumps({"supplier_id": s.pk}),
        content_type="application/json",
        **reader,
    )
    assert r.status_code == 403
    other = {"HTTP_AUTHORIZATION": f"Bearer {api_token('caseworker')}"}
    assert client.get("/api/v1/supply/questionnaires", **other).status_code == 403
