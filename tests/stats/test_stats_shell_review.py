"""Review of the statistics shell: need-to-know of imports, audit of previews and refusals."""

from __future__ import annotations

import pytest
from tests.stats.stats_shell_helpers import acting

from palermo.core.models import AuditEntry, Membership, Organisation
from palermo.core.roles import Role
from palermo.stats import services

pytestmark = pytest.mark.django_db

GOOD = (
    b"prs_FirstName,prs_SecondName,prs_Gender,prs_Citizenship,cas_IncomingReferralDate,vic_TypeOfExploitation,"
    b"cas_ReferringOrganisation,vic_TraffickingStatus,cas_Status\n"
    b"Zora,Fictive,Feminine,MD,2025-03-02,ForcedLabour,Partner NGO (fictional),PossibleVictimOfTrafficking,Active\n"
)


def _ngo_importer(persona):
    """A coordinator at an NGO (not the identification body): IMPORT_DATA, but sees only its own cases."""
    ngo = Organisation.objects.get(name__startswith="Safe Harbour")
    assert not ngo.is_identification_body
    user = persona("caseworker")
    Membership.objects.filter(user=user, organisation=ngo).update(role=Role.COORDINATOR)
    return user, ngo


def test_a_record_imported_into_a_case_the_importer_may_not_open_is_refused_not_touched(persona):
    from palermo.cases.models import Case
    from palermo.stats.models import ImportedRecord

    actor, org = acting("coordinator")
    first = services.import_commit(
        actor=actor, organisation=org, kind="htcds", data=GOOD, name="a.csv"
    )
    assert first.ok and len(first.created) == 1
    record = ImportedRecord.objects.get()
    before = (record.imported_by_id, record.updated_at, record.case_id)

    user, ngo = _ngo_importer(persona)
    case = Case.objects.get(reference=first.created[0])
    from palermo.cases import selectors as case_selectors

    assert not case_selectors.cases_visible_to(user, ngo).filter(pk=case.pk).exists()

    plan = services.import_preview(
        actor=user, organisation=ngo, kind="htcds", data=GOOD, name="a.csv"
    )
    assert not plan.ok and plan.updates == 0
    result = services.import_commit(
        actor=user, organisation=ngo, kind="htcds", data=GOOD, name="a.csv"
    )
    assert not result.ok
    assert not result.updated and not result.unchanged and not result.created
    assert case.reference not in result.report()
    assert "may not open" in result.errors[0].message
    record.refresh_from_db()
    assert (record.imported_by_id, record.updated_at, record.case_id) == before
    assert Case.objects.count() == 1


def test_an_import_preview_is_audited_without_the_file_name(demo_world):
    actor, org = acting("coordinator")
    services.import_preview(
        actor=actor, organisation=org, kind="htcds", data=GOOD, name="zora-fictive.csv"
    )
    entry = AuditEntry.objects.get(object_type="stats_import", action="read")
    assert entry.actor_username == "coordinator"
    assert entry.details["rows"] == 1 and entry.details["kind"] == "htcds"
    assert "zora" not in str(entry.details).lower()


def test_a_refused_import_is_audited(demo_world):
    actor, org = acting("coordinator")
    bad = b"prs_FirstName,prs_Gender\nZora,Female\n"
    result = services.import_commit(
        actor=actor, organisation=org, kind="htcds", data=bad, name="b.csv"
    )
    assert not result.ok
    entry = AuditEntry.objects.get(object_type="stats_import")
    assert entry.outcome == "rejected" and entry.details["errors"] >= 1


def test_api_htcds_export_refusal_is_audited(api_token):
    from django.test import Client

    response = Client().post(
        "/api/v1/stats/htcds/export",
        {"format": "csv"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token('analyst')}",
    )
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="refused", actor_username="analyst").exists()
    assert not AuditEntry.objects.filter(object_type="htcds_export", action="export").exists()


@pytest.mark.parametrize("form", ["NotAForm", "Forced\x00Labour"])
def test_api_tables_refuses_a_form_that_is_not_an_htcds_value(api_token, form):
    from django.test import Client

    response = Client(raise_request_exception=False).get(
        "/api/v1/stats/tables", {"form": form}, HTTP_AUTHORIZATION=f"Bearer {api_token('analyst')}"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "form"


def test_stats_posts_without_a_csrf_token_are_refused(persona):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(persona("coordinator"))
    for url in (
        "/stats/export/htcds/",
        "/stats/import/confirm/",
        "/stats/import/cancel/",
        "/stats/export/ctdc/",
    ):
        assert client.post(url, {"format": "csv", "k": 11}).status_code == 403, url
    assert not AuditEntry.objects.filter(action="export").exists()
