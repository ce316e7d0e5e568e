"""Criminal proceedings (stage, the person's role) and identity documents (held, withheld,
lost …) in the case file: services, need-to-know, the case page and the API (issue 17)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.cases.cases_helpers import acting, open_case

from palermo.cases import access, selectors, services
from palermo.cases import workflow as wf
from palermo.cases.models import CriminalProceeding, IdentityDocument
from palermo.cases.timeline import timeline_summary
from palermo.core.errors import InvalidInput
from palermo.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {e.field for e in exc.value.errors}


# --- pure core -----------------------------------------------------------------------------------


@given(
    stage=st.sampled_from([*wf.PROCEEDINGS_STAGES, "", "hearing"]),
    roles=st.lists(st.sampled_from([*wf.PROCEEDINGS_ROLES, "judge"]), max_size=4),
)
def test_proceedings_problems_accept_exactly_known_stages_and_distinct_known_roles(stage, roles):
    problems = {f for f, _ in wf.proceedings_problems(stage, roles)}
    assert ("stage" in problems) == (stage not in wf.PROCEEDINGS_STAGES)
    good_roles = bool(roles) and set(roles) <= set(wf.PROCEEDINGS_ROLES)
    assert ("roles" in problems) == (not good_roles or len(set(roles)) != len(roles))


# --- services ------------------------------------------------------------------------------------


def test_proceedings_recorded_moved_on_audited_and_on_the_timeline(demo_world):
    case = open_case()
    actor, org = acting("outreach")
    p = services.proceedings_record(
        actor=actor,
        organisation=org,
        case=case,
        country="al",
        stage="investigation",
        roles=["witness", "injured_party"],
        authority="District prosecutor, Tirana (fictional)",
        stage_on=date.today() - timedelta(days=3),
    )
    assert (p.country, p.stage, p.roles) == ("AL", "investigation", ["witness", "injured_party"])
    p = services.proceedings_update(
        actor=actor,
        organisation=org,
        case=case,
        record_id=p.pk,
        stage="trial",
        roles=["protected_witness"],
    )
    assert (p.stage, p.roles, p.stage_on) == ("trial", ["protected_witness"], date.today())
    services.proceedings_update(
        actor=actor,
        organisation=org,
        case=case,
        record_id=p.pk,
        stage="concluded",
        roles=["witness"],
    )
    with pytest.raises(InvalidInput, match="over"):
        services.proceedings_update(
            actor=actor,
            organisation=org,
            case=case,
            record_id=p.pk,
            stage="appeal",
            roles=["witness"],
        )
    audits = AuditEntry.objects.filter(
        object_ref=case.reference,
        details__what__in=[
            "proceedings_record",
            "proceedings_update",
        ],
    )
    assert [e.details["stage"] for e in audits.order_by("id")] == [
        "investigation",
        "trial",
        "concluded",
    ]
    summaries = [e.summary for e in case.events.filter(kind="proceedings").order_by("id")]
    assert summaries == [
        "Criminal proceedings recorded: investigation",
        "Criminal proceedings: trial",
        "Criminal proceedings: concluded",
    ]
    assert str(timeline_summary(summaries[0]))  # read back in the reader's language


def test_bad_proceedings_are_refused_field_by_field_and_nothing_is_stored(demo_world):
    case = open_case()
    actor, org = acting("outreach")
    with pytest.raises(InvalidInput) as exc:
        services.proceedings_record(
            actor=actor,
            organisation=org,
            case=case,
            country="XX",
            stage="hearing",
            roles=[],
            authority="x" * 201,
            stage_on=date.today() + timedelta(days=1),
        )
    assert _fields(exc) == {"country", "stage", "roles", "authority", "stage_on"}
    with pytest.raises(InvalidInput) as exc:
        services.proceedings_record(
            actor=actor,
            organisation=org,
            case=case,
            country="AL",
            stage="trial",
            roles=["witness", "witness"],
        )
    assert _fields(exc) == {"roles"}
    with pytest.raises(InvalidInput, match="No such"):
        services.proceedings_update(
            actor=actor,
            organisation=org,
            case=case,
            record_id=10**6,
            stage="trial",
            roles=["witness"],
        )
    assert not CriminalProceeding.objects.filter(case=case).exists()


def test_documents_recorded_updated_number_encrypted_and_never_audited(demo_world):
    case = open_case()
    actor, org = acting("outreach")
    doc = services.document_record(
        actor=actor,
        organisation=org,
        case=case,
        doc_type="passport",
        status="withheld_by_exploiter",
        issuing_country="ro",
        number="RO 1234567",
        expires_on=date.today() + timedelta(days=400),
    )
    assert (doc.issuing_country, doc.number) == ("RO", "RO 1234567")
    doc = services.document_update(
        actor=actor, organisation=org, case=case, document_id=doc.pk, status="held_by_authorities"
    )
    assert doc.status == "held_by_authorities"
    with pytest.raises(InvalidInput, match="already"):
        services.document_update(
            actor=actor,
            organisation=org,
            case=case,
            document_id=doc.pk,
            status="held_by_authorities",
        )
    # Encrypted at rest: the column holds no clear number.
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT number FROM cases_identitydocument WHERE id = %s", [doc.pk])
        (raw,) = cur.fetchone()
    assert "1234567" not in str(raw)
    entries = AuditEntry.objects.filter(
        object_ref=case.reference, details__what__in=["document_record", "document_update"]
    )
    assert entries.count() == 2
    assert all("1234567" not in str(e.details) for e in entries)
    assert [e.summary for e in case.events.filter(kind="document").order_by("id")] == [
        "Identity document recorded",
        "Identity document: status changed",
    ]


def test_bad_documents_are_refused_field_by_field(demo_world):
    case = open_case()
    actor, org = acting("outreach")
    with pytest.raises(InvalidInput) as exc:
        services.document_record(
            actor=actor,
            organisation=org,
            case=case,
            doc_type="library_card",
            status="somewhere",
            issuing_country="ZZ",
            number="<script>",
        )
    assert _fields(exc) == {"doc_type", "status", "issuing_country", "number"}
    with pytest.raises(InvalidInput) as exc:
        services.document_record(
            actor=actor,
            organisation=org,
            case=case,
            doc_type="passport",
            status="never_issued",
            number="AB123",
        )
    assert _fields(exc) == {"number"}
    assert not IdentityDocument.objects.filter(case=case).exists()


def test_need_to_know_documents_follow_identity_proceedings_follow_safeguards(demo_world):
    """Police on the team without consent: no identity, so no documents (not shown, not
    changed); safeguards, so it sees and records the proceedings it works on."""
    case = open_case(by="police")
    police, unit = acting("police")
    vis = selectors.case_visibility(police, unit, case)
    assert access.IDENTITY not in vis and access.SAFEGUARDS in vis
    services.proceedings_record(
        actor=police,
        organisation=unit,
        case=case,
        country="RO",
        stage="reported",
        roles=["complainant"],
    )
    with pytest.raises(services.NotAllowed):
        services.document_record(
            actor=police, organisation=unit, case=case, doc_type="passport", status="lost"
        )
    coordinator, office = acting("coordinator")
    services.document_record(
        actor=coordinator, organisation=office, case=case, doc_type="passport", status="lost"
    )
    file = selectors.case_file(case, vis)
    assert file.documents is None
    assert [p.stage for p in file.proceedings or []] == ["reported"]
    full = selectors.case_file(case, selectors.case_visibility(coordinator, office, case))
    assert [d.status for d in full.documents or []] == ["lost"]


# --- the case page ----------------------------------------------------------------------------


def test_case_page_shows_and_records_documents_and_proceedings(login_as):
    case = open_case()
    client = login_as("outreach")
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "No document recorded." in page
    r = client.post(
        f"/cases/{case.reference}/document/",
        {"doc_type": "passport", "status": "withheld_by_exploiter", "issuing_country": "RO"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    r = client.post(
        f"/cases/{case.reference}/proceedings/",
        {"country": "AL", "stage": "investigation", "roles": ["witness"]},
    )
    assert r.status_code == 302
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Withheld by the exploiter" in page and "Investigation" in page
    doc = IdentityDocument.objects.get(case=case)
    proc = CriminalProceeding.objects.get(case=case)
    assert f"/cases/{case.reference}/document-status/{doc.pk}/" in page
    assert f"/cases/{case.reference}/proceedings-update/{proc.pk}/" in page
    # The update form starts from the record as it is: its stage chosen, its role ticked.
    form = client.get(f"/cases/{case.reference}/proceedings-update/{proc.pk}/").content.decode()
    assert re.search(r'<option value="investigation"[^>]*selected', form), form[:3000]
    assert re.search(r'value="witness"[^>]*checked', form)
    assert not re.search(r'value="injured_party"[^>]*checked', form)
    r = client.post(
        f"/cases/{case.reference}/proceedings-update/{proc.pk}/",
        {"stage": "trial", "roles": ["witness", "injured_party"]},
    )
    assert r.status_code == 302
    proc.refresh_from_db()
    assert proc.stage == "trial"
    # Bad input: the message beside the field, nothing stored.
    r = client.post(
        f"/cases/{case.reference}/document/",
        {"doc_type": "passport", "status": "lost", "number": "bad;number"},
    )
    assert r.status_code == 200 and "letters, digits" in r.content.decode()
    assert IdentityDocument.objects.filter(case=case).count() == 1


def test_police_on_the_team_sees_proceedings_but_no_documents_on_the_page(login_as):
    case = open_case(by="police")
    coordinator, office = acting("coordinator")
    services.document_record(
        actor=coordinator, organisation=office, case=case, doc_type="visa", status="expired"
    )
    client = login_as("police")
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "Identity and travel documents" not in page and "Expired" not in page
    assert client.get(f"/cases/{case.reference}/document/").status_code == 403
    r = client.post(
        f"/cases/{case.reference}/proceedings/",
        {"country": "RO", "stage": "reported", "roles": ["complainant"]},
    )
    assert r.status_code == 302
    assert CriminalProceeding.objects.filter(case=case).count() == 1


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture
def call(client, api_token):
    tokens: dict[str, str] = {}

    def do(username, method, path, body=None):
        if username not in tokens:
            tokens[username] = api_token(username)
        kw = {"HTTP_AUTHORIZATION": f"Bearer {tokens[username]}"}
        fn = getattr(client, method)
        if body is not None:
            return fn(f"/api/v1/cases{path}", body, content_type="application/json", **kw)
        return fn(f"/api/v1/cases{path}", **kw)

    return do


def test_api_records_and_reads_documents_and_proceedings(call, demo_world):
    case = open_case()
    ref = case.reference
    r = call(
        "outreach",
        "post",
        f"/{ref}/documents",
        {"doc_type": "national_id", "status": "held_by_person", "issuing_country": "RO"},
    )
    assert r.status_code == 200, r.content
    r = call(
        "outreach",
        "post",
        f"/{ref}/proceedings",
        {"country": "AL", "stage": "prosecution", "roles": ["witness"], "authority": "Court"},
    )
    assert r.status_code == 200, r.content
    body = call("outreach", "get", f"/{ref}").json()
    assert [(d["doc_type"], d["status"]) for d in body["documents"]] == [
        ("national_id", "held_by_person")
    ]
    assert [(p["country"], p["stage"], p["roles"]) for p in body["proceedings"]] == [
        ("AL", "prosecution", ["witness"])
    ]
    doc_id, proc_id = body["documents"][0]["id"], body["proceedings"][0]["id"]
    r = call("outreach", "post", f"/{ref}/documents/{doc_id}/status", {"status": "lost"})
    assert r.status_code == 200
    r = call(
        "outreach",
        "post",
        f"/{ref}/proceedings/{proc_id}",
        {"stage": "trial", "roles": ["witness"]},
    )
    assert r.status_code == 200
    # Reading the file is audited with the groups read.
    read = AuditEntry.objects.filter(object_ref=ref, action="read").last()
    assert "identity" in read.details["groups"] and "safeguards" in read.details["groups"]


def test_api_refusals(call, demo_world):
    case = open_case()
    ref = case.reference
    r = call("outreach", "post", f"/{ref}/documents", {"doc_type": "passport", "status": "x"})
    assert r.status_code == 422
    r = call(
        "outreach",
        "post",
        f"/{ref}/documents",
        {"doc_type": "passport", "status": "lost", "issuing_country": "ZZ"},
    )
    assert r.status_code == 422 and "issuing_country" in r.content.decode()
    r = call(
        "outreach", "post", f"/{ref}/proceedings", {"country": "AL", "stage": "trial", "roles": []}
    )
    assert r.status_code == 422
    # Police: no identity here, so no documents (403: no edit permission at all) …
    police_case = open_case(by="police")
    pref = police_case.reference
    r = call("police", "post", f"/{pref}/documents", {"doc_type": "passport", "status": "lost"})
    assert r.status_code == 403
    body = call("police", "get", f"/{pref}").json()
    assert body["documents"] is None and body["proceedings"] == []
    # … a case it may not see is 404, a record of another case is refused.
    assert (
        call(
            "police",
            "post",
            f"/{ref}/proceedings",
            {"country": "AL", "stage": "trial", "roles": ["witness"]},
        ).status_code
        == 404
    )
    coordinator, office = acting("coordinator")
    other = services.proceedings_record(
        actor=coordinator,
        organisation=office,
        case=case,
        country="AL",
        stage="trial",
        roles=["witness"],
    )
    r = call(
        "police",
        "post",
        f"/{pref}/proceedings/{other.pk}",
        {"stage": "appeal", "roles": ["witness"]},
    )
    assert r.status_code == 422
    other.refresh_from_db()
    assert other.stage == "trial"
    assert not IdentityDocument.objects.filter(case__in=[case, police_case]).exists()
