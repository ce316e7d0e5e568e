"""Supply-chain pages and API, per role: failure paths as hard as happy ones; procurement
never reaches a worker; every change and file read is audited."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from palermo.core.models import AuditEntry
from palermo.supply.models import (
    Contract,
    InspectionReferral,
    MeasureRecord,
    OrderLine,
    Site,
)
from tests.supply.supply_helpers import orders_file, site_id, sites_file

PAGES = [
    "/supply/",
    "/supply/suppliers/",
    "/supply/sites/",
    "/supply/sites/?review=1",
    "/supply/risk/",
    "/supply/orders/",
    "/supply/orders/?level=high",
    "/supply/contracts/",
    "/supply/actions/",
]


@pytest.mark.parametrize("who", ["procurement", "diligence"])
def test_procurement_roles_see_every_page(supply_demo, login_as, who):
    c = login_as(who)
    for url in PAGES:
        assert c.get(url).status_code == 200, url
    contract = Contract.objects.get(reference="MPW-2026-014")
    line = OrderLine.objects.filter(level="high").first()
    (edition,) = line.batch.editions.all()
    for url in (
        f"/supply/contracts/{contract.pk}/",
        f"/supply/contracts/{contract.pk}/evidence-pack/",
        f"/supply/orders/{line.pk}/",
        f"/supply/risk/{edition.pk}/",
    ):
        assert c.get(url).status_code == 200, url
    body = c.get(f"/supply/orders/{line.pk}/").content.decode()
    assert "Palermo demo risk list" in body  # every reason cites its source


@pytest.mark.parametrize("who", ["caseworker", "inspector", "admin", "coordinator"])
def test_others_are_refused_the_procurement_pages_and_audited(supply_demo, login_as, who):
    c = login_as(who)
    before = AuditEntry.objects.filter(action="refused").count()
    for url in PAGES[:3]:
        assert c.get(url).status_code == 403, url
    assert AuditEntry.objects.filter(action="refused").count() == before + 3


def test_procurement_cannot_reach_inspections_or_screenings(supply_demo, login_as):
    c = login_as("procurement")
    inspection = Site.objects.get(inspections__isnull=False).inspections.get()
    assert c.get("/supply/inspections/").status_code == 403
    assert c.get(f"/supply/inspections/{inspection.pk}/").status_code == 403
    assert c.get("/screening/").status_code in (403, 404)
    assert c.get("/cases/").status_code in (403, 404)


def test_analyst_reads_but_cannot_change(supply_demo, login_as):
    c = login_as("diligence")
    contract = Contract.objects.get(reference="MPW-2026-014")
    r = c.post(
        f"/supply/contracts/{contract.pk}/measures/c/",
        {"c-outcome": "met", "c-note": "x"},
    )
    assert r.status_code == 403
    assert (
        c.post(
            "/supply/contracts/", {"reference": "X", "title": "Y", "risk_level": "low"}
        ).status_code
        == 403
    )
    assert c.get("/supply/sites/import/").status_code == 403
    assert not MeasureRecord.objects.filter(contract=contract, code="c").exists()


def test_site_import_preview_errors_then_confirm(supply_demo, login_as):
    c = login_as("procurement")
    before = Site.objects.count()
    bad = sites_file(
        f"{site_id('XA', 200)},New Mill,5 Road,XA,,,,,,",
        "IN2019067X1K87E,Bad Mill,6 Road,QQ,,,,,,",
    )
    r = c.post("/supply/sites/import/", {"file": SimpleUploadedFile("s.csv", bad)})
    assert r.status_code == 400
    body = r.content.decode()
    assert "nothing was imported" in body and "does not match" in body and "Unknown country" in body
    assert c.post("/supply/sites/import/confirm/").status_code == 302  # nothing held
    assert Site.objects.count() == before
    good = sites_file(f"{site_id('XA', 200)},New Mill,5 Road,XA,,,,,,")
    r = c.post("/supply/sites/import/", {"file": SimpleUploadedFile("s.csv", good)})
    assert r.status_code == 200 and "New site" in r.content.decode()
    r = c.post("/supply/sites/import/confirm/")
    assert r.status_code == 302 and Site.objects.count() == before + 1
    export = c.get("/supply/sites/export.csv")
    assert site_id("XA", 200) in export.content.decode()
    assert AuditEntry.objects.filter(object_type="supply.sites", action="export").exists()


def test_order_screening_preview_and_confirm(supply_demo, login_as):
    c = login_as("procurement")
    before = OrderLine.objects.count()
    r = c.post(
        "/supply/orders/import/",
        {"file": SimpleUploadedFile("o.csv", orders_file("PO-X,1,Acme,,XA,Cotton,,-5,,"))},
    )
    assert r.status_code == 400 and "cannot be negative" in r.content.decode()
    r = c.post(
        "/supply/orders/import/",
        {"file": SimpleUploadedFile("o.csv", orders_file("PO-X,1,Acme,,XA,Cotton,,5,,"))},
    )
    assert r.status_code == 200 and "Medium" in r.content.decode()
    assert c.post("/supply/orders/import/confirm/").status_code == 302
    assert OrderLine.objects.count() == before + 1


def test_measure_needs_evidence_beside_the_field(supply_demo, login_as):
    c = login_as("procurement")
    contract = Contract.objects.get(reference="MPW-2026-014")
    r = c.post(
        f"/supply/contracts/{contract.pk}/measures/c/",
        {"c-outcome": "met", "c-note": "Factory list received"},
    )
    assert r.status_code == 400 and "needs a file as evidence" in r.content.decode()
    r = c.post(
        f"/supply/contracts/{contract.pk}/measures/c/",
        {
            "c-outcome": "met",
            "c-note": "Factory list received",
            "c-evidence": SimpleUploadedFile("factories.csv", b"name,address\nA,B\n"),
        },
    )
    assert r.status_code == 302
    record = MeasureRecord.objects.get(contract=contract, code="c")
    pack = c.get(f"/supply/contracts/{contract.pk}/evidence-pack/?download=1")
    assert record.evidence_sha256 in pack.content.decode()
    assert "attachment" in pack["Content-Disposition"]
    download = c.get(f"/supply/contracts/{contract.pk}/evidence/c/")
    assert download.content == b"name,address\nA,B\n"
    assert AuditEntry.objects.filter(object_type="supply.measure_evidence", action="read").exists()
    assert c.get(f"/supply/contracts/{contract.pk}/evidence/d/").status_code == 404


def test_inspector_screens_a_consenting_worker(supply_demo, login_as):
    c = login_as("inspector")
    assert c.get("/supply/inspections/").status_code == 200
    inspection = Site.objects.get(inspections__isnull=False).inspections.get()
    url = f"/supply/inspections/{inspection.pk}/"
    assert c.get(url).status_code == 200
    r = c.post(url, {})
    assert r.status_code == 400 and "informed consent" in r.content.decode()
    assert not InspectionReferral.objects.exists()
    r = c.post(url, {"consent": "on"})
    link = InspectionReferral.objects.get()
    assert r.status_code == 302 and link.screening_reference in r["Location"]
    assert AuditEntry.objects.filter(object_type="supply.inspection_referral").exists()
    assert c.get(r["Location"], follow=True).status_code == 200  # the screening, for the inspector
    # The procurement office sees a protected count, never the reference.
    p = login_as("procurement")
    body = p.get("/supply/").content.decode()
    assert link.screening_reference not in body and "fewer than 5" in body


def test_ngo_screener_cannot_record_inspections(supply_demo, login_as):
    c = login_as("outreach")
    assert c.get("/supply/inspections/").status_code == 403


def test_api_screen_and_roles(supply_demo, client, api_token):
    token = api_token("procurement")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    payload = {
        "lines": [
            {
                "order_ref": "A",
                "supplier_name": "Acme",
                "origin_country": "XB",
                "good": "Bricks",
                "value": "10",
                "characteristics": ["workforce"],
            }
        ]
    }
    before = OrderLine.objects.count()
    r = client.post(
        "/api/v1/supply/screen", json.dumps(payload), content_type="application/json", **auth
    )
    assert r.status_code == 200, r.content
    line = r.json()["lines"][0]
    assert line["level"] == "high" and line["reasons"][0]["source"].endswith("row 4")
    assert OrderLine.objects.count() == before  # nothing kept
    payload["lines"][0]["value"] = "-1"
    r = client.post(
        "/api/v1/supply/screen", json.dumps(payload), content_type="application/json", **auth
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines[0].value"
    assert client.get("/api/v1/supply/orders?level=high", **auth).status_code == 200
    contract = Contract.objects.get(reference="MPW-2026-014")
    body = client.get(f"/api/v1/supply/contracts/{contract.pk}", **auth).json()
    assert [m["code"] for m in body["measures"] if m["outcome"]] == ["a", "b"]
    other = {"HTTP_AUTHORIZATION": f"Bearer {api_token('caseworker')}"}
    assert client.get("/api/v1/supply/sites", **other).status_code == 403
    r = client.post(
        "/api/v1/supply/orders/import",
        {"file": SimpleUploadedFile("o.csv", orders_file("PO-Y,1,Acme,,ZZ,,,5,,"))},
        **auth,
    )
    assert r.status_code == 422 and "row 2" in r.json()["errors"][0]["field"]


def test_findings_import_and_fee_ledger(supply_demo, login_as):
    from palermo.supply.models import CorrectiveAction, FeeRepayment, Supplier

    c = login_as("procurement")
    before = CorrectiveAction.objects.count()
    header = b"supplier_company_id,indicator,finding,description,owner,due_on\n"
    bad = (
        header
        + b"DEMO-0001,debt_bondage,non_compliance,Fees,HR,2026-06-30\nNOPE,isolation,observation,x,HR,2026-06-30\n"
    )
    r = c.post("/supply/actions/findings/", {"file": SimpleUploadedFile("f.csv", bad)})
    assert r.status_code == 400 and "No supplier with this company id" in r.content.decode()
    assert CorrectiveAction.objects.count() == before
    # Nothing held yet: the confirmation imports nothing and says so.
    r = c.post("/supply/actions/findings/confirm/")
    assert r.status_code == 302 and CorrectiveAction.objects.count() == before
    good = header + b"DEMO-0001,debt_bondage,non_compliance,Fees,HR,2026-06-30\n"
    r = c.post("/supply/actions/findings/", {"file": SimpleUploadedFile("f.csv", good)})
    page = r.content.decode()
    assert r.status_code == 200 and "Import preview" in page
    assert "Debt bondage" in page and "Non-compliance" in page and "debt_bondage" not in page
    assert CorrectiveAction.objects.count() == before  # the preview saves nothing
    r = c.post("/supply/actions/findings/confirm/")
    assert r.status_code == 302 and CorrectiveAction.objects.count() == before + 1
    # The held file is used once: a second confirmation imports nothing more.
    c.post("/supply/actions/findings/confirm/")
    assert CorrectiveAction.objects.count() == before + 1
    supplier = Supplier.objects.get(company_id="DEMO-0001")
    form = {
        "supplier": supplier.pk,
        "workers_affected": 12,
        "amount_owed": "3600.00",
        "amount_repaid": "4000.00",
        "currency": "EUR",
    }
    r = c.post("/supply/actions/fees/", form)
    assert r.status_code == 400 and "More repaid than owed" in r.content.decode()
    assert not FeeRepayment.objects.exists()
    r = c.post("/supply/actions/fees/", {**form, "amount_repaid": "1200.00"})
    assert r.status_code == 302 and FeeRepayment.objects.count() == 1
    body = c.get("/supply/actions/").content.decode()
    assert "1,200.00 repaid of 3,600.00 owed to 12 workers" in body
    assert AuditEntry.objects.filter(object_type="supply.fee_repayment").exists()
    d = login_as("diligence")
    assert d.post("/supply/actions/fees/", form).status_code == 403
    assert d.post("/supply/actions/findings/confirm/").status_code == 403
