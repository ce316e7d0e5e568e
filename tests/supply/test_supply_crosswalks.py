"""CPV and UNSPSC codes mapped to HS, the shipped goods → HS crosswalk, and a buyer's
CPV-classified line reaching a good of the DOL list."""

from __future__ import annotations

import pytest

from palermo.core.errors import InvalidInput, NotAllowed
from palermo.core.models import AuditEntry
from palermo.supply import crosswalks, hscodes, orders
from palermo.supply.models import ClassificationMap, Crosswalk, OrderLine
from palermo.supply.risk import resolve_good


@pytest.mark.parametrize(
    ("given", "prefix"),
    [
        ("cpv:18100000-0", "cpv:181"),
        ("CPV:18000000-2", "cpv:18"),
        ("cpv:10000000-1", "cpv:10"),
        ("cpv:18143000-3", "cpv:18143"),
        ("unspsc:53100000", "unspsc:5310"),
        ("unspsc:53000000", "unspsc:53"),
        ("unspsc:53101601", "unspsc:53101601"),
    ],
)
def test_a_code_stands_for_its_class(given, prefix):
    assert crosswalks.classification_code(given) == (prefix, None)


@pytest.mark.parametrize(
    "bad",
    [
        "cpv:18100000",  # no check digit
        "cpv:1810000-0",  # 7 digits
        "cpv:18100000-00",
        "cpv:18100000-x",
        "unspsc:5310000",
        "unspsc:531000000",
        "unspsc:53100000-0",
        "18100000-0",  # no system
        "hs:6109",  # not a classification to map
        "",
    ],
)
def test_malformed_codes_are_refused(bad):
    prefix, issue = crosswalks.classification_code(bad)
    assert prefix == "" and issue


def test_hs_targets_are_checked():
    assert crosswalks.hs_code("61.09") == ("6109", None)
    assert crosswalks.hs_code("hs:6211") == ("6211", None)
    for bad in ("77", "6", "abc", "98"):
        assert crosswalks.hs_code(bad)[1]


def test_the_shipped_crosswalk_uses_the_hs_table_and_names_goods():
    rows = crosswalks.default_goods()
    assert len(rows) > 40
    assert all(code.startswith("hs:") and code[3:] in hscodes.HEADINGS for code, _g in rows)
    assert dict(rows)["hs:52"] == "Cotton" and dict(rows)["hs:1801"] == "Cocoa"
    assert len({c for c, _g in rows}) == len(rows)


def test_compose_resolves_through_hs_and_the_users_own_entry_wins():
    table = {"hs:61": "Garments", "hs:62": "Garments", "cpv:18": "Uniforms"}
    out = crosswalks.compose(table, [("cpv:181", "6211"), ("cpv:18", "6109"), ("cpv:39", "9999")])
    assert out["cpv:181"] == "Garments"
    assert out["cpv:18"] == "Uniforms"  # the user's own entry for that prefix
    assert "cpv:39" not in out  # an HS code the crosswalk does not know maps to nothing
    assert resolve_good("", "cpv:18100000", out) == "Garments"
    assert resolve_good("", "cpv:18200000", out) == "Uniforms"


def test_order_lines_accept_a_whole_cpv_code():
    errors: list = []
    assert orders.product_code("cpv:18100000-0", 2, errors) == "cpv:18100000"
    assert orders.product_code("cpv:181", 2, errors) == "cpv:181"
    assert not errors
    orders.product_code("cpv:18100000-", 3, errors)
    assert errors and errors[0].field == "product_code"


# --- services (with the demo procurement office) ---------------------------------------------


def _office():
    from palermo.core.models import User

    officer = User.objects.get(username="procurement")
    return officer, officer.organisations()[0]


def test_code_map_set_validates_and_audits(supply_demo):
    from palermo.supply import services

    officer, office = _office()
    with pytest.raises(InvalidInput) as exc:
        services.code_map_set(actor=officer, organisation=office, code="cpv:181", hs="77")
    assert {e.field for e in exc.value.errors} == {"code", "hs"}
    before = ClassificationMap.objects.count()
    item = services.code_map_set(
        actor=officer, organisation=office, code="unspsc:53100000", hs="6109"
    )
    assert (item.code, item.hs, item.given) == ("unspsc:5310", "6109", "unspsc:53100000")
    assert ClassificationMap.objects.count() == before + 1
    assert AuditEntry.objects.filter(
        object_type="supply.code_map", object_ref=str(item.pk)
    ).exists()
    analyst = type(officer).objects.get(username="diligence")
    with pytest.raises(NotAllowed):
        services.code_map_set(actor=analyst, organisation=office, code="cpv:18100000-0", hs="61")


def test_loading_the_shipped_crosswalk_keeps_the_users_entries(supply_demo):
    from palermo.supply import services

    officer, office = _office()
    services.crosswalk_set(actor=officer, organisation=office, code="hs:52", good="Cotton lint")
    services.crosswalk_load_defaults(actor=officer, organisation=office)  # the demo did it too
    assert Crosswalk.objects.get(organisation=office, code="hs:52").good == "Cotton lint"
    assert services.crosswalk_load_defaults(actor=officer, organisation=office) == 0


def test_a_cpv_classified_line_reaches_a_listed_good(supply_demo):
    """cpv:18100000-0 → (the user's map) hs:6211 → (the shipped crosswalk) Garments, which the
    demo risk list lists for forced labour in XA: the line is screened as Garments from XA."""
    from palermo.supply import services
    from tests.supply.supply_helpers import orders_file

    officer, office = _office()
    assert services.effective_crosswalk(office)["cpv:181"] == "Garments"
    data = orders_file("PO-CPV,1,Acme,,XA,,cpv:18100000-0,5000,,")
    result = services.orders_import(actor=officer, organisation=office, data=data, name="o.csv")
    assert result.preview.ok, result.preview.errors
    line = OrderLine.objects.get(ref="PO-CPV/1")
    assert line.good == "Garments" and line.product_code == "cpv:18100000"
    assert line.level in ("medium", "high")
    codes = [r["code"] for r in line.result["reasons"]]
    assert "list_forced" in codes, codes
    # Without the map the same line reaches no good.
    ClassificationMap.objects.filter(organisation=office).delete()
    assert "cpv:181" not in services.effective_crosswalk(office)
