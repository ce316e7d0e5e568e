"""Each role's home shows the work waiting for it, and the links lead to exactly that work."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_country(transactional_db, monkeypatch, demo_loader):

    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    demo_loader()


def test_coordinator_and_shelter_see_their_waiting_work_on_a_phone(page, demo_country):
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, "coordinator")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    item = page.locator("[data-work=awaiting_decision]")
    expect(item).to_contain_text(re.compile(r"\d+ referrals? awaits? an identification decision"))
    n = int(item.get_attribute("data-count"))
    assert n > 0
    item.get_by_role("link").click()
    expect(page.locator("p.count")).to_have_text(f"{n} case" if n == 1 else f"{n} cases")

    page.context.clear_cookies()
    sign_in(page, "caseworker")
    item = page.locator("[data-work=referrals_received]")
    expect(item).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Referrals received").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/cases/referrals/" in page.url
