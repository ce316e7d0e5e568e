"""Suppliers and contracts as a whole in a real browser, on a 390 px wide screen: the
prioritised list, a supplier's "Risk as a whole" with its reasons, and a contract's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_browser_supply import _fits, with_supply_demo  # noqa: F401

pytestmark = pytest.mark.browser


def test_procurement_reads_suppliers_by_priority_on_a_phone(page, with_supply_demo):  # noqa: F811
    from palermo.supply.models import Contract

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "procurement")
    page.goto("/supply/suppliers/risk/")
    expect(page.get_by_role("heading", name="Suppliers by priority")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Name", exact=True).click()
    expect(page.get_by_text("Sort by:")).to_be_visible()
    _fits(page)
    page.locator("table tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Risk as a whole")).to_be_visible()
    expect(page.get_by_text("The worst screened line is").first).to_be_visible()
    _fits(page)
    contract = Contract.objects.get(reference="MPW-2026-014")
    page.goto(f"/supply/contracts/{contract.pk}/")
    expect(page.get_by_role("heading", name="Risk as a whole")).to_be_visible()
    expect(page.get_by_text("The level chosen for this contract: High.")).to_be_visible()
    _fits(page)
