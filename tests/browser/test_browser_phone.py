"""Phones (issue 15, item 4): at 390 px no main page is wider than the viewport.

Every demo role signs in on a 390 px wide screen and opens every page its main navigation
offers, plus the pages reached from them that a frontline worker uses on the go: a case
file, a screening result, an investigation and its network, the audit viewer and the
statistics. A page wider than the screen makes the person scroll sideways to read a row.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

WIDTH = 390

# Pages reached from the main navigation that each role also opens (besides the menu).
EXTRA = {
    "coordinator": [
        "/cases/referrals/",
        "/cases/services/",
        "/cases/oversight/",
        "/stats/export/ctdc/",
        "/tokens/",
        "/accounts/password/change/",
        "/monitor/indicators/",
        "/supply/risk/import/",
        "/no-such-page/",
    ],
    "analyst": ["/stats/export/ctdc/"],
    "police": [
        "/cases/new/",
        "/investigations/new/",
        "/investigations/profiles/",
        "/screening/new/",
    ],
    "caseworker": ["/cases/referrals/"],
    "inspector": ["/screening/new/"],
    "fiu": [],
    "prosecutor": [],
    "outreach": ["/cases/referrals/", "/cases/services/"],
    "admin": [],
}


@pytest.fixture
def full_demo(transactional_db, monkeypatch, demo_loader):
    """The whole fictional country: demo cases and the demo investigation too."""

    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    monkeypatch.setenv("PALERMO_DEMO_INVESTIGATION", "1")
    monkeypatch.setenv("PALERMO_DEMO_MONITOR", "1")
    demo_loader()


def _width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


# The column headings whose longest word does not fit on one line in its cell: a table squeezed
# into the screen (instead of scrolling in its box) wrote "Phase" as P/h/a/s/e, one letter a line.
# (A line may still break after a hyphen or a slash: "SHA-/256" is how text wraps.)
BROKEN_HEADINGS = """() => {
  const out = [];
  for (const th of document.querySelectorAll('main table th')) {
    const shown = th.cloneNode(true);  // the words on screen, not a screen reader's
    shown.querySelectorAll('.visually-hidden').forEach(e => e.remove());
    const word = shown.textContent.trim().split(/[\\s\\-\\/]+/).reduce((a, b) => b.length > a.length ? b : a, '');
    if (word.length < 4 || th.clientWidth === 0) continue;
    const probe = document.createElement('span');
    probe.style.whiteSpace = 'nowrap';
    probe.style.position = 'absolute';  // out of the flow: it must not widen the column it measures
    probe.textContent = word;
    th.appendChild(probe);
    const fits = probe.getBoundingClientRect().width <= th.clientWidth;
    probe.remove();
    if (!fits) out.push(word);
  }
  return out.slice(0, 3);
}"""


def broken_headings(page) -> list[str]:
    return page.evaluate(BROKEN_HEADINGS)


def _check(page, path: str, too_wide: list[str], who: str) -> None:
    response = page.goto(path)
    page.wait_for_load_state()
    if path != "/no-such-page/":
        assert response is not None and response.status < 400, (
            f"{who} {path}: {response and response.status}"
        )
    width = _width(page)
    if width > WIDTH:
        too_wide.append(f"{who} {path}: {width}px")
    broken = broken_headings(page)
    if broken:
        too_wide.append(f"{who} {path}: column headings broken mid-word: {broken}")


def _first_link(page, list_path: str, pattern: str) -> str | None:
    page.goto(list_path)
    links = page.locator("main table a[href]")
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href") or ""
        if re.fullmatch(pattern, href):
            return href
    return None


def screening_result(page) -> str:
    """A screening result to look at: the signed-in screener screens someone (no indicator
    ticked); the result page's address."""
    page.goto("/screening/new/")
    page.get_by_label("Age (years)").fill("34")
    page.get_by_label("Labour exploitation").check()
    page.get_by_role("button", name="Start the interview").click()
    page.get_by_role("button", name="Save and review the answers").click()
    page.get_by_role("button", name="Assess").click()
    expect(page.get_by_role("heading", name=re.compile("Screening result"))).to_be_visible()
    return page.url


# One test per demo role, so that pytest-xdist spreads the sweep over its workers. The fewest
# pages each role's sweep must reach (about four fifths of what it reached when the sweep was
# split, so that a page moved between menus does not fail it): together they keep the single
# sweep's "at least 40 pages".
MIN_PAGES = {
    "coordinator": 21,
    "analyst": 11,
    "admin": 3,
    "police": 20,
    "caseworker": 13,
    "inspector": 8,
    "fiu": 12,
    "prosecutor": 9,
    "outreach": 12,
    "online": 4,
}


def assert_every_role_and_40_pages(min_pages: dict[str, int]) -> None:
    from palermo.core.demo import DEMO_USERS

    assert set(min_pages) == {username for username, _org, _roles in DEMO_USERS}
    assert sum(min_pages.values()) >= 40


def test_the_sweep_covers_every_demo_role_and_at_least_40_pages():
    assert_every_role_and_40_pages(MIN_PAGES)


@pytest.mark.parametrize("username", list(MIN_PAGES))
def test_no_main_page_is_wider_than_a_phone_for_any_role(page, full_demo, username):
    page.set_viewport_size({"width": WIDTH, "height": 800})
    too_wide: list[str] = []
    checked = 0

    sign_in(page, username)
    # The header itself fits, and the main navigation is there.
    assert _width(page) <= WIDTH, f"{username}: dashboard is {_width(page)}px wide"
    paths = [a.get_attribute("href") for a in page.locator("header nav a").all()]
    assert paths, f"{username} sees no main navigation"
    paths = [p for p in paths if p and not p.startswith("/admin/")] + EXTRA.get(username, [])
    if "/cases/" in paths:
        case = _first_link(page, "/cases/", r"/cases/NRM-[^/]+/")
        assert case or username in ("fiu", "prosecutor"), f"{username} finds a demo case"
        if case:
            paths.append(case)
    if "/investigations/" in paths:
        inv = _first_link(page, "/investigations/", r"/investigations/[^/]+/")
        assert inv or username == "prosecutor", f"{username} finds the demo investigation"
        if inv:
            paths += [inv, inv + "network/", inv + "proceeds/"]
    if "/monitor/" in paths:
        # Monitoring: the survey (designer or answer steps), the country visit and its report.
        from palermo.monitor.models import Survey, VisitReport

        survey = Survey.objects.first()
        report = VisitReport.objects.first()
        paths += ["/monitor/surveys/", "/monitor/visits/", "/monitor/recommendations/"]
        # (a survey is seen by the office, the rapporteur and the organisations asked)
        if survey is not None and username in (
            "coordinator",
            "analyst",
            "caseworker",
            "police",
        ):
            paths.append(f"/monitor/surveys/{survey.pk}/")
            if username in ("coordinator", "analyst"):
                paths.append(f"/monitor/surveys/{survey.pk}/consolidated/")
            if username in ("caseworker", "police"):
                paths += [f"/monitor/surveys/{survey.pk}/answer/?step={n}" for n in (0, 8)]
        if report is not None:
            paths += [
                f"/monitor/visits/{report.visit_id}/",
                f"/monitor/visits/reports/{report.pk}/",
            ]
    if username == "inspector":
        # The result, and the stepped interview's steps and summary (issue 15, item 2).
        result = screening_result(page)
        paths += [
            result,
            result + "interview/",
            result + "interview/step/2/",
            result + "interview/summary/",
        ]
    for path in dict.fromkeys(paths):
        _check(page, path, too_wide, username)
        checked += 1

    print(f"phone widths checked on {checked} pages for {username}")
    assert checked >= MIN_PAGES[username], f"only {checked} pages checked for {username}"
    assert not too_wide, "pages wider than a 390 px phone (or squeezed):\n" + "\n".join(too_wide)


def test_filters_fold_behind_a_button_on_a_phone_and_stay_open_on_a_desktop(page, demo_users):
    sign_in(page, "coordinator")
    page.set_viewport_size({"width": WIDTH, "height": 800})
    page.goto("/audit/")
    filters = page.locator("details.filter-panel")
    expect(filters.locator("summary")).to_be_visible()
    expect(filters.locator("form.filters button[type=submit]")).to_be_hidden()
    filters.locator("summary").click()
    expect(filters.locator("form.filters button[type=submit]")).to_be_visible()

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/audit/")
    expect(page.locator("details.filter-panel summary")).to_be_hidden()
    expect(page.locator("details.filter-panel form.filters button[type=submit]")).to_be_visible()
