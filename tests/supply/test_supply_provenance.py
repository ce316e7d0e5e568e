"""Per-field provenance of suppliers and sites: who or what source set each field and when
(an imported file and its row, a person's edit, a row matched by its OS ID), shown on the
supplier page."""

from __future__ import annotations

import pytest

from palermo.core.errors import InvalidInput
from palermo.core.models import AuditEntry
from palermo.supply import selectors, services
from palermo.supply.models import FieldProvenance, ImportBatch, Site, Supplier
from tests.supply.supply_helpers import site_id, sites_file

pytestmark = pytest.mark.django_db

HEADER = "os_id,name,address,country_code,lat,lng,sector,number_of_workers,product_type,supplier_company_id,contributor"
SUPPLIER = {
    "name": "Arland Cotton Works",
    "company_id": "AC-1",
    "lei": "",
    "parent": "",
    "country": "AD",
    "has_policy": True,
}


@pytest.fixture
def office(new_office):
    return new_office("buyer3")


def _latest(**where: object) -> dict[str, FieldProvenance]:
    out: dict[str, FieldProvenance] = {}
    for e in FieldProvenance.objects.filter(**where).order_by("recorded_at", "id"):
        out[e.field] = e
    return out


def test_a_person_setting_a_supplier_is_recorded_field_by_field(office):
    user, org = office
    s = services.supplier_save(actor=user, organisation=org, data=SUPPLIER)
    first = _latest(supplier=s)
    assert set(first) == {
        "name",
        "company_id",
        "lei",
        "parent",
        "country",
        "has_policy",
        "audit_access",
        "sites_disclosed",
        "is_recruiter",
    }
    assert {e.source for e in first.values()} == {"manual"}
    assert first["has_policy"].value == "true" and first["name"].recorded_by == user
    services.supplier_save(
        actor=None, organisation=org, data={**SUPPLIER, "lei": "5493001KJTIIGC8Y1R12"}, supplier=s
    )
    after = _latest(supplier=s)
    assert after["lei"].value == "5493001KJTIIGC8Y1R12" and after["lei"].recorded_by is None
    assert after["name"].pk == first["name"].pk  # unchanged fields keep their provenance
    assert FieldProvenance.objects.filter(supplier=s).count() == 10
    entry = AuditEntry.objects.filter(object_type="supply.supplier").latest("id")
    assert entry.details["fields"] == ["lei"] and entry.actor_username == "command line"


def test_a_refused_change_records_nothing(office):
    user, org = office
    s = services.supplier_save(actor=user, organisation=org, data=SUPPLIER)
    before = FieldProvenance.objects.count()
    with pytest.raises(InvalidInput):
        services.supplier_save(
            actor=user, organisation=org, data={**SUPPLIER, "lei": "short"}, supplier=s
        )
    assert FieldProvenance.objects.count() == before
    assert Supplier.objects.get(pk=s.pk).lei == ""


def test_imported_site_fields_name_their_file_row_and_contributor(office):
    user, org = office
    services.supplier_save(actor=user, organisation=org, data=SUPPLIER)
    osid = site_id("AD", 120)
    data = sites_file(f"{osid},Alpha Mill,1 Road,AD,,,Apparel,,,AC-1,Brand X", header=HEADER)
    services.sites_import(actor=user, organisation=org, data=data, name="first.csv")
    site = Site.objects.get(organisation=org)
    got = _latest(site=site)
    assert set(got) == {"os_id", "name", "address", "country", "sector", "supplier"}
    batch = ImportBatch.objects.get(organisation=org, kind="sites")
    for e in got.values():
        assert (e.source, e.batch_id, e.row, e.contributor) == ("import", batch.pk, 2, "Brand X")
    assert got["supplier"].value == "AC-1" and got["os_id"].value == osid

    # A later file with the same OS ID fills only what the site does not say yet.
    data = sites_file(
        f"{osid},Alpha Mill,1 Road,AD,42.5,1.5,Textiles,100-200,Shirts,,Brand Y", header=HEADER
    )
    services.sites_import(actor=user, organisation=org, data=data, name="second.csv")
    site.refresh_from_db()
    assert site.sector == "Apparel"  # kept: the first file said it
    assert (site.lat, site.lng, site.workers_min, site.workers_max) == (42.5, 1.5, 100, 200)
    assert site.product_type == "Shirts"
    got = _latest(site=site)
    assert got["sector"].contributor == "Brand X" and got["sector"].source == "import"
    for name in ("lat", "lng", "workers", "product_type"):
        assert got[name].source == "os_id" and got[name].contributor == "Brand Y"
    assert got["workers"].value == "100-200"


def test_a_name_match_that_brings_the_os_id_records_it(office):
    user, org = office
    data = sites_file(",Beta Works,2 Lane,AD,,,,,,,", header=HEADER)
    services.sites_import(actor=user, organisation=org, data=data, name="a.csv")
    site = Site.objects.get(organisation=org)
    assert "os_id" not in _latest(site=site)
    osid = site_id("AD", 130)
    data = sites_file(f"{osid},Beta Works,2 Lane,AD,,,,,,,OSH", header=HEADER)
    services.sites_import(actor=user, organisation=org, data=data, name="b.csv")
    site.refresh_from_db()
    assert site.os_id == osid
    e = _latest(site=site)["os_id"]
    assert (e.source, e.value, e.contributor) == ("import", osid, "OSH")


def test_supplier_page_shows_provenance_and_edits_by_hand(office, client):
    user, org = office
    s = services.supplier_save(actor=user, organisation=org, data=SUPPLIER)
    data = sites_file(f"{site_id('AD', 140)},Gamma Mill,3 Road,AD,,,,,,AC-1,", header=HEADER)
    services.sites_import(actor=user, organisation=org, data=data, name="gamma.csv")
    client.force_login(user)
    body = client.get(f"/supply/suppliers/{s.pk}/").content.decode()
    assert "Entered by hand" in body and "buyer3" in body
    assert "Imported file" in body and "gamma.csv" in body and "Gamma Mill" in body
    assert f'href="/supply/suppliers/{s.pk}/"' in client.get("/supply/suppliers/").content.decode()
    r = client.post(f"/supply/suppliers/{s.pk}/", {**SUPPLIER, "lei": "bad"})
    assert r.status_code == 400 and "An LEI has 20 letters and digits." in r.content.decode()
    assert Supplier.objects.get(pk=s.pk).lei == ""
    r = client.post(f"/supply/suppliers/{s.pk}/", {**SUPPLIER, "parent": "Holding Co"})
    assert r.status_code == 302
    assert _latest(supplier=s)["parent"].value == "Holding Co"
    rows = {r.field: r for r in selectors.supplier_provenance(Supplier.objects.get(pk=s.pk))}
    assert rows["parent"].value == "Holding Co" and rows["parent"].provenance is not None
    # What says so: kept with each field the save changed, shown beside it.
    said = "Registry extract of 2 March 2026"
    r = client.post(
        f"/supply/suppliers/{s.pk}/", {**SUPPLIER, "parent": "New Holding", "evidence": said}
    )
    assert r.status_code == 302
    latest = _latest(supplier=s)
    assert latest["parent"].evidence == said and latest["name"].evidence == ""
    assert f"what says so: {said}" in client.get(f"/supply/suppliers/{s.pk}/").content.decode()
    # Too long: the message beside the field, nothing changed.
    r = client.post(
        f"/supply/suppliers/{s.pk}/", {**SUPPLIER, "parent": "X", "evidence": "e" * 301}
    )
    assert r.status_code == 400 and Supplier.objects.get(pk=s.pk).parent == "New Holding"


def test_supplier_page_permissions(supply_demo, login_as):
    demo = Supplier.objects.order_by("id").first()
    c = login_as("diligence")
    assert c.get(f"/supply/suppliers/{demo.pk}/").status_code == 200
    before = Supplier.objects.get(pk=demo.pk).name
    r = c.post(f"/supply/suppliers/{demo.pk}/", {**SUPPLIER, "company_id": demo.company_id})
    assert r.status_code == 403 and Supplier.objects.get(pk=demo.pk).name == before
    c.logout()
    assert login_as("caseworker").get(f"/supply/suppliers/{demo.pk}/").status_code == 403
    c.logout()
    assert login_as("procurement").get("/supply/suppliers/999999/").status_code == 404
