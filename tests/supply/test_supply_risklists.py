"""Risk lists read together (issue 18): a screening reads the current edition of every kind of
list — the US DOL list, a national exclusion list, a newly registered format such as the EU's
— each reason citing its own edition; importing an edition retires only its own kind's
previous edition; a kept screening keeps the set of editions it used, on its page, in the API
and when it is run again. The EU-style format is a fixture (``eu_style_format.py``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from typer.testing import CliRunner

from palermo.core.errors import InvalidInput
from palermo.supply import riskdata, selectors, services
from palermo.supply.cli import app
from palermo.supply.models import ExclusionEntry, OrderLine, RiskEdition, RiskEntry
from tests.supply.eu_style_format import EuStyleFormat
from tests.supply.supply_helpers import DOL_ROWS, dol_file, national_coordinator, orders_file

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
EXCLUSIONS = (FIXTURES / "exclusions.csv").read_bytes()
EU_LIST = (FIXTURES / "eu_style_risk_list.csv").read_bytes()
EU_BAD = (FIXTURES / "eu_style_risk_list_bad.csv").read_bytes()


@pytest.fixture
def office(new_office):
    user, org = new_office("buyer-lists")
    for name, company_id in (("Barred Textiles", "EX-1"), ("Lapsed Bricks", "EX-2")):
        services.supplier_save(
            actor=user,
            organisation=org,
            data={"name": name, "company_id": company_id, "country": "AD"},
        )
    return user, org


@pytest.fixture
def eu_format():
    """The EU-style fixture format, registered for one test."""
    riskdata.register(EuStyleFormat())
    yield "eu_test"
    riskdata.FORMATS.pop("eu_test")


def _dol(rows=DOL_ROWS, edition="2024"):
    user, org = national_coordinator()  # the national lists: the co-ordinator imports them
    return services.risk_import(
        actor=user,
        organisation=org,
        data=dol_file(*rows),
        name=f"dol-{edition}.csv",
        info=services.EditionInfo(
            "US DOL test fixture", edition, "public domain", date(2026, 1, 2)
        ),
    )


def _exclusions(data=EXCLUSIONS, edition="2026-02"):
    user, org = national_coordinator()  # the national lists: the co-ordinator imports them
    return services.risk_import(
        actor=user,
        organisation=org,
        data=data,
        name="exclusions.csv",
        info=services.EditionInfo("Test exclusion list", edition, "public", date(2026, 2, 1)),
        fmt=riskdata.EXCLUSIONS,
    )


def _eu(fmt, data=EU_LIST, commit=True):
    user, org = national_coordinator()  # the national lists: the co-ordinator imports them
    return services.risk_import(
        actor=user,
        organisation=org,
        data=data,
        name="eu.csv",
        info=services.EditionInfo(
            "EU-style test database", "2026-03", "CC BY 4.0", date(2026, 3, 1)
        ),
        fmt=fmt,
        commit=commit,
    )


def _orders(user, org, *rows, name="po.csv"):
    result = services.orders_import(
        actor=user, organisation=org, data=orders_file(*rows), name=name
    )
    assert result.preview.ok, result.preview.errors
    return result


def _sources(line: OrderLine) -> list[tuple[str, int, str]]:
    return [(r["code"], r["points"], r["source"]) for r in line.result["reasons"]]


def _edition(source: str, edition: str) -> RiskEdition:
    return RiskEdition.objects.get(source=source, edition=edition)


# --- gap 1: every kind of list at once ------------------------------------------------------


def test_a_screening_cites_the_dol_list_and_the_exclusion_list(office, client, api_token):
    user, org = office
    _dol()
    preview = _exclusions()
    assert preview.ok and [r.company_id for r in preview.rows] == ["EX-1", "EX-2"]
    _orders(
        user,
        org,
        "PO-1,1,Barred Textiles,EX-1,AD,Cotton,,500,,",
        "PO-1,2,Lapsed Bricks,EX-2,AG,Bricks,,500,,",
    )
    dol, barred = (
        _edition("US DOL test fixture", "2024"),
        _edition("Test exclusion list", "2026-02"),
    )
    cotton = OrderLine.objects.get(ref="PO-1/1")
    assert cotton.level == "high"
    assert _sources(cotton) == [
        ("excluded", 0, "Test exclusion list, 2026-02, row 2"),
        ("list_forced", 3, "US DOL test fixture, 2024, row 2"),
    ]
    # EX-2's listing ended in 2021: not excluded; its bricks are on the DOL list (child labour).
    bricks = OrderLine.objects.get(ref="PO-1/2")
    assert _sources(bricks) == [("list_child", 2, "US DOL test fixture, 2024, row 3")]
    assert set(cotton.batch.editions.all()) == {dol, barred}
    assert selectors.line_editions(cotton) == [barred, dol]  # by format: exclusions, us_dol
    # The line's page names both editions; the API lists them with their files' SHA-256.
    client.force_login(user)
    body = client.get(f"/supply/orders/{cotton.pk}/").content.decode()
    assert "US DOL test fixture, 2024" in body and "Test exclusion list, 2026-02" in body
    assert "Test exclusion list, 2026-02, row 2" in body
    token = api_token("buyer-lists")
    lines = client.get("/api/v1/supply/orders", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    line = next(x for x in lines if x["ref"] == "PO-1/1")
    assert [(e["format"], e["source"], e["sha256"]) for e in line["editions"]] == [
        ("exclusions", "Test exclusion list", barred.batch.sha256),
        ("us_dol", "US DOL test fixture", dol.batch.sha256),
    ]
    assert line["editions"][0]["retrieved_on"] == "2026-02-01"


def test_importing_an_edition_retires_only_its_own_kind(office, eu_format, client):
    user, org = office
    _dol()
    _exclusions()
    _eu(eu_format)
    first_dol = _edition("US DOL test fixture", "2024")
    assert [e.format for e in selectors.current_risk_editions()] == [
        "eu_test",
        "exclusions",
        "us_dol",
    ]
    _dol(rows=DOL_ROWS[1:], edition="2026")
    current = {e.format: e for e in selectors.current_risk_editions()}
    assert current["us_dol"].edition == "2026"
    assert current["exclusions"].edition == "2026-02" and current["eu_test"].edition == "2026-03"
    first_dol.refresh_from_db()
    assert not first_dol.is_current
    assert RiskEdition.objects.filter(is_current=True).count() == 3
    # A new exclusion list retires the old one only; the old one keeps its rows.
    assert not _exclusions(data=EXCLUSIONS.splitlines()[0] + b"\n").ok  # no rows
    _exclusions(data=b"\n".join(EXCLUSIONS.splitlines()[:2]) + b"\n", edition="2026-04")
    current = {e.format: e for e in selectors.current_risk_editions()}
    assert current["exclusions"].edition == "2026-04" and current["us_dol"].edition == "2026"
    assert ExclusionEntry.objects.filter(edition__edition="2026-02").count() == 2
    # The diff compares an edition with the previous one of its own kind.
    d = selectors.edition_diff(first_dol, current["us_dol"])
    assert [(c.country_code, c.good, c.kind) for c in d.removed] == [
        ("AD", "Cotton", "cl"),
        ("AD", "Cotton", "fl"),
    ]
    assert d.added == ()
    # The page of the new DOL edition compares it with DOL 2024, though other kinds of list
    # were imported in between.
    client.force_login(user)
    page = client.get(f"/supply/risk/{current['us_dol'].pk}/").content.decode()
    assert "Changes since edition 2024" in page and "− AD — Cotton" in page


def test_an_old_screening_keeps_its_editions_and_results(office, client):
    user, org = office
    _dol()
    _exclusions()
    _orders(user, org, "PO-1,1,Barred Textiles,EX-1,AD,Cotton,,500,,")
    old = OrderLine.objects.get(ref="PO-1/1")
    kept = dict(old.result)
    used = set(old.batch.editions.all())
    # Both lists change: the DOL list drops AD cotton, the exclusion list drops EX-1.
    _dol(rows=DOL_ROWS[1:], edition="2026")
    _exclusions(data=b"\n".join(EXCLUSIONS.splitlines()[::2]) + b"\n", edition="2026-05")
    _orders(user, org, "PO-2,1,Barred Textiles,EX-1,AD,Cotton,,500,,", name="po2.csv")
    new = OrderLine.objects.get(ref="PO-2/1")
    assert new.level == "low" and _sources(new) == [("commodity", 1, "US DOL test fixture, 2026")]
    assert {str(e) for e in new.batch.editions.all()} == {
        "US DOL test fixture, 2026",
        "Test exclusion list, 2026-05",
    }
    old.refresh_from_db()
    assert old.result == kept and old.level == "high"
    assert set(old.batch.editions.all()) == used
    # Run again on its own editions, the old line gives what was kept; on today's, it would not.
    assert selectors.rescreen(old).to_dict() == kept
    assert selectors.rescreen(new).to_dict() == new.result
    today = selectors.risk_lists()
    assert today.excluded == {} and "2026-05" in selectors.editions_text(today.editions)
    client.force_login(user)
    body = client.get(f"/supply/orders/{old.pk}/").content.decode()
    assert "US DOL test fixture, 2024" in body and "Test exclusion list, 2026-02" in body
    assert "US DOL test fixture, 2026" not in body and "2026-05" not in body


def test_the_risk_pages_list_every_current_edition(office, client):
    user, org = office
    _dol()
    _exclusions()
    client.force_login(user)
    home = client.get("/supply/").content.decode()
    assert "US DOL test fixture, edition 2024" in home
    assert "Test exclusion list, edition 2026-02" in home
    listing = client.get("/supply/risk/").content.decode()
    assert "Test exclusion list, 2026-02" in listing
    barred = _edition("Test exclusion list", "2026-02")
    page = client.get(f"/supply/risk/{barred.pk}/").content.decode()
    assert "Barred Textiles Ltd (fictional) (EX-1)" in page and "Changes since" not in page


# --- gap 2: a new kind of list, registered ------------------------------------------------


def test_a_registered_format_previews_refuses_whole_and_screens_with_dol(office, eu_format):
    user, org = office
    _dol()
    preview = _eu(eu_format, commit=False)
    assert preview.ok and [(r.country_code, r.good) for r in preview.rows] == [
        ("AG", "Bricks"),
        ("AM", "Tea"),
        ("AD", "Cotton"),
    ]
    assert not RiskEdition.objects.filter(format=eu_format).exists()  # a preview keeps nothing
    bad = _eu(eu_format, data=EU_BAD)
    assert not bad.ok and [(e.row, e.field) for e in bad.errors] == [
        (3, "area_iso2"),
        (4, "risk_type"),
        (5, "listed_since"),
        (6, "product"),  # the same area and product as row 2
        (7, "delisted_on"),
    ]
    assert "row 2" in next(e.message for e in bad.errors if e.row == 6)
    assert not RiskEdition.objects.filter(format=eu_format).exists()
    assert RiskEntry.objects.filter(edition__format=eu_format).count() == 0
    assert _eu(eu_format).ok
    eu = RiskEdition.objects.get(format=eu_format)
    assert eu.is_current and eu.entries.count() == 3
    _orders(
        user,
        org,
        "PO-E,1,Lapsed Bricks,EX-2,AG,Bricks,,500,,",
        "PO-E,2,Lapsed Bricks,EX-2,FR,Tea,,500,,",
        "PO-E,3,Lapsed Bricks,EX-2,AD,Cotton,,500,,",
    )
    # AG bricks: forced labour on the EU-style list (counts), child labour on DOL (cited).
    assert _sources(OrderLine.objects.get(ref="PO-E/1")) == [
        ("list_forced", 3, "EU-style test database, 2026-03, row 2"),
        ("list_also", 0, "US DOL test fixture, 2024, row 3"),
    ]
    assert _sources(OrderLine.objects.get(ref="PO-E/2")) == [
        ("commodity", 1, "EU-style test database, 2026-03")
    ]
    # Delisted on the EU-style list in 2025: only DOL's listing counts.
    assert _sources(OrderLine.objects.get(ref="PO-E/3")) == [
        ("list_forced", 3, "US DOL test fixture, 2024, row 2")
    ]
    line = OrderLine.objects.get(ref="PO-E/1")
    assert {e.format for e in line.batch.editions.all()} == {"eu_test", "us_dol"}


def test_a_format_is_refused_unless_registered(office):
    user, org = office
    with pytest.raises(InvalidInput) as exc:
        _eu("eu_test")
    assert [e.field for e in exc.value.errors] == ["format"]
    with pytest.raises(ValueError):
        riskdata.register(riskdata.DolFormat())  # the key is taken
    with pytest.raises(ValueError):
        riskdata.register(EuStyleFormat(key="exclusions"))  # reserved
    with pytest.raises(ValueError):
        riskdata.register(EuStyleFormat(key="x" * 21))  # longer than RiskEdition.format
    assert set(riskdata.FORMATS) == {"us_dol"}


def test_the_import_page_and_the_command_line_offer_a_registered_format(
    office, eu_format, client, tmp_path
):
    user, org = national_coordinator()  # the national lists: the co-ordinator imports them
    client.force_login(user)
    page = client.get("/supply/risk/import/").content.decode()
    assert "EU-style forced-labour risk database (test format)" in page
    assert "area_iso2, area_name, product" in page and 'value="exclusions"' in page
    form = {
        "format": eu_format,
        "source": "EU-style test database",
        "edition": "2026-03",
        "licence": "CC BY 4.0",
        "retrieved_on": "2026-03-01",
        "file": SimpleUploadedFile("eu.csv", EU_LIST),
    }
    r = client.post("/supply/risk/import/", form)
    assert r.status_code == 200 and "Testland E" in r.content.decode()
    assert client.post("/supply/risk/import/confirm/").status_code == 302
    assert RiskEdition.objects.get(format=eu_format).entries.count() == 3
    r = client.post(
        "/supply/risk/import/",
        {**form, "format": "exclusions", "file": SimpleUploadedFile("x.csv", EXCLUSIONS)},
    )
    assert r.status_code == 200 and "Barred Textiles Ltd (fictional) (EX-1)" in r.content.decode()
    assert client.post("/supply/risk/import/confirm/").status_code == 302
    assert RiskEdition.objects.get(format="exclusions").exclusions.count() == 2
    # The command line: --format names the kind; an unknown one is refused, naming the option.
    f = tmp_path / "eu.csv"
    f.write_bytes(EU_LIST)
    common = ["--source", "EU-style (cli)", "--licence", "CC BY 4.0", "--retrieved-on"]
    args = ["import-risk", str(f), "--edition", "2026-04", *common, "2026-03-02"]
    r = CliRunner().invoke(app, [*args, "--format", "nope", "--as", "coordinator"])
    assert r.exit_code == 1 and "format" in r.output
    r = CliRunner().invoke(app, [*args, "--format", eu_format, "--as", "coordinator"])
    assert r.exit_code == 0 and "3 rows imported" in r.output, r.output
    current = {e.format: e.edition for e in selectors.current_risk_editions()}
    assert current == {"eu_test": "2026-04", "exclusions": "2026-03"}


def test_two_current_editions_of_one_kind_cannot_both_stay(office, monkeypatch):
    """Two imports of one kind at the same moment: the database keeps one current edition
    (a partial unique index), and the import that lost the race changes nothing (503)."""
    from django.db import IntegrityError, transaction

    from palermo.core.errors import Busy
    from palermo.supply.models import ImportBatch
    from palermo.supply.services import risklists

    user, org = office
    _dol()
    current = RiskEdition.objects.get(is_current=True, format="us_dol")
    with pytest.raises(IntegrityError), transaction.atomic():
        RiskEdition.objects.create(
            format="us_dol",
            source="x",
            edition="x",
            licence="x",
            retrieved_on=date(2026, 1, 1),
            batch=current.batch,
        )
    # The race: the other import's edition is current by the time this one creates its own.
    monkeypatch.setattr(risklists, "_retire_current", lambda fmt: None)
    batches, editions = ImportBatch.objects.count(), RiskEdition.objects.count()
    with pytest.raises(Busy):
        _dol(rows=DOL_ROWS[1:], edition="2026")
    assert (ImportBatch.objects.count(), RiskEdition.objects.count()) == (batches, editions)
    assert RiskEdition.objects.get(is_current=True, format="us_dol").pk == current.pk
