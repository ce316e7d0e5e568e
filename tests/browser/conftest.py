"""Browser tests: Playwright's Python package driving Debian's Chromium.

Playwright's own browser download does not work here, so the browser is the
system one (`chromium`, installed by ./dev test), started headless without a
sandbox and without background networking (the machine has no internet).
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.waits import WAIT_MS

# Playwright's sync API runs an event loop in this thread; the ORM calls that
# tests make between page actions are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait for the page as long as actions do (Playwright's own default is 5 s).
    expect.set_options(timeout=WAIT_MS)
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed: run ./dev test, which installs it")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class ServerFailed(AssertionError):
    """The server answered the browser with a 5xx during a journey."""


def fail_fast_on_server_errors(context) -> None:
    """Fail the journey as soon as the server answers it with a 5xx.

    A journey waits up to WAIT_MS for the next button, so a page that crashed would otherwise
    hold the whole run for many minutes and then fail with a bare "timeout". Playwright's
    sync API raises an exception from an event listener into the call that is waiting, so the
    pending action fails at once, naming the request that failed (the server's traceback is in
    the captured log).
    """

    def on_response(response) -> None:
        if response.status >= 500:
            raise ServerFailed(f"{response.status} from {response.request.method} {response.url}")

    context.on("response", on_response)


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(WAIT_MS)
    fail_fast_on_server_errors(context)
    p = context.new_page()
    yield p
    context.close()


@pytest.fixture
def demo_users(transactional_db, demo_loader):
    demo_loader()


def sign_in(page, username: str) -> None:
    from palermo.core.demo import DEMO_PASSWORD

    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Wait for the dashboard, so the next action does not race the navigation.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
