"""Labour recruiter ↔ site links with their provenance: entered by hand (with what says so) or
imported (file, SHA-256, row); a supplier not marked as a recruiter is refused; a file with
any error imports nothing; the analyst reads, others are refused."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from palermo.core.errors import InvalidInput
from palermo.core.models import AuditEntry, User
from palermo.supply import recruiters
from palermo.supply.models import RecruiterLink, Site, Supplier

HEADER = "recruiter_company_id,os_id,evidence,workers"


def _file(*rows: str) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode()


def test_the_file_check_names_every_error_by_row_and_field():
    from tests.supply.supply_helpers import site_id

    known = site_id()
    bad_check = known[:-1] + ("A" if known[-1] != "A" else "B")
    out = recruiters.preview_links(
        _file(
            f"REC-1,{known},Disclosure 2026,12",
            f"DEMO-0001,{known},Disclosure,",
            f"NOPE,{bad_check},,many",
            f"REC-1,{known},Again,",
        ),
        "l.csv",
        recruiters={"REC-1"},
        suppliers={"REC-1", "DEMO-0001"},
        sites={known},
    )
    assert not out.ok and out.rows == []
    got = [(e.row, e.field) for e in out.errors]
    assert got == [
        (3, "recruiter_company_id"),
        (4, "evidence"),
        (4, "os_id"),
        (4, "workers"),
        (5, "os_id"),
    ]
    assert "not marked as a labour recruiter" in out.errors[0].message
    assert "row 2" in out.errors[-1].message


@pytest.fixture
def recruiter(supply_demo):
    from palermo.supply import services

    officer = User.objects.get(username="procurement")
    office = officer.organisations()[0]
    rec = services.supplier_save(
        actor=officer,
        organisation=office,
        data={
            "name": "Fair Hands Agency (fictional)",
            "company_id": "REC-1",
            "country": "XB",
            "is_recruiter": True,
        },
    )
    return officer, office, rec


def test_a_link_keeps_who_when_and_what_says_so(recruiter):
    from palermo.supply import services

    officer, office, rec = recruiter
    site = Site.objects.filter(organisation=office).first()
    plain = Supplier.objects.get(company_id="DEMO-0001")
    with pytest.raises(InvalidInput) as exc:
        services.recruiter_link_set(
            actor=officer, organisation=office, recruiter=plain, site=site, evidence="x"
        )
    assert exc.value.errors[0].field == "recruiter"
    with pytest.raises(InvalidInput):
        services.recruiter_link_set(
            actor=officer, organisation=office, recruiter=rec, site=site, evidence="  "
        )
    assert not RecruiterLink.objects.exists()
    link = services.recruiter_link_set(
        actor=officer,
        organisation=office,
        recruiter=rec,
        site=site,
        evidence="Supplier's disclosure of 2026-02-01",
        workers=40,
    )
    assert (link.source, link.recorded_by, link.batch) == ("manual", officer, None)
    assert AuditEntry.objects.filter(object_type="supply.recruiter_link", action="create").exists()


def test_pages_import_and_roles(recruiter, login_as):
    _officer, office, rec = recruiter
    site = Site.objects.filter(organisation=office).exclude(os_id="").first()
    c = login_as("procurement")
    assert c.get("/supply/recruiters/").status_code == 200
    r = c.post("/supply/recruiters/", {"recruiter": rec.pk, "site": site.pk, "evidence": ""})
    assert r.status_code == 400 and not RecruiterLink.objects.exists()
    bad = _file(f"REC-1,{site.os_id},Audit 2026,3", f"DEMO-0001,{site.os_id},Audit,")
    r = c.post("/supply/recruiters/import/", {"file": SimpleUploadedFile("l.csv", bad)})
    body = r.content.decode()
    assert r.status_code == 400 and "not marked as a labour recruiter" in body
    assert not RecruiterLink.objects.exists()
    good = _file(f"REC-1,{site.os_id},Buyer audit 2026,3")
    r = c.post("/supply/recruiters/import/", {"file": SimpleUploadedFile("l.csv", good)})
    page = r.content.decode()
    assert r.status_code == 200 and "Import preview" in page and "Fair Hands Agency" in page
    assert not RecruiterLink.objects.exists()  # the preview saves nothing
    r = c.post("/supply/recruiters/import/confirm/")
    assert r.status_code == 302
    assert c.post("/supply/recruiters/import/confirm/").status_code == 302  # nothing held now
    link = RecruiterLink.objects.get()
    assert (link.source, link.row, link.workers) == ("import", 2, 3)
    assert (
        link.batch is not None and link.batch.kind == "recruiters" and len(link.batch.sha256) == 64
    )
    page = c.get(f"/supply/suppliers/{rec.pk}/").content.decode()
    assert site.name in page and "Buyer audit 2026" in page and "row 2" in page
    owner = site.supplier
    if owner is not None:
        assert "Fair Hands Agency" in c.get(f"/supply/suppliers/{owner.pk}/").content.decode()
    d = login_as("diligence")
    assert d.get("/supply/recruiters/").status_code == 200
    assert d.post("/supply/recruiters/", {"recruiter": rec.pk}).status_code == 403
    assert d.post(f"/supply/recruiters/{link.pk}/delete/").status_code == 403
    assert login_as("caseworker").get("/supply/recruiters/").status_code == 403
    c = login_as("procurement")
    assert c.post(f"/supply/recruiters/{link.pk}/delete/").status_code == 302
    assert not RecruiterLink.objects.exists()


def test_api_links(recruiter, client, api_token):
    _officer, office, rec = recruiter
    site = Site.objects.filter(organisation=office).exclude(os_id="").first()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('procurement')}"}
    body = {"recruiter_id": rec.pk, "site_id": site.pk, "evidence": "Disclosure", "workers": 5}
    r = client.post(
        "/api/v1/supply/recruiter-links", json.dumps(body), content_type="application/json", **auth
    )
    assert r.status_code == 201, r.content
    assert r.json()["recorded_by"] == "procurement" and r.json()["source"] == "manual"
    plain = Supplier.objects.get(company_id="DEMO-0001")
    r = client.post(
        "/api/v1/supply/recruiter-links",
        json.dumps({**body, "recruiter_id": plain.pk}),
        content_type="application/json",
        **auth,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "recruiter"
    r = client.post(
        "/api/v1/supply/recruiter-links/import",
        {
            "file": SimpleUploadedFile("l.csv", _file(f"REC-1,{site.os_id},File,x")),
            "dry_run": "true",
        },
        **auth,
    )
    assert r.status_code == 422 and "row 2" in r.json()["errors"][0]["field"]
    reader = {"HTTP_AUTHORIZATION": f"Bearer {api_token('diligence')}"}
    links = client.get("/api/v1/supply/recruiter-links", **reader).json()
    assert [link["recruiter_company_id"] for link in links] == ["REC-1"]
    r = client.post(
        "/api/v1/supply/recruiter-links",
        json.dumps(body),
        content_type="application/json",
        **reader,
    )
    assert r.status_code == 403
