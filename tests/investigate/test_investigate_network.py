"""Network analysis: hubs, roles, cycles, money paths; backtest helpers."""

from __future__ import annotations

from palermo.investigate.backtest import backtest, naive_counterparty_baseline, score
from palermo.investigate.network import materialise_cycles

HOTEL = (901, "Hotel Adria")
DEALER = (70, "Auto Dealer Motors")


def _cycles(ws, **params):
    materialise_cycles(ws.con, params)
    rows = ws.con.execute(
        "SELECT cycle_id, list(DISTINCT account_key ORDER BY account_key) FROM net_cycle GROUP BY 1"
    ).fetchall()
    return [tuple(r[1]) for r in rows]


def test_cycle_through_one_busy_account_is_found_but_not_through_two(ws, pay, iban):
    # 1 -> 2 -> 3 -> 1 closes in a week; account 1 also pays four new people that week
    ring = (tuple(sorted((iban(1), iban(2), iban(3)))),)
    recs = [pay(1, 2, 900, 0), pay(2, 3, 880, 2), pay(3, 1, 860, 4)]
    recs += [pay(1, 100 + k, 50, 1) for k in range(4)]
    ws.ingest_records(recs, source_name="a")
    assert tuple(_cycles(ws)) == ring
    # now account 2 is busy as well: a ring through two busy accounts is ordinary commerce
    ws.ingest_records([pay(2, 200 + k, 50, 1) for k in range(4)], source_name="b")
    assert _cycles(ws) == []
    assert tuple(_cycles(ws, max_busy_members=2)) == ring


def test_cycle_may_use_one_standing_link_only(ws, pay, iban):
    recs = [pay(1, 2, 900, 0), pay(2, 3, 880, 2), pay(3, 4, 870, 3), pay(4, 1, 860, 4)]
    recs += [pay(2, 3, 100, 30 + k) for k in range(3)]  # 2 -> 3 is a standing relationship
    ws.ingest_records(recs, source_name="a")
    assert _cycles(ws) == [tuple(sorted(iban(i) for i in (1, 2, 3, 4)))]
    assert _cycles(ws, max_standing_links=0) == []
    ws.ingest_records([pay(3, 4, 100, 40 + k) for k in range(3)], source_name="b")  # a second one
    assert _cycles(ws) == []


def test_hubs_and_roles(ws, pay, iban):
    recs = [pay(i, 10, 500, i) for i in range(1, 6)]  # 10 collects from five payers
    recs += [pay(10, 20, 400, 7)]  # and keeps most of it
    recs += [pay(30, 31, 1000, 0), pay(31, 32, 950, 1)]  # 31 passes money through in a day
    recs += [pay(40, HOTEL, 300, 2), pay(40, 41, 100, 3)]  # 40 mostly pays lodging
    ws.ingest_records(recs, source_name="roles")
    net = ws.network()
    hubs = {(h.account_key, h.direction) for h in net.hubs}
    assert (iban(10), "fan_in") in hubs
    roles = {(r.account_key, r.role) for r in net.roles}
    assert (iban(10), "collector") in roles
    assert (iban(31), "pass_through") in roles
    assert (iban(40), "facilitator") in roles
    assert (iban(20), "collector") not in roles and (iban(10), "pass_through") not in roles


def test_money_paths_from_victims_to_assets(ws, pay, iban):
    recs = [
        pay(1, 10, 800, 0),
        pay(2, 10, 800, 1),
        pay(10, 20, 1500, 3),
        pay(20, DEALER, 1400, 5, mcc="5511"),
    ]
    ws.ingest_records(recs, source_name="paths")
    net = ws.network(victim_accounts=[iban(1)])
    asset_paths = [p for p in net.paths if p.ends_in == "asset"]
    assert len(asset_paths) == 1
    path = asset_paths[0]
    assert path.accounts == (iban(1), iban(10), iban(20), iban(DEALER[0]))
    assert [str(a) for a in path.amounts] == ["800.00", "1500.00", "1400.00"]
    assert ws.network(victim_accounts=[iban(99)]).paths == ()  # an account with no payments


def test_naive_baseline_counts_distinct_counterparties_in_a_window(ws, pay, iban):
    recs = [pay(i, 10, 100, 3 * i) for i in range(1, 5)]  # 4 payers within 12 days
    recs += [pay(20 + i, 11, 100, 10 * i) for i in range(1, 5)]  # 4 payers over 40 days
    ws.ingest_records(recs, source_name="base")
    flagged = naive_counterparty_baseline(ws.con)
    assert iban(10) in flagged["fan_in"] and iban(11) not in flagged["fan_in"]
    m = score(flagged["fan_in"], {iban(10), iban(11)})
    assert (m.true_positives, m.precision, m.recall) == (1, 1.0, 0.5)


def test_backtest_scores_rules_and_baseline_against_labels(ws, pay, iban):
    recs = [pay(i, 100, 300, i) for i in (1, 2, 3, 4)]  # a funnel the rule finds
    recs += [pay(20 + i, 101, 100, 30 + i) for i in range(1, 5)]  # a busy shop the baseline flags
    recs += [pay(20 + i, 50 + i, 10, 60 + i) for i in range(1, 5)]
    ws.ingest_records(recs, source_name="bt")
    ws.con.execute("INSERT INTO account_label VALUES (?, 'a1', 'fan_in', 'hub')", [iban(100)])
    run = ws.run_rules(only={"THB-NET-FANIN"})
    ours, naive = backtest(ws.con, run.alerts)["fan_in"]
    assert (ours.recall, ours.precision) == (1.0, 1.0)
    assert naive.recall == 1.0 and naive.precision == 0.5  # it also flags the shop
