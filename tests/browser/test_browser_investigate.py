"""Follow the money in a real browser: an investigator opens an investigation, imports a
statement, reviews the alerts, confirms a match, opens the network and downloads the evidence pack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from schwifty import IBAN

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def ib(n: int) -> str:
    return str(IBAN.generate("DE", bank_code="37040044", account_code=str(1_000_000 + n)).compact)


def statement_csv() -> bytes:
    rows = [
        "tx_ref,booked_at,amount,currency,payer_iban,payer_name,payee_iban,payee_name,description,mcc,channel"
    ]
    for i in (1, 2, 3):
        rows.append(
            f"S{i},2024-03-01 10:00:00,1000.00,EUR,{ib(50)},Adria Cleaning doo,{ib(i)},Worker Number{i},"
            "salary March,,"
        )
        rows.append(
            f"K{i},2024-03-02 10:00:00,600.00,EUR,{ib(i)},Worker Number{i},{ib(60)},Marko Horvat,rent,,"
        )
    for d in range(3, 10):
        rows.append(
            f"H{d},2024-03-{d:02d} 22:00:00,80.00,EUR,{ib(60)},Marko Horvat,{ib(70)},Hotel Adria,room,7011,"
        )
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture(autouse=True)
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")


def test_investigator_imports_reviews_alerts_confirms_match_and_downloads_pack(
    page, demo_users, tmp_path
):
    sign_in(page, "fiu")
    page.get_by_role("link", name="Investigations").first.click()
    page.get_by_role("link", name="Open an investigation").click()
    page.get_by_label("Title").fill("Operation Cleaning Crew")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_text(re.compile(r"Investigation INV-\d{4}-\d{4} opened"))).to_be_visible()

    # import a statement through a mapping profile
    stmt = tmp_path / "statement.csv"
    stmt.write_bytes(statement_csv())
    page.get_by_label("Statement file").set_input_files(str(stmt))
    page.get_by_label("Format").select_option("csv")
    page.get_by_label("CSV mapping profile").select_option("pkg:palermo-canonical")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported: 13 transactions added")).to_be_visible()
    page.get_by_role("link", name="Back to the investigation").click()

    # red flags: the alerts name their rule, source and transactions
    page.get_by_role("button", name="Run red flags").click()
    # The run is a background job: its page reports, then leads to the alerts.
    expect(page.get_by_text(re.compile(r"Red flags run: \d+ new alerts"))).to_be_visible()
    page.get_by_role("link", name="See the alerts").click()
    card = page.locator("article.alert-card", has_text="THB-LAB-WAGE-KICKBACK")
    expect(card).to_be_visible()
    card.get_by_text(re.compile(r"\d+ transactions")).click()
    expect(card.get_by_text("rent").first).to_be_visible()
    card.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Alert confirmed.")).to_be_visible()
    # the page opens at the alerts, and the success message is in view there, in green
    done = page.locator(".messages li.success", has_text="Alert confirmed.")
    expect(done).to_be_in_viewport()
    assert done.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(230, 244, 234)"
    # decided alerts are listed under their status
    alert_filters = page.locator("form.alert-filters")
    alert_filters.get_by_label("Status").select_option("confirmed")
    alert_filters.get_by_role("button", name="Show").click()
    expect(page.locator("article.alert-card.confirmed")).to_contain_text("THB-LAB-WAGE-KICKBACK")

    # a person from case work, matched to an account by the investigator
    form = page.locator("form", has=page.get_by_role("button", name="Add to the investigation"))
    form.get_by_label("Name").fill("Horvat Marko")
    form.get_by_label("Role").select_option("suspect")
    form.get_by_label("IBAN").fill(ib(60))
    form.get_by_role("button", name="Add to the investigation").click()
    proposals = page.locator("table.proposals")
    expect(proposals).to_contain_text("party:P1")
    proposals.get_by_role("button", name="Same").click()
    expect(page.get_by_text("Match judged: the same person or company.")).to_be_visible()
    expect(page.locator("table.judgements")).to_contain_text("same")

    # the network: an interactive graph with clickable accounts
    page.get_by_role("link", name="Network").click()
    expect(page.get_by_role("heading", name="Network")).to_be_visible()
    # drawn by Cytoscape.js (the server's SVG is the no-JS fallback), zoomable and keyboard-driven
    canvas = page.locator("#network-canvas")
    expect(canvas.locator("canvas").first).to_be_visible()
    expect(page.locator("#network-fallback")).to_be_hidden()
    zoom = canvas.evaluate("el => el.getBoundingClientRect().width")
    assert zoom > 0
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Show all").click()
    canvas.focus()
    page.keyboard.press("n")
    expect(page.locator("table.accounts tr.selected")).to_have_count(1)
    expect(page.locator("#network-selected")).to_contain_text("See its flows")
    expect(page.locator("table.roles")).to_be_visible()

    # the evidence pack
    page.get_by_role("link", name=re.compile(r"INV-\d{4}-\d{4}")).click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Evidence pack (HTML)").click()
    path = download.value.path()
    html = Path(path).read_text(encoding="utf-8")
    assert "THB-LAB-WAGE-KICKBACK" in html and "SHA-256" in html.upper()


def test_owner_closes_the_investigation_it_turns_read_only_and_reopens(page, demo_users):
    sign_in(page, "police")
    page.get_by_role("link", name="Investigations").first.click()
    page.get_by_role("link", name="Open an investigation").click()
    page.get_by_label("Title").fill("Operation Closing Time")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("button", name="Run red flags")).to_be_visible()

    close = page.locator("#close form")
    close.get_by_role(
        "button", name="Close the investigation"
    ).click()  # no reason, no confirmation
    expect(close.get_by_text("This field is required.").first).to_be_visible()
    page.locator("#close form").get_by_label("Reason for closing").select_option(
        "referred_to_prosecution"
    )
    page.locator("#close form").get_by_label(re.compile("I understand")).check()
    page.locator("#close form").get_by_role("button", name="Close the investigation").click()

    expect(page.get_by_text("Investigation closed: it is now read-only.")).to_be_visible()
    expect(page.get_by_text("Referred to the prosecution")).to_be_visible()
    expect(page.get_by_role("button", name="Run red flags")).to_have_count(0)
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    expect(page.get_by_role("link", name="Evidence pack (HTML)")).to_be_visible()

    page.get_by_role("button", name="Reopen the investigation").click()
    expect(page.get_by_text("Investigation reopened.")).to_be_visible()
    expect(page.get_by_role("button", name="Run red flags")).to_be_visible()
