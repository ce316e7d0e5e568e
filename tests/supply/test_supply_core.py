"""The pure core: OS IDs, importers (row by row, every error), the risk rule, the workflow."""

from __future__ import annotations

import string
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.supply import diligence, orders, osid, riskdata, sites, vocabulary
from palermo.supply.risk import LineFacts, RiskIndex, prioritise, resolve_good, screen
from tests.supply.supply_helpers import (
    DOL_ROWS,
    dol_file,
    orders_file,
    site_id,
    sites_file,
)

# --- OS IDs -------------------------------------------------------------------------------


def test_os_id_check_character_follows_open_supply_hub():
    # Worked by hand: ord("I")+ord("N") = 151; 2+0+1+9+0+6+7 + X(29)+1+K(19)+8+7 = 89; 240 % 32 = 16 → "G".
    assert osid.check_character("IN2019067X1K87") == "G"
    assert osid.is_valid("IN2019067X1K87G")
    assert osid.is_valid("IN-2019067-X1K87-G")  # hyphens ignored, as OSH does
    assert not osid.is_valid("IN2019067X1K87E")


def test_os_id_problems_are_named():
    assert "15 characters" in osid.problem("IN2019")
    assert "last character" in osid.problem("IN2019067X1K87E")
    assert "I, L, O or U" in osid.problem("IN2019067XIK87G")


_SYMBOLS = st.text(alphabet=osid.SYMBOLS, min_size=5, max_size=5)


@given(
    country=st.sampled_from(["IN", "BD", "CN", "TR", "AD"]),
    day=st.integers(1, 366),
    rnd=_SYMBOLS,
    position=st.integers(2, 14),
    replacement=st.sampled_from(osid.SYMBOLS),
)
def test_every_single_character_corruption_is_refused(country, day, rnd, position, replacement):
    good = osid.make(country, 2020, day, rnd)
    assert osid.is_valid(good)
    if good[position] == replacement or (position < 9 and replacement not in string.digits):
        return
    bad = good[:position] + replacement + good[position + 1 :]
    assert not osid.is_valid(bad)


# --- sites --------------------------------------------------------------------------------


def test_sites_file_checked_row_by_row_with_every_error():
    data = sites_file(
        f"{site_id()},Alpha Mill,1 Road,AD,42.5,1.5,Apparel,100-500,Shirts,",
        "IN2019067X1K87E,Beta Mill,2 Road,AD,,,Apparel,,,",
        ",Gamma,3 Road,ZZ,,,,,,",
        ",Delta,4 Road,AD,95,1,,,,",
        ",Epsilon,5 Road,AD,,,,-5,,",
        f"{site_id()},Alpha again,1 Road,AD,,,,,,",
    )
    preview = sites.preview(data, "sites.csv")
    assert not preview.ok
    errors = {(e.row, e.field) for e in preview.errors}
    assert (3, "os_id") in errors
    assert (4, "country_code") in errors
    assert (5, "lat") in errors
    assert (6, "number_of_workers") in errors
    assert (7, "os_id") in errors  # repeated OS ID in the file
    assert [r.row for r in preview.rows] == [2]
    assert preview.total_rows == 6


def test_sites_file_with_wrong_columns_names_them():
    preview = sites.preview(b"title,address\nx,y\n", "sites.csv")
    assert {(e.field, e.message) for e in preview.errors} >= {
        ("name", "This column is missing."),
        ("country_code", "This column is missing."),
        ("title", "Unknown column."),
    }
    assert not preview.rows


def test_osh_round_trip_loses_no_field():
    header = ",".join(sites.EXPORT_COLUMNS)
    row = (
        f"{site_id('BD', 12, 'ZZ9Q1')},2024-03-01,Rio Knit Ltd,12 Mill St,BD,Bangladesh,23.81,90.41,"
        "Apparel,Test Contributor,1000-2000,Rio Holdings,Final product assembly,Knitting,"
        "T-shirts,false,SUP-1"
    )
    first = sites.preview(sites_file(row, header=header), "a.csv")
    assert first.ok, first.errors
    exported = sites.export_csv([sites.row_values(r) for r in first.rows])
    second = sites.preview(exported, "b.csv")
    assert second.ok, second.errors
    assert [(*vars(r).values(),)[1:] for r in second.rows] == [
        (*vars(r).values(),)[1:] for r in first.rows
    ]
    assert exported.decode().splitlines()[1] == row


def test_matching_finds_typos_and_abbreviations_but_not_other_sites():
    known = [
        sites.KnownSite.of(1, site_id(), "AD", "Alpha Garment Manufacturing", "1 Main Road"),
        sites.KnownSite.of(2, "", "AD", "Omega Bricks Ltd", "77 Hill Street"),
    ]
    assert sites.match(site_id(), "AD", "x", "y", known).status == sites.MATCHED
    assert sites.match("", "AD", "Alpha Garment Mfg", "1 Main Rd", known).site_id == 1
    assert sites.match("", "AD", "Alpha Garmnet Manufacturing", "1 Main Road", known).status in (
        sites.MATCHED,
        sites.POTENTIAL,
    )
    assert sites.match("", "AD", "Zeta Tannery", "9 River Lane", known).status == sites.NEW
    # A similar address alone is not the same site; a name typo at another address is queued.
    assert sites.match("", "AD", "Zeta Tannery", "1 Main Road", known).status == sites.NEW
    assert (
        sites.match("", "AD", "Omega Brick", "12 Harbour Street", known).status == sites.POTENTIAL
    )
    assert sites.match("", "AG", "Omega Bricks", "77 Hill Street", known).status == sites.NEW


# --- risk data ----------------------------------------------------------------------------


def test_dol_file_imports_and_rejects_bad_rows():
    ok = riskdata.preview_dol(dol_file(*DOL_ROWS), "dol.csv")
    assert ok.ok and len(ok.rows) == 4
    assert ok.rows[2].listing("fl") == riskdata.Listing(2014, 2020)
    assert ok.rows[2].current_kinds() == ()
    bad = riskdata.preview_dol(
        dol_file(
            "Nowhere,QQ,R,S,Cotton,,2009,,",
            "Testland A,AD,R,S,Rice,,20x9,,",
            "Testland A,AD,R,S,Tea,,,,",
            "Testland A,AD,R,S,Cocoa,,,2018-2011,",
        ),
        "dol.csv",
    )
    fields = {(e.row, e.field) for e in bad.errors}
    assert fields == {(2, "Country_ISOCode"), (3, "CL"), (4, "CL"), (5, "FL")}
    assert not bad.rows


def test_edition_diff_shows_added_and_removed():
    old = riskdata.preview_dol(dol_file(*DOL_ROWS[:2]), "a.csv").rows
    new = riskdata.preview_dol(dol_file(DOL_ROWS[0], DOL_ROWS[3]), "b.csv").rows
    d = riskdata.diff(old, new)
    assert [(c.country_code, c.good, c.kind) for c in d.added] == [("AL", "Cotton", "fl")]
    assert [(c.country_code, c.good, c.kind) for c in d.removed] == [("AG", "Bricks", "cl")]


def _index():
    return RiskIndex.build("DOL test", riskdata.preview_dol(dol_file(*DOL_ROWS), "d.csv").rows)


# --- the risk rule ------------------------------------------------------------------------


def test_forced_labour_hit_is_at_least_medium_and_cites_its_row():
    result = screen(LineFacts("AD", "cotton"), _index())
    assert result.level == "medium"
    reason = result.reasons[0]
    assert reason.code == "list_forced" and reason.source == "DOL test, row 2"
    assert "forced labour, child labour" in reason.message


def test_removed_listing_does_not_count_and_unknown_good_is_low():
    assert screen(LineFacts("AI", "Garments"), _index()).level == "low"
    assert screen(LineFacts("AD", ""), _index()).level == "low"


def test_commodity_listed_elsewhere_and_exclusion():
    result = screen(LineFacts("AG", "Cotton"), _index())
    assert [r.code for r in result.reasons] == ["commodity"]
    barred = screen(LineFacts("AG", "Cotton", excluded="Exclusions, 2026, row 3"), _index())
    assert barred.level == "high"
    assert (barred.reasons[0].code, barred.reasons[0].source) == (
        "excluded",
        "Exclusions, 2026, row 3",
    )


def test_characteristics_and_spend_raise_evidence_lowers():
    base = LineFacts(
        "AG", "Bricks", value=Decimal(200_000), characteristics=frozenset({"workforce"})
    )
    assert screen(base, _index()).level == "high"  # 2 + 1 + 1
    mitigated = LineFacts(
        "AG",
        "Bricks",
        value=Decimal(200_000),
        characteristics=frozenset({"workforce"}),
        evidence=frozenset({"policy", "audit", "sites"}),
    )
    assert screen(mitigated, _index()).level == "low"


# --- several editions read together (issue 18: the current edition of every kind of list) ---

# A second list in the same columns (another publisher, synthetic): bricks from AG for forced
# labour, cotton from AD for child labour only, tea from AM for forced labour.
OTHER_ROWS = (
    "Testland B,AG,,,Bricks,FL,,2021,",
    "Testland A,AD,,,Cotton,CL,2019,,",
    "Testland E,AM,,,Tea,FL,,2022,",
)


def _two() -> RiskIndex:
    dol = riskdata.preview_dol(dol_file(*DOL_ROWS), "d.csv").rows
    other = riskdata.preview_dol(dol_file(*OTHER_ROWS), "o.csv").rows
    return RiskIndex.combine([("DOL test", dol), ("Other list, 2026", other)])


def _cited(result):
    return [(r.code, r.points, r.source) for r in result.reasons]


def test_two_editions_count_once_and_each_cites_its_own_row():
    index = _two()
    assert index.label == "DOL test; Other list, 2026"
    # DOL lists AD cotton for forced and child labour, the other list for child labour: the
    # listing counts once, from DOL; the other list is cited beside it with no points.
    cotton = screen(LineFacts("AD", "Cotton"), index)
    assert _cited(cotton) == [
        ("list_forced", 3, "DOL test, row 2"),
        ("list_also", 0, "Other list, 2026, row 3"),
    ]
    assert (cotton.level, cotton.score) == ("medium", 3)
    assert "child labour" in cotton.reasons[1].message
    assert "forced" not in cotton.reasons[1].message
    # DOL lists AG bricks for child labour only; the other list for forced labour: that counts.
    bricks = screen(LineFacts("AG", "Bricks"), index)
    assert _cited(bricks) == [
        ("list_forced", 3, "Other list, 2026, row 2"),
        ("list_also", 0, "DOL test, row 3"),
    ]
    assert screen(LineFacts("AG", "Bricks"), _index()).level == "medium"  # DOL alone: 2 points
    # Tea is listed for forced labour elsewhere by the other list only; cotton by DOL only.
    assert _cited(screen(LineFacts("FR", "Tea"), index)) == [("commodity", 1, "Other list, 2026")]
    assert _cited(screen(LineFacts("AG", "Cotton"), index)) == [("commodity", 1, "DOL test")]


def test_one_edition_combined_is_the_edition_alone():
    rows = riskdata.preview_dol(dol_file(*DOL_ROWS), "d.csv").rows
    alone, combined = RiskIndex.build("DOL test", rows), RiskIndex.combine([("DOL test", rows)])
    for country in ("AD", "AG", "AI", "AL", "FR"):
        for good in ("Cotton", "Bricks", "Garments", "Tea", ""):
            facts = LineFacts(country, good)
            assert screen(facts, alone) == screen(facts, combined)
    assert screen(LineFacts("AD", "Cotton"), RiskIndex.combine([])).level == "low"


_listing = st.tuples(
    st.sampled_from(["AD", "AG", "AI", "FR"]),
    st.sampled_from(["Cotton", "Bricks", "Tea"]),
    st.sampled_from(riskdata.KINDS),
    st.booleans(),  # removed since
)


def _edition_rows(listings) -> list[riskdata.RiskRow]:
    """One row per country and good (as an import allows), its kinds as drawn."""
    by_pair: dict[tuple[str, str], dict[str, riskdata.Listing]] = {}
    for country, good, kind, removed in listings:
        by_pair.setdefault((country, good), {})[kind] = riskdata.Listing(
            2010, 2015 if removed else None
        )
    return [
        riskdata.RiskRow(
            n,
            country,
            f"Land {country}",
            "",
            "",
            good,
            tuple((k, kinds[k]) for k in riskdata.KINDS if k in kinds),
        )  # fmt: skip
        for n, ((country, good), kinds) in enumerate(sorted(by_pair.items()), start=2)
    ]


@settings(max_examples=300)
@given(
    facts=st.builds(
        LineFacts,
        country_code=st.sampled_from(["AD", "AG", "AI", "FR"]),
        good=st.sampled_from(["Cotton", "Bricks", "Tea", ""]),
        value=st.decimals(0, 10**6, places=2),
        characteristics=st.frozensets(st.sampled_from(list(vocabulary.CHARACTERISTICS))),
        evidence=st.frozensets(st.sampled_from(list(vocabulary.EVIDENCE))),
        excluded=st.sampled_from(["", "Exclusions, 2026, row 2"]),
    ),
    first=st.lists(_listing, max_size=6),
    second=st.lists(_listing, max_size=6),
)
def test_adding_an_edition_never_lowers_the_level_and_every_list_is_cited(facts, first, second):
    a, b = _edition_rows(first), _edition_rows(second)
    one = screen(facts, RiskIndex.combine([("A, 1", a)]))
    two = screen(facts, RiskIndex.combine([("A, 1", a), ("B, 2", b)]))
    assert _rank(two.level) >= _rank(one.level) and two.score >= one.score
    assert two.score == sum(r.points for r in two.reasons)
    # The order the editions are given in changes which one is cited first, not the result.
    swapped = screen(facts, RiskIndex.combine([("B, 2", b), ("A, 1", a)]))
    assert (swapped.level, swapped.score) == (two.level, two.score)
    # Every edition that lists the line's country and good now is cited with its own row.
    for label, rows in (("A, 1", a), ("B, 2", b)):
        for r in rows:
            here = (r.country_code, r.good) == (facts.country_code, facts.good)
            if here and r.current_kinds():
                assert f"{label}, row {r.row}" in [x.source for x in two.reasons]


_facts = st.builds(
    LineFacts,
    country_code=st.sampled_from(["AD", "AG", "AI", "AL", "FR"]),
    good=st.sampled_from(["Cotton", "Bricks", "Garments", "", "Tea"]),
    value=st.decimals(0, 10**7, places=2),
    share=st.decimals(Decimal("0.01"), 1, places=2),
    characteristics=st.frozensets(st.sampled_from(list(vocabulary.CHARACTERISTICS))),
    evidence=st.frozensets(st.sampled_from(list(vocabulary.EVIDENCE))),
    excluded=st.sampled_from(["", "Exclusions, 2026, row 2"]),
)


def _rank(level: str) -> int:
    return vocabulary.LEVELS.index(level)


@settings(max_examples=300)
@given(
    facts=_facts,
    extra=st.sampled_from(list(vocabulary.CHARACTERISTICS)),
    more=st.integers(0, 10**6),
)
def test_adding_a_risk_factor_never_lowers_the_level(facts, extra, more):
    index = _index()
    before = _rank(screen(facts, index).level)
    for worse in (
        LineFacts(**{**vars(facts), "characteristics": facts.characteristics | {extra}}),
        LineFacts(**{**vars(facts), "value": facts.value + more}),
        LineFacts(**{**vars(facts), "excluded": "Exclusions, 2027, row 9"}),
    ):
        assert _rank(screen(worse, index).level) >= before


@settings(max_examples=300)
@given(facts=_facts, ev=st.sampled_from(list(vocabulary.EVIDENCE)))
def test_adding_evidence_never_raises_the_level(facts, ev):
    index = _index()
    better = LineFacts(**{**vars(facts), "evidence": facts.evidence | {ev}})
    assert _rank(screen(better, index).level) <= _rank(screen(facts, index).level)


@given(facts=_facts)
def test_same_facts_same_result_and_every_point_has_a_reason(facts):
    index = _index()
    a, b = screen(facts, index), screen(facts, index)
    assert a == b and a.to_dict() == b.to_dict()
    assert a.score == sum(r.points for r in a.reasons)
    if a.level != "low":
        assert a.reasons


def test_prioritise_orders_by_level_then_exposure():
    index = _index()
    results = [
        ("po-1", screen(LineFacts("FR", "Tea", value=Decimal(5)), index)),
        ("po-2", screen(LineFacts("AD", "Cotton", value=Decimal(10)), index)),
        ("po-3", screen(LineFacts("AD", "Cotton", value=Decimal(900)), index)),
    ]
    assert [ref for ref, _r in prioritise(results)] == ["po-3", "po-2", "po-1"]


def test_crosswalk_longest_prefix():
    crosswalk = {"hs:52": "Cotton", "hs:6109": "Garments"}
    assert resolve_good("", "hs:610910", crosswalk) == "Garments"
    assert resolve_good("", "HS:5201.00", crosswalk) == "Cotton"
    assert resolve_good("", "cpv:18", crosswalk) == ""
    assert resolve_good("Bricks", "hs:52", crosswalk) == "Bricks"


# --- purchase orders ----------------------------------------------------------------------


def test_order_lines_bad_input_named_by_row_and_field():
    preview = orders.preview(
        orders_file(
            "PO-1,1,Acme,,AD,Cotton,,1000.00,0.5,workforce",
            "PO-1,2,Acme,,AD,,hs:52,-3,,",
            "PO-2,1,Acme,,XX,,,10,,",
            "PO-3,1,Acme,,AD,,wat,10,2,magic",
            "PO-1,1,Acme,,AD,,,10,,",
        ),
        "po.csv",
    )
    errors = {(e.row, e.field) for e in preview.errors}
    assert errors == {
        (3, "value"),
        (4, "origin_country"),
        (5, "product_code"),
        (5, "share"),
        (5, "characteristics"),
        (6, "order_ref"),
    }
    assert [r.ref for r in preview.rows] == ["PO-1/1"]


def test_order_file_with_wrong_columns():
    preview = orders.preview(b"po,amount\n1,2\n", "x.csv")
    assert not preview.ok and {e.field for e in preview.errors} >= {"order_ref", "value", "po"}


def test_not_utf8_and_empty_files():
    assert "UTF-8" in orders.preview(b"\xff\xfe\x00x", "x.csv").errors[0].message
    assert "empty" in orders.preview(b"", "x.csv").errors[0].message


# --- the due-diligence workflow -----------------------------------------------------------


def test_light_track_for_low_risk_full_for_others():
    assert diligence.required_measures("low") == ("a", "f")
    assert diligence.required_measures("high") == tuple("abcdefg")
    with pytest.raises(ValueError):
        diligence.required_measures("extreme")


def test_progress_and_evidence_rule():
    S = diligence.StepState
    prog = diligence.progress("high", {"a": S("a", "met", False), "b": S("b", "not_met", True)})
    assert prog.done == ("a",) and prog.blocked == ("b",) and not prog.complete
    assert diligence.stage_of(prog) == "selection"
    assert ("evidence", "This measure needs a file as evidence.") in diligence.check_step(
        "c", "met", "Factory list received", False
    )
    assert diligence.check_step("a", "met", "Checked the national list", False) == []
    assert {f for f, _m in diligence.check_step("z", "maybe", " ", False)} == {
        "measure",
        "outcome",
        "note",
    }
    full = {c: S(c, "met", True) for c in "abcdefg"}
    assert diligence.progress("medium", full).complete


# --- remediation --------------------------------------------------------------------------


def test_findings_file_names_every_bad_row():
    from palermo.supply import remediation

    header = "supplier_company_id,os_id,indicator,finding,workers_affected,description,owner,due_on"
    good_id = site_id()
    data = "\n".join(
        (
            header,
            f"S1,{good_id},debt_bondage,non_compliance,12,Fees charged,HR,2026-06-30",
            "S1,,magic,non_compliance,1,x,HR,2026-06-30",
            "S2,,debt_bondage,praise,-1,x,HR,30/06/2026",
            f"S1,{site_id(day=101)},isolation,observation,,x,HR,2026-06-30",
        )
    ).encode()
    preview = remediation.preview_findings(data, "f.csv", suppliers={"S1"}, sites={good_id})
    assert {(e.row, e.field) for e in preview.errors} == {
        (3, "indicator"),
        (4, "finding"),
        (4, "workers_affected"),
        (4, "due_on"),
        (5, "os_id"),
    }
    assert [r.row for r in preview.rows] == [2]


def test_fee_ledger_rules_and_totals():
    from palermo.supply import remediation

    assert remediation.check_fee(3, Decimal(100), Decimal(40)) == []
    assert {f for f, _m in remediation.check_fee(0, Decimal(-1), Decimal(-2))} == {
        "workers_affected",
        "amount_owed",
        "amount_repaid",
    }
    assert ("amount_repaid", "More repaid than owed: record the amount owed first.") in (
        remediation.check_fee(2, Decimal(10), Decimal(11))
    )
    t = remediation.totals([(3, Decimal(100), Decimal(40)), (2, Decimal(50), Decimal(50))])
    assert (t.workers, t.owed, t.repaid, t.outstanding) == (5, 150, 90, 60)
    assert t.share_repaid == pytest.approx(0.6)


def test_sites_from_xlsx_like_csv():
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["name", "address", "country_code", "number_of_workers", "lat", "lng"])
    ws.append(["Alpha Mill", "1 Road", "AD", "100-500", 42.5, 1.5])
    ws.append(["Beta Mill", "2 Road", "ad", 250, None, None])
    ws.append(["Gamma Mill", "3 Road", "AD", "lots", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    preview = sites.preview(buf.getvalue(), "sites.xlsx")
    assert [(e.row, e.field) for e in preview.errors] == [(4, "number_of_workers")]
    assert [(r.name, r.country_code, r.workers_min, r.workers_max) for r in preview.rows] == [
        ("Alpha Mill", "AD", 100, 500),
        ("Beta Mill", "AD", 250, 250),
    ]
    assert (
        sites.preview(b"not a zip", "sites.xlsx")
        .errors[0]
        .message.startswith("The file cannot be read")
    )
