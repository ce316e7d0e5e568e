"""The case pages: what each persona sees, forms that keep input on refusal, audited reads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.cases.cases_helpers import REASONS, decide, open_case, refer_to_shelter, shelter_provider
from tests.web.once_helpers import token_for, token_in

from palermo.cases.models import Case, Person
from palermo.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_list_search_and_case_page_for_the_team(login_as):
    case = open_case(child=True)
    client = login_as("outreach")
    r = client.get("/cases/")
    assert r.status_code == 200 and case.reference.encode() in r.content
    assert b"Ana" not in r.content  # no names in lists
    r = client.get("/cases/", {"q": case.reference[:6], "child": "yes", "sort": "deadline"})
    assert case.reference.encode() in r.content
    r = client.get(f"/cases/{case.reference}/")
    html = r.content.decode()
    assert r.status_code == 200 and "Ana Example" in html and "1 Fictional Street" in html
    assert "Appoint a guardian for the child" in html and "Child protection applies" in html
    assert AuditEntry.objects.filter(action="read", object_ref=case.reference).exists()


def test_coordinator_page_hides_contacts_and_offers_the_decision(login_as):
    case = open_case()
    client = login_as("coordinator")
    html = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Ana Example" in html and "1 Fictional Street" not in html
    assert "shown to the case team only" in html and f"/cases/{case.reference}/decide/" in html
    answers = {"version": case.version, "outcome": "presumed", "reasons": REASONS}
    review = client.post(f"/cases/{case.reference}/decide/", answers)
    assert (
        review.status_code == 200
        and "Check the decision before you save it" in review.content.decode()
    )
    assert Case.objects.get(pk=case.pk).identification_status == "potential"  # nothing saved yet
    r = client.post(
        f"/cases/{case.reference}/decide/",
        {**answers, "step": "confirm", "form_token": token_in(review.content)},
    )
    assert r.status_code == 302
    assert Case.objects.get(pk=case.pk).identification_status == "presumed"


def test_invalid_transition_is_shown_next_to_the_field_with_input_kept(login_as):
    case = open_case()
    client = login_as("outreach")
    r = client.post(
        f"/cases/{case.reference}/transition/",
        {
            "version": case.version,
            "target": "closed",
            "closure_reason": "other",
            "closure_details": "",
        },
    )
    html = r.content.decode()
    assert r.status_code == 200 and "Explain the reason for closure." in html
    assert 'value="other" selected' in html


def test_stale_edit_is_refused_with_a_clear_message_and_the_input_kept(login_as):
    case = open_case()
    client = login_as("outreach")
    form = client.get(f"/cases/{case.reference}/person/")
    assert b'name="version" value="1"' in form.content
    # Someone else saves first …
    Case.objects.filter(pk=case.pk).update(version=2)
    r = client.post(
        f"/cases/{case.reference}/person/",
        {"version": 1, "given_name": "Mine", "family_name": "Example"},
    )
    html = r.content.decode()
    assert "Someone else changed this case" in html and 'value="Mine"' in html
    assert Person.objects.get(case=case).given_name == "Ana"
    assert 'name="version" value="2"' in html  # saving again is a deliberate second decision


def test_police_on_the_team_get_no_identity_fields_in_the_person_form(login_as):
    case = open_case(by="police")
    client = login_as("police")
    html = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Ana" not in html and "Identity not shown" in html


def test_invisible_case_is_404_and_unknown_too(login_as):
    case = open_case(by="police")
    client = login_as("caseworker")
    assert client.get(f"/cases/{case.reference}/").status_code == 404
    assert client.get("/cases/NRM-AAAA-AAAA/").status_code == 404
    assert client.get(f"/cases/{case.reference}/note/").status_code == 404


def test_screener_refers_and_gets_the_reference_only(login_as):
    client = login_as("inspector")
    r = client.post(
        "/cases/new/",
        {
            "form_token": token_for(client, "/cases/new/"),
            "source": "screening",
            "source_ref": "SCR-ABCD-EFGH",
            "given_name": "Elif",
            "exploitation_forms": ["ForcedLabour"],
            "citizenship": "TR",
        },
    )
    assert r.status_code == 200
    case = Case.objects.get()
    assert case.reference.encode() in r.content and b"Elif" not in r.content
    assert (
        client.get(f"/cases/{case.reference}/").status_code == 403
    )  # no permission to see cases at all


def test_open_form_keeps_input_on_error(login_as):
    client = login_as("outreach")
    r = client.post(
        "/cases/new/",
        {
            "form_token": token_for(client, "/cases/new/"),
            "source": "transnational",
            "given_name": "Keep me",
            "exploitation_forms": ["ForcedLabour"],
        },
    )
    assert (
        r.status_code == 200
        and b"names the country" in r.content
        and b'value="Keep me"' in r.content
    )
    assert Case.objects.count() == 0


def test_shelter_inbox_accept_and_limited_view(login_as):
    case = open_case()
    decide(case)
    ref = refer_to_shelter(case, scopes=("identity",))
    client = login_as("caseworker")
    assert case.reference.encode() in client.get("/cases/referrals/").content
    page = client.get(f"/cases/referrals/{ref.pk}/").content.decode()
    assert (
        "Ana Example" in page
        and "Victim context: not covered" in page
        and "1 Fictional Street" not in page
    )
    r = client.post(f"/cases/referrals/{ref.pk}/accept/")
    assert r.status_code == 302
    ref.refresh_from_db()
    assert ref.status == "accepted"
    r = client.post(f"/cases/referrals/{ref.pk}/close/", {"outcome": ""})
    assert r.status_code == 422 and b"Choose the outcome" in r.content or b"required" in r.content


def test_referral_form_and_consent_form(login_as):
    case = open_case()
    provider = shelter_provider()
    client = login_as("outreach")
    r = client.post(
        f"/cases/{case.reference}/consent/",
        {
            "scopes": ["identity"],
            "recipient": provider.organisation_id,
            "purpose": "shelter",
            "given_by": "person",
            "given_on": date.today().isoformat(),
        },
    )
    assert r.status_code == 302
    consent = case.consents.get()
    token = token_for(client, f"/cases/{case.reference}/refer/")
    r = client.post(
        f"/cases/{case.reference}/refer/",
        {
            "service_type": "legal_aid",
            "provider": provider.pk,
            "consent": consent.pk,
            "form_token": token,
        },
    )
    assert r.status_code == 200 and b"does not offer that service" in r.content
    r = client.post(
        f"/cases/{case.reference}/refer/",
        {
            "service_type": "shelter",
            "provider": provider.pk,
            "consent": consent.pk,
            "form_token": token,
        },
    )
    assert r.status_code == 302 and case.service_referrals.count() == 1


def test_oversight_lists_overdue_deadlines(login_as):
    from unittest import mock

    open_case(child=True)
    client = login_as("coordinator")
    with mock.patch("palermo.cases.clock.today", return_value=date.today() + timedelta(days=5)):
        html = client.get("/cases/oversight/").content.decode()
    assert "Appoint a guardian for the child" in html
    assert login_as("outreach").get("/cases/oversight/").status_code == 403


def test_directory_and_notes_and_corrections(login_as):
    shelter_provider()
    case = open_case()
    client = login_as("outreach")
    assert b"Safe Harbour" in client.get("/cases/services/").content
    client.post(f"/cases/{case.reference}/note/", {"text": "Original note."})
    note = case.events.get(kind="note")
    r = client.post(f"/cases/{case.reference}/correct/{note.pk}/", {"text": "Corrected note."})
    assert r.status_code == 302
    html = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Original note." in html and "Corrected note." in html and "corrects" in html


def test_every_action_form_renders_for_a_child_case(login_as):
    from palermo.cases.views import ACTIONS

    case = open_case(child=True)
    decide(case)
    for who in ("outreach", "coordinator"):
        client = login_as(who)
        for action in ACTIONS:
            if action.with_item:
                continue
            r = client.get(f"/cases/{case.reference}/{action.slug}/")
            assert r.status_code in (200, 403), (who, action.slug, r.status_code)


def test_views_and_api_read_case_data_only_through_selectors():
    """STYLE.md rule 3: the one door. Views and API operations never query case tables themselves."""
    import re
    from pathlib import Path

    import palermo.cases as pkg

    root = Path(pkg.__file__).parent
    pattern = re.compile(
        r"\b(Case|Person|VictimContext|CaseEvent|Consent|ServiceReferral|ServiceProvider|Task|"
        r"CaseTeamMember|SuspectLink|TraffickingEvent)\.objects\b|\.(consents|events|tasks|team|"
        r"service_referrals)\.(filter|all|get)\("
    )
    api_modules = sorted((root / "api").glob("*.py"))  # the API is a package (issue 14)
    assert len(api_modules) > 10, "the case API's modules were not found"
    for path in [root / "views.py", root / "forms.py", *api_modules]:
        offending = [line for line in path.read_text().splitlines() if pattern.search(line)]
        if path.name == "forms.py":
            # choice lists of the directory (no personal data) are allowed in forms
            offending = [line for line in offending if "ServiceProvider.objects" not in line]
        assert offending == [], f"{path.name} queries case tables directly: {offending}"


def test_case_list_page_has_a_fixed_query_budget(login_as, django_assert_max_num_queries):
    for i in range(30):
        open_case(person={"citizenship": ["RO"], "given_name": f"P{i}"})
    client = login_as("coordinator")
    client.get("/cases/")
    with django_assert_max_num_queries(25):
        r = client.get("/cases/", {"sort": "deadline"})
    assert r.content.count(b'href="/cases/NRM-') == 25


def test_team_removal_and_non_punishment_decision_from_the_page(login_as):
    from tests.cases.cases_helpers import acting, org

    from palermo.cases import services

    case = open_case()
    actor, ngo = acting("outreach")
    services.team_add(
        actor=actor, organisation=ngo, case=case, member=org("Safe Harbour"), role="assistance"
    )
    np = services.non_punishment_record(
        actor=actor,
        organisation=ngo,
        case=case,
        offence="False document",
        compulsion="Forced by the trafficker to carry it.",
    )
    client = login_as("outreach")
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert f"/cases/{case.reference}/team-remove/{org('Safe Harbour').pk}/" in page
    r = client.post(
        f"/cases/{case.reference}/team-remove/{org('Safe Harbour').pk}/", {"confirm": "on"}
    )
    assert r.status_code == 302
    assert not case.team.filter(organisation=org("Safe Harbour"), removed_at__isnull=True).exists()
    r = client.post(
        f"/cases/{case.reference}/non-punishment-decide/{np.pk}/",
        {
            "decision": "not_prosecuted",
            "decided_by_body": "Prosecutor",
            "decided_on": date.today().isoformat(),
        },
    )
    assert r.status_code == 302
    np.refresh_from_db()
    assert np.decision == "not_prosecuted"
