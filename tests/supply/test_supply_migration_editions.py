"""Migrations 0007–0009 (issue 18, edition sets): what the database held before — one
edition on each order line, one exclusion list replaced at each import — moves into the
sets without losing anything, and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("supply", "0006_provenance_evidence")]
AFTER = [("supply", "0009_edition_sets_required")]
T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    """Every app at its newest migration: the tests after this one in the same worker expect
    the whole schema (a constraint of a later supply migration was missing once)."""
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _order_batch(apps, org, name, at, edition):
    ImportBatch = apps.get_model("supply", "ImportBatch")
    OrderLine = apps.get_model("supply", "OrderLine")
    batch = ImportBatch.objects.create(
        kind="orders", organisation_id=org.pk, name=name, sha256="0" * 64, rows=1, created_at=at
    )
    OrderLine.objects.create(
        organisation_id=org.pk,
        batch=batch,
        ref=f"{name}/1",
        supplier_name="Acme",
        origin_country="AD",
        value=10,
        share=1,
        characteristics=[],
        edition=edition,
        level="low",
        score=0,
        exposure=10,
        result={"level": "low", "score": 0, "reasons": []},
        screened_at=at,
    )
    return batch


@pytest.fixture(autouse=True)
def _whole_schema_after():
    yield
    _migrate(_latest())  # also when an assertion stopped the test half-way


@pytest.mark.django_db(transaction=True)
def test_edition_sets_are_made_from_the_old_columns_and_back():
    from palermo.core.models import Organisation

    org = Organisation.objects.create(name="Migration office", org_type="central_government")
    old = _migrate(BEFORE)
    ImportBatch = old.get_model("supply", "ImportBatch")
    RiskEdition = old.get_model("supply", "RiskEdition")
    ExclusionEntry = old.get_model("supply", "ExclusionEntry")
    risk_batch = ImportBatch.objects.create(
        kind="risk", organisation_id=org.pk, name="dol.csv", sha256="1" * 64, rows=0, created_at=T0
    )
    dol = RiskEdition.objects.create(
        format="us_dol",
        source="US DOL",
        edition="2024",
        licence="public domain",
        retrieved_on=T0.date(),
        batch=risk_batch,
    )
    listed_at = T0 + timedelta(days=5)
    excl_batch = ImportBatch.objects.create(
        kind="exclusions",
        organisation_id=org.pk,
        name="national-exclusions.csv",
        sha256="2" * 64,
        rows=2,
        created_at=listed_at,
    )
    for row, company in ((2, "EX-1"), (3, "EX-2")):
        ExclusionEntry.objects.create(
            batch=excl_batch,
            row=row,
            company_id=company,
            name=company,
            country_code="AD",
            reason="test",
            listed_on=T0.date(),
        )
    before = _order_batch(old, org, "PO-A", T0 + timedelta(days=1), dol)  # before the list
    after = _order_batch(old, org, "PO-B", T0 + timedelta(days=9), dol)
    no_list = _order_batch(old, org, "PO-C", T0 + timedelta(days=9), None)

    new = _migrate(AFTER)
    RiskEdition = new.get_model("supply", "RiskEdition")
    BatchEdition = new.get_model("supply", "BatchEdition")
    ExclusionEntry = new.get_model("supply", "ExclusionEntry")
    excl = RiskEdition.objects.get(format="exclusions")
    assert (excl.source, excl.edition, excl.retrieved_on, excl.batch_id, excl.is_current) == (
        "national-exclusions.csv",
        "2026-01-15",
        listed_at.date(),
        excl_batch.pk,
        True,
    )
    assert set(ExclusionEntry.objects.values_list("edition_id", flat=True)) == {excl.pk}
    sets = {
        b: set(BatchEdition.objects.filter(batch_id=b).values_list("edition_id", flat=True))
        for b in (before.pk, after.pk, no_list.pk)
    }
    assert sets == {before.pk: {dol.pk}, after.pk: {dol.pk, excl.pk}, no_list.pk: {excl.pk}}
    assert "edition" not in {f.name for f in new.get_model("supply", "OrderLine")._meta.fields}

    back = _migrate(BEFORE)
    OrderLine = back.get_model("supply", "OrderLine")
    assert dict(OrderLine.objects.values_list("ref", "edition_id")) == {
        "PO-A/1": dol.pk,
        "PO-B/1": dol.pk,
        "PO-C/1": None,
    }
    assert list(back.get_model("supply", "RiskEdition").objects.values_list("pk", flat=True)) == [
        dol.pk
    ]
    assert back.get_model("supply", "ExclusionEntry").objects.count() == 2
    _migrate(_latest())
