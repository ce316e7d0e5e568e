"""Review before high-stakes actions (issue 15, item 6): no preselected decision, a review step
that restates the decision and what it does, a referral's minimum, and forms that act once."""

from __future__ import annotations

import re
from datetime import date

import pytest
from tests.cases.cases_helpers import REASONS, decide, open_case, shelter_provider
from tests.web.once_helpers import token_for, token_in

from palermo.cases.models import Case, IdentificationDecision, ServiceReferral
from palermo.core.models import AuditEntry

pytestmark = pytest.mark.django_db


# --- the identification decision -----------------------------------------------------------------


def test_the_decision_form_preselects_no_outcome(login_as):
    case = open_case()
    html = login_as("coordinator").get(f"/cases/{case.reference}/decide/").content.decode()
    radios = re.findall(r'<input type="radio" name="outcome"[^>]*>', html)
    assert len(radios) == 3
    assert not any("checked" in r for r in radios)
    assert "Continue: check before saving" in html and 'name="form_token"' not in html
    assert "<select" not in html.split('name="outcome"')[0][-200:]


def test_a_decision_without_an_outcome_is_refused_beside_the_field(login_as):
    case = open_case()
    client = login_as("coordinator")
    r = client.post(
        f"/cases/{case.reference}/decide/", {"version": case.version, "reasons": REASONS}
    )
    html = r.content.decode()
    assert r.status_code == 200 and "This field is required" in html
    assert "Check the decision before you save it" not in html
    assert not IdentificationDecision.objects.exists()


def test_the_review_restates_the_decision_and_what_it_starts_and_saves_nothing(login_as):
    case = open_case()
    client = login_as("coordinator")
    answers = {"version": case.version, "outcome": "presumed", "reasons": REASONS}
    r = client.post(f"/cases/{case.reference}/decide/", answers)
    html = r.content.decode()
    assert r.status_code == 200
    assert "Check the decision before you save it" in html
    assert "Presumed victim (reasonable grounds)" in html and REASONS in html
    assert "reflection and recovery period" in html
    # The entitlements the rules attach to a presumed decision, with their due dates.
    from palermo.cases import services

    planned = services.identification_decision_plan(case, "presumed")
    assert planned, "the rules attach deadlines to a presumed decision"
    for p in planned:
        assert p.task in html
    assert 'value="confirm"' in html and 'value="change"' in html
    assert not IdentificationDecision.objects.exists()
    assert Case.objects.get(pk=case.pk).identification_status == "potential"
    assert not [
        e
        for e in AuditEntry.objects.filter(object_ref=case.reference)
        if (e.details or {}).get("what") == "identification_decide"
    ]


def test_change_goes_back_to_the_form_with_the_answers_kept(login_as):
    case = open_case()
    client = login_as("coordinator")
    r = client.post(
        f"/cases/{case.reference}/decide/",
        {
            "version": case.version,
            "outcome": "not_identified",
            "reasons": REASONS,
            "step": "change",
        },
    )
    html = r.content.decode()
    assert r.status_code == 200 and "Check the decision before you save it" not in html
    assert re.search(r'<input type="radio" name="outcome" value="not_identified"[^>]*checked', html)
    assert REASONS in html
    assert not IdentificationDecision.objects.exists()


def test_confirming_twice_with_the_same_token_records_one_decision(login_as):
    case = open_case()
    client = login_as("coordinator")
    answers = {"version": case.version, "outcome": "identified", "reasons": REASONS}
    review = client.post(f"/cases/{case.reference}/decide/", answers)
    confirm = {**answers, "step": "confirm", "form_token": token_in(review.content)}
    first = client.post(f"/cases/{case.reference}/decide/", confirm)
    second = client.post(f"/cases/{case.reference}/decide/", confirm, follow=True)
    assert first.status_code == 302 and first.url == f"/cases/{case.reference}/"
    assert IdentificationDecision.objects.filter(case=case).count() == 1
    assert second.redirect_chain[-1][0] == f"/cases/{case.reference}/"
    assert "already been sent" in second.content.decode()
    decided = [
        e
        for e in AuditEntry.objects.filter(object_ref=case.reference, action="update")
        if (e.details or {}).get("what") == "identification_decide"
    ]
    assert len(decided) == 1


def test_a_confirmation_without_its_token_saves_nothing(login_as):
    case = open_case()
    client = login_as("coordinator")
    r = client.post(
        f"/cases/{case.reference}/decide/",
        {"version": case.version, "outcome": "presumed", "reasons": REASONS, "step": "confirm"},
    )
    assert r.status_code == 200 and "not sent from its page" in r.content.decode()
    assert not IdentificationDecision.objects.exists()


def test_re_deciding_a_decided_case_says_a_decision_exists(login_as):
    """Item 9: the real reason, not the role."""
    case = open_case()
    decide(case, "identified")
    r = login_as("coordinator").get(f"/cases/{case.reference}/decide/")
    html = r.content.decode()
    assert r.status_code == 403 and "already been identified" in html
    assert "Your role" not in html


def test_a_decision_taken_meanwhile_is_reported_on_confirming_not_blamed_on_the_role(login_as):
    """Two co-ordinators review the same case; the second confirmation meets the first decision."""
    case = open_case()
    client = login_as("coordinator")
    answers = {"version": case.version, "outcome": "presumed", "reasons": REASONS}
    review = client.post(f"/cases/{case.reference}/decide/", answers)
    decide(case, "identified")  # someone else, meanwhile
    r = client.post(
        f"/cases/{case.reference}/decide/",
        {**answers, "step": "confirm", "form_token": token_in(review.content)},
    )
    html = r.content.decode()
    assert r.status_code in (200, 403)
    assert "Your role" not in html
    assert "already" in html or "Someone else changed this case" in html
    assert IdentificationDecision.objects.filter(case=case).count() == 1


# --- the referral (opening a case) -------------------------------------------------------------------


def test_an_empty_referral_opens_no_case_and_says_what_is_missing_beside_each_field(login_as):
    client = login_as("outreach")
    r = client.post("/cases/new/", {"form_token": token_for(client, "/cases/new/")})
    html = r.content.decode()
    assert r.status_code == 200
    assert Case.objects.count() == 0
    for field, message in (
        ("source", "This field is required"),
        ("exploitation_forms", "Say what the referral is about"),
        ("given_name", "Give a way to find the person again"),
    ):
        at = html.index(f'id="id_{field}')
        start = html.rindex('<div class="field', 0, at)
        end = html.find('<div class="field', at)
        block = html[start : end if end != -1 else len(html)]
        assert "has-error" in block[:40] and message in block, field


def test_the_referral_form_preselects_no_source(login_as):
    html = login_as("outreach").get("/cases/new/").content.decode()
    select = re.search(r'<select name="source".*?</select>', html, re.S).group(0)
    assert '<option value="" selected>' in select


def test_a_referral_with_its_minimum_opens_one_case_however_often_it_is_sent(login_as):
    client = login_as("outreach")
    data = {
        "form_token": token_for(client, "/cases/new/"),
        "source": "hotline",
        "source_ref": "HOT-77",
        "exploitation_forms": ["ForcedLabour"],
    }
    first = client.post("/cases/new/", data)
    second = client.post("/cases/new/", data, follow=True)
    assert first.status_code == 302
    case = Case.objects.get()
    assert first.url == f"/cases/{case.reference}/"
    assert second.redirect_chain[-1][0] == f"/cases/{case.reference}/"
    assert "nothing was done twice" in second.content.decode()


def test_a_refused_referral_does_not_use_up_its_token(login_as):
    client = login_as("outreach")
    token = token_for(client, "/cases/new/")
    data = {"form_token": token, "source": "transnational", "given_name": "Keep me"}
    refused = client.post("/cases/new/", {**data, "exploitation_forms": ["ForcedLabour"]})
    assert refused.status_code == 200 and b"names the country" in refused.content
    ok = client.post(
        "/cases/new/",
        {**data, "exploitation_forms": ["ForcedLabour"], "referring_country": "RO"},
    )
    assert ok.status_code == 302 and Case.objects.count() == 1


def test_a_token_is_for_its_user_and_its_form(login_as):
    client = login_as("outreach")
    token = token_for(client, "/cases/new/")
    data = {"source": "hotline", "source_ref": "HOT-1", "exploitation_forms": ["ForcedLabour"]}
    login_as("police")
    r = client.post("/cases/new/", {**data, "form_token": token})
    assert r.status_code == 200 and "another form or another user" in r.content.decode()
    # Nor for another form: a service-referral token does not open a case.
    case = open_case()
    outreach = login_as("outreach")
    other = token_for(outreach, f"/cases/{case.reference}/refer/")
    r = outreach.post("/cases/new/", {**data, "form_token": other})
    assert "another form or another user" in r.content.decode()
    assert Case.objects.count() == 1  # the one open_case made


def test_an_expired_token_says_so_and_does_nothing(login_as, settings):
    from unittest import mock

    client = login_as("outreach")
    token = token_for(client, "/cases/new/")
    with mock.patch("palermo.web.once.MAX_AGE", -1):
        r = client.post(
            "/cases/new/",
            {
                "form_token": token,
                "source": "hotline",
                "source_ref": "HOT-2",
                "exploitation_forms": ["ForcedLabour"],
            },
        )
    assert r.status_code == 200 and "open for too long" in r.content.decode()
    assert Case.objects.count() == 0


# --- the service referral ----------------------------------------------------------------------------


def test_a_service_referral_sent_twice_is_created_once(login_as):
    case = open_case()
    provider = shelter_provider()
    client = login_as("outreach")
    client.post(
        f"/cases/{case.reference}/consent/",
        {
            "scopes": ["identity"],
            "recipient": provider.organisation_id,
            "purpose": "shelter",
            "given_by": "person",
            "given_on": date.today().isoformat(),
        },
    )
    consent = case.consents.get()
    data = {
        "service_type": "shelter",
        "provider": provider.pk,
        "consent": consent.pk,
        "form_token": token_for(client, f"/cases/{case.reference}/refer/"),
    }
    assert client.post(f"/cases/{case.reference}/refer/", data).status_code == 302
    again = client.post(f"/cases/{case.reference}/refer/", data)
    assert again.status_code == 302 and again.url == f"/cases/{case.reference}/"
    assert ServiceReferral.objects.filter(case=case).count() == 1
    # A new form (a new token) is a new, deliberate referral.
    data["form_token"] = token_for(client, f"/cases/{case.reference}/refer/")
    assert client.post(f"/cases/{case.reference}/refer/", data).status_code == 302
    assert ServiceReferral.objects.filter(case=case).count() == 2


def test_a_refusal_by_the_service_gives_its_reason_not_the_role(login_as):
    """Item 9: when the service refuses (here made to, as it would for an organisation that is not
    the identification body), the page gives the service's reason, not the role."""
    from unittest import mock

    from palermo.cases import services

    case = open_case()
    client = login_as("coordinator")
    answers = {"version": case.version, "outcome": "presumed", "reasons": REASONS}
    review = client.post(f"/cases/{case.reference}/decide/", answers)
    reason = "Only the competent identification body takes identification decisions."
    with mock.patch.object(
        services, "identification_decide", side_effect=services.NotAllowed(reason)
    ):
        r = client.post(
            f"/cases/{case.reference}/decide/",
            {**answers, "step": "confirm", "form_token": token_in(review.content)},
        )
    html = r.content.decode()
    assert r.status_code == 403
    assert reason in html and "Your role in the organisation" not in html
    assert not IdentificationDecision.objects.exists()
    assert AuditEntry.objects.filter(action="refused", object_ref=case.reference).exists()


# --- the pure rule ----------------------------------------------------------------------------------


def test_referral_minimum_rule():
    from hypothesis import given
    from hypothesis import strategies as st

    from palermo.cases import workflow as wf

    @given(
        forms=st.lists(st.sampled_from(["ForcedLabour", "SexualExploitation"]), max_size=2),
        summary=st.text(max_size=20),
        person_known=st.booleans(),
    )
    def check(forms: list[str], summary: str, person_known: bool) -> None:
        problems = wf.referral_minimum_problems(
            exploitation_forms=forms, summary=summary, person_known=person_known
        )
        assert (wf.REFERRAL_SUBJECT in problems) == (not forms and not summary.strip())
        assert (wf.REFERRAL_PERSON in problems) == (not person_known)
        assert len(problems) == len(set(problems))

    check()


def test_an_appeal_outcome_is_not_preselected_and_is_recorded_once(login_as):
    from tests.cases.cases_helpers import acting

    from palermo.cases import services
    from palermo.cases.models import Appeal

    case = open_case()
    decide(case, "not_identified")
    actor, organisation = acting("outreach")
    case.refresh_from_db()
    appeal = services.appeal_lodge(
        actor=actor,
        organisation=organisation,
        case=case,
        grounds="The interview was held without an interpreter.",
        lodged_on=date.today(),
    )
    client = login_as("coordinator")
    url = f"/cases/{case.reference}/appeal-outcome/{appeal.pk}/"
    html = client.get(url).content.decode()
    radios = re.findall(r'<input type="radio" name="upheld"[^>]*>', html)
    assert len(radios) == 2 and not any("checked" in r for r in radios)
    case.refresh_from_db()
    data = {
        "version": case.version,
        "upheld": "yes",
        "new_outcome": "presumed",
        "reasons": REASONS,
        "form_token": token_in(html),
    }
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 302 and again.url == f"/cases/{case.reference}/"
    assert Appeal.objects.get(pk=appeal.pk).status != "pending"
    assert IdentificationDecision.objects.filter(case=case, outcome="presumed").count() == 1
