"""Suppliers and contracts as a whole, through the demo procurement office: the supplier and
contract pages, the prioritised list, the API and `palermo supply rank`; who may read them,
the refusals audited, and the result following the facts (a new corrective action, evidence)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from palermo.core.models import AuditEntry, Membership, Organisation, Role, User
from palermo.supply import portfolio_selectors
from palermo.supply.cli import app
from palermo.supply.models import Contract, CorrectiveAction, OrderLine, Supplier

runner = CliRunner()


def _reads(object_type: str) -> int:
    return AuditEntry.objects.filter(action="read", object_type=object_type).count()


def test_supplier_page_shows_the_risk_as_a_whole_with_sourced_reasons(supply_demo, login_as):
    c = login_as("procurement")
    supplier = Supplier.objects.get(company_id="DEMO-0001")
    worst = OrderLine.objects.filter(supplier=supplier).order_by("-exposure", "ref")
    assert worst.exists()
    before = _reads("supply.supplier_risk")
    page = c.get(f"/supply/suppliers/{supplier.pk}/").content.decode()
    assert "Risk as a whole" in page and "The worst screened line is" in page
    assert "Purchase-order line" in page  # the source named in words, then the line's reference
    assessment = portfolio_selectors.supplier_risk(supplier)
    assert assessment.reasons[0].source in page
    assert f"level-{assessment.level}" in page
    assert _reads("supply.supplier_risk") == before + 1
    entry = AuditEntry.objects.filter(object_type="supply.supplier_risk").order_by("-id").first()
    assert entry.object_ref == str(supplier.pk)  # an id, never the name


def test_contract_page_compares_the_whole_with_the_chosen_level(supply_demo, login_as):
    c = login_as("diligence")
    contract = Contract.objects.get(reference="MPW-2026-021")  # chosen low
    whole, suppliers = portfolio_selectors.contract_risk(contract)
    page = c.get(f"/supply/contracts/{contract.pk}/").content.decode()
    assert "Risk as a whole" in page and "The level chosen for this contract: Low." in page
    assert suppliers and suppliers[0][0].name in page
    if whole.level != "low":
        assert "The chosen level is lower than the risk as a whole" in page
    # Raise the risk: an open, overdue corrective action on its supplier.
    supplier = contract.supplier
    for i in range(3):
        CorrectiveAction.objects.create(
            supplier=supplier,
            indicator="excessive_overtime",
            finding="non_compliance",
            description="Overtime beyond the legal limit (fictional).",
            owner="Buyer",
            due_on=date.today() - timedelta(days=1 + i),
            created_at=timezone.now(),
        )
    after, _ = portfolio_selectors.contract_risk(contract)
    assert after.rank >= whole.rank and after.score > whole.score
    page = c.get(f"/supply/contracts/{contract.pk}/").content.decode()
    assert f"(score {after.score})" in page
    supplier_page = c.get(f"/supply/suppliers/{supplier.pk}/").content.decode()
    assert "corrective actions are past their deadline" in supplier_page
    assert '<a href="/supply/actions/">Corrective actions</a>' in supplier_page
    # Without its evidence the supplier is high: the officer's "low" is flagged for review.
    Supplier.objects.filter(pk=supplier.pk).update(
        has_policy=False, audit_access=False, sites_disclosed=False
    )
    after, _ = portfolio_selectors.contract_risk(contract)
    assert after.level == "high"
    page = c.get(f"/supply/contracts/{contract.pk}/").content.decode()
    assert "is high risk as a whole" in page
    assert f'<a href="/supply/suppliers/{supplier.pk}/">Supplier record</a>' in page
    assert "The chosen level is lower than the risk as a whole: review it." in page


def test_evidence_lowers_a_supplier_score_never_its_floor(supply_demo):
    supplier = Supplier.objects.get(company_id="DEMO-0001")
    before = portfolio_selectors.supplier_risk(supplier)
    Supplier.objects.filter(pk=supplier.pk).update(
        has_policy=True, audit_access=True, sites_disclosed=True
    )
    supplier.refresh_from_db()
    after = portfolio_selectors.supplier_risk(supplier)
    assert after.rank <= before.rank and after.score <= before.score
    worst = max(
        OrderLine.objects.filter(supplier=supplier).values_list("level", flat=True),
        key=["low", "medium", "high"].index,
    )
    assert after.rank >= ["low", "medium", "high"].index(worst)


def test_the_prioritised_list_sorts_pages_and_audits(supply_demo, login_as):
    c = login_as("procurement")
    ranked = portfolio_selectors.supplier_risks(Supplier.objects.first().organisation)
    ranks = [a.rank for _, a in ranked]
    assert ranks == sorted(ranks, reverse=True)
    before = _reads("supply.supplier_risk")
    r = c.get("/supply/suppliers/risk/")
    body = r.content.decode()
    assert r.status_code == 200 and "Suppliers by priority" in body
    first, last = ranked[0][0].name, ranked[-1][0].name
    assert body.index(first) < body.index(last)
    assert _reads("supply.supplier_risk") == before + 1
    by_name = c.get("/supply/suppliers/risk/?sort=name").content.decode()
    names = sorted((s.name for s, _ in ranked), key=str.casefold)
    assert by_name.index(names[0]) < by_name.index(names[-1])
    # A sort key or page that is not one falls back, never an error.
    assert c.get("/supply/suppliers/risk/?sort=drop%20table").status_code == 200
    assert c.get("/supply/suppliers/risk/?page=999").status_code == 200
    assert c.get("/supply/suppliers/risk/?page=abc").status_code == 200
    # More suppliers than a page: a pager, and page 2 shows the 26th.
    org = ranked[0][0].organisation
    Supplier.objects.bulk_create(
        Supplier(
            organisation=org,
            name=f"Filler {i:02d} (fictional)",
            company_id=f"FILL-{i:02d}",
            country="XA",
            created_at=timezone.now(),
        )
        for i in range(30)
    )
    page1 = c.get("/supply/suppliers/risk/?sort=name").content.decode()
    assert "Page 1 of 2" in page1 and 'rel="next"' in page1 and "sort=name&amp;page=2" in page1
    page2 = c.get("/supply/suppliers/risk/?sort=name&page=2").content.decode()
    assert "Page 2 of 2" in page2 and "<td>26</td>" in page2


def test_the_list_has_an_empty_state(db, client):
    org = Organisation.objects.create(
        name="Empty office (fictional)", org_type="central_government"
    )
    user = User.objects.create_user(username="empty-officer", password="x" * 20)
    Membership.objects.create(user=user, organisation=org, role=Role.PROCUREMENT_OFFICER)
    client.force_login(user)
    body = client.get("/supply/suppliers/risk/").content.decode()
    assert "No supplier yet: add one under Suppliers" in body


@pytest.mark.parametrize("who", ["caseworker", "inspector"])
def test_others_are_refused_and_the_refusal_audited(supply_demo, login_as, who):
    c = login_as(who)
    supplier = Supplier.objects.get(company_id="DEMO-0001")
    contract = Contract.objects.get(reference="MPW-2026-014")
    before = AuditEntry.objects.filter(action="refused").count()
    assert c.get("/supply/suppliers/risk/").status_code == 403
    assert c.get(f"/supply/suppliers/{supplier.pk}/").status_code == 403
    assert c.get(f"/supply/contracts/{contract.pk}/").status_code == 403
    assert AuditEntry.objects.filter(action="refused").count() == before + 3


def test_api_supplier_and_contract_risk(supply_demo, client, api_token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('diligence')}"}
    supplier = Supplier.objects.get(company_id="DEMO-0001")
    contract = Contract.objects.get(reference="MPW-2026-014")
    before = _reads("supply.supplier_risk")
    r = client.get("/api/v1/supply/suppliers/risk?limit=3", **auth)
    assert r.status_code == 200
    data = r.json()
    assert data["count"] == Supplier.objects.filter(organisation=supplier.organisation).count()
    assert [i["position"] for i in data["items"]] == [1, 2, 3]
    levels = ["low", "medium", "high"]
    assert [levels.index(i["level"]) for i in data["items"]] == sorted(
        (levels.index(i["level"]) for i in data["items"]), reverse=True
    )
    r2 = client.get("/api/v1/supply/suppliers/risk?limit=3&offset=3", **auth).json()
    assert r2["items"][0]["position"] == 4
    assert {i["supplier_id"] for i in r2["items"]}.isdisjoint(
        i["supplier_id"] for i in data["items"]
    )
    one = client.get(f"/api/v1/supply/suppliers/{supplier.pk}/risk", **auth).json()
    expected = portfolio_selectors.supplier_risk(supplier)
    assert one["level"] == expected.level and one["score"] == expected.score
    assert one["rule"] == "supply-portfolio-1"
    assert one["reasons"][0]["source_kind"] == "line" and one["reasons"][0]["source"]
    assert sum(x["points"] for x in one["reasons"]) == one["score"]
    # Same facts, same result.
    assert client.get(f"/api/v1/supply/suppliers/{supplier.pk}/risk", **auth).json() == one
    assert _reads("supply.supplier_risk") == before + 4
    c = client.get(f"/api/v1/supply/contracts/{contract.pk}/risk", **auth).json()
    assert c["chosen_level"] == "high" and c["suppliers"][0]["supplier_id"] == supplier.pk
    assert levels.index(c["level"]) >= levels.index(one["level"])
    assert _reads("supply.contract_risk") >= 1


def test_api_failure_paths(supply_demo, client, api_token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('procurement')}"}
    assert client.get("/api/v1/supply/suppliers/999999/risk", **auth).status_code == 404
    assert client.get(f"/api/v1/supply/suppliers/{2**70}/risk", **auth).status_code in (404, 422)
    assert client.get("/api/v1/supply/contracts/999999/risk", **auth).status_code == 404
    assert client.get("/api/v1/supply/suppliers/risk?limit=0", **auth).status_code == 422
    assert client.get("/api/v1/supply/suppliers/risk?offset=-1", **auth).status_code == 422
    assert client.get("/api/v1/supply/suppliers/risk").status_code == 401
    # Another organisation's supplier is not found, not shown.
    other = Organisation.objects.create(
        name="Other office (fictional)", org_type="central_government"
    )
    theirs = Supplier.objects.create(
        organisation=other, name="Theirs", company_id="T-1", country="XA", created_at=timezone.now()
    )
    assert client.get(f"/api/v1/supply/suppliers/{theirs.pk}/risk", **auth).status_code == 404
    refused = {"HTTP_AUTHORIZATION": f"Bearer {api_token('caseworker')}"}
    before = AuditEntry.objects.filter(action="refused").count()
    supplier = Supplier.objects.get(company_id="DEMO-0001")
    assert client.get("/api/v1/supply/suppliers/risk", **refused).status_code == 403
    assert client.get(f"/api/v1/supply/suppliers/{supplier.pk}/risk", **refused).status_code == 403
    contract = Contract.objects.get(reference="MPW-2026-014")
    assert client.get(f"/api/v1/supply/contracts/{contract.pk}/risk", **refused).status_code == 403
    assert AuditEntry.objects.filter(action="refused").count() == before + 3


def test_cli_rank(supply_demo):
    before = _reads("supply.supplier_risk")
    r = runner.invoke(app, ["rank", "--as", "diligence", "--limit", "3", "--reasons"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("1. ") and "\n3. " in r.output and "\n4. " not in r.output
    assert "The worst screened line is" in r.output and "(line: " in r.output
    assert _reads("supply.supplier_risk") == before + 1
    assert runner.invoke(app, ["rank"]).exit_code == 2
    refused = AuditEntry.objects.filter(action="refused").count()
    r = runner.invoke(app, ["rank", "--as", "caseworker"])
    assert r.exit_code == 2 and "may not" in r.output
    assert AuditEntry.objects.filter(action="refused").count() == refused + 1
    assert runner.invoke(app, ["rank", "--as", "procurement", "--limit", "0"]).exit_code == 2
