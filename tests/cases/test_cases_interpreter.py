"""Interpreter requests on the case file: service, page, timeline in words, audit, refusals."""

from __future__ import annotations

import pytest
from tests.cases.cases_helpers import acting, open_case

from palermo.cases import services, workflow
from palermo.cases.models import Case
from palermo.core.errors import InvalidInput, NotAllowed
from palermo.core.models import AuditEntry


def test_request_writes_a_timeline_entry_and_an_audit_entry(demo_world):
    case = open_case()
    actor, organisation = acting("outreach")
    event = services.interpreter_request(
        actor=actor, organisation=organisation, case=case, language=" RO "
    )
    assert event.kind == "interpreter" and event.summary == "Interpreter requested for Romanian"
    entry = AuditEntry.objects.filter(object_type="case", object_ref=case.reference).latest("id")
    assert entry.action == "create" and entry.details["what"] == "interpreter_request"
    assert entry.details["language"] == "ro" and entry.details["event"] == event.pk


@pytest.mark.parametrize(("language", "message"), [("", "Choose"), ("xx", "ISO 639")])
def test_bad_language_is_refused_beside_the_field_and_nothing_is_written(
    demo_world, language, message
):
    case = open_case()
    actor, organisation = acting("outreach")
    events, entries = case.events.count(), AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.interpreter_request(
            actor=actor, organisation=organisation, case=case, language=language
        )
    assert [e.field for e in exc.value.errors] == ["language"]
    assert message in exc.value.errors[0].message
    assert case.events.count() == events and AuditEntry.objects.count() == entries


def test_closed_case_and_outsiders_are_refused(demo_world):
    case = open_case()
    outsider, other_org = acting("analyst")
    with pytest.raises(NotAllowed):
        services.interpreter_request(
            actor=outsider, organisation=other_org, case=case, language="ro"
        )
    actor, organisation = acting("outreach")
    Case.objects.filter(pk=case.pk).update(phase=workflow.CLOSED)
    case.refresh_from_db()
    with pytest.raises(InvalidInput, match="closed"):
        services.interpreter_request(
            actor=actor, organisation=organisation, case=case, language="ro"
        )
    assert not case.events.filter(kind="interpreter").exists()


def test_the_case_page_records_it_and_says_the_language_in_words(login_as):
    case = open_case()
    client = login_as("outreach")
    assert client.get(f"/cases/{case.reference}/interpreter/").status_code == 200
    r = client.post(f"/cases/{case.reference}/interpreter/", {"language": "nope"})
    assert r.status_code == 200 and not case.events.filter(kind="interpreter").exists()
    r = client.post(f"/cases/{case.reference}/interpreter/", {"language": "ro"})
    assert r.status_code == 302
    html = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Interpreter requested for Romanian" in html


def test_the_timeline_says_the_language_in_the_readers_language(demo_world):
    from django.utils import translation

    from palermo.cases.timeline import timeline_summary

    with translation.override("fr"):
        said = timeline_summary("Interpreter requested for Romanian").text
    # the sentence and the language both in French
    assert "roumain" in said.lower() and "Interpreter" not in said


def test_the_api_records_it_and_refuses_bad_input_and_outsiders(client, api_token):
    case = open_case()

    def post(username, body):
        return client.post(
            f"/api/v1/cases/{case.reference}/interpreter-requests",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api_token(username)}",
        )

    r = post("outreach", {"language": "xx"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "language"
    assert post("analyst", {"language": "ro"}).status_code in (403, 404)
    assert not case.events.filter(kind="interpreter").exists()
    r = post("outreach", {"language": "ro"})
    assert r.status_code == 201
    assert r.json()["kind"] == "interpreter"
    assert r.json()["summary"] == "Interpreter requested for Romanian"
