"""Differential test of the order write (``services.orderwrite``: COPY on PostgreSQL,
executemany on SQLite) against ``bulk_create`` of model instances, the write it replaced:
the same file imported both ways stores the same rows, column for column, on whichever
database the run uses (run it with and without DATABASE_URL)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from palermo.core.models import AuditEntry, Membership, Organisation, User
from palermo.supply import orders, services, vocabulary
from palermo.supply.models import Contract, Crosswalk, ImportBatch, OrderLine, Supplier
from palermo.supply.risk import resolve_good
from palermo.supply.services import orderwrite
from tests.supply.supply_helpers import DOL_ROWS, dol_file, national_coordinator, orders_file

pytestmark = pytest.mark.django_db


def _reference_models(
    chunk: Sequence[tuple[orders.OrderLine, Any]],
    *,
    organisation: Organisation,
    batch: ImportBatch,
    suppliers: dict[str, Supplier],
    contracts: dict[str, int],
    crosswalk: dict[str, str],
    now: Any,
) -> list[OrderLine]:
    """The model instances ``orders_import`` gave ``bulk_create`` before the fast write."""
    return [
        OrderLine(
            organisation=organisation,
            batch=batch,
            ref=line.ref,
            supplier_name=line.supplier_name,
            supplier=suppliers.get(line.supplier_company_id),
            contract_id=contracts.get(line.contract_ref),
            origin_country=line.origin_country,
            good=resolve_good(line.good, line.product_code, crosswalk)[:200],
            product_code=line.product_code,
            value=line.value,
            share=line.share,
            characteristics=sorted(line.characteristics),
            level=res.level,
            score=res.score,
            exposure=res.exposure,
            result=res.to_dict(),
            screened_at=now,
        )
        for line, res in chunk
    ]


@pytest.fixture
def office(demo_world):
    org = Organisation.objects.create(
        name="Write test office", org_type="central_government", country="XK"
    )
    user = User.objects.create_user("buyer-write", password="A-long-password-1")
    Membership.objects.create(user=user, organisation=org, role="procurement_officer")
    for i in range(4):
        Supplier.objects.create(
            organisation=org,
            name=f"Mill {i}",
            company_id=f"C-{i}",
            country="AD",
            has_policy=i % 2 == 0,
            audit_access=i == 3,
            created_at=timezone.now(),
        )
    Contract.objects.create(
        organisation=org,
        reference="K-1",
        title="Uniforms",
        risk_level="medium",
        created_at=timezone.now(),
    )
    Crosswalk.objects.create(organisation=org, code="cpv:181", good="Garments")
    coordinator, national_office = national_coordinator()  # the national lists are theirs
    services.risk_import(
        actor=coordinator,
        organisation=national_office,
        data=dol_file(*DOL_ROWS),
        name="dol.csv",
        info=services.EditionInfo("US DOL test fixture", "2024", "public domain", date(2026, 1, 2)),
    )
    return user, org


# Names that a COPY text row or a JSON text must escape: tab, newline, backslash, quotes,
# \N (COPY's NULL), non-ASCII and a lone surrogate-free emoji.
AWKWARD = ["Mill\tTab", 'Quote "Q"', "Back\\slash", "Line\nbreak", "\\N", "Žižkov ÄÖ", "工厂 🧵"]


def _cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _file(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        name = rng.choice(AWKWARD) if rng.random() < 0.3 else f"Supplier {i % 7}"
        code = rng.choice(["", "", "cpv:18100000", "hs:6109", "unspsc:53"])
        good = "" if code and rng.random() < 0.7 else rng.choice(["Cotton", "Bricks", "Tea", ""])
        chars = ";".join(rng.sample(list(vocabulary.CHARACTERISTICS), rng.randint(0, 3)))
        rows.append(
            ",".join(
                [
                    f"PO-{i // 3}",
                    "" if i % 3 == 0 and rng.random() < 0.3 else str(i % 3),
                    _cell(name),
                    rng.choice(["", "C-0", "C-1", "C-2", "C-3", "C-9"]),
                    rng.choice(["AD", "AG", "AI", "AL", "FR", "XA"]),
                    good,
                    code,
                    f"{rng.randint(0, 300_000)}.{rng.randint(0, 99):02d}",
                    rng.choice(["", "1", "0.5", "0.25", "0.01"]),
                    chars,
                ]
            )
        )
    # a line whose contract is registered
    rows.append("PO-K,1,Mill 1,C-1,AD,Cotton,,12.5,,")
    header = orders_file().decode().strip()
    return (
        header
        + ",contract_ref\n"
        + "\n".join(r + "," for r in rows[:-1])
        + "\n"
        + rows[-1]
        + ",K-1\n"
    ).encode()


def _stored(batch_id: int) -> list[tuple[Any, ...]]:
    """Every stored column of a batch's lines as the database gives them back (raw)."""
    table, columns = orderwrite._names()
    quote = connection.ops.quote_name
    wanted = [c for c in columns if c != "batch_id"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT {} FROM {} WHERE {} = %s ORDER BY {}".format(  # noqa: S608 (model names only)
                ", ".join(map(quote, wanted)), quote(table), quote("batch_id"), quote("ref")
            ),
            [batch_id],
        )
        return list(cursor.fetchall())


def _reference_write(user: User, org: Organisation, data: bytes) -> int:
    checked = services.orders_import(
        actor=user, organisation=org, data=data, name="o.csv", commit=False
    )
    assert checked.preview.ok, checked.preview.errors[:3]
    suppliers = {s.company_id: s for s in Supplier.objects.filter(organisation=org)}
    contracts = dict(Contract.objects.filter(organisation=org).values_list("reference", "pk"))
    crosswalk = dict(Crosswalk.objects.filter(organisation=org).values_list("code", "good"))
    with transaction.atomic():
        batch = services._batch(ImportBatch.Kind.ORDERS, user, org, data, "o.csv", 0)
        OrderLine.objects.bulk_create(
            _reference_models(
                checked.results,
                organisation=org,
                batch=batch,
                suppliers=suppliers,
                contracts=contracts,
                crosswalk=crosswalk,
                now=NOW,
            ),
            batch_size=1000,
        )
    return batch.pk


NOW = timezone.now()


def _fast_write(user: User, org: Organisation, data: bytes, monkeypatch: Any) -> int:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    result = services.orders_import(actor=user, organisation=org, data=data, name="o.csv")
    monkeypatch.undo()
    assert result.preview.ok, result.preview.errors[:3]
    return ImportBatch.objects.filter(organisation=org).latest("id").pk


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_fast_write_stores_what_bulk_create_stored(office, monkeypatch, seed):
    user, org = office
    data = _file(400, seed)
    fast = _fast_write(user, org, data, monkeypatch)
    reference = _reference_write(user, org, data)
    got, expected = _stored(fast), _stored(reference)
    assert len(got) == len(expected) == 401
    for g, e in zip(got, expected, strict=True):
        assert g == e
    # and the ORM reads the same model values back (JSON parsed, decimals, the time)
    fields = [f for f in orderwrite.COLUMNS if f != "batch"]
    names = [OrderLine._meta.get_field(f).attname for f in fields]
    a = list(OrderLine.objects.filter(batch_id=fast).order_by("ref").values_list(*names))
    b = list(OrderLine.objects.filter(batch_id=reference).order_by("ref").values_list(*names))
    assert a == b
    kinds = {r[names.index("supplier_name")] for r in a}
    assert {"Mill\tTab", "Back\\slash", "Line\nbreak", "\\N"} <= kinds


def test_chunks_are_counted_and_the_write_is_audited_once(office, monkeypatch):
    user, org = office
    monkeypatch.setattr(services, "ORDER_WRITE_CHUNK", 7)
    before = AuditEntry.objects.filter(object_type="supply.order_import").count()
    services.orders_import(actor=user, organisation=org, data=_file(20, 5), name="o.csv")
    entry = AuditEntry.objects.filter(object_type="supply.order_import").latest("id")
    assert AuditEntry.objects.filter(object_type="supply.order_import").count() == before + 1
    assert entry.details["rows"] == 21 and entry.details["chunks"] == 3  # 7 + 7 + 7
    assert sum(entry.details["levels"].values()) == 21


def test_a_failure_inside_the_write_leaves_nothing(office, monkeypatch):
    """All or nothing: a row the database refuses half-way (here a value too long for its
    column on PostgreSQL, or a failing chunk on SQLite) rolls back the batch and every line."""
    user, org = office
    batches = ImportBatch.objects.count()
    audits = AuditEntry.objects.filter(object_type="supply.order_import").count()
    real = orderwrite.RowMaker.rows
    real_text = orderwrite.FrameRows.chunk_text
    calls = []

    def broken(self: Any, chunk: Any, levels: dict[str, int]) -> list[tuple[Any, ...]]:
        calls.append(1)
        rows = real(self, chunk, levels)
        if len(calls) == 2:  # the second chunk: the first one is already written
            rows[0] = (*rows[0][:6], "TOO LONG FOR TWO", *rows[0][7:])
        return rows

    def broken_text(self: Any, start: int, size: int) -> bytes:  # PostgreSQL's COPY text
        calls.append(1)
        text = real_text(self, start, size)
        if len(calls) == 2:
            first, rest = text.split(b"\n", 1)
            cells = first.split(b"\t")
            cells[6] = b"TOO LONG FOR TWO"
            text = b"\t".join(cells) + b"\n" + rest
        return text

    monkeypatch.setattr(orderwrite.RowMaker, "rows", broken)
    monkeypatch.setattr(orderwrite.FrameRows, "chunk_text", broken_text)
    monkeypatch.setattr(services, "ORDER_WRITE_CHUNK", 5)
    with pytest.raises(Exception):  # noqa: B017 (the database's own error, which differs)
        if connection.vendor == "sqlite":  # SQLite keeps any length: make the row refused
            monkeypatch.setattr(
                orderwrite,
                "insert_statement",
                lambda: "INSERT INTO nowhere_at_all VALUES (%s)",
            )
        services.orders_import(actor=user, organisation=org, data=_file(12, 9), name="o.csv")
    assert ImportBatch.objects.count() == batches
    assert OrderLine.objects.filter(organisation=org).count() == 0
    assert AuditEntry.objects.filter(object_type="supply.order_import").count() == audits


def test_statements_are_made_of_the_model_names_only():
    statement = orderwrite.insert_statement()
    assert statement.startswith("INSERT INTO ")
    assert statement.count("%s") == len(orderwrite.COLUMNS)
    for column in ("organisation_id", "batch_id", "result", "screened_at"):
        assert connection.ops.quote_name(column) in statement
