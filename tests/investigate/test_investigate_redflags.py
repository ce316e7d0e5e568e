"""Every rule fires on a constructed positive example and stays silent on its near miss;
the loader refuses bad rules; missing fields skip a rule; decided alerts stay decided."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from palermo.investigate.redflags import RuleError, load_rule_pack, rule_from_dict
from palermo.investigate.workspace import Workspace

RULES_DIR = Path(__file__).resolve().parents[2] / "src" / "palermo" / "investigate" / "rules"


# ------------------------------------------------------------------ the loader


def test_packaged_pack_loads_and_cites_public_sources():
    pack = load_rule_pack()
    assert len(pack.rules) >= 14
    for rule in pack.rules:
        assert rule.sources and all(s.indicator for s in rule.sources)
        assert set(rule.exploitation) <= {"sexual", "labour", "criminal_activities", "any"}
        assert rule.requires
    cited = {s.id for r in pack.rules for s in r.sources}
    assert {"FIN-2014-A008", "FIN-2020-A008", "FATF-APG-2018"} <= cited
    assert cited & {"FINTRAC-2016-OA003", "FINTRAC-2021-OA001"}


def _rule(name: str = "sex_online_ads.yaml") -> dict:
    return yaml.safe_load((RULES_DIR / name).read_text())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("sources"), "sources"),
        (lambda r: r.__setitem__("id", "ads-rule"), "does not match"),
        (lambda r: r["sources"][0].__setitem__("id", "MY-BLOG"), "is not one of"),
        (lambda r: r.__setitem__("exploitation", ["organ_removal_typo"]), "is not one of"),
        (lambda r: r["parameters"].pop("window_days"), "parameters declared"),
        (
            lambda r: r.__setitem__("query", r["query"] + " AND $undeclared > 0"),
            "parameters declared",
        ),
        (
            lambda r: r.__setitem__(
                "query",
                "SELECT * FROM tx_label WHERE $categories IS NOT NULL "
                "AND $min_payments > 0 AND $window_days > 0",
            ),
            "labels",
        ),
        (lambda r: r["parameters"]["min_payments"].__setitem__("default", "three"), "integer"),
        (lambda r: r.__setitem__("requires", ["tx.amount", "bank.secret"]), "does not match"),
    ],
)
def test_loader_refuses_inconsistent_rules(mutate, message):
    data = copy.deepcopy(_rule())
    mutate(data)
    with pytest.raises(RuleError, match=message):
        rule_from_dict(data)


def test_duplicate_rule_ids_are_refused(tmp_path):
    for n in (1, 2):
        (tmp_path / f"r{n}.yaml").write_text((RULES_DIR / "sex_online_ads.yaml").read_text())
    with pytest.raises(RuleError, match="twice"):
        load_rule_pack(tmp_path)


def test_parameter_overrides_are_checked(ws, pay):
    ws.ingest_records([pay(1, 2)], source_name="x")
    with pytest.raises(RuleError, match="unknown parameters"):
        ws.run_rules(only={"THB-SEX-ADS"}, overrides={"THB-SEX-ADS": {"min_paymens": 2}})
    with pytest.raises(RuleError, match="below the minimum"):
        ws.run_rules(only={"THB-SEX-ADS"}, overrides={"THB-SEX-ADS": {"min_payments": 0}})


# ------------------------------------------------- skipped, never silently passed


def test_rules_whose_fields_are_missing_are_skipped_and_reported(ws, pay):
    # plain transfers between people, dated without a time: no categories, times or descriptions
    recs = [pay(1, 2, 10, d) for d in range(3)]
    ws.ingest_records([{**r, "booked_at": r["booked_at"].date()} for r in recs], source_name="x")
    report = ws.run_rules()
    skipped = {s.rule_id: s.missing_fields for s in report.skipped}
    assert skipped["THB-SEX-ADS"] == ("tx.payee_category",)
    assert skipped["THB-SEX-LATENIGHT"] == ("tx.booked_time",)
    assert "tx.description" in skipped["THB-LAB-WAGE-KICKBACK"]
    assert "THB-NET-FANIN" in report.ran and "THB-SEX-ADS" not in report.ran
    assert set(report.ran) | set(skipped) == set(ws.rule_pack.ids)


# ------------------------------------------------------- positive and near miss


def _subjects(alerts):
    return {a.subject for a in alerts}


def test_fan_in_funnel(ws, pay, iban, run_rule):
    hub = 100
    recs = [pay(i, hub, 300 + i, i) for i in (1, 2, 3)]
    ws.ingest_records(recs, source_name="pos")
    alerts = run_rule(ws, "THB-NET-FANIN")
    assert _subjects(alerts) == {iban(hub)} and len(alerts[0].tx_ids) == 3


def test_fan_in_near_miss_payer_with_other_business(ws, pay, run_rule):
    hub = 100
    recs = [pay(1, hub, 300, 0), pay(2, hub, 300, 1), pay(3, hub, 300, 2), pay(3, 7, 50, 3)]
    ws.ingest_records(recs, source_name="near")  # payer 3 also pays account 7
    assert run_rule(ws, "THB-NET-FANIN") == []


def _rhythm(pay, who: int, weeks: int = 60) -> list[dict]:
    # a standing weekly payment every Monday to the same landlord
    return [pay(who, 500, 400, 7 * w) for w in range(weeks)]


def test_fan_out_off_rhythm_payments(ws, pay, iban, run_rule):
    recs = _rhythm(pay, 1) + [pay(1, 601, 250, 2), pay(1, 602, 260, 9)]  # Wednesdays
    ws.ingest_records(recs, source_name="pos")
    alerts = run_rule(ws, "THB-NET-FANOUT")
    assert _subjects(alerts) == {iban(1)} and len(alerts[0].tx_ids) == 2


def test_fan_out_near_miss_payments_within_rhythm(ws, pay, run_rule):
    recs = _rhythm(pay, 1) + [pay(1, 601, 250, 7), pay(1, 602, 260, 14)]  # Mondays, like the rest
    ws.ingest_records(recs, source_name="near")
    assert run_rule(ws, "THB-NET-FANOUT") == []


def test_cycle_of_new_links(ws, pay, iban, run_rule):
    ws.ingest_records([pay(1, 2, 900, 0), pay(2, 3, 880, 3), pay(3, 1, 860, 8)], source_name="pos")
    alerts = run_rule(ws, "THB-NET-CYCLE")
    assert len(alerts) == 1 and alerts[0].subject == min(iban(1), iban(2), iban(3))
    assert len(alerts[0].tx_ids) == 3


def test_cycle_near_miss_too_slow(ws, pay, run_rule):
    ws.ingest_records(
        [pay(1, 2, 900, 0), pay(2, 3, 880, 20), pay(3, 1, 860, 40)], source_name="near"
    )
    assert run_rule(ws, "THB-NET-CYCLE") == []


def test_cycle_near_miss_standing_relationships(ws, pay, run_rule):
    # the same three people paying each other every month: a standing arrangement
    recs = [
        pay(a, b, 100, 30 * m + i)
        for m in range(3)
        for i, (a, b) in enumerate([(1, 2), (2, 3), (3, 1)])
    ]
    ws.ingest_records(recs, source_name="near")
    assert run_rule(ws, "THB-NET-CYCLE") == []


def test_scatter_gather(ws, pay, iban, run_rule):
    recs = [pay(1, m, 1000, 0) for m in (11, 12, 13)] + [pay(m, 99, 900, 2) for m in (11, 12, 13)]
    ws.ingest_records(recs, source_name="pos")
    alerts = run_rule(ws, "THB-NET-SCATTER-GATHER")
    assert _subjects(alerts) == {iban(99)} and len(alerts[0].tx_ids) == 6


def test_scatter_gather_near_miss_slow_forwarding(ws, pay, run_rule):
    # passed on 40 days later: beyond the rule's 30-day period
    recs = [pay(1, m, 1000, 0) for m in (11, 12, 13)] + [pay(m, 99, 900, 40) for m in (11, 12, 13)]
    ws.ingest_records(recs, source_name="near")
    assert run_rule(ws, "THB-NET-SCATTER-GATHER") == []


ADS = (900, "Locanto Classifieds")
HOTEL = (901, "Hotel Adria")
TRAVEL = (902, "Flixbus Tickets")
REMIT = (903, "Western Union")
CRYPTO = (904, "Binance")
AGENCY = (905, "Balkan Staffing Recruitment")


@pytest.mark.parametrize(
    ("rule_id", "merchant", "hits", "near_hits", "spacing"),
    [
        ("THB-SEX-ADS", ADS, 3, 2, 5),
        ("THB-SEX-HOTEL", HOTEL, 5, 4, 4),
        ("THB-TRAVEL-TICKETS", TRAVEL, 3, 2, 6),
        ("THB-MT-REMITTANCE", REMIT, 4, 3, 5),
        ("THB-ALT-PAYMENTS", CRYPTO, 3, 2, 5),
    ],
)
def test_category_frequency_rules(rule_id, merchant, hits, near_hits, spacing, pay, iban, run_rule):
    with Workspace(":memory:", memory_limit=None) as w:
        w.ingest_records(
            [pay(1, merchant, 20, spacing * k) for k in range(hits)], source_name="pos"
        )
        alerts = run_rule(w, rule_id)
        assert _subjects(alerts) == {iban(1)} and len(alerts[0].tx_ids) == hits
    with Workspace(":memory:", memory_limit=None) as w:  # one payment fewer in the window
        w.ingest_records(
            [pay(1, merchant, 20, spacing * k) for k in range(near_hits)], source_name="near"
        )
        assert run_rule(w, rule_id) == []
    with Workspace(
        ":memory:", memory_limit=None
    ) as w:  # as many payments, spread beyond the window
        w.ingest_records([pay(1, merchant, 20, 40 * k) for k in range(hits)], source_name="spread")
        assert run_rule(w, rule_id) == []


def test_late_night(ws, pay, iban, run_rule):
    ws.ingest_records([pay(1, HOTEL, 80, 2 * k, hour=23) for k in range(8)], source_name="pos")
    alerts = run_rule(ws, "THB-SEX-LATENIGHT")
    assert iban(1) in _subjects(alerts)


def test_late_night_near_miss_evening(ws, pay, run_rule):
    ws.ingest_records([pay(1, HOTEL, 80, 2 * k, hour=20) for k in range(8)], source_name="near")
    assert run_rule(ws, "THB-SEX-LATENIGHT") == []


def test_recruitment_fees(ws, pay, iban, run_rule):
    ws.ingest_records([pay(i, AGENCY, 500, 3 * i) for i in range(1, 6)], source_name="pos")
    alerts = run_rule(ws, "THB-LAB-RECRUIT")
    assert _subjects(alerts) == {iban(AGENCY[0])} and len(alerts[0].tx_ids) == 5


def test_recruitment_fees_near_miss(ws, pay, run_rule):
    ws.ingest_records([pay(i, AGENCY, 500, 3 * i) for i in range(1, 5)], source_name="near")
    assert run_rule(ws, "THB-LAB-RECRUIT") == []


def _wages(pay, handed_back: float) -> list[dict]:
    employer, collector = (50, "Adria Cleaning d.o.o."), 60
    recs = []
    for w in (1, 2, 3):
        recs.append(pay(employer, w, 1000, 0, description="salary March"))
        recs.append(pay(w, collector, handed_back, 2, description="transfer"))
    return recs


def test_wage_kickback(ws, pay, iban, run_rule):
    ws.ingest_records(_wages(pay, 700), source_name="pos")
    alerts = run_rule(ws, "THB-LAB-WAGE-KICKBACK")
    assert _subjects(alerts) == {iban(60)} and len(alerts[0].tx_ids) == 6


def test_wage_kickback_near_miss_small_transfers(ws, pay, run_rule):
    ws.ingest_records(_wages(pay, 300), source_name="near")  # 30% of the wage: rent, not a kickback
    assert run_rule(ws, "THB-LAB-WAGE-KICKBACK") == []


def _company_statement(tmp_path: Path, iban, with_payroll: bool) -> Path:
    lines = ["date,amount,dc,currency,counterparty,counterparty_account,details,reference"]
    lines += [
        f"2024-03-{d:02d},5000.00,C,EUR,Client {d},{iban(20 + d)},invoice {d},I{d}"
        for d in range(1, 6)
    ]
    if with_payroll:
        lines.append(f"2024-03-28,1500.00,D,EUR,Marko Horvat,{iban(40)},salary March,S1")
    f = tmp_path / f"company-{with_payroll}.csv"
    f.write_text("\n".join(lines) + "\n")
    return f


def test_business_without_payroll(ws, tmp_path, iban, run_rule):
    f = _company_statement(tmp_path, iban, with_payroll=False)
    assert ws.ingest(
        f,
        profile="generic-direction-column",
        account=iban(10),
        account_name="Adria Cleaning d.o.o.",
    ).ok
    alerts = run_rule(ws, "THB-LAB-NO-PAYROLL")
    assert _subjects(alerts) == {iban(10)} and len(alerts[0].tx_ids) == 5


def test_business_without_payroll_near_miss(ws, tmp_path, iban, run_rule):
    f = _company_statement(tmp_path, iban, with_payroll=True)
    assert ws.ingest(
        f,
        profile="generic-direction-column",
        account=iban(10),
        account_name="Adria Cleaning d.o.o.",
    ).ok
    assert run_rule(ws, "THB-LAB-NO-PAYROLL") == []


def _shared_phone(ws, pay, names):
    ws.ingest_records([pay((i + 1, n), 99, 50, i) for i, n in enumerate(names)], source_name="acc")
    ws.add_parties(
        [
            {
                "party_id": f"p{i}",
                "schema": "Person",
                "name": n,
                "phone": "+387 61 123 456",
                "iban": pay((i + 1, n), 99)["payer_account"],
            }
            for i, n in enumerate(names)
        ]
    )


def test_shared_phone_across_unrelated_holders(ws, pay, run_rule):
    _shared_phone(ws, pay, ["Ana Kovac", "Ivana Petrovic", "Olena Shevchenko"])
    alerts = run_rule(ws, "THB-NET-SHARED-ID")
    assert _subjects(alerts) == {"phone:+38761123456"} and len(alerts[0].tx_ids) == 3


def test_shared_phone_near_miss_one_person_three_accounts(ws, pay, run_rule):
    _shared_phone(ws, pay, ["Ana Kovac", "Ana Kovač", "ANA KOVAC"])
    assert run_rule(ws, "THB-NET-SHARED-ID") == []


def test_shared_phone_respects_confirmed_matches(ws, pay, iban, run_rule):
    _shared_phone(ws, pay, ["Ana Kovac", "Ivana Petrovic", "Ana K. Petrovic"])
    assert run_rule(ws, "THB-NET-SHARED-ID")
    # the investigator confirms that all three are one woman using her maiden and married names
    for a, b in ((1, 2), (1, 3), (2, 3)):
        ws.judge_match(f"account:{iban(a)}", f"account:{iban(b)}", "same", decided_by="inv1")
    assert run_rule(ws, "THB-NET-SHARED-ID") == []


# ------------------------------------------------------------------ decisions


def test_decided_alert_is_not_raised_again_until_new_transactions_join(ws, pay, iban):
    ws.ingest_records([pay(i, 100, 300, i) for i in (1, 2, 3)], source_name="first")
    first = ws.run_rules(only={"THB-NET-FANIN"})
    (alert,) = first.alerts
    ws.decide_alert(alert.alert_key, "dismissed", decided_by="inv1", note="family remittances")
    again = ws.run_rules(only={"THB-NET-FANIN"})
    assert again.alerts == () and again.suppressed == 1
    assert ws.alerts() == []
    ws.ingest_records([pay(4, 100, 300, 10)], source_name="second")
    third = ws.run_rules(only={"THB-NET-FANIN"})
    (fresh,) = third.alerts
    assert fresh.subject == iban(100) and set(alert.tx_ids) < set(fresh.tx_ids)


def test_decisions_are_checked(ws, pay):
    ws.ingest_records([pay(i, 100, 300, i) for i in (1, 2, 3)], source_name="first")
    (alert,) = ws.run_rules(only={"THB-NET-FANIN"}).alerts
    with pytest.raises(ValueError):
        ws.decide_alert(alert.alert_key, "maybe", decided_by="inv1")
    with pytest.raises(KeyError):
        ws.decide_alert("no-such-alert", "confirmed", decided_by="inv1")


def test_every_alert_names_existing_transactions(ws, pay):
    recs = [pay(i, 100, 300, i) for i in (1, 2, 3)] + [
        pay(1, 2, 900, 0),
        pay(2, 3, 880, 3),
        pay(3, 1, 860, 8),
    ]
    recs += [pay(7, HOTEL, 80, 2 * k, hour=23) for k in range(8)]
    ws.ingest_records(recs, source_name="mix")
    report = ws.run_rules()
    assert report.alerts
    known = {r[0] for r in ws.con.execute("SELECT tx_id FROM tx").fetchall()}
    for a in report.alerts:
        assert a.tx_ids and set(a.tx_ids) <= known
