"""Every supply-chain page on a 390 px wide screen: the procurement officer and the
due-diligence analyst open each page the supply home links to, and the first record of each
list (a supplier, an order line, a contract, a risk list, a questionnaire …). None is wider than
the screen, none squeezes a table's headings into one letter a line, none fails.

The whole-app sweep (test_browser_phone) signs in as the core demo roles only, whose demo
has no supply data; these two roles and their pages are swept here.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_browser_phone import WIDTH, broken_headings
from tests.browser.test_browser_supply import with_supply_demo  # noqa: F401

pytestmark = pytest.mark.browser

# Files, not pages (CSV, XLSX, PDF, DOCX downloads and evidence files).
DOWNLOAD = re.compile(r"(\.(csv|xlsx|pdf|docx|json|zip)$|/evidence/|/draft\.)")
RECORD = re.compile(r"/supply/[a-z-]+/\d+/")


def _links(page) -> list[str]:
    hrefs = [a.get_attribute("href") or "" for a in page.locator("main a[href]").all()]
    return [h.split("#")[0] for h in hrefs if h.startswith("/supply/") and not DOWNLOAD.search(h)]


def _look(page, path: str, problems: list[str]) -> bool:
    response = page.goto(path)
    page.wait_for_load_state()
    if response is None or response.status >= 400:
        problems.append(f"{path}: {response and response.status}")
        return False
    width = page.evaluate("document.scrollingElement.scrollWidth")
    if width > WIDTH:
        problems.append(f"{path}: {width}px wide")
    broken = broken_headings(page)
    if broken:
        problems.append(f"{path}: column headings broken mid-word: {broken}")
    return True


@pytest.mark.parametrize("username", ["procurement", "diligence"])
def test_every_supply_page_fits_a_phone(page, with_supply_demo, username):  # noqa: F811
    page.set_viewport_size({"width": WIDTH, "height": 844})
    sign_in(page, username)
    page.goto("/supply/")
    pages = list(dict.fromkeys(["/supply/", *_links(page)]))
    records: list[str] = []
    problems: list[str] = []
    for path in pages:
        if not _look(page, path, problems):
            continue
        # The first record of each list, one per kind (/supply/suppliers/3/, /supply/orders/7/ …).
        for href in _links(page):
            kind = href.split("/")[2]
            if RECORD.fullmatch(href) and all(r.split("/")[2] != kind for r in records):
                records.append(href)
    for path in records:
        _look(page, path, problems)
    print(f"{username}: {len(pages)} pages and {len(records)} records checked: {records}")
    assert len(pages) >= 10 and len(records) >= 3, (pages, records)
    assert not problems, f"{username} on a 390 px phone:\n" + "\n".join(problems)
