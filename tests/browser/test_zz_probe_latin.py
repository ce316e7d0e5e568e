import re
import pytest
from tests.browser.conftest import sign_in
from tests.browser.test_browser_languages import TEXTS_JS, _choose_language, _pages, demo_country  # noqa

pytestmark = pytest.mark.browser

def test_probe(page, demo_country):
    seen = {}
    for role in ["coordinator", "caseworker", "police", "fiu", "outreach", "analyst", "inspector", "prosecutor"]:
        sign_in(page, role)
        _choose_language(page, "uk")
        paths = _pages(page)
        for extra in ["/screening/new/", "/cases/referrals/", "/cases/services/", "/cases/oversight/", "/audit/", "/tokens/", "/accounts/two-step/"]:
            paths.append(extra)
        for path in dict.fromkeys(paths):
            page.goto(path)
            for text, where in page.evaluate(TEXTS_JS):
                if re.search(r"[A-Za-z]{3,}", text) and not re.search(r"[А-Яа-яІіЇїЄєҐґ]", text):
                    seen.setdefault(text, f"{role} {path} <{where}>")
        _choose_language(page, "en")
        page.locator("form[action='/accounts/logout/'] button").click()
    with open("/tmp/i18n/latin.txt", "w") as f:
        for t, w in sorted(seen.items()):
            f.write(f"{w}\t{t[:150]}\n")
