"""Accessibility (issue 15): axe-core, run inside the browser, finds no serious or critical
violation on any main page of any demo role, and no page logs a Content-Security-Policy error.

axe-core is vendored from npm (tests/browser/vendor/axe-core, MPL-2.0) and injected with
Playwright's ``page.add_script_tag``. The pages are those the phone-width test opens: every
page of each role's main navigation, the pages reached from them (a case file, a screening
result, an investigation with its network and proceeds, statistics, the audit viewer…).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_browser_phone import (
    EXTRA,
    _first_link,
    assert_every_role_and_40_pages,
    screening_result,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# axe-core is served to the page as if from Palermo's own origin (Playwright answers the request),
# so the Content-Security-Policy stays on (script-src 'self') while axe runs.
AXE_URL = "/__test__/axe.min.js"
BLOCKING = {"serious", "critical"}


@pytest.fixture
def full_demo(transactional_db, monkeypatch, settings, tmp_path, demo_loader):
    """The whole fictional country: demo cases and the demo investigation too."""

    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")
    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    monkeypatch.setenv("PALERMO_DEMO_INVESTIGATION", "1")
    demo_loader()


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the current page (WCAG 2.x A/AA and best practice)."""
    if not getattr(page.context, "_axe_routed", False):
        page.context._axe_routed = True
        page.context.route(
            "**" + AXE_URL,
            lambda route: route.fulfill(path=str(AXE), content_type="application/javascript"),
        )
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    return page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )


def _describe(who: str, path: str, v: dict) -> str:
    return f"{who} {path}: [{v['impact']}] {v['id']} — {v['help']} at {json.dumps(v['targets'])}"


def _pages_for(page, username: str) -> list[str]:
    paths = [a.get_attribute("href") for a in page.locator("header nav a").all()]
    paths = [p for p in paths if p and not p.startswith("/admin/")] + EXTRA.get(username, [])
    if "/cases/" in paths:
        case = _first_link(page, "/cases/", r"/cases/NRM-[^/]+/")
        if case:
            paths.append(case)
    if "/investigations/" in paths:
        inv = _first_link(page, "/investigations/", r"/investigations/[^/]+/")
        if inv:
            paths += [inv, inv + "network/", inv + "network/?scope=all", inv + "proceeds/"]
    return list(dict.fromkeys(paths))


# One test per demo role, so that pytest-xdist spreads the sweep over its workers. The fewest
# pages each role's sweep must reach (about four fifths of what it reached when the sweep was
# split, so that a page moved between menus does not fail it): together they keep the single
# sweep's "at least 40 pages".
MIN_PAGES = {
    "coordinator": 16,
    "analyst": 5,
    "admin": 3,
    "police": 14,
    "caseworker": 7,
    "inspector": 5,
    "fiu": 8,
    "prosecutor": 5,
    "outreach": 8,
    "online": 4,
}


def test_the_sweep_covers_every_demo_role_and_at_least_40_pages():
    assert_every_role_and_40_pages(MIN_PAGES)


@pytest.mark.parametrize("username", list(MIN_PAGES))
def test_no_serious_or_critical_axe_violation_on_any_main_page_for_any_role(
    page, full_demo, username
):
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            csp_errors.append(f"{page.url}: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )

    found: list[str] = []
    checked = 0
    sign_in(page, username)
    paths = _pages_for(page, username)
    assert paths, f"{username} sees no main navigation"
    if username == "inspector":
        paths.append(screening_result(page))  # a screening result too
    for path in paths:
        # page.goto returns after the load event: the page's scripts, styles and images are in,
        # and no page of the sweep fetches more after it (axe used to wait for 500 ms of network
        # silence on top, on every page).
        response = page.goto(path)
        if path != "/no-such-page/":
            assert response is not None and response.status < 400, (
                f"{username} {path}: {response and response.status}"
            )
        for v in axe_violations(page):
            if v["impact"] in BLOCKING:
                found.append(_describe(username, path, v))
        checked += 1

    print(f"axe-core checked {checked} pages for {username}")
    assert checked >= MIN_PAGES[username], f"only {checked} pages checked for {username}"
    assert not found, "serious or critical accessibility violations:\n" + "\n".join(found)
    assert not csp_errors, "Content-Security-Policy errors:\n" + "\n".join(csp_errors)


def test_the_axe_check_does_find_a_violation(page, demo_users):
    """The check is not blind: a page with a nested interactive control and an unlabelled
    field is reported (so a clean run means something)."""
    sign_in(page, "coordinator")
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend',
              '<div role="button" tabindex="0"><a href="/">x</a></div><input type="text">');
        }"""
    )
    ids = {v["id"] for v in axe_violations(page) if v["impact"] in BLOCKING}
    assert {"nested-interactive", "label"} <= ids, ids

    # and the console check sees what the policy refuses: an inline style, as htmx's
    # indicator styles were before they moved to the stylesheet
    with page.expect_console_message(
        lambda m: m.type == "error" and "Content Security Policy" in m.text
    ):
        page.evaluate(
            """() => { const s = document.createElement('style');
                       s.textContent = '.x { color: red }'; document.head.appendChild(s); }"""
        )


def test_htmx_adds_no_inline_style(page, demo_users):
    """htmx is told not to inject its indicator styles (they are in palermo.css)."""
    sign_in(page, "coordinator")
    assert page.evaluate("window.htmx.config.includeIndicatorStyles") is False
    assert page.locator("head style").count() == 0
