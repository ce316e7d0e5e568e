"""One error path (issue 14, item 2): every service refusal is a ``PalermoError`` carrying its
HTTP status; the API's one handler and the web's one middleware answer it in the one error shape
and audit refusals — no endpoint needs a decorator, and a forgotten catch is never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from palermo.core import errors
from palermo.core.errors import FieldError
from palermo.core.models import AuditEntry


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (errors.InvalidInput(FieldError("name", "Too long.")), 422),
        (errors.NotAllowed("No."), 403),
        (errors.NotFound(), 404),
        (errors.Conflict("Closed."), 409),
        (errors.StaleVersion(), 409),
        (errors.Busy(), 503),
    ],
)
def test_each_error_carries_its_status_and_the_one_shape(exc, status):
    assert isinstance(exc, errors.PalermoError) and exc.status == status
    shape = exc.as_dict()
    assert set(shape) == {"detail", "errors"} and shape["detail"]
    assert all(set(e) == {"field", "message"} for e in shape["errors"])


def test_invalid_input_keeps_its_field_messages_and_text():
    exc = errors.InvalidInput([FieldError("a", "one"), FieldError("", "two")], detail="Bad.")
    assert str(exc) == "a: one; : two" and exc.detail == "Bad."
    assert exc.as_dict()["errors"] == [
        {"field": "a", "message": "one"},
        {"field": "", "message": "two"},
    ]
    # a stale version is an input error too, so forms show it beside the fields
    assert isinstance(errors.StaleVersion(), errors.InvalidInput)


def test_no_context_defines_its_own_refusal_class():
    from palermo.cases import services as cases
    from palermo.investigate import services as investigate
    from palermo.jobs import services as jobs
    from palermo.monitor import report
    from palermo.monitor import services as monitor
    from palermo.stats import services as stats

    for module in (cases, investigate, jobs, monitor, report, stats):
        assert module.NotAllowed is errors.NotAllowed, module.__name__
    assert issubclass(cases.StaleVersion, errors.StaleVersion)
    assert issubclass(investigate.WorkspaceBusy, errors.Busy)
    assert issubclass(investigate.InvestigationClosed, errors.Conflict)


@pytest.fixture
def a_case(db, demo_world):
    from tests.cases.cases_helpers import open_case

    return open_case()


@pytest.mark.parametrize(
    ("raised", "status"),
    [
        (errors.NotAllowed("Not for you."), 403),
        (errors.NotFound(), 404),
        (errors.StaleVersion(), 409),
        (errors.InvalidInput(FieldError("reference", "Bad reference.")), 422),
        (errors.Busy(), 503),
    ],
)
def test_an_api_operation_without_any_catch_answers_the_status_in_json(
    client, api_token, a_case, monkeypatch, raised, status
):
    """The case-file operation has no decorator and no try/except: the one handler answers."""

    def refuse(*args, **kwargs):
        raise raised

    monkeypatch.setattr("palermo.cases.selectors.access_case", refuse)
    before = AuditEntry.objects.filter(action="refused").count()
    response = client.get(
        f"/api/v1/cases/{a_case.reference}",
        HTTP_AUTHORIZATION=f"Bearer {api_token('coordinator')}",
    )
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == raised.as_dict()
    refusals = AuditEntry.objects.filter(action="refused")
    if status == 403:
        assert refusals.count() == before + 1
        entry = refusals.latest("seq")
        assert entry.object_type == "case" and entry.actor_username == "coordinator"
    else:
        assert refusals.count() == before


def test_a_page_without_any_catch_answers_403_and_audits(login_as, a_case, monkeypatch):
    def refuse(*args, **kwargs):
        raise errors.NotAllowed()

    monkeypatch.setattr("palermo.cases.selectors.access_case", refuse)
    client = login_as("coordinator")
    response = client.get(reverse("cases:detail", args=[a_case.reference]))
    assert response.status_code == 403
    assert "audit trail" in response.content.decode()
    assert AuditEntry.objects.filter(action="refused", actor_username="coordinator").exists()


def test_a_page_answers_a_conflict_with_its_reason(login_as, a_case, monkeypatch):
    def refuse(*args, **kwargs):
        raise errors.Conflict("The investigation is closed.")

    monkeypatch.setattr("palermo.cases.selectors.access_case", refuse)
    response = login_as("coordinator").get(reverse("cases:detail", args=[a_case.reference]))
    assert response.status_code == 409
    assert "The investigation is closed." in response.content.decode()


def test_a_service_refusal_through_a_real_endpoint_is_403_json(client, api_token, a_case):
    """No monkeypatching: a shelter caseworker who accepted a referral sees the case but may
    not write to its file; the service's refusal is the 403 and the audited refusal."""
    from tests.cases.cases_helpers import decide, refer_to_shelter

    decide(a_case)
    referral = refer_to_shelter(a_case, scopes=("identity",))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('caseworker')}"}
    assert client.post(f"/api/v1/cases/referrals/{referral.pk}/accept", **auth).status_code == 200
    before = AuditEntry.objects.filter(action="refused", object_type="case").count()
    response = client.post(
        f"/api/v1/cases/{a_case.reference}/notes",
        {"text": "hello"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"} and response.json()["detail"]
    assert AuditEntry.objects.filter(action="refused", object_type="case").count() == before + 1
