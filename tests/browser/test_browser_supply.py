"""Supply-chain journey in a real browser, on a 390 px wide screen: the procurement officer
screens purchase orders and records a measure with its evidence on a high-risk tender; the
labour inspector, with a worker's consent, opens a pre-filled screening from an inspection
and refers the worker to the NRM; the procurement officer sees a protected count only and
cannot reach the inspection."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_browser_screening import answer_steps
from tests.supply.supply_helpers import orders_file

pytestmark = pytest.mark.browser


@pytest.fixture
def with_supply_demo(demo_users, monkeypatch):
    from palermo.supply.demo import demo_supply

    monkeypatch.setenv("PALERMO_DEMO_SUPPLY", "1")
    demo_supply(random.Random(2026))


def _fits(page) -> None:
    page.wait_for_load_state()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at a 390 px viewport"


def _procurement_screens_and_walks_the_tender(page, tmp_path) -> None:
    from palermo.supply.models import MeasureRecord, OrderLine

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "procurement")
    page.goto("/supply/")
    expect(page.get_by_role("heading", name="Supply chains", exact=True)).to_be_visible()
    _fits(page)

    # Screen a purchase order: preview with its level, then keep it.
    page.get_by_role("link", name="Screen purchase orders").first.click()
    upload = tmp_path / "orders.csv"
    upload.write_bytes(
        orders_file(
            "PO-2026-9001,1,Blue Thread Textiles,DEMO-0008,XD,Cotton,,250000.00,1,workforce"
        )
    )
    page.get_by_label("File (CSV, XLSX or OCDS JSON)").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("1 order line is screened and ready to keep.")).to_be_visible()
    _fits(page)
    page.get_by_role("button", name="Keep every screened line").click()
    expect(page.get_by_text("1 order lines screened and kept.")).to_be_visible()
    _fits(page)
    assert OrderLine.objects.get(ref="PO-2026-9001/1").level == "high"
    page.get_by_role("link", name="PO-2026-9001/1").click()
    expect(page.get_by_text(re.compile("Cotton from Dunmark"))).to_be_visible()
    _fits(page)

    # Walk the high-risk tender: measure (c) needs the factory list as a file.
    page.goto("/supply/contracts/")
    page.get_by_role("link", name=re.compile("MPW-2026-014")).click()
    section = page.locator("#measure-c")
    section.get_by_label("Met", exact=True).check()
    section.get_by_label("What was checked and what was found").fill("Factory list received.")
    section.get_by_role("button", name="Record this measure").click()
    expect(page.get_by_text("This measure needs a file as evidence.", exact=True)).to_be_visible()
    factories = tmp_path / "factories.csv"
    factories.write_bytes(b"name,address\nNorthwind plant,1 Industrial Road\n")
    section = page.locator("#measure-c")
    section.get_by_label("Met", exact=True).check()
    section.get_by_label("What was checked and what was found").fill("Factory list received.")
    section.get_by_label("Evidence (file)").set_input_files(str(factories))
    section.get_by_role("button", name="Record this measure").click()
    expect(page.get_by_text("Measure recorded.")).to_be_visible()
    _fits(page)
    digest = MeasureRecord.objects.get(code="c").evidence_sha256
    # The gate to Award needed (c): now open, the tender moves on; the next gate names (d).
    page.get_by_role("button", name="Move to Award").click()
    expect(page.get_by_text("The contract moved to the next stage.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Cannot move to Contract.*\(d\)"))).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Evidence pack (HTML, printable)").click()
    expect(page.get_by_text(digest)).to_be_visible()
    _fits(page)


def _inspector_refers_a_consenting_worker(page) -> str:
    from palermo.supply.models import InspectionReferral

    page.context.clear_cookies()
    sign_in(page, "inspector")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Labour inspections"
    ).click()
    expect(page.get_by_role("heading", name="Labour inspections")).to_be_visible()
    _fits(page)
    page.locator("table tbody tr a").first.click()
    expect(page.get_by_role("heading", name=re.compile("Inspection at"))).to_be_visible()
    page.get_by_role("button", name="Open a screening").click()
    expect(page.locator("#id_consent_error")).to_contain_text("informed consent")
    page.get_by_label(re.compile("agreed to it")).check()
    page.get_by_role("button", name="Open a screening").click()
    expect(page.get_by_role("heading", name=re.compile("Screening interview"))).to_be_visible()
    reference = InspectionReferral.objects.get().screening_reference
    answer_steps(page, ["deceived_about_wages"])
    expect(page.get_by_role("heading", name=re.compile("Review the answers"))).to_be_visible()
    page.get_by_role("button", name="Assess").click()
    expect(page.get_by_role("heading", name=re.compile("Screening result"))).to_be_visible()
    page.get_by_role("link", name="Refer to the NRM").click()
    page.get_by_label("Given name").fill("Worker")
    page.get_by_label("The person agrees to be referred").check()
    page.get_by_role("button", name="Refer and open the case").click()
    expect(page.get_by_text(re.compile(r"Referred: case \S+ opened")).first).to_be_visible()
    return reference


def test_procurement_screens_walks_a_tender_and_the_inspector_refers_a_worker(
    page, with_supply_demo, tmp_path
):
    from palermo.supply.models import InspectionReferral

    _procurement_screens_and_walks_the_tender(page, tmp_path)
    # The labour inspector: a worker consents, a screening opens pre-filled, then a referral.
    reference = _inspector_refers_a_consenting_worker(page)
    # Procurement sees a protected count, never who; the inspection itself is refused.
    page.context.clear_cookies()
    sign_in(page, "procurement")
    page.goto("/supply/")
    expect(
        page.get_by_text(re.compile("Workers screened after an inspection: fewer than 5"))
    ).to_be_visible()
    assert reference not in page.content()
    inspection_id = InspectionReferral.objects.get().inspection_id
    response = page.goto(f"/supply/inspections/{inspection_id}/")
    assert response is not None and response.status == 403


def test_the_coordinator_imports_a_national_risk_list_on_a_phone(page, with_supply_demo, tmp_path):
    """The national risk lists are the co-ordinator's (supply.risk_lists): reached from the
    main navigation, without the procurement pages, and every step fits 390 px."""
    from palermo.supply.models import RiskEdition
    from tests.supply.supply_helpers import DOL_ROWS, dol_file

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "coordinator")
    page.locator("header nav").get_by_role("link", name="Risk lists").click()
    expect(page.get_by_role("heading", name="Risk lists", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Purchase orders")).to_have_count(0)
    _fits(page)
    page.get_by_role("link", name="Import a risk list").click()
    _fits(page)
    upload = tmp_path / "dol.csv"
    upload.write_bytes(dol_file(*DOL_ROWS))
    page.get_by_label("Risk list file (CSV or XLSX)").set_input_files(str(upload))
    page.get_by_label("Edition").fill("2031")
    page.get_by_label("Licence").fill("public domain")
    page.get_by_label("Downloaded on").fill("2026-11-30")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text(re.compile("4 rows of .*, are ready to import"))).to_be_visible()
    _fits(page)
    page.get_by_role("button", name="Import every row").click()
    expect(page.get_by_text("4 rows of the risk list imported.")).to_be_visible()
    _fits(page)
    assert RiskEdition.objects.get(format="us_dol", is_current=True).edition == "2031"
    # The procurement officer reads the new edition and is not offered an import.
    page.context.clear_cookies()
    sign_in(page, "procurement")
    page.goto("/supply/risk/")
    expect(page.get_by_role("link", name="Import a risk list")).to_have_count(0)
    expect(page.get_by_text("the national co-ordinator imports each new edition")).to_be_visible()
    _fits(page)
