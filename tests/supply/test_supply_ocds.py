"""OCDS import (issue 18): release packages, record packages and JSON Lines of releases
become purchase-order lines; every rejected item is named by its JSON path; a file with any
error gives nothing; the merge of a process's releases does not depend on their order in
the file. Fixtures: tests/supply/fixtures/ocds_* (written for these tests, in OCDS 1.1's
field names; the portal, parties and processes are fictional)."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from palermo.core.models import AuditEntry, Membership, Organisation, User
from palermo.supply import ocds, services
from palermo.supply.cli import app
from palermo.supply.models import ImportBatch, OrderLine
from tests.supply.supply_helpers import DOL_ROWS, dol_file, national_coordinator

FIXTURES = Path(__file__).parent / "fixtures"


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def _bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def _lines(data: bytes, name: str = "p.json") -> list[tuple[Any, ...]]:
    preview, _lines = ocds.preview(data, name)
    assert preview.ok, preview.errors
    return [
        (
            r.order_ref,
            r.line,
            r.supplier_name,
            r.supplier_company_id,
            r.origin_country,
            r.product_code,
            r.value,
        )
        for r in preview.rows
    ]


def _errors(doc: Any, name: str = "p.json") -> list[tuple[int, str, str]]:
    data = doc if isinstance(doc, bytes) else _bytes(doc)
    preview, _l = ocds.preview(data, name)
    assert not preview.ok  # nothing is imported (the preview keeps only the clean items)
    return [(e.row, e.field, e.message) for e in preview.errors]


# --- the mapping ------------------------------------------------------------------------------


def test_release_package_items_become_lines():
    data = (FIXTURES / "ocds_release_package.json").read_bytes()
    assert _lines(data) == [
        (
            "ocds-t3st00-0001",
            "A1/1",
            "Andorra Mills",
            "L-712345-Z",
            "AD",
            "cpv:18332000",
            Decimal("6250.00"),
        ),
        # no delivery address: the supplier's address gives the country
        (
            "ocds-t3st00-0001",
            "A1/2",
            "Andorra Mills",
            "L-712345-Z",
            "AD",
            "cpv:18234000",
            Decimal("6250.00"),
        ),
        # the contract's items stand for its award's; the cancelled award gives nothing;
        # CPC is not a product code system here: the HS additional classification is used
        (
            "ocds-t3st00-0002",
            "C9/b1",
            "Antigua Bricks",
            "AG-998",
            "AG",
            "hs:690410",
            Decimal("3500.00"),
        ),
    ]
    _preview, lines = ocds.preview(data, "p.json")
    assert lines.currency == "EUR"
    assert [s.country_from for s in lines.sources] == [
        "delivery address",
        "supplier address",
        "delivery address",
    ]
    assert lines.sources[0].identifier_scheme == "AD-NRT"
    assert lines.sources[2].item == "releases[2].contracts[0].items[0]"


def test_record_package_uses_the_compiled_release_or_merges_embedded_releases():
    data = (FIXTURES / "ocds_record_package.json").read_bytes()
    assert _lines(data) == [
        # a single item takes its award's value; UNSPSC code
        (
            "ocds-t3st00-0003",
            "A3/g",
            "Albania Gloves",
            "K-31415",
            "AL",
            "unspsc:46181504",
            Decimal("4000.50"),
        ),
        # quantity 2 then 3 (the later release wins), unit price kept from the first
        ("ocds-t3st00-0004", "A4/1", "Andorra Mills", "L-712345-Z", "AD", "", Decimal("300.00")),
    ]


def test_json_lines_merge_by_date_not_by_file_order_and_null_removes():
    data = (FIXTURES / "ocds_releases.jsonl").read_bytes()
    # the newer release (first line) changes the unit price and removes the delivery address
    assert _lines(data, "r.jsonl") == [
        ("ocds-t3st00-0005", "A5/1", "Anguilla Tea Co", "AI-4", "AI", "", Decimal("290.00"))
    ]


def test_a_long_line_reference_becomes_the_items_place():
    doc = _fixture("ocds_release_package.json")
    doc["releases"][1]["awards"][0]["id"] = "ocds-t3st00-0001-award-000001"
    got = _lines(_bytes(doc))
    assert [g[1] for g in got[:2]] == ["#1", "#2"]


def test_country_names_and_codes():
    assert ocds.country_code("Viet Nam") == "VN"
    assert ocds.country_code("esp") == "ES"
    assert ocds.country_code("de") == "DE"
    assert ocds.country_code("Arland (fictional)") == "XA"
    assert ocds.country_code("Atlantis") == ""


def test_merge_rules():
    merged = ocds.Obj("")
    ocds.merge_into(
        merged,
        {"a": {"b": 1, "c": 2}, "xs": [{"id": 1, "v": 1}, {"id": 2, "v": 2}], "tags": ["x"]},
        "releases[0]",
    )
    ocds.merge_into(
        merged,
        {"a": {"b": None}, "xs": [{"id": 2, "v": 3}, {"id": 4}], "tags": ["y"]},
        "releases[1]",
    )
    a = merged.obj("a")
    assert a is not None and a.leaf("b") is None and a.leaf("c").value == 2  # type: ignore[union-attr]
    assert a.leaf("c").path == "releases[0].a.c"  # type: ignore[union-attr]
    xs = merged.objs("xs")
    assert [(o.leaf("id").value, o.leaf("v") and o.leaf("v").value) for o in xs] == [  # type: ignore[union-attr]
        (1, 1),
        (2, 3),
        (4, None),
    ]
    assert xs[1].path == "releases[1].xs[0]"
    assert merged.leaf("tags").value == ["y"]  # type: ignore[union-attr]  # replaced whole


# --- every error names its JSON path ------------------------------------------------------------------


AWARD = "releases[1].awards[0]"
ITEM = f"{AWARD}.items[0]"


def _broken(change: Any) -> list[tuple[int, str, str]]:
    doc = _fixture("ocds_release_package.json")
    change(doc)
    return _errors(doc)


def _item(doc: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = doc["releases"][1]["awards"][0]["items"][0]
    return item


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            lambda d: _item(d)["unit"]["value"].pop("amount"),
            f"{ITEM}.unit.value.amount",
            "unit price",
        ),
        (
            lambda d: _item(d)["unit"]["value"].update(amount="12,50"),
            f"{ITEM}.unit.value.amount",
            "not a number",
        ),
        (
            lambda d: _item(d)["unit"]["value"].update(amount=-1),
            f"{ITEM}.unit.value.amount",
            "cannot be negative",
        ),
        (
            lambda d: _item(d)["unit"]["value"].update(amount=1e14),
            f"{ITEM}.unit.value.amount",
            "too large",
        ),
        (lambda d: _item(d).pop("quantity"), f"{ITEM}.quantity", "needs its quantity"),
        (lambda d: _item(d).update(quantity="many"), f"{ITEM}.quantity", "not a number"),
        (lambda d: _item(d).update(quantity=-3), f"{ITEM}.quantity", "cannot be negative"),
        (
            lambda d: _item(d)["unit"]["value"].pop("currency"),
            f"{ITEM}.unit.value.currency",
            "needs its currency",
        ),
        (
            lambda d: _item(d)["deliveryAddress"].update(countryName="Atlantis"),
            f"{ITEM}.deliveryAddress.countryName",
            "Unknown country",
        ),
        (
            lambda d: _item(d)["classification"].update(scheme="HS", id="7700"),
            f"{ITEM}.classification.id",
            "no chapter 77",
        ),
        (
            lambda d: d["releases"][1]["parties"][0]["identifier"].update(id="X" * 41),
            "releases[1].parties[0].identifier.id",
            "At most 40 characters",
        ),
        (
            lambda d: d["releases"][1]["parties"][0].update(name=""),
            "releases[1].parties[0].name",
            "Required",
        ),
        (
            lambda d: d["releases"][1]["awards"][0].pop("suppliers"),
            f"{AWARD}.suppliers",
            "needs its supplier",
        ),
        (
            lambda d: d["releases"][1]["awards"][0]["suppliers"][0].update(id="SUP-404"),
            f"{AWARD}.suppliers[0].id",
            "No party with this id",
        ),
        (
            lambda d: [r.update(ocid="ocds-" + "x" * 60) for r in d["releases"][:2]],
            "releases[1].ocid",
            "At most 60 characters",
        ),
    ],
)
def test_each_bad_item_is_named_by_its_path(change, path, words):
    errors = _broken(change)
    assert any(e[1] == path and words.lower() in e[2].lower() for e in errors), errors


def test_a_mixed_currency_names_both_places():
    def change(d: dict[str, Any]) -> None:
        d["releases"][2]["contracts"][0]["items"][0]["unit"]["value"]["currency"] = "USD"

    errors = _broken(change)
    assert errors == [
        (
            3,
            "releases[2].contracts[0].items[0].unit.value.currency",
            "This file mixes currencies: USD here, EUR at "
            "releases[1].awards[0].items[0].unit.value.currency.",
        )
    ]


def test_no_country_anywhere():
    def change(d: dict[str, Any]) -> None:
        _item(d).pop("deliveryAddress")
        d["releases"][1]["parties"][0].pop("address")

    errors = _broken(change)
    assert (1, f"{ITEM}.deliveryAddress", errors[0][2]) in errors
    assert "No country" in errors[0][2]


def test_a_contract_of_no_award():
    def change(d: dict[str, Any]) -> None:
        d["releases"][2]["contracts"][0]["awardID"] = "A404"

    errors = _broken(change)
    assert (0, "releases[2].contracts[0].awardID", errors[0][2]) in errors


@pytest.mark.parametrize(
    ("data", "name", "field", "words"),
    [
        (b"\xff\xfe{", "p.json", "", "not UTF-8"),
        (b'{"releases": [', "p.json", "", "Not JSON"),
        (b"[1, 2]", "p.json", "", "Expected a release or a package"),
        (b'{"uri": "x"}', "p.json", "", "Not an OCDS"),
        (b'{"releases": {}}', "p.json", "releases", "Expected a list"),
        (b'{"records": 3}', "p.json", "records", "Expected a list"),
        (b'{"releases": [3]}', "p.json", "releases[0]", "Expected a release"),
        (b'{"releases": [{"id": "1"}]}', "p.json", "releases[0].ocid", "needs its ocid"),
        (b'{"records": [{"x": 1}]}', "p.json", "records[0].ocid", "needs its ocid"),
        (b'{"releases": []}', "p.json", "", "no awarded or contracted items"),
        (b'{"ocid": "o"}\n{nope\n', "r.jsonl", "line 2", "Not JSON"),
    ],
)
def test_file_level_errors(data, name, field, words):
    errors = _errors(data, name)
    assert any(e[0] == 0 and e[1] == field and words.lower() in e[2].lower() for e in errors), (
        errors
    )


def test_a_record_with_linked_releases_only():
    doc = _fixture("ocds_record_package.json")
    doc["records"][0].pop("compiledRelease")
    errors = _errors(doc)
    assert errors[0][:2] == (0, "records[0]") and "only linked" in errors[0][2]


def test_undated_releases_of_one_process_cannot_be_merged():
    doc = _fixture("ocds_release_package.json")
    doc["releases"][0]["date"] = "5 January"
    errors = _errors(doc)
    assert errors[0][:2] == (0, "releases[0].date") and "date" in errors[0][2]
    # a process of one release needs no date
    one = {"releases": [dict(_fixture("ocds_release_package.json")["releases"][2], date=None)]}
    assert len(_lines(_bytes(one))) == 1


def test_too_many_items():
    doc = _fixture("ocds_release_package.json")
    preview, _l = ocds.preview(_bytes(doc), "p.json", max_rows=2)
    assert not preview.ok and "At most 2 rows" in preview.errors[0].message


# --- the merge does not depend on the order of the releases in the file -------------------------


@st.composite
def _process(draw: Any) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 6))
    days = draw(st.lists(st.integers(1, 28), min_size=n, max_size=n, unique=True))
    releases = []
    for day in days:
        items = [
            {
                "id": str(draw(st.integers(1, 4))),
                **({"quantity": draw(st.integers(0, 50))} if draw(st.booleans()) else {}),
                "unit": {
                    "value": {
                        "amount": draw(st.integers(0, 10_000)),
                        "currency": "EUR",
                    }
                },
                "deliveryAddress": {"countryName": draw(st.sampled_from(["AD", "Albania", "FR"]))},
                "classification": {
                    "scheme": draw(st.sampled_from(["CPV", "UNSPSC", "CPC"])),
                    "id": str(draw(st.integers(10_000_000, 99_999_999))),
                },
            }
            for _ in range(draw(st.integers(0, 3)))
        ]
        award_ids = draw(st.lists(st.sampled_from(["A", "B"]), min_size=1, max_size=2, unique=True))
        releases.append(
            {
                "ocid": "ocds-t3st00-p",
                "id": f"r{day}",
                "date": f"2026-01-{day:02d}T00:00:00Z",
                "parties": [{"id": "S", "name": f"Supplier {day}", "roles": ["supplier"]}],
                "awards": [
                    {"id": a, "suppliers": [{"id": "S"}], "items": copy.deepcopy(items)}
                    for a in award_ids
                ],
            }
        )
    # the earliest release gives every item a quantity, so each merged item has one
    first = min(releases, key=lambda r: r["date"])
    for award in first["awards"]:
        for item in award["items"]:
            item.setdefault("quantity", 1)
    return releases


def _outcome(releases: list[dict[str, Any]]) -> Any:
    preview, lines = ocds.preview(_bytes({"releases": releases}), "p.json")
    return (
        sorted((e.template, e.params) for e in preview.errors),
        preview.rows and [tuple(r)[1:] for r in preview.rows],
        [s.country_from for s in lines.sources],
    )


@settings(max_examples=60, deadline=None)
@given(_process(), st.randoms(use_true_random=False))
def test_shuffling_a_processs_releases_gives_the_same_lines(releases, rnd):
    shuffled = list(releases)
    rnd.shuffle(shuffled)
    assert _outcome(shuffled) == _outcome(sorted(releases, key=lambda r: r["date"]))


# --- the service, the web, the API and the command line --------------------------------------------


@pytest.fixture
def office(demo_world):
    org = Organisation.objects.create(
        name="OCDS test office", org_type="central_government", country="XK"
    )
    user = User.objects.create_user("buyer-ocds", password="A-long-password-1")
    Membership.objects.create(user=user, organisation=org, role="procurement_officer")
    coordinator, national_office = national_coordinator()  # the national lists are theirs
    services.risk_import(
        actor=coordinator,
        organisation=national_office,
        data=dol_file(*DOL_ROWS),
        name="dol.csv",
        info=services.EditionInfo("US DOL test fixture", "2024", "public domain", date(2026, 1, 2)),
    )
    services.crosswalk_set(actor=user, organisation=org, code="cpv:183", good="Cotton")
    return user, org


@pytest.mark.django_db
def test_service_keeps_every_line_screened_and_audits_the_currency(office):
    user, org = office
    data = (FIXTURES / "ocds_release_package.json").read_bytes()
    result = services.orders_import(actor=user, organisation=org, data=data, name="p.json")
    assert result.preview.ok and result.ocds_lines is not None
    kept = {o.ref: o for o in OrderLine.objects.filter(organisation=org)}
    assert set(kept) == {"ocds-t3st00-0001/A1/1", "ocds-t3st00-0001/A1/2", "ocds-t3st00-0002/C9/b1"}
    shirts = kept["ocds-t3st00-0001/A1/1"]
    # cpv:18332000 → Cotton through the crosswalk; Andorra × Cotton is on the fixture list
    assert shirts.good == "Cotton" and shirts.level in ("medium", "high")
    assert any("US DOL test fixture" in r["source"] for r in shirts.result["reasons"])
    entry = AuditEntry.objects.filter(object_type="supply.order_import").latest("id")
    assert entry.details["format"] == "ocds" and entry.details["currency"] == "EUR"
    assert entry.details["rows"] == 3


@pytest.mark.django_db
def test_service_keeps_nothing_when_one_item_is_bad(office):
    user, org = office
    doc = _fixture("ocds_release_package.json")
    doc["releases"][2]["contracts"][0]["items"][0]["quantity"] = "ten thousand"
    batches = ImportBatch.objects.count()
    result = services.orders_import(actor=user, organisation=org, data=_bytes(doc), name="p.json")
    assert not result.preview.ok
    assert [e.field for e in result.preview.errors] == [
        "releases[2].contracts[0].items[0].quantity"
    ]
    assert OrderLine.objects.filter(organisation=org).count() == 0
    assert ImportBatch.objects.count() == batches


@pytest.mark.django_db
def test_web_upload_preview_and_confirm(supply_demo, login_as):
    c = login_as("procurement")
    before = OrderLine.objects.count()
    doc = _fixture("ocds_release_package.json")
    _item(doc)["unit"]["value"]["amount"] = "12,50"
    r = c.post("/supply/orders/import/", {"file": SimpleUploadedFile("p.json", _bytes(doc))})
    page = r.content.decode()
    assert r.status_code == 400 and f"{ITEM}.unit.value.amount" in page
    good = (FIXTURES / "ocds_release_package.json").read_bytes()
    r = c.post("/supply/orders/import/", {"file": SimpleUploadedFile("p.json", good)})
    page = r.content.decode()
    assert r.status_code == 200 and "ocds-t3st00-0002/C9/b1" in page, page[page.find("<main") :]
    assert "EUR" in page
    assert c.post("/supply/orders/import/confirm/").status_code == 302
    assert OrderLine.objects.count() == before + 3


@pytest.mark.django_db
def test_api_import_names_the_path(supply_demo, client, api_token):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('procurement')}"}
    doc = _fixture("ocds_release_package.json")
    doc["releases"][1]["awards"][0]["suppliers"][0]["id"] = "SUP-404"
    r = client.post(
        "/api/v1/supply/orders/import",
        {"file": SimpleUploadedFile("p.json", _bytes(doc))},
        **auth,
    )
    assert r.status_code == 422
    assert any(f"{AWARD}.suppliers[0].id" in e["field"] for e in r.json()["errors"])
    good = (FIXTURES / "ocds_releases.jsonl").read_bytes()
    r = client.post(
        "/api/v1/supply/orders/import",
        {"file": SimpleUploadedFile("r.jsonl", good), "dry_run": "true"},
        **auth,
    )
    assert r.status_code == 200 and r.json()["rows"] == 1 and r.json()["imported"] == 0


@pytest.mark.django_db
def test_cli_screens_an_ocds_file(supply_demo, tmp_path):
    runner = CliRunner()
    f = tmp_path / "p.json"
    f.write_bytes((FIXTURES / "ocds_record_package.json").read_bytes())
    before = OrderLine.objects.count()
    r = runner.invoke(app, ["screen", str(f), "--as", "procurement"])
    assert r.exit_code == 0, r.output
    assert "ocds-t3st00-0003/A3/g" in r.output and "2 lines screened" in r.output
    assert OrderLine.objects.count() == before
    bad = tmp_path / "bad.json"
    doc = _fixture("ocds_record_package.json")
    doc["records"][1]["releases"][0]["awards"][0]["items"][0]["unit"]["value"]["amount"] = -1
    bad.write_bytes(_bytes(doc))
    r = runner.invoke(app, ["screen", str(bad), "--as", "procurement"])
    assert r.exit_code == 1
    assert "records[1].releases[0].awards[0].items[0].unit.value.amount" in r.output


def test_json_lines_paths_name_the_line():
    lines = (FIXTURES / "ocds_releases.jsonl").read_text().splitlines()
    older = json.loads(lines[1])
    older["awards"][0]["suppliers"][0]["id"] = "SUP-404"
    data = (lines[0] + "\n" + json.dumps(older) + "\n").encode()
    errors = _errors(data, "r.jsonl")
    # the supplier's id names no party; and (the newer line removed the delivery address)
    # no country is left either
    assert [e[1] for e in errors] == [
        "line 1: awards[0].items[0].deliveryAddress",
        "line 2: awards[0].suppliers[0].id",
    ]
    older.pop("date")
    data = (lines[0] + "\n" + json.dumps(older) + "\n").encode()
    assert _errors(data, "r.jsonl")[0][:2] == (0, "line 2: date")


@pytest.mark.parametrize("depth", [900, 100_000])
def test_deep_nesting_is_refused_not_crashed(depth):
    release = {"ocid": "o", "date": "2026-01-01T00:00:00Z"}
    deep = "[" * depth + "]" * depth
    for data in (
        (
            '{"releases": [{"ocid": "o", "x": ' + '{"a": ' * depth + "1" + "}" * depth + "}]}"
        ).encode(),
        ('{"releases": [' + json.dumps(release)[:-1] + ', "y": ' + deep + "}]}").encode(),
    ):
        preview, _l = ocds.preview(data, "p.json")
        assert not preview.ok
