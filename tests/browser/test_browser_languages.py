"""The header's language switcher in a real browser (issue 15, item 5).

The sweep of every main page in every shown language (no untranslated catalogue string, the
right ``<html lang>``) is tests/web/test_i18n_pages.py: the same pages and text through the test
client, since the pages run no script that writes text.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

# The full languages: a public-page-only one (Arabic, Romanian) is never used on these pages.
_PUBLIC_ONLY = {code for code, _ in settings.PALERMO_PUBLIC_LANGUAGES}
SHOWN = [code for code, _ in settings.LANGUAGES if code != "en" and code not in _PUBLIC_ONLY]


def _choose_language(page, code: str) -> None:
    switcher = page.locator("form.language-switcher")
    switcher.locator("select").select_option(code)
    switcher.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", code)


@pytest.mark.skipif("uk" not in SHOWN, reason="Ukrainian is not complete")
def test_the_choice_is_remembered_and_works_at_phone_width(page, demo_users):
    page.set_viewport_size({"width": 390, "height": 800})
    sign_in(page, "caseworker")
    _choose_language(page, "uk")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    switcher = page.locator("form.language-switcher")
    expect(switcher).to_be_visible()
    box = switcher.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    # A new visit (same browser): still Ukrainian, from the cookie and the profile.
    page.goto("/cases/")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("navigation", name="Головне")).to_be_visible()
