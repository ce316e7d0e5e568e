"""Friendly error pages, also in the demo (DEBUG), reasons in words, and the error summary
(issue 15, item 9)."""

from __future__ import annotations

import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import include, path

from palermo.core.policy import public


@public("test only: a page that fails")
def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug, with a secret setting nearby")


# A URL map for the 500 test: the project's, plus a page that fails.
urlpatterns = [path("boom/", _boom), path("", include("palermo.urls"))]
handler500 = "palermo.web.errors.server_error"


@pytest.fixture
def coordinator(client, demo_world):
    from palermo.core.models import User

    client.force_login(User.objects.get(username="coordinator"))
    return client


@override_settings(DEBUG=True)
def test_unknown_url_in_the_demo_is_a_friendly_404_not_the_url_pattern_listing(coordinator):
    resp = coordinator.get("/no-such-page/")
    html = resp.content.decode()
    assert resp.status_code == 404
    assert "Not found" in html
    assert "URLconf" not in html and "admin/" not in html and "api/v1/" not in html
    assert resp["Content-Security-Policy"]  # the same headers as every page


@override_settings(DEBUG=True, PALERMO_DEBUG_PAGES=True)
def test_the_technical_page_stays_available_to_a_developer_who_asks_for_it(coordinator):
    resp = coordinator.get("/no-such-page/")
    assert resp.status_code == 404
    assert "URLconf" in resp.content.decode()


@override_settings(DEBUG=False, PALERMO_DEBUG_PAGES=True)
def test_the_developer_setting_means_nothing_without_debug(client, db):
    resp = client.get("/no-such-page/")
    assert "URLconf" not in resp.content.decode()


@override_settings(DEBUG=True, ROOT_URLCONF="tests.web.test_errors")
def test_a_crash_in_the_demo_shows_the_friendly_page_not_the_traceback(client, db):
    client.raise_request_exception = False
    resp = client.get("/boom/")
    html = resp.content.decode()
    assert resp.status_code == 500
    assert "Something went wrong" in html
    assert "secret setting" not in html and "Traceback" not in html and "SECRET_KEY" not in html


def test_a_get_on_a_post_only_address_gets_a_page_that_says_why(coordinator):
    resp = coordinator.get("/organisation/switch/")
    html = resp.content.decode()
    assert resp.status_code == 405
    assert resp["Allow"] == "POST"
    assert "Not possible this way" in html and "use the button" in html


def test_re_deciding_an_identified_case_says_a_decision_exists_not_that_the_role_forbids_it(
    coordinator,
):
    from palermo.cases import services
    from palermo.core.models import User

    police = User.objects.get(username="police")
    case = services.case_open(
        actor=police,
        organisation=police.organisations()[0],
        source="agency",
        source_ref="POL-9",
        person={"given_name": "Test"},
        exploitation_forms=["ForcedLabour"],
        is_child_or_presumed_child=False,
    )
    coord = User.objects.get(username="coordinator")
    case.refresh_from_db()
    services.identification_decide(
        actor=coord,
        organisation=coord.organisations()[0],
        case=case,
        expected_version=case.version,
        outcome="identified",
        reasons="Established on the evidence of the labour inspectorate.",
    )
    resp = coordinator.get(f"/cases/{case.reference}/decide/")
    html = resp.content.decode()
    assert resp.status_code == 403
    assert "already been identified" in html
    assert "Your role" not in html

    # A role that may not decide still hears that it is the role.
    client = coordinator
    client.force_login(police)
    resp = client.get(f"/cases/{case.reference}/decide/")
    assert resp.status_code == 403
    assert "Your role in the organisation you act for does not allow this" in resp.content.decode()


def test_a_form_with_errors_opens_with_a_summary_linking_to_each_field(client, demo_world):
    from palermo.core.models import User

    client.force_login(User.objects.get(username="police"))
    resp = client.post("/cases/new/", {"source": "not-a-source"})
    html = resp.content.decode()
    assert resp.status_code in (200, 422)
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert summary, "an error summary at the top of the form"
    assert "data-error-summary" in html and 'tabindex="-1"' in summary.group(0)
    links = re.findall(r'<a href="#([^"]+)">', summary.group(1))
    assert links, "each problem links to its field"
    for anchor in links:
        assert f'id="{anchor}"' in html, anchor
    assert html.index("error-summary") < html.index("<form") or html.index(
        "error-summary"
    ) < html.index('class="field')


@override_settings(DEBUG=True)
def test_an_expired_form_says_so_in_words_not_the_role_nor_the_technical_page(demo_world):
    from django.test import Client

    from palermo.core.models import User

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="coordinator"))
    resp = client.post("/organisation/switch/", {"organisation": "1"})
    html = resp.content.decode()
    assert resp.status_code == 403
    assert "open for too long" in html
    assert "Your role" not in html and "CSRF verification failed" not in html
