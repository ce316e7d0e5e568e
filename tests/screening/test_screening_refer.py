"""Referral from a screening into the NRM case file: one action, minimal data, safeguards kept."""

from __future__ import annotations

import pytest
from django.urls import reverse
from test_screening_shell import FARM, auth
from tests.screening.interview_helpers import assess, tick
from tests.web.once_helpers import token_for

from palermo.cases.models import Case
from palermo.core.models import AuditEntry
from palermo.screening.models import Screening, ScreeningStatus

CHILD = {
    "age_uncertain_may_be_child": True,
    "forms": ["labour"],
    "indicators": [{"key": "excessive_working_hours", "source": "observed"}],
}


def _token(client, ref: str) -> str:
    page = client.get(reverse("screening:refer", args=[ref]))
    if page.status_code != 200:  # refused or sent elsewhere: no form, no token
        return "none"
    return token_for(client, reverse("screening:refer", args=[ref]))


@pytest.fixture
def submit(client, api_token):
    def do(username: str, body: dict) -> str:
        response = client.post(
            "/api/v1/screenings", body, content_type="application/json", **auth(api_token(username))
        )
        assert response.status_code in (200, 201), response.content
        return response.json()["reference"]

    return do


def test_refer_opens_case_with_minimal_data_and_links_screening(login_as, submit):
    ref = submit("police", FARM)
    web = login_as("police")
    page = web.get(reverse("screening:result", args=[ref])).content.decode()
    assert reverse("screening:refer", args=[ref]) in page
    form = web.get(reverse("screening:refer", args=[ref])).content.decode()
    assert 'value="ForcedLabour"' in form and "checked" in form  # the screened form is preselected
    response = web.post(
        reverse("screening:refer", args=[ref]),
        {
            "form_token": _token(web, ref),
            "given_name": "Ana",
            "citizenship": "RO",
            "exploitation_forms": ["ForcedLabour"],
            "summary": "Farm workers, documents held.",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.source == "screening" and case.source_ref == ref and not case.is_child
    screening = Screening.objects.get(reference=ref)
    assert (
        screening.status == ScreeningStatus.REFERRED and screening.case_reference == case.reference
    )
    # The name is personal data: never in a URL, never in the audit trail.
    assert "Ana" not in response.url
    assert not AuditEntry.objects.filter(details__icontains="Ana").exists()
    assert AuditEntry.objects.filter(object_ref=ref, action="update").exists()
    # A second referral of the same screening is refused: no duplicate case.
    again = web.post(
        reverse("screening:refer", args=[ref]),
        {"exploitation_forms": ["ForcedLabour"], "form_token": _token(web, ref)},
    )
    assert again.status_code == 302 and Case.objects.count() == 1


def test_presumed_child_cannot_be_referred_as_an_adult(login_as, submit):
    ref = submit("police", CHILD)
    web = login_as("police")
    # The tick box is locked; posting "not a child" anyway changes nothing.
    response = web.post(
        reverse("screening:refer", args=[ref]),
        {"exploitation_forms": ["ForcedLabour"], "form_token": _token(web, ref)},
    )
    assert response.status_code == 302
    assert Case.objects.get().is_child is True


def test_invalid_referral_keeps_input_and_saves_nothing(login_as, submit):
    ref = submit("police", FARM)
    web = login_as("police")
    response = web.post(
        reverse("screening:refer", args=[ref]),
        {
            "form_token": _token(web, ref),
            "given_name": "Ana",
            "phone": "not a phone",
            "exploitation_forms": ["ForcedLabour"],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "international number" in html and 'value="Ana"' in html
    assert Case.objects.count() == 0
    assert Screening.objects.get(reference=ref).status == ScreeningStatus.COMPLETED


def test_draft_cannot_be_referred(login_as):
    web = login_as("inspector")
    url = web.post(reverse("screening:start"), {"age": "34", "forms": ["labour"]}).url
    ref = Screening.objects.get().reference
    response = web.post(
        reverse("screening:refer", args=[ref]),
        {"exploitation_forms": ["ForcedLabour"], "form_token": _token(web, ref)},
    )
    assert response.status_code == 302 and response.url == url
    assert Case.objects.count() == 0


def test_refer_needs_permission_and_the_screening_s_organisation(login_as, submit):
    ref = submit("police", FARM)
    assert login_as("analyst").get(reverse("screening:refer", args=[ref])).status_code == 403
    other = login_as("inspector")  # a screener of another organisation
    assert (
        other.post(
            reverse("screening:refer", args=[ref]),
            {"exploitation_forms": ["ForcedLabour"], "form_token": _token(other, ref)},
        ).status_code
        == 404
    )
    assert Case.objects.count() == 0


def test_screener_without_case_access_is_told_the_reference(login_as):
    web = login_as("inspector")
    web.post(reverse("screening:start"), {"age": "34", "forms": ["labour"]})
    ref = Screening.objects.get().reference
    tick(web, ref, ["excessive_working_hours", "coerced_documents_confiscated"])
    assert assess(web, ref).status_code == 302
    response = web.post(
        reverse("screening:refer", args=[ref]),
        {"exploitation_forms": ["ForcedLabour"], "form_token": _token(web, ref)},
        follow=True,
    )
    case = Case.objects.get()
    assert case.reference in response.content.decode()
