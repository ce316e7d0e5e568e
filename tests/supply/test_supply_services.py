"""Services of the supply context: all-or-nothing imports, screening kept with its edition,
the measures workflow with evidence, remediation, and the inspection → screening route."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from palermo.core.errors import InvalidInput, NotAllowed
from palermo.core.models import AuditEntry
from palermo.supply import services
from palermo.supply.models import (
    Contract,
    ImportBatch,
    InspectionReferral,
    MeasureRecord,
    OrderLine,
    RiskEdition,
    Site,
    Supplier,
)
from tests.supply.supply_helpers import (
    DOL_ROWS,
    dol_file,
    national_coordinator,
    orders_file,
    site_id,
    sites_file,
)

pytestmark = pytest.mark.django_db


def test_demo_builds_and_screens(supply_demo, persona):
    assert "supply: procurement office" in supply_demo
    officer = persona("procurement")
    office = officer.organisations()[0]
    lines = OrderLine.objects.filter(organisation=office)
    assert lines.count() == 40
    assert set(lines.values_list("level", flat=True)) >= {"high", "low"}
    batches = set(lines.values_list("batch", flat=True))
    assert all(ImportBatch.objects.get(pk=b).editions.count() == 1 for b in batches)
    assert Site.objects.filter(organisation=office, match_status="potential_match").count() == 1
    tender = Contract.objects.get(reference="MPW-2026-014")
    assert set(tender.measures.values_list("code", flat=True)) == {"a", "b"}


@pytest.fixture
def office(new_office):
    return new_office("buyer")


def _edition(rows=DOL_ROWS, edition="2024"):
    user, org = national_coordinator()  # the national lists: the co-ordinator imports them
    return services.risk_import(
        actor=user,
        organisation=org,
        data=dol_file(*rows),
        name="dol.csv",
        info=services.EditionInfo(
            "US DOL test fixture", edition, "public domain", date(2026, 1, 2)
        ),
    )


def test_sites_import_is_all_or_nothing_and_audited(office):
    user, org = office
    bad = sites_file(
        f"{site_id()},Alpha Mill,1 Road,AD,,,Apparel,100,Shirts,",
        "IN2019067X1K87E,Beta Mill,2 Road,AD,,,,,,",
    )
    result = services.sites_import(actor=user, organisation=org, data=bad, name="s.csv")
    assert not result.preview.ok and Site.objects.count() == 0
    assert AuditEntry.objects.filter(
        object_type="supply.site_import", object_ref="rejected"
    ).exists()
    good = sites_file(
        f"{site_id()},Alpha Mill,1 Road,AD,,,Apparel,100,Shirts,",
        ",Alpha Mill Ltd,1 Road,AD,,,Apparel,,,",
        ",Omega Bricks,9 Lane,AD,,,,,,",
    )
    result = services.sites_import(actor=user, organisation=org, data=good, name="s.csv")
    assert result.preview.ok
    assert [m.status for m in result.matches] == ["new", "matched", "new"]
    assert Site.objects.filter(organisation=org).count() == 2
    alpha = Site.objects.get(os_id=site_id())
    assert alpha.sources.count() == 2  # the second row is a second source of the same site
    again = services.sites_import(
        actor=user,
        organisation=org,
        data=sites_file(",Omega Brick,9 Lane West,AD,,,,,,"),
        name="t.csv",
    )
    assert [m.status for m in again.matches] == ["potential_match"]
    queued = Site.objects.get(match_status="potential_match")
    kept = services.site_review(actor=user, organisation=org, site=queued, same=True)
    assert kept.name == "Omega Bricks" and kept.sources.count() == 2
    assert not Site.objects.filter(match_status="potential_match").exists()


def test_site_with_unknown_supplier_is_refused(office):
    user, org = office
    result = services.sites_import(
        actor=user,
        organisation=org,
        data=sites_file(",Alpha,1 Road,AD,,,,,,NOPE-1"),
        name="s.csv",
    )
    assert [(e.row, e.field) for e in result.preview.errors] == [(2, "supplier_company_id")]


def test_risk_edition_keeps_old_screenings_reproducible(office):
    user, org = office
    _edition()
    first = RiskEdition.objects.get()
    services.supplier_save(
        actor=user, organisation=org, data={"name": "Acme", "company_id": "A1", "country": "AD"}
    )
    services.orders_import(
        actor=user,
        organisation=org,
        data=orders_file("PO-1,1,Acme,A1,AD,Cotton,,500,,"),
        name="po.csv",
    )
    line = OrderLine.objects.get()
    assert line.level == "medium" and list(line.batch.editions.all()) == [first]
    assert line.result["reasons"][0]["source"] == "US DOL test fixture, 2024, row 2"
    # A new edition drops cotton from AD: new orders screen low, the old line keeps its edition.
    _edition(rows=DOL_ROWS[1:], edition="2026")
    second = RiskEdition.objects.get(is_current=True)
    assert second != first and not RiskEdition.objects.get(pk=first.pk).is_current
    services.orders_import(
        actor=user,
        organisation=org,
        data=orders_file("PO-2,1,Acme,A1,AD,Cotton,,500,,"),
        name="po2.csv",
    )
    assert OrderLine.objects.get(ref="PO-2/1").level == "low"
    old = OrderLine.objects.get(ref="PO-1/1")
    assert old.level == "medium" and list(old.batch.editions.all()) == [first]
    from palermo.supply import selectors

    d = selectors.edition_diff(first, second)
    assert [(c.country_code, c.good, c.kind) for c in d.removed] == [
        ("AD", "Cotton", "cl"),
        ("AD", "Cotton", "fl"),
    ]


def test_risk_import_refuses_missing_provenance_and_bad_rows(office):
    user, org = national_coordinator()  # the national lists: the co-ordinator imports them
    with pytest.raises(InvalidInput) as exc:
        services.risk_import(
            actor=user,
            organisation=org,
            data=dol_file(*DOL_ROWS),
            name="d.csv",
            info=services.EditionInfo("", "", "", None),
        )
    assert {e.field for e in exc.value.errors} == {"source", "edition", "licence", "retrieved_on"}
    preview = services.risk_import(
        actor=user,
        organisation=org,
        data=dol_file(DOL_ROWS[0], "Nowhere,QQ,,,Tea,,2010,,"),
        name="d.csv",
        info=services.EditionInfo("x", "y", "z", date(2026, 1, 1)),
    )
    assert not preview.ok and RiskEdition.objects.count() == 0


def test_order_import_all_or_nothing_with_unknown_contract(office):
    user, org = office
    result = services.orders_import(
        actor=user,
        organisation=org,
        data=orders_file(
            "PO-1,1,Acme,,AD,Cotton,,500,,",
            "PO-1,2,Acme,,AD,Cotton,,-1,,",
        ),
        name="po.csv",
    )
    assert not result.preview.ok and OrderLine.objects.count() == 0
    header = "order_ref,supplier_name,origin_country,value,contract_ref"
    result = services.orders_import(
        actor=user,
        organisation=org,
        data=orders_file("PO-9,Acme,AD,5,NOPE", header=header),
        name="po.csv",
    )
    assert [(e.row, e.field) for e in result.preview.errors] == [(2, "contract_ref")]


def test_exclusion_list_makes_a_supplier_high(office):
    user, org = office
    coordinator, national_office = national_coordinator()
    services.exclusions_import(
        actor=coordinator,
        organisation=national_office,
        data=b"company_id,name,country_code,reason,listed_on\nA1,Acme,AD,Convicted (test),2025-01-01\n",
        name="x.csv",
        info=services.EditionInfo("Test exclusion list", "2026-01", "public", date(2026, 1, 5)),
    )
    services.orders_import(
        actor=user,
        organisation=org,
        data=orders_file("PO-1,1,Acme,A1,FR,Paper,,5,,"),
        name="po.csv",
    )
    line = OrderLine.objects.get()
    assert line.level == "high"
    assert line.result["reasons"][0]["source"] == "Test exclusion list, 2026-01, row 2"


def test_measures_need_evidence_and_the_track(office):
    user, org = office
    contract = services.contract_create(
        actor=user, organisation=org, reference="T-1", title="Uniforms", risk_level="high"
    )
    with pytest.raises(InvalidInput) as exc:
        services.measure_record(
            actor=user, organisation=org, contract=contract, code="c", outcome="met", note="ok"
        )
    assert [e.field for e in exc.value.errors] == ["evidence"]
    assert not MeasureRecord.objects.exists()
    record = services.measure_record(
        actor=user,
        organisation=org,
        contract=contract,
        code="c",
        outcome="met",
        note="Factory list received",
        evidence_name="factories.csv",
        evidence=b"name,address\n",
    )
    import hashlib

    assert record.evidence_sha256 == hashlib.sha256(b"name,address\n").hexdigest()
    assert AuditEntry.objects.filter(
        object_type="supply.measure", object_ref=f"{contract.pk}:c"
    ).exists()
    low = services.contract_create(
        actor=user, organisation=org, reference="T-2", title="Paper", risk_level="low"
    )
    with pytest.raises(InvalidInput):
        services.measure_record(
            actor=user, organisation=org, contract=low, code="c", outcome="waived", note="n/a"
        )
    with pytest.raises(InvalidInput):
        services.contract_create(
            actor=user, organisation=org, reference="T-1", title="Again", risk_level="extreme"
        )


def test_wrong_role_is_refused(office, persona):
    _user, org = office
    analyst = persona("analyst")
    with pytest.raises(NotAllowed):
        services.contract_create(
            actor=analyst, organisation=org, reference="T-9", title="x", risk_level="low"
        )
    assert not Contract.objects.exists()


def test_inspection_only_by_an_inspectorate_and_screening_needs_consent(supply_demo, persona):
    inspector = persona("inspector")
    inspectorate = inspector.organisations()[0]
    site = Site.objects.filter(supplier__company_id="DEMO-0001").order_by("id").first()
    outreach = persona("outreach")  # a screener at an NGO: not a labour inspectorate
    with pytest.raises(NotAllowed):
        services.inspection_record(
            actor=outreach,
            organisation=outreach.organisations()[0],
            site=site,
            visited_on=date(2026, 1, 5),
            indicators=["debt_bondage"],
            workers_interviewed=3,
        )
    with pytest.raises(InvalidInput) as exc:
        services.inspection_record(
            actor=inspector,
            organisation=inspectorate,
            site=site,
            visited_on=timezone.localdate() + timedelta(days=2),
            indicators=["magic"],
            workers_interviewed=-1,
        )
    assert {e.field for e in exc.value.errors} == {
        "visited_on",
        "indicators",
        "workers_interviewed",
    }
    inspection = site.inspections.get()
    with pytest.raises(InvalidInput):
        services.inspection_screen_worker(
            actor=inspector, organisation=inspectorate, inspection=inspection, consent=False
        )
    assert not InspectionReferral.objects.exists()
    ref = services.inspection_screen_worker(
        actor=inspector, organisation=inspectorate, inspection=inspection, consent=True
    )
    link = InspectionReferral.objects.get()
    assert link.screening_reference == ref
    from palermo.screening.selectors import screenings_visible_to

    screening = screenings_visible_to(inspector, inspectorate).get(reference=ref)
    assert screening.answers["forms"] == ["labour"]
    assert screening.answers["coerced_wages_withheld"] == "x"
    assert screening.answers["coerced_documents_confiscated"] == "x"
    assert Supplier.objects.count() == 8
