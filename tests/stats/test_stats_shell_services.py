"""The statistics shell's services over demo cases: export, import, release, tables."""

from __future__ import annotations

import io

import pytest
from tests.stats.stats_shell_helpers import acting

from palermo.stats import services
from palermo.stats.anonymise import k_anonymity_check
from palermo.stats.htcds_rows import preview_htcds_file

pytestmark = pytest.mark.django_db


def _export(fmt="csv") -> bytes:
    actor, org = acting("coordinator")
    if fmt == "csv":
        buf = io.StringIO()
        services.htcds_export(actor=actor, organisation=org, fmt="csv", out=buf)
        return buf.getvalue().encode()
    out = io.BytesIO()
    services.htcds_export(actor=actor, organisation=org, fmt="xlsx", out=out)
    return out.getvalue()


def test_export_then_import_round_trips(demo_cases):
    from palermo.cases.models import Case

    data = _export()
    before = {
        r.identity_key: r.values
        for r in preview_htcds_file(data, name="x.csv", secret=services.identity_secret()).records
    }
    assert len(before) == Case.objects.count() == 80
    # Import into an empty case file: the same records come back.
    Case.objects.all().delete()
    actor, org = acting("coordinator")
    result = services.import_commit(
        actor=actor, organisation=org, kind="htcds", data=data, name="x.csv"
    )
    assert result.ok, result.report()
    assert len(result.created) == 80
    again = {
        r.identity_key: r.values
        for r in preview_htcds_file(
            _export(), name="y.csv", secret=services.identity_secret()
        ).records
    }
    assert again == before
    # Importing the same file again changes nothing and creates no duplicate.
    second = services.import_commit(
        actor=actor, organisation=org, kind="htcds", data=data, name="x.csv"
    )
    assert second.ok and not second.created and not second.updated
    assert Case.objects.count() == 80


def test_xlsx_export_imports_the_same_records(demo_cases):
    csv_records = {
        r.identity_key: r.values for r in preview_htcds_file(_export(), name="a.csv").records
    }
    xlsx_records = {
        r.identity_key: r.values for r in preview_htcds_file(_export("xlsx"), name="a.xlsx").records
    }
    assert csv_records == xlsx_records


def test_a_row_the_case_file_refuses_rolls_back_the_whole_import(demo_world):
    from palermo.cases.models import Case
    from palermo.stats.models import ImportedRecord

    actor, org = acting("coordinator")
    data = b"prs_FirstName,cas_IncomingReferralDate\nZora,2025-03-02\nIlir,2999-01-01\n"
    result = services.import_commit(
        actor=actor, organisation=org, kind="htcds", data=data, name="f.csv"
    )
    assert not result.ok
    assert [(e.row, e.field) for e in result.errors] == [(3, "cas_IncomingReferralDate")]
    assert "future" in result.errors[0].message
    assert Case.objects.count() == 0 and ImportedRecord.objects.count() == 0
    assert not result.created
    # The preview rehearses the import, so it lists the same refusal before anyone confirms.
    plan = services.import_preview(
        actor=actor, organisation=org, kind="htcds", data=data, name="f.csv"
    )
    assert not plan.ok and [(e.row, e.field) for e in plan.errors] == [
        (3, "cas_IncomingReferralDate")
    ]
    assert Case.objects.count() == 0


def test_reimport_with_a_changed_value_updates_the_case(demo_world):
    from palermo.cases.models import Case

    actor, org = acting("coordinator")
    first = b"prs_FirstName,prs_Citizenship,cas_IncomingReferralDate,vic_TypeOfExploitation\nZora,MD,2025-03-02,ForcedLabour\n"
    changed = (
        b"prs_FirstName,prs_Citizenship,cas_IncomingReferralDate,vic_TypeOfExploitation,prs_PrimaryLanguage\n"
        b"Zora,MD,2025-03-02,SexualExploitation,ro\n"
    )
    assert services.import_commit(
        actor=actor, organisation=org, kind="htcds", data=first, name="a.csv"
    ).ok
    result = services.import_commit(
        actor=actor, organisation=org, kind="htcds", data=changed, name="b.csv"
    )
    assert result.ok and len(result.updated) == 1 and not result.created
    case = Case.objects.get()
    assert case.exploitation_types == ["SexualExploitation"]
    assert case.person.primary_language == "ro"
    assert case.events.filter(kind="context_updated").exists()


def test_unstored_fields_are_named_in_the_notes(demo_world):
    actor, org = acting("coordinator")
    data = b"prs_FirstName,prs_MaritalStatus\nZora,Single\n"
    plan = services.import_preview(
        actor=actor, organisation=org, kind="htcds", data=data, name="a.csv"
    )
    assert plan.ok and plan.creates == 1
    assert any("prs_MaritalStatus (1 row(s))" in n for n in plan.notes)


def test_ctdc_release_of_the_cases_passes_the_k_check(demo_cases):
    actor, org = acting("analyst")
    release = services.ctdc_release(actor=actor, organisation=org, k=11)
    assert release.metrics.records_in == 80
    assert release.released.height == release.metrics.records_kept > 0
    assert k_anonymity_check(release.released, list(release.quasi_identifiers), k=11).ok


def test_statistics_never_publish_a_small_cell_and_flows_add_up(demo_cases):
    stats = services.rapporteur_statistics()
    published = stats.tables.protection.published()
    assert published and all(v == 0 or v >= 11 for v in published.values())
    # The flow table is protected with the tables its margins come from.
    cells = stats.tables.protection.cells
    assert any(k[0] == services.FLOW for k in cells)


def test_no_cases_give_the_empty_state(demo_world):
    assert services.rapporteur_statistics().empty
    actor, org = acting("analyst")
    with pytest.raises(services.InvalidInput):
        services.ctdc_release(actor=actor, organisation=org)


def test_flow_table_is_protected_with_the_tables_its_margins_come_from():
    import random
    from datetime import date

    from palermo.stats.small_cells import VictimStat

    rng = random.Random(7)
    victims = [
        VictimStat(
            year=rng.choice([2023, 2024]),
            sex=rng.choice(["Female", "Male"]),
            age=rng.randint(10, 60),
            citizenship=rng.choice(["RO"] * 8 + ["MD"] * 6 + ["UA"] * 5 + ["NG", "VN"]),
            country_of_exploitation=rng.choice(["DE"] * 6 + ["IT"] * 5 + ["RO"] * 3 + ["FR"]),
            forms_of_exploitation=(rng.choice(["ForcedLabour", "SexualExploitation"]),),
            referral_date=date(2024, 1, 1),
        )
        for _ in range(400)
    ]
    stats = services.protected_statistics(victims)
    protection = stats.tables.protection
    flows = {k: c for k, c in protection.cells.items() if k[0] == services.FLOW}
    assert (
        flows
        and any(c.value is None for c in flows.values())
        and any(c.value for c in flows.values())
    )
    assert all(c.value is None or c.value == 0 or c.value >= 11 for c in protection.cells.values())
    # Every small cell, flows included, keeps an attacker's interval at least the protection width wide.
    primary = [k for k, c in protection.cells.items() if c.status == "primary"]
    assert primary and all(
        protection.intervals[k][1] - protection.intervals[k][0] >= protection.protection_width
        for k in primary
    )
