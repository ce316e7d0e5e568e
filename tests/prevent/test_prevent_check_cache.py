"""The blank job-offer page is rendered once per language and served from memory (issue 19,
≥ 200 requests/s): it must still be right per language, carry a fresh working CSRF token per
visitor, follow changes of the contacts file, read nothing from the database, and never show a
stale licence registry (the registry is read only when answers are posted)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from tests.prevent.prevent_helpers import licence_csv

from palermo.prevent import public_views, services
from palermo.prevent.models import Licence

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


@pytest.fixture(autouse=True)
def _empty_page_cache():
    public_views.clear_page_cache()
    yield
    public_views.clear_page_cache()


def _without_tokens(body: str) -> str:
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', body)


def _in(code: str, text: str) -> str:
    with translation.override(code):
        return gettext(text)


def test_cached_page_is_right_per_language_in_any_order(demo_world):
    title, question = "Check a job offer", "Have you been asked to pay a fee"
    assert _in("uk", title) != title  # the Ukrainian catalogue translates the title
    pages = {}
    for code in ("uk", "en", "uk", "sq", "en"):  # each language twice: once rendered, once cached
        r = Client().get("/check/", HTTP_ACCEPT_LANGUAGE=code)
        assert r.status_code == 200
        body = r.content.decode()
        assert f'<html lang="{code}"' in body
        assert _in(code, title) in body
        pages.setdefault(code, []).append(_without_tokens(body))
    assert pages["uk"][0] == pages["uk"][1]
    assert pages["en"][0] == pages["en"][1]
    assert question in pages["en"][0]
    assert question not in pages["uk"][0]
    # The language cookie set by the switcher wins over the browser's language, cached or not.
    c = Client()
    c.cookies["django_language"] = "uk"
    assert '<html lang="uk"' in c.get("/check/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_each_visitor_gets_a_fresh_token_that_works_and_no_session(demo_world):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    r1, r2 = first.get("/check/"), second.get("/check/")
    t1 = TOKEN.findall(r1.content.decode())
    t2 = TOKEN.findall(r2.content.decode())
    assert len(t1) == 2 and len(t2) == 2  # the answer form and the language switcher
    assert set(t1).isdisjoint(t2)  # a cached page never hands one visitor's token to another
    assert set(r1.cookies) == {"csrftoken"}  # no session cookie, only the CSRF cookie
    assert r1.cookies["csrftoken"].value != r2.cookies["csrftoken"].value
    ok = first.post("/check/", {"q_fee": "yes", "csrfmiddlewaretoken": t1[0]})
    assert ok.status_code == 200 and "warning sign" in ok.content.decode()
    # The other visitor's token does not fit this visitor's cookie.
    assert first.post("/check/", {"q_fee": "yes", "csrfmiddlewaretoken": t2[0]}).status_code == 403
    assert first.post("/check/", {"q_fee": "yes"}).status_code == 403


def test_a_returning_visitor_keeps_the_same_csrf_secret(demo_world):
    c = Client()
    first = c.get("/check/").cookies["csrftoken"].value
    again = c.get("/check/").cookies  # Django re-sends the CSRF cookie with each token it uses
    assert set(again) <= {"csrftoken"}
    assert "csrftoken" not in again or again["csrftoken"].value == first


def test_blank_page_reads_nothing_from_the_database(demo_world):
    Client().get("/check/")  # rendered and cached
    for _ in range(2):  # served from memory
        with CaptureQueriesContext(connection) as queries:
            assert Client().get("/check/").status_code == 200
        assert queries.captured_queries == []


def test_licence_list_change_shows_at_once_and_the_blank_page_holds_no_registry_data(
    login_as, demo_world
):
    before = _without_tokens(Client().get("/check/").content.decode())
    coordinator = login_as("coordinator")
    r = coordinator.post(
        "/prevent/licences/import/",
        {
            "kind": "licence",
            "title": "Ministry list",
            "file": SimpleUploadedFile(
                "l.csv",
                licence_csv("Zorya Recruiting Ltd,UA-77,UA,banned,,https://example.org,2026-11-30"),
            ),
        },
    )
    assert r.status_code == 302 and Licence.objects.count() == 1
    after = _without_tokens(Client().get("/check/").content.decode())
    assert after == before  # nothing of the registry is on the blank page, so nothing goes stale
    answer = Client().post("/check/", {"agency": "Zorya Recruiting"}).content.decode()
    assert "Zorya Recruiting Ltd" in answer  # the posted answer reads the registry as it is now


def test_contacts_file_change_renders_the_page_again(demo_world, tmp_path):
    path = tmp_path / "contacts.json"
    known = json.loads(services.CONTACTS_FILE.read_text(encoding="utf-8"))
    path.write_text(json.dumps(known), encoding="utf-8")
    with override_settings(PALERMO_PREVENT_CONTACTS=str(path)):
        assert "Atlantis Test" not in Client().get("/check/").content.decode()
        known["countries"]["XA"] = {"name": "Atlantis Test", "hotline": "+1 000", "nrm": "NRM XA"}
        path.write_text(json.dumps(known, indent=1), encoding="utf-8")  # other size: new version
        assert "Atlantis Test" in Client().get("/check/").content.decode()


def test_a_changed_setting_is_not_hidden_by_the_cache(demo_world):
    assert 'lang="sq"' in Client().get("/check/").content.decode()  # the switcher offers Albanian
    with override_settings(LANGUAGES=[("en", "English"), ("uk", "Ukrainian")]):
        assert 'lang="sq"' not in Client().get("/check/").content.decode()
    assert 'lang="sq"' in Client().get("/check/").content.decode()
