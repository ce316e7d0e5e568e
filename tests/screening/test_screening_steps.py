"""The stepped screening interview over HTTP, without JavaScript (issue 15, item 2), and the
assessment and referral forms that act once (item 6)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from tests.screening.interview_helpers import (
    assess,
    send_step,
    step_count,
    step_url,
    step_with,
    tick,
    version_in,
)
from tests.web.once_helpers import token_in

from palermo.cases.models import Case
from palermo.core.models import AuditEntry
from palermo.screening.models import Screening, ScreeningStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(login_as):
    client = login_as("inspector")
    response = client.post(reverse("screening:start"), {"age": "34", "forms": ["labour"]})
    ref = Screening.objects.get().reference
    assert response.url == reverse("screening:interview", args=[ref])
    return client, ref


def test_one_dimension_per_step_with_progress(started):
    client, ref = started
    first = client.get(reverse("screening:interview", args=[ref])).content.decode()
    total = step_count(first)
    # The person, the adult labour list's dimensions, the Palermo elements.
    assert total >= 5
    assert "Step 1 of" in first and "<progress" in first
    titles = []
    for n in range(2, total):
        html = client.get(step_url(ref, n)).content.decode()
        assert f"Step {n} of {total}" in html
        legends = re.findall(
            r'<fieldset id="section-\d+" class="dimension">\s*<legend>([^<]+)', html
        )
        assert len(legends) == 1, "one dimension per step"
        titles.append(legends[0])
    assert len(set(titles)) == len(titles)
    last = client.get(step_url(ref, total)).content.decode()
    assert "Palermo elements" in last and 'name="act"' in last
    assert client.get(step_url(ref, total + 1)).status_code == 404
    assert client.get(step_url(ref, 0)).status_code == 404


def test_each_step_saves_and_back_and_forward_keep_the_input(started):
    client, ref = started
    n, page = step_with(client, ref, "ind_deceived_about_wages")
    response = client.post(
        step_url(ref, n),
        {
            "version": version_in(page),
            "go": "next",
            "ind_deceived_about_wages": "on",
            "src_deceived_about_wages": "self_reported",
            "note_deceived_about_wages": "promised EUR 50 a day",
        },
    )
    assert response.status_code == 302 and response.url == step_url(ref, n + 1)
    # Saved as a draft at once (save as you go).
    saved = Screening.objects.get(reference=ref)
    assert saved.status == ScreeningStatus.DRAFT
    assert saved.answers["indicators"] == [
        {"key": "deceived_about_wages", "source": "self_reported", "note": "promised EUR 50 a day"}
    ]
    # Forward: the next step, then back with the step's own button (which saves it too).
    nxt = client.get(response.url).content.decode()
    key = re.search(r'name="ind_([a-z0-9_]+)"', nxt).group(1)
    back = client.post(response.url, {"version": version_in(nxt), "go": "back", f"ind_{key}": "on"})
    assert back.url == step_url(ref, n)
    again = client.get(back.url).content.decode()
    assert re.search(r'name="ind_deceived_about_wages"[^>]*checked', again)
    assert "promised EUR 50 a day" in again
    assert '<option value="self_reported" selected>' in again
    # … and forward again: the next step kept its tick.
    forward = client.get(step_url(ref, n + 1)).content.decode()
    assert re.search(rf'name="ind_{key}"[^>]*checked', forward)
    # The running tally counts what is saved, step by step.
    assert 'data-tally="2"' in forward


def test_unticking_in_a_step_removes_only_that_step_s_answer(started):
    client, ref = started
    tick(client, ref, ["deceived_about_wages", "excessive_working_hours"])
    n, _html = step_with(client, ref, "ind_deceived_about_wages")
    assert send_step(client, ref, n, {}).status_code == 302
    keys = [i["key"] for i in Screening.objects.get(reference=ref).answers["indicators"]]
    assert keys == ["excessive_working_hours"]


def test_any_step_can_be_reached_and_the_step_buttons_save_first(started):
    client, ref = started
    n, page = step_with(client, ref, "ind_deceived_about_wages")
    total = step_count(page)
    r = client.post(
        step_url(ref, n),
        {"version": version_in(page), "go": str(total), "ind_deceived_about_wages": "on"},
    )
    assert r.url == step_url(ref, total)
    assert Screening.objects.get(reference=ref).answers["indicators"] == [
        {"key": "deceived_about_wages"}
    ]
    r = send_step(client, ref, total, {"act": ["recruitment"]}, go="summary")
    assert r.url == reverse("screening:interview_summary", args=[ref])


def test_an_invalid_step_keeps_the_input_saves_nothing_and_stays(started):
    client, ref = started
    response = send_step(client, ref, 1, {"age": "150", "forms": ["labour"]})
    html = response.content.decode()
    assert response.status_code == 422
    assert "This step was not saved" in html and 'value="150"' in html
    assert Screening.objects.get(reference=ref).answers["age"] == 34


def test_the_summary_lists_what_was_marked_before_assessing(started):
    client, ref = started
    tick(
        client,
        ref,
        ["deceived_about_wages", "coerced_documents_confiscated"],
        notes={"deceived_about_wages": "a personal note"},
    )
    html = client.get(reverse("screening:interview_summary", args=[ref])).content.decode()
    assert "2 indicators marked" in html
    assert "note recorded" in html and "a personal note" not in html
    assert "Labour exploitation" in html
    assert html.count("Change “") == step_count(client.get(step_url(ref, 1)).content.decode())
    assert Screening.objects.get(reference=ref).status == ScreeningStatus.DRAFT


def test_assessing_twice_with_the_same_token_assesses_once(started):
    client, ref = started
    tick(client, ref, ["excessive_working_hours", "coerced_documents_confiscated"])
    url = reverse("screening:interview_summary", args=[ref])
    html = client.get(url).content.decode()
    data = {"version": version_in(html), "form_token": token_in(html)}
    first = client.post(url, data)
    version = Screening.objects.get(reference=ref).version
    second = client.post(url, data, follow=True)
    assert first.status_code == 302 and first.url == reverse("screening:result", args=[ref])
    assert second.redirect_chain[-1][0] == reverse("screening:result", args=[ref])
    assert "already been sent" in second.content.decode()
    screening = Screening.objects.get(reference=ref)
    assert screening.status == ScreeningStatus.COMPLETED and screening.version == version
    completed = [
        e
        for e in AuditEntry.objects.filter(object_ref=ref, action="update")
        if (e.details or {}).get("status") == "completed"
    ]
    assert len(completed) == 1


def test_assessing_without_a_token_assesses_nothing(started):
    client, ref = started
    url = reverse("screening:interview_summary", args=[ref])
    html = client.get(url).content.decode()
    response = client.post(url, {"version": version_in(html)})
    assert response.status_code == 422 and "not sent from its page" in response.content.decode()
    assert Screening.objects.get(reference=ref).status == ScreeningStatus.DRAFT


def test_a_referred_screening_has_no_steps_to_change(started):
    client, ref = started
    tick(client, ref, ["excessive_working_hours", "coerced_documents_confiscated"])
    assert assess(client, ref).status_code == 302
    Screening.objects.filter(reference=ref).update(status=ScreeningStatus.REFERRED)
    for url in (step_url(ref, 2), reverse("screening:interview_summary", args=[ref])):
        r = client.get(url)
        assert r.status_code == 302 and r.url == reverse("screening:result", args=[ref])


def test_steps_of_another_organisation_s_screening_are_not_found(started, login_as):
    _client, ref = started
    other = login_as("police")
    assert other.get(step_url(ref, 1)).status_code == 404
    assert other.get(reverse("screening:interview_summary", args=[ref])).status_code == 404


def test_a_screening_referral_sent_twice_opens_one_case(login_as):
    client = login_as("police")
    client.post(reverse("screening:start"), {"age": "34", "forms": ["labour"]})
    ref = Screening.objects.get().reference
    tick(client, ref, ["excessive_working_hours", "coerced_documents_confiscated"])
    assert assess(client, ref).status_code == 302
    url = reverse("screening:refer", args=[ref])
    data = {
        "exploitation_forms": ["ForcedLabour"],
        "form_token": token_in(client.get(url).content),
    }
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    case = Case.objects.get()
    assert first.status_code == 302
    assert "already been sent" in second.content.decode()
    assert second.redirect_chain[-1][0] == first.url
    assert Screening.objects.get(reference=ref).case_reference == case.reference


def test_a_screening_referral_without_what_it_is_about_opens_nothing(login_as):
    client = login_as("police")
    client.post(reverse("screening:start"), {"age": "34", "forms": ["labour"]})
    ref = Screening.objects.get().reference
    tick(client, ref, ["excessive_working_hours", "coerced_documents_confiscated"])
    assess(client, ref)
    url = reverse("screening:refer", args=[ref])
    r = client.post(url, {"form_token": token_in(client.get(url).content)})
    assert r.status_code == 200 and "Say what the referral is about" in r.content.decode()
    assert Case.objects.count() == 0
