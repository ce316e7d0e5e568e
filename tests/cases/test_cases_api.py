"""The case-file API at the interface: named personas, tokens, error shapes, query budgets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.cases.cases_helpers import (
    REASONS,
    decide,
    open_case,
    org,
    refer_to_shelter,
    shelter_provider,
)

from palermo.cases import workflow as wf
from palermo.cases.models import Case
from palermo.core.models import AuditEntry

pytestmark = pytest.mark.django_db

OPEN = {
    "source": "hotline",
    "source_ref": "HOT-2026-0042",
    "person": {
        "given_name": "Bojan",
        "citizenship": ["MD"],
        "phone": "+373 22 123456",
        "primary_language": "ro",
    },
    "exploitation_forms": ["ForcedLabour"],
    "is_child_or_presumed_child": False,
    "summary": "Caller reports withheld passports at a construction site.",
}


@pytest.fixture
def call(client, api_token):
    tokens: dict[str, str] = {}

    def do(username, method, path, body=None, **extra):
        if username not in tokens:
            tokens[username] = api_token(username)
        fn = getattr(client, method)
        kw = {"HTTP_AUTHORIZATION": f"Bearer {tokens[username]}", **extra}
        if body is not None:
            return fn(f"/api/v1/cases{path}", body, content_type="application/json", **kw)
        return fn(f"/api/v1/cases{path}", **kw)

    return do


def test_open_read_decide_move_through_the_api(call):
    r = call("outreach", "post", "", OPEN)
    assert r.status_code == 201, r.content
    ref = r.json()["reference"]
    assert wf.is_reference(ref)
    r = call(
        "coordinator",
        "post",
        f"/{ref}/decisions",
        {"version": 1, "outcome": "presumed", "reasons": REASONS},
    )
    assert r.status_code == 200 and r.json()["identification_status"] == "presumed"
    version = r.json()["version"]
    r = call(
        "outreach", "post", f"/{ref}/transitions", {"version": version, "target": "first_line"}
    )
    assert r.status_code == 200 and r.json()["phase"] == "first_line"
    r = call("outreach", "get", f"/{ref}")
    body = r.json()
    assert body["identity"]["given_name"] == "Bojan" and body["contact"]["phone"] == "+37322123456"
    assert {t["rule_key"] for t in body["tasks"]} >= {"reflection_recovery_period"}
    assert AuditEntry.objects.filter(action="read", object_type="case", object_ref=ref).exists()
    # The identification body sees the file but not the contacts.
    r = call("coordinator", "get", f"/{ref}")
    assert r.json()["identity"]["given_name"] == "Bojan" and r.json()["contact"] is None


def test_invalid_transition_is_refused_with_the_reason(call):
    ref = call("outreach", "post", "", OPEN).json()["reference"]
    r = call("outreach", "post", f"/{ref}/transitions", {"version": 1, "target": "proceedings"})
    assert r.status_code == 422
    err = r.json()
    assert err["detail"] == "This change of phase is not allowed."
    assert err["errors"][0]["field"] == "target" and "cannot move" in err["errors"][0]["message"]


def test_stale_version_is_409_and_nothing_changes(call):
    ref = call("outreach", "post", "", OPEN).json()["reference"]
    ok = call(
        "outreach", "patch", f"/{ref}/person", {"version": 1, "changes": {"given_name": "First"}}
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    late = call(
        "outreach", "patch", f"/{ref}/person", {"version": 1, "changes": {"given_name": "Second"}}
    )
    assert late.status_code == 409
    assert (
        late.json()["detail"] == "Conflict."
        and "Someone else changed" in late.json()["errors"][0]["message"]
    )
    assert call("outreach", "get", f"/{ref}").json()["identity"]["given_name"] == "First"


def test_validation_errors_name_the_field(call):
    bad = {**OPEN, "person": {"citizenship": ["QQ"]}, "exploitation_forms": ["Tourism"]}
    r = call("outreach", "post", "", bad)
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"person.citizenship", "exploitation_forms"} <= fields
    r = call("outreach", "post", "", {**OPEN, "person": {"given_name": "A\x00B"}})
    assert r.status_code == 422
    assert Case.objects.count() == 0


def test_unknown_and_invisible_cases_are_both_404(call):
    ref = call("police", "post", "", OPEN).json()["reference"]
    assert call("caseworker", "get", f"/{ref}").status_code == 404
    assert call("caseworker", "get", "/NRM-AAAA-AAAA").status_code == 404
    assert call("caseworker", "get", "/not-a-reference").status_code == 404


def test_roles_without_the_permission_get_403(call):
    assert call("analyst", "get", "").status_code == 403
    assert (
        call(
            "caseworker",
            "post",
            "/NRM-AAAA-AAAA/decisions",
            {"version": 1, "outcome": "presumed", "reasons": REASONS},
        ).status_code
        == 403
    )


def test_law_enforcement_on_the_team_sees_no_identity_without_consent(call):
    r = call("police", "post", "", OPEN)
    ref = r.json()["reference"]
    body = call("police", "get", f"/{ref}").json()
    assert (
        body["identity"] is None and body["contact"] is None and body["victim_context"] is not None
    )
    assert "identity" not in body["visible_groups"]


def test_shelter_sees_only_what_the_consent_allows(call, demo_world):
    case = open_case()
    decide(case)
    ref = refer_to_shelter(case, scopes=("identity",))
    inbox = call("caseworker", "get", "/referrals/incoming").json()
    assert [i["id"] for i in inbox["items"]] == [ref.pk]
    r = call("caseworker", "post", f"/referrals/{ref.pk}/accept")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    view = call("caseworker", "get", f"/referrals/{ref.pk}").json()
    assert view["identity"]["given_name"] == "Ana"
    assert view["victim_context"] is None and "contact" not in view
    file = call("caseworker", "get", f"/{case.reference}").json()
    assert file["visible_groups"] == ["identity", "overview"]
    assert file["contact"] is None and file["tasks"] is None and file["consents"] is None
    # … and cannot change the case
    assert (
        call("caseworker", "post", f"/{case.reference}/notes", {"text": "hello"}).status_code == 403
    )


def test_consent_and_referral_through_the_api(call, demo_world):
    provider = shelter_provider()
    ref = call("outreach", "post", "", OPEN).json()["reference"]
    consent = call(
        "outreach",
        "post",
        f"/{ref}/consents",
        {
            "scopes": ["identity", "victim_context"],
            "recipient_id": provider.organisation_id,
            "purpose": "shelter",
            "given_by": "person",
            "given_on": date.today().isoformat(),
        },
    )
    assert consent.status_code == 201, consent.content
    r = call(
        "outreach",
        "post",
        f"/{ref}/referrals",
        {"provider_id": provider.pk, "service_type": "shelter", "consent_id": consent.json()["id"]},
    )
    assert r.status_code == 201 and r.json()["status"] == "sent"
    rid = r.json()["id"]
    assert (
        call("caseworker", "post", f"/referrals/{rid}/decline", {"reason": ""}).status_code == 422
    )
    assert (
        call(
            "caseworker", "post", f"/referrals/{rid}/decline", {"reason": "No places left."}
        ).json()["status"]
        == "declined"
    )


def test_case_list_filters_sorts_and_stays_within_a_query_budget(
    call, demo_world, django_assert_max_num_queries
):
    cases = [
        open_case(
            exploitation_forms=["sexual"] if i % 2 else ["labour"],
            person={"citizenship": ["RO" if i % 3 else "MD"]},
        )
        for i in range(12)
    ]
    decide(cases[0])
    call("coordinator", "get", "")  # token creation and first-use queries happen outside the budget
    with django_assert_max_num_queries(12):
        r = call("coordinator", "get", "?page_size=50")
    assert r.json()["count"] == 12 and not r.json()["count_capped"]
    assert len(r.json()["items"]) == 12
    with django_assert_max_num_queries(12):
        r = call("coordinator", "get", "?page_size=5&page=2")
    assert len(r.json()["items"]) == 5
    r = call("coordinator", "get", "?exploitation=SexualExploitation")
    assert r.json()["count"] == 6
    r = call("coordinator", "get", "?nationality=MD")
    assert r.json()["count"] == 4
    r = call("coordinator", "get", "?identification_status=presumed")
    assert [i["reference"] for i in r.json()["items"]] == [cases[0].reference]
    r = call("coordinator", "get", f"?q={cases[3].reference[:8].lower()}")
    assert cases[3].reference in [i["reference"] for i in r.json()["items"]]
    r = call("coordinator", "get", f"?organisation={org('Eastbay').pk}&sort=deadline")
    assert r.json()["count"] == 12
    refs = [i["reference"] for i in call("coordinator", "get", "?sort=reference").json()["items"]]
    assert refs == sorted(refs)
    assert call("coordinator", "get", "?deadline=overdue").json()["count"] == 0
    assert call("coordinator", "get", "?sort=sideways").status_code == 422


def test_overdue_list_for_the_coordinator(call, demo_world):
    from unittest import mock

    open_case(child=True)
    later = date.today() + timedelta(days=5)
    with mock.patch("palermo.cases.clock.today", return_value=later):
        r = call("coordinator", "get", "/overdue")
    assert r.status_code == 200
    titles = [i["title"] for i in r.json()["items"]]
    assert any("guardian" in t.lower() for t in titles)


def test_timeline_and_notes_append_only(call):
    ref = call("outreach", "post", "", OPEN).json()["reference"]
    n = call("outreach", "post", f"/{ref}/notes", {"text": "First contact."})
    assert n.status_code == 201
    c = call(
        "outreach",
        "post",
        f"/{ref}/notes",
        {"text": "First contact at the station.", "corrects_id": n.json()["id"]},
    )
    assert c.json()["kind"] == "correction"
    items = call("outreach", "get", f"/{ref}/timeline").json()["items"]
    assert [i["kind"] for i in items][:3] == ["correction", "note", "opened"]


def test_the_api_package_keeps_its_operation_ids_and_matches_fixed_paths_first(client):
    """cases/api is a package of modules (issue 14); what clients see did not move: every
    operation id is still ``palermo_cases_api_<name>``, and the fixed paths are matched
    before ``/{case_ref}`` would take them for case references."""
    from django.urls import resolve

    schema = client.get("/api/v1/openapi.json").json()
    paths = [p for p in schema["paths"] if p.startswith("/api/v1/cases")]
    ids = [op["operationId"] for p in paths for op in schema["paths"][p].values()]
    # 41: the interpreter request (issue 16) joined the 40 of issue 14
    assert len(ids) == 41 and all(i.startswith("palermo_cases_api_") for i in ids)
    assert "palermo_cases_api_case_list" in ids and "palermo_cases_api_return_" in ids
    first_case_ref = min(i for i, p in enumerate(paths) if "{case_ref}" in p)
    for fixed, view in [
        ("overdue", "overdue"),
        ("services", "directory"),
        ("referrals/incoming", "referrals_incoming"),
    ]:
        assert paths.index(f"/api/v1/cases/{fixed}") < first_case_ref
        assert resolve(f"/api/v1/cases/{fixed}").url_name == view
    assert resolve("/api/v1/cases/NRM-7K2Q-9F3D").url_name == "case_detail"
