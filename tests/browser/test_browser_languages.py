"""A page in each shipped language shows no untranslated catalogue string (issue 15, item 5).

Each demo role signs in, chooses the language with the header's switcher (a plain form: no
JavaScript needed) and walks the pages of its main navigation plus a case file. On every
page: ``<html lang>`` is the chosen language, and no piece of text (a text node, a button's
value, an ``aria-label``, ``placeholder`` or ``title``) is an English msgid of the catalogue
whose translation differs — the sign of a string that escaped gettext or a stale catalogue.
"""

from __future__ import annotations

import gettext
import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from palermo.web.i18n import LOCALE_DIR
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

# The full languages: a public-page-only one (Arabic, Romanian) is never used on these pages.
_PUBLIC_ONLY = {code for code, _ in settings.PALERMO_PUBLIC_LANGUAGES}
SHOWN = [code for code, _ in settings.LANGUAGES if code != "en" and code not in _PUBLIC_ONLY]

ROLES = ["coordinator", "caseworker", "police", "fiu", "outreach"]

# Every piece of text a reader sees, with where it is (for the failure message).
TEXTS_JS = """
() => {
  const out = [];
  const skip = new Set(["SCRIPT", "STYLE", "CODE", "NOSCRIPT", "TEXTAREA"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const el = node.parentElement;
    if (!el || skip.has(el.tagName) || el.closest("code, script, style, [lang='en']")) continue;
    const text = node.nodeValue.replace(/\\s+/g, " ").trim();
    if (text) out.push([text, el.tagName.toLowerCase()]);
  }
  for (const el of document.querySelectorAll("[aria-label], [placeholder], [title], input[type=submit]")) {
    for (const a of ["aria-label", "placeholder", "title", "value"]) {
      if (a === "value" && el.type !== "submit") continue;
      const v = (el.getAttribute(a) || "").trim();
      if (v) out.push([v, el.tagName.toLowerCase() + "@" + a]);
    }
  }
  return out;
}
"""


def _untranslated_english(code: str) -> set[str]:
    """The catalogue's English msgids whose translation in ``code`` differs from them
    (so seeing one on a page means it was not translated)."""
    with (LOCALE_DIR / code / "LC_MESSAGES" / "django.mo").open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
    out = set()
    for key, value in catalogue.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid or "\x04" in msgid or "%" in msgid or "{" in msgid:
            continue
        text = " ".join(msgid.split())
        if value and value != msgid and re.search(r"[A-Za-z]{3}", text):
            out.add(text)
    return out


@pytest.fixture
def demo_country(transactional_db, monkeypatch, demo_loader):

    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    monkeypatch.setenv("PALERMO_DEMO_INVESTIGATION", "1")
    demo_loader()


def _choose_language(page, code: str) -> None:
    switcher = page.locator("form.language-switcher")
    switcher.locator("select").select_option(code)
    switcher.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", code)


def _pages(page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header.top nav a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    extra = []
    page.goto("/cases/")
    first_case = page.locator("main table a[href^='/cases/NRM-']").first
    if first_case.count():
        extra.append(first_case.get_attribute("href"))
    return list(dict.fromkeys([h for h in hrefs if h and h.startswith("/")] + extra))


@pytest.mark.skipif(not SHOWN, reason="no language besides English is complete")
@pytest.mark.parametrize("code", SHOWN)
def test_every_main_page_is_wholly_in_the_chosen_language(page, demo_country, code):
    english = _untranslated_english(code)
    found: list[str] = []
    visited = 0
    for role in ROLES:
        sign_in(page, role)
        _choose_language(page, code)
        for path in _pages(page):
            response = page.goto(path)
            page.wait_for_load_state()
            assert response is not None and response.status < 400, f"{role} {path}"
            assert page.locator("html").get_attribute("lang") == code, f"{role} {path}"
            visited += 1
            for text, where in page.evaluate(TEXTS_JS):
                if text in english:
                    found.append(f"{role} {path} <{where}>: {text!r}")
        # Back to English for the next role's sign-in form (the choice is on the profile).
        _choose_language(page, "en")
        page.locator("form[action='/accounts/logout/'] button").click()
        page.wait_for_load_state()
    assert visited >= 20
    assert not found, f"{len(found)} untranslated strings:\n" + "\n".join(sorted(set(found)))


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
