"""Issue 18's due-diligence additions through the web, the API and the CLI: the demo's
high-risk tender walked through measures (a)–(g) and the lifecycle gates, model clauses,
the evidence pack as PDF, the draft statement, and a competent authority's information
pack. Per role: the procurement officer manages, the analyst reads, others are refused."""

from __future__ import annotations

import html as htmllib
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from typer.testing import CliRunner

from palermo.core.models import AuditEntry
from palermo.supply import clauses, vocabulary
from palermo.supply.models import (
    Contract,
    ContractClause,
    InformationRequest,
    InspectionReferral,
    MeasureRecord,
    Site,
    Supplier,
)

TENDER = "MPW-2026-014"


def pdf_text(data: bytes) -> str:
    """The text of a PDF, read back with pypdf, its lines joined (wrapped text reads whole)."""
    from pypdf import PdfReader

    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() or "" for page in pages).split())


def _tender() -> Contract:
    return Contract.objects.get(reference=TENDER)


def _record(c, contract, code, outcome="met", file=None):
    data = {f"{code}-outcome": outcome, f"{code}-note": f"Checked for ({code})."}
    if file is not None:
        data[f"{code}-evidence"] = SimpleUploadedFile(f"evidence-{code}.txt", file)
    r = c.post(f"/supply/contracts/{contract.pk}/measures/{code}/", data)
    assert r.status_code == 302, r.content.decode()[:2000]


def _advance(c, contract, stage):
    return c.post(f"/supply/contracts/{contract.pk}/stage/", {"stage": stage})


def test_newcomer_walks_the_high_risk_tender_through_a_to_g(supply_demo, login_as):
    c = login_as("procurement")
    tender = _tender()
    # The demo: (a) and (b) recorded, six clauses attached, the tender at selection.
    assert tender.stage == "selection"
    listing = c.get("/supply/contracts/").content.decode()
    assert "<td>Selection</td>" in listing and "<td>Need</td>" in listing
    page = c.get(f"/supply/contracts/{tender.pk}/").content.decode()
    assert "Employer pays recruitment fees" in page
    assert "Cannot move to Award until these measures are recorded: (c)." in page
    # The gate refuses award while (c) is missing; nothing changes, nothing is audited.
    before = AuditEntry.objects.filter(object_type="supply.contract_stage").count()
    r = _advance(c, tender, "award")
    assert r.status_code == 400
    assert "Cannot move to Award until these measures are recorded: (c)." in r.content.decode()
    tender.refresh_from_db()
    assert tender.stage == "selection"
    assert AuditEntry.objects.filter(object_type="supply.contract_stage").count() == before
    _record(c, tender, "c", file=b"name,address\nNorthwind plant,1 Industrial Road\n")
    assert _advance(c, tender, "award").status_code == 302
    # (d) not met blocks the contract stage, naming it.
    _record(c, tender, "d", outcome="not_met")
    r = _advance(c, tender, "contract")
    assert r.status_code == 400 and "while these measures are not met: (d)" in r.content.decode()
    _record(c, tender, "d")
    assert _advance(c, tender, "contract").status_code == 302
    r = _advance(c, tender, "management")  # (e) and (f) are contract-stage measures
    assert r.status_code == 400 and "(e), (f)" in r.content.decode()
    _record(c, tender, "e", file=b"due diligence plan\n")
    _record(c, tender, "f", file=b"policy\n")
    assert _advance(c, tender, "management").status_code == 302
    assert _advance(c, tender, "award").status_code == 400  # never back
    _record(c, tender, "g")
    assert _advance(c, tender, "termination").status_code == 302
    tender.refresh_from_db()
    assert tender.stage == "termination"
    entries = AuditEntry.objects.filter(
        object_type="supply.contract_stage", object_ref=str(tender.pk)
    )
    assert [e.details["stage"] for e in entries.order_by("id")][-4:] == [
        "award",
        "contract",
        "management",
        "termination",
    ]
    # The evidence pack, HTML and PDF: every measure, every file's SHA-256, the clauses.
    records = {m.code: m for m in MeasureRecord.objects.filter(contract=tender)}
    assert set(records) == set(vocabulary.MEASURES)
    html = htmllib.unescape(c.get(f"/supply/contracts/{tender.pk}/evidence-pack/").content.decode())
    pdf = c.get(f"/supply/contracts/{tender.pk}/evidence-pack.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"]
    text = pdf_text(pdf.content)
    for code, rec in records.items():
        if rec.evidence_sha256:
            assert rec.evidence_sha256 in html and rec.evidence_sha256 in text, code
    assert "(a) Review blacklists" in text and "(g) A mechanism to monitor compliance" in text
    assert "Contract management" in html or "Termination" in html
    for row in ContractClause.objects.filter(contract=tender):
        assert row.title in html and row.title in text
    assert "Termination" in text  # the lifecycle stage
    pack_audit = AuditEntry.objects.filter(
        object_type="supply.evidence_pack", object_ref=str(tender.pk)
    ).order_by("-id")[0]
    assert pack_audit.action == "export" and pack_audit.details["format"] == "pdf"


def test_clauses_attach_once_detach_and_every_change_is_audited(supply_demo, login_as):
    c = login_as("procurement")
    contract = Contract.objects.get(reference="MPW-2026-021")
    assert c.get("/supply/clauses/").status_code == 200
    library = htmllib.unescape(c.get("/supply/clauses/").content.decode())
    for clause in clauses.library().clauses:
        assert clause.title in library
    r = c.post(
        f"/supply/contracts/{contract.pk}/clauses/", {"clause": "no-such-clause"}, follow=True
    )
    assert "No clause with this id in the library." in r.content.decode()
    assert not contract.clauses.exists()
    r = c.post(
        f"/supply/contracts/{contract.pk}/clauses/", {"clause": "contract-preventive-policy"}
    )
    assert r.status_code == 302
    row = contract.clauses.get()
    assert (row.clause_id, row.version, row.measures) == ("contract-preventive-policy", 1, "f")
    r = c.post(
        f"/supply/contracts/{contract.pk}/clauses/",
        {"clause": "contract-preventive-policy"},
        follow=True,
    )
    assert "This clause is attached already." in r.content.decode()
    assert contract.clauses.count() == 1
    page = c.get(f"/supply/contracts/{contract.pk}/").content.decode()
    assert "Preventive policy against trafficking" in page
    assert (
        c.post(
            f"/supply/contracts/{contract.pk}/clauses/contract-preventive-policy/remove/"
        ).status_code
        == 302
    )
    assert not contract.clauses.exists()
    r = c.post(
        f"/supply/contracts/{contract.pk}/clauses/contract-preventive-policy/remove/", follow=True
    )
    assert "This clause is not attached." in r.content.decode()
    actions = list(
        AuditEntry.objects.filter(
            object_type="supply.contract_clause",
            object_ref=f"{contract.pk}:contract-preventive-policy",
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "delete"]


def test_analyst_reads_everything_new_but_changes_nothing(supply_demo, login_as):
    c = login_as("diligence")
    tender = _tender()
    for url in (
        "/supply/clauses/",
        f"/supply/contracts/{tender.pk}/",
        f"/supply/contracts/{tender.pk}/evidence-pack.pdf",
        "/supply/statement/",
        "/supply/statement/draft.txt",
        "/supply/statement/draft.docx",
        "/supply/information-requests/",
    ):
        assert c.get(url).status_code == 200, url
    page = c.get(f"/supply/contracts/{tender.pk}/").content.decode()
    assert "Attach the clause" not in page and "Move to" not in page
    clauses_before = ContractClause.objects.count()
    assert (
        c.post(f"/supply/contracts/{tender.pk}/clauses/", {"clause": "management-remediation"})
    ).status_code == 403
    assert (
        c.post(f"/supply/contracts/{tender.pk}/clauses/selection-exclusion/remove/")
    ).status_code == 403
    assert _advance(c, tender, "specification").status_code == 403
    supplier = tender.supplier
    r = c.post(
        "/supply/information-requests/",
        {
            "authority": "X",
            "received_on": "2026-01-02",
            "supplier": supplier.pk,
            "question": "Q",
        },
    )
    assert r.status_code == 403
    assert ContractClause.objects.count() == clauses_before
    assert not InformationRequest.objects.exists()
    tender.refresh_from_db()
    assert tender.stage == "selection"


@pytest.mark.parametrize("who", ["caseworker", "inspector"])
def test_case_workers_and_inspectors_are_refused(supply_demo, login_as, who):
    c = login_as(who)
    tender = _tender()
    before = AuditEntry.objects.filter(action="refused").count()
    urls = [
        "/supply/clauses/",
        f"/supply/contracts/{tender.pk}/evidence-pack.pdf",
        "/supply/statement/",
        "/supply/statement/draft.docx",
        "/supply/information-requests/",
    ]
    for url in urls:
        assert c.get(url).status_code == 403, url
    assert c.post(f"/supply/contracts/{tender.pk}/clauses/", {"clause": "x"}).status_code == 403
    assert _advance(c, tender, "award").status_code == 403
    assert AuditEntry.objects.filter(action="refused").count() == before + len(urls) + 2


def test_statement_draft_from_the_organisations_records(supply_demo, login_as):
    import docx

    from palermo.core.models import User
    from palermo.supply import services

    # One consenting worker screened after the demo's inspection, through the service.
    inspector = User.objects.get(username="inspector")
    inspection = Site.objects.get(inspections__isnull=False).inspections.get()
    services.inspection_screen_worker(
        actor=inspector,
        organisation=inspector.organisations()[0],
        inspection=inspection,
        consent=True,
    )
    c = login_as("diligence")
    html = c.get("/supply/statement/").content.decode()
    assert "DRAFT" in html and "Due diligence in procurement" in html
    assert "Palermo demo risk list" in html  # the edition in use
    referrals = InspectionReferral.objects.count()
    assert 0 < referrals < 5  # the demo's one consenting worker
    assert "Workers referred for protection after these visits: fewer than 5." in html
    text = c.get("/supply/statement/draft.txt")
    assert text["Content-Type"].startswith("text/plain")
    body = text.content.decode()
    assert "DRAFT" in body and "(a) Review blacklists" in body
    doc = docx.Document(io.BytesIO(c.get("/supply/statement/draft.docx").content))
    paragraphs = "\n".join(p.text for p in doc.paragraphs)
    assert "DRAFT" in paragraphs and "Corrective actions agreed with suppliers" in paragraphs
    assert c.get("/supply/statement/draft.pdf").status_code == 404
    formats = set(
        AuditEntry.objects.filter(object_type="supply.statement", action="export").values_list(
            "details__format", flat=True
        )
    )
    assert formats == {"html", "txt", "docx"}
    # No screening reference, no worker: only counts.
    for ref in InspectionReferral.objects.values_list("screening_reference", flat=True):
        assert ref not in html and ref not in body


def test_information_request_form_errors_then_pack(supply_demo, login_as):
    c = login_as("procurement")
    tender = _tender()
    supplier = tender.supplier
    other_site = Site.objects.exclude(supplier=supplier).exclude(supplier=None).first()
    r = c.post(
        "/supply/information-requests/",
        {"authority": " ", "received_on": "2026-01-01", "supplier": supplier.pk, "question": "Q"},
    )
    assert r.status_code == 400 and "This field is required." in r.content.decode()
    r = c.post(
        "/supply/information-requests/",
        {
            "authority": "Customs (fictional)",
            "received_on": "2999-01-01",
            "supplier": supplier.pk,
            "site": other_site.pk,
            "question": "What do you know of the plant?",
        },
    )
    body = r.content.decode()
    assert r.status_code == 400
    assert "A date in the future." in body and "Not a site of this supplier." in body
    assert "What do you know of the plant?" in body  # nothing typed is lost
    assert not InformationRequest.objects.exists()
    r = c.post(
        "/supply/information-requests/",
        {
            "authority": "Market surveillance authority (fictional)",
            "authority_reference": "FLR-2026-7",
            "received_on": "2026-02-01",
            "due_on": "2026-03-01",
            "supplier": supplier.pk,
            "question": "Sites, risk assessment and due diligence for garments from XA.",
        },
    )
    assert r.status_code == 302
    req = InformationRequest.objects.get()
    pack = c.get(f"/supply/information-requests/{req.pk}/").content.decode()
    for site in Site.objects.filter(supplier=supplier):
        assert site.name in pack
    assert "Palermo demo risk list" in pack  # reasons cite their source
    sha = MeasureRecord.objects.get(contract=tender, code="b").evidence_sha256
    assert sha in pack
    assert "Employer pays recruitment fees" in pack
    pdf = c.get(f"/supply/information-requests/{req.pk}/pack.pdf")
    text = pdf_text(pdf.content)
    assert sha in text and "FLR-2026-7" in text and supplier.company_id in text
    for ref in InspectionReferral.objects.values_list("screening_reference", flat=True):
        assert ref not in pack and ref not in text
    audits = AuditEntry.objects.filter(
        object_type="supply.information_pack", object_ref=str(req.pk)
    )
    assert sorted(audits.values_list("details__format", flat=True)) == ["html", "pdf"]
    assert AuditEntry.objects.filter(
        object_type="supply.information_request", action="create", object_ref=str(req.pk)
    ).exists()
    # Another organisation's user does not see it.
    assert login_as("caseworker").get(f"/supply/information-requests/{req.pk}/").status_code == 403


def test_api_clauses_gates_packs_and_roles(supply_demo, client, api_token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('procurement')}"}
    analyst = {"HTTP_AUTHORIZATION": f"Bearer {api_token('diligence')}"}
    other = {"HTTP_AUTHORIZATION": f"Bearer {api_token('caseworker')}"}
    tender = _tender()
    assert client.get(f"/api/v1/supply/contracts/{tender.pk}", **analyst).json()["stage"] == (
        "selection"
    )
    lib = client.get("/api/v1/supply/clauses", **analyst).json()
    assert {c["id"] for c in lib} == {c.id for c in clauses.library().clauses}
    attached = client.get(f"/api/v1/supply/contracts/{tender.pk}/clauses", **analyst).json()
    assert len(attached) == 6
    post = lambda url, payload, who: client.post(  # noqa: E731
        url, json.dumps(payload), content_type="application/json", **who
    )
    url = f"/api/v1/supply/contracts/{tender.pk}/clauses"
    assert post(url, {"clause_id": "management-remediation"}, analyst).status_code == 403
    assert post(url, {"clause_id": "management-remediation"}, other).status_code == 403
    r = post(url, {"clause_id": "management-remediation"}, auth)
    assert r.status_code == 201 and r.json()["measures"] == ["g"]
    r = post(url, {"clause_id": "management-remediation"}, auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "clause"
    assert client.delete(f"{url}/management-remediation", **auth).status_code == 204
    r = post(f"/api/v1/supply/contracts/{tender.pk}/stage", {"stage": "award"}, auth)
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "stage",
        "message": "Cannot move to Award until these measures are recorded: (c).",
    }
    r = post(f"/api/v1/supply/contracts/{tender.pk}/stage", {"stage": "launch"}, auth)
    assert r.status_code == 422
    r = post(f"/api/v1/supply/contracts/{tender.pk}/stage", {"stage": "award"}, analyst)
    assert r.status_code == 403
    pdf = client.get(f"/api/v1/supply/contracts/{tender.pk}/evidence-pack.pdf", **analyst)
    assert pdf.status_code == 200 and "(b) Require access to audit reports" in pdf_text(pdf.content)
    assert (
        client.get(f"/api/v1/supply/contracts/{tender.pk}/evidence-pack.pdf", **other).status_code
        == 403
    )
    st = client.get("/api/v1/supply/statement", **analyst).json()
    assert st["draft"] is True and st["sections"][0]["heading"].startswith("Draft")
    supplier = tender.supplier
    payload = {
        "authority": "Customs (fictional)",
        "received_on": "2026-02-01",
        "supplier_id": supplier.pk,
        "question": "Goods from site X",
    }
    assert post("/api/v1/supply/information-requests", payload, analyst).status_code == 403
    r = post("/api/v1/supply/information-requests", {**payload, "due_on": "2026-01-01"}, auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "due_on"
    missing = Supplier.objects.order_by("-pk").first().pk + 1000
    r = post("/api/v1/supply/information-requests", {**payload, "supplier_id": missing}, auth)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "supplier"
    assert not InformationRequest.objects.exists()
    r = post("/api/v1/supply/information-requests", payload, auth)
    assert r.status_code == 201
    rid = r.json()["id"]
    pdf = client.get(f"/api/v1/supply/information-requests/{rid}/pack.pdf", **analyst)
    assert pdf.status_code == 200 and supplier.company_id in pdf_text(pdf.content)
    assert (
        client.get(f"/api/v1/supply/information-requests/{rid}/pack.pdf", **other).status_code
        == 403
    )


def test_cli_pack_statement_clauses_advance(supply_demo, tmp_path):
    from palermo.supply.cli import app

    runner = CliRunner()
    out = tmp_path / "pack.pdf"
    r = runner.invoke(app, ["pack", TENDER, "--pdf", str(out), "--as", "diligence"])
    assert r.exit_code == 0, r.output
    sha = MeasureRecord.objects.get(contract=_tender(), code="b").evidence_sha256
    assert sha in pdf_text(out.read_bytes())
    r = runner.invoke(app, ["pack", "NOPE", "--pdf", str(out), "--as", "diligence"])
    assert r.exit_code == 2 and "No contract" in r.output
    r = runner.invoke(app, ["pack", TENDER, "--pdf", str(out), "--as", "caseworker"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["statement", "--as", "diligence"])
    assert r.exit_code == 0 and "DRAFT" in r.output
    docx_file = tmp_path / "s.docx"
    r = runner.invoke(app, ["statement", "--as", "diligence", "--docx", str(docx_file)])
    assert r.exit_code == 0 and docx_file.read_bytes().startswith(b"PK")
    r = runner.invoke(app, ["clauses"])
    assert r.exit_code == 0 and "contract-employer-pays" in r.output
    r = runner.invoke(
        app,
        [
            "clauses",
            "--contract",
            "MPW-2026-021",
            "--attach",
            "contract-preventive-policy",
            "--as",
            "diligence",
        ],
    )
    assert r.exit_code == 2  # the analyst may not
    r = runner.invoke(
        app,
        [
            "clauses",
            "--contract",
            "MPW-2026-021",
            "--attach",
            "contract-preventive-policy",
            "--as",
            "procurement",
        ],
    )
    assert r.exit_code == 0 and Contract.objects.get(reference="MPW-2026-021").clauses.count() == 1
    r = runner.invoke(app, ["advance", TENDER, "award", "--as", "procurement"])
    assert r.exit_code == 1 and "(c)" in r.output
    assert _tender().stage == "selection"
