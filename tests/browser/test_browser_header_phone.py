"""The header on a 390 px phone leaves the page room: it once took 440 of 844 px when every
link wrapped onto its own line. Every navigation link stays reachable (scrolled into view
and clicked) and a 44 px target, and signing out works from the phone header."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_browser_phone import WIDTH

pytestmark = pytest.mark.browser


def test_the_phone_header_is_short_and_every_link_reachable(page, demo_users):
    page.set_viewport_size({"width": WIDTH, "height": 844})
    sign_in(page, "coordinator")  # the role with the most navigation links
    page.goto("/cases/")
    height = page.evaluate("document.querySelector('header.top').getBoundingClientRect().height")
    assert height <= 200, f"header {height}px tall on a phone"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= WIDTH
    nav = page.get_by_role("navigation", name="Main")
    links = nav.get_by_role("link").all()
    assert len(links) >= 8
    for link in links:
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44, link.inner_text()
    # the last link is off-screen to the right at first; a tap scrolls it in and follows it
    last = links[-1]
    href = last.get_attribute("href")
    last.click()
    page.wait_for_load_state()
    assert page.url.endswith(href)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.goto("/cases/")
    expect(page.get_by_label("Username")).to_be_visible()
