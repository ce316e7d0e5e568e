"""The chunked database write of ``orders_import`` and the XLSX export of the screening
results with the supplier risk register (web, API, CLI): permission-checked, audited,
text cells never formulas."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from typer.testing import CliRunner

from palermo.core.errors import NotAllowed
from palermo.core.models import AuditEntry
from palermo.supply import export, services
from palermo.supply.cli import app
from palermo.supply.models import ImportBatch, OrderLine, Supplier
from tests.supply.supply_helpers import DOL_ROWS, dol_file, national_coordinator, orders_file

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://example.invalid/")'


@pytest.fixture
def office(demo_world):
    from django.utils import timezone

    from palermo.core.models import Membership, Organisation, User

    org = Organisation.objects.create(
        name="Export test office", org_type="central_government", country="XK"
    )
    user = User.objects.create_user("buyer2", password="A-long-password-1")
    Membership.objects.create(user=user, organisation=org, role="procurement_officer")
    Supplier.objects.create(
        organisation=org,
        name=FORMULA,
        company_id="C-1",
        country="AD",
        has_policy=True,
        created_at=timezone.now(),
    )
    coordinator, national_office = national_coordinator()  # the national lists are theirs
    services.risk_import(
        actor=coordinator,
        organisation=national_office,
        data=dol_file(*DOL_ROWS),
        name="dol.csv",
        info=services.EditionInfo("US DOL test fixture", "2024", "public domain", date(2026, 1, 2)),
    )
    return user, org


def _lines(n: int) -> bytes:
    return orders_file(
        *(
            f"PO-{i},{i},{FORMULA if i == 0 else f'Mill {i}'},{'C-1' if i % 2 else ''},"
            f"{'AD' if i % 3 else 'AL'},Cotton,,{1000 + i}.50,,{'industry' if i % 4 else ''}"
            for i in range(n)
        )
    )


def test_orders_are_written_in_chunks_in_one_transaction_and_audited_once(office, monkeypatch):
    user, org = office
    monkeypatch.setattr(services, "ORDER_WRITE_CHUNK", 3)
    data = _lines(8)
    before = AuditEntry.objects.filter(object_type="supply.order_import").count()
    result = services.orders_import(actor=user, organisation=org, data=data, name="o.csv")
    assert result.preview.ok
    kept = {line.ref: line for line in OrderLine.objects.filter(organisation=org)}
    assert len(kept) == 8
    for line, res in result.results:
        row = kept[line.ref]
        # What is kept is what the rule gave: the same dict as Result.to_dict, line by line.
        assert row.result == res.to_dict()
        assert (row.level, row.score, row.exposure) == (res.level, res.score, res.exposure)
        assert row.supplier_id == (
            Supplier.objects.get(company_id="C-1").pk if line.supplier_company_id else None
        )
        assert row.good == "Cotton" and row.batch.editions.count() == 1
    entries = AuditEntry.objects.filter(object_type="supply.order_import")
    assert entries.count() == before + 1
    details = entries.latest("id").details
    assert details["rows"] == 8 and details["chunks"] == 3  # 3 + 3 + 2
    levels = {
        lvl: sum(1 for _l, r in result.results if r.level == lvl) for lvl in details["levels"]
    }
    assert details["levels"] == levels and sum(levels.values()) == 8


def test_lines_sharing_their_facts_keep_equal_but_separate_exposures(office):
    user, org = office
    data = orders_file("A,1,Mill,,AD,Cotton,,10.00,,", "A,2,Mill,,AD,Cotton,,20.00,0.5,")
    services.orders_import(actor=user, organisation=org, data=data, name="o.csv")
    one, two = OrderLine.objects.filter(organisation=org).order_by("ref")
    assert one.result["reasons"] == two.result["reasons"]
    assert (one.result["exposure"], two.result["exposure"]) == ("10.00", "10.00")


def test_a_rejected_file_writes_nothing(office):
    user, org = office
    data = orders_file("A,1,Mill,,AD,Cotton,,10.00,,", "A,2,Mill,,QQ,Cotton,,-1,,")
    batches = ImportBatch.objects.count()
    result = services.orders_import(actor=user, organisation=org, data=data, name="o.csv")
    assert not result.preview.ok
    assert OrderLine.objects.filter(organisation=org).count() == 0
    assert ImportBatch.objects.count() == batches


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _no_formula_anywhere(wb: openpyxl.Workbook) -> list[str]:
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def test_export_has_both_sheets_with_reasons_and_no_formulas(office):
    user, org = office
    services.orders_import(actor=user, organisation=org, data=_lines(6), name="o.csv")
    data = services.screening_export(actor=user, organisation=org)
    wb = _book(data)
    lines, register = wb.worksheets
    assert lines.title == "Screened order lines" and register.title == "Supplier risk register"
    rows = list(lines.iter_rows(values_only=True))
    assert rows[0][0] == "Order and line" and len(rows) == 7
    by_ref = {r[0]: r for r in rows[1:]}
    kept = OrderLine.objects.get(organisation=org, ref="PO-1/1")
    got = by_ref["PO-1/1"]
    assert got[11] == kept.get_level_display() and got[12] == kept.score
    assert float(got[8]) == float(kept.value)
    assert "US DOL test fixture, 2024" in got[13]  # every reason with its source
    texts = _no_formula_anywhere(wb)
    assert FORMULA in texts  # a supplier named like a formula stays that text
    reg = list(register.iter_rows(values_only=True))
    assert reg[0][0] == "Supplier" and len(reg) == 2
    supplier = reg[1]
    assert supplier[0] == FORMULA and supplier[1] == "C-1"
    assert supplier[4] + supplier[5] + supplier[6] == 3  # the three odd lines name C-1
    assert supplier[9] == "yes" and supplier[10] == "no"


def test_export_of_one_level_and_audit(office):
    user, org = office
    services.orders_import(actor=user, organisation=org, data=_lines(6), name="o.csv")
    high = OrderLine.objects.filter(organisation=org, level="high").count()
    data = services.screening_export(actor=user, organisation=org, level="high")
    rows = list(_book(data).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == high + 1
    entry = AuditEntry.objects.filter(object_type="supply.screening_export").latest("id")
    assert entry.action == "export" and entry.details["lines"] == high
    assert entry.details["level"] == "high" and entry.actor_id == user.pk


def test_export_refused_without_the_permission(office, persona):
    _user, org = office
    with pytest.raises(NotAllowed):
        services.screening_export(actor=persona("caseworker"), organisation=org)


def test_workbook_types_numbers_and_text():
    data = export.workbook([export.Sheet("x" * 40, ["a", "b"], [(FORMULA, 3), ("-1+2", None)])])
    ws = _book(data).worksheets[0]
    assert ws.title == "x" * 31
    assert ws["A2"].value == FORMULA and ws["A2"].data_type == "s"
    assert ws["A3"].value == "-1+2" and ws["A3"].data_type == "s"
    assert ws["B2"].value == 3 and ws["B2"].data_type == "n" and ws["B3"].value is None


def test_web_and_api_export(supply_demo, login_as, client, api_token):
    c = login_as("diligence")  # the read-only analyst may download
    page = c.get("/supply/orders/?level=high").content.decode()
    assert "/supply/orders/export.xlsx?level=high" in page
    r = c.get("/supply/orders/export.xlsx?level=high")
    assert r.status_code == 200 and r["Content-Type"] == export.XLSX_TYPE
    assert r["Cache-Control"] == "no-store"
    rows = list(_book(r.content).worksheets[0].iter_rows(values_only=True))[1:]
    assert rows and {row[11] for row in rows} == {"High"}
    c.logout()
    before = AuditEntry.objects.filter(action="refused").count()
    assert login_as("caseworker").get("/supply/orders/export.xlsx").status_code == 403
    assert AuditEntry.objects.filter(action="refused").count() == before + 1
    c.logout()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('procurement')}"}
    r = client.get("/api/v1/supply/orders/export.xlsx", **auth)
    assert r.status_code == 200 and r["Content-Type"] == export.XLSX_TYPE
    assert len(_book(r.content).worksheets) == 2
    other = {"HTTP_AUTHORIZATION": f"Bearer {api_token('caseworker')}"}
    assert client.get("/api/v1/supply/orders/export.xlsx", **other).status_code == 403


def test_cli_export(supply_demo, tmp_path):
    runner = CliRunner()
    out = tmp_path / "s.xlsx"
    r = runner.invoke(app, ["export", str(out), "--as", "diligence", "--level", "high"])
    assert r.exit_code == 0, r.output
    rows = list(_book(out.read_bytes()).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == OrderLine.objects.filter(level="high").count() + 1
    r = runner.invoke(app, ["export", str(out), "--as", "diligence", "--level", "severe"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["export", str(tmp_path / "t.xlsx"), "--as", "caseworker"])
    assert r.exit_code == 2 and not (tmp_path / "t.xlsx").exists()


def test_sites_xlsx_round_trip_loses_no_field_and_runs_no_formula():
    from palermo.supply import sites
    from tests.supply.supply_helpers import site_id, sites_file

    header = ",".join(sites.EXPORT_COLUMNS)
    rows = (
        f"{site_id('BD', 12, 'ZZ9Q1')},2024-03-01,Rio Knit Ltd,12 Mill St,BD,Bangladesh,23.81,"
        "90.41,Apparel,Test Contributor,1000-2000,Rio Holdings,Final product assembly,Knitting,"
        "T-shirts,false,SUP-1",
        ",,=SUM(A1:A2),'=quoted,BD,,,,,-contributor,,@parent,,,,true,",
    )
    first = sites.preview(sites_file(*rows, header=header), "a.csv")
    assert first.ok, first.errors
    exported = sites.export_xlsx([sites.row_values(r) for r in first.rows])
    wb = _book(exported)
    texts = _no_formula_anywhere(wb)
    assert "'=SUM(A1:A2)" in texts  # neutralised as in the CSV export
    second = sites.preview(exported, "b.xlsx")
    assert second.ok, second.errors
    assert [(*vars(r).values(),)[1:] for r in second.rows] == [
        (*vars(r).values(),)[1:] for r in first.rows
    ]
    # The CSV reader took the apostrophe off "'=quoted" (an escaped cell): the value is "=quoted".
    assert second.rows[1].name == "=SUM(A1:A2)" and second.rows[1].address == "=quoted"


def test_sites_xlsx_download_is_audited_and_refused_to_others(supply_demo, login_as, persona):
    c = login_as("diligence")
    assert "/supply/sites/export.xlsx" in c.get("/supply/sites/").content.decode()
    r = c.get("/supply/sites/export.xlsx")
    assert r.status_code == 200 and r["Content-Type"] == export.XLSX_TYPE
    rows = list(_book(r.content).worksheets[0].iter_rows(values_only=True))
    from palermo.supply.models import Site
    from palermo.supply.sites import EXPORT_COLUMNS

    assert rows[0] == EXPORT_COLUMNS
    office = persona("diligence").organisations()[0]
    assert len(rows) - 1 == Site.objects.filter(organisation=office).count() > 0
    entry = AuditEntry.objects.filter(object_type="supply.sites").latest("id")
    assert entry.action == "export" and entry.details["format"] == "xlsx"
    c.logout()
    assert login_as("caseworker").get("/supply/sites/export.xlsx").status_code == 403
