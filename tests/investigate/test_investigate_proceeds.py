"""Proceeds: pro-rata tracing for confiscation, deducted wages for compensation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from palermo.investigate.proceeds import estimate_proceeds

DEALER = (70, "Auto Dealer Motors")


def _flow(ws, pay):
    recs = [
        pay(3, 10, 2000, 0, description="clean savings"),  # C's own money first
        pay(1, 10, 1000, 1, ref="v1"),
        pay(2, 10, 1000, 1, ref="v2"),  # victims' earnings
        pay(10, 20, 2000, 2),  # C -> O: half tainted
        pay(20, DEALER, 600, 3, mcc="5511"),  # O buys a car
        pay(10, 30, 1000, 4),  # C pays the landlord
    ]
    ws.ingest_records(recs, source_name="flow")
    ids = dict(ws.con.execute("SELECT bank_ref, tx_id FROM tx").fetchall())
    return [ids["v1"], ids["v2"]]


def test_pro_rata_tracing_hand_computed(ws, pay, iban):
    flagged = _flow(ws, pay)
    est = estimate_proceeds(ws.con, flagged_tx=flagged, offender_accounts=[iban(10), iban(20)])
    assert est.flagged_inflow_total == Decimal("2000.00")
    # C receives 2000 tainted from the victims; the 1000 C passes to O is not counted twice
    assert est.confiscation_total == Decimal("2000.00")
    held = {h.account_key: h for h in est.holdings}
    assert held[iban(20)].tainted_received == Decimal("1000.00")  # 2000 * 2000/4000
    assert held[iban(20)].tainted_spent_on_assets == Decimal("300.00")  # 600 * 1000/2000
    assert held[iban(30)].tainted_received == Decimal("500.00")  # 1000 * 1000/2000
    assert est.spent_on_assets == Decimal("300.00")
    # conservation: every tainted cent is held somewhere or became an asset
    assert est.still_held + est.spent_on_assets == est.flagged_inflow_total
    assert "pro-rata" in est.confiscation_method


def test_no_flagged_inflows_means_nothing_to_confiscate(ws, pay, iban):
    _flow(ws, pay)
    est = estimate_proceeds(ws.con, flagged_tx=[], offender_accounts=[iban(10)])
    assert est.confiscation_total == 0 and est.holdings == ()


def _wages(ws, pay):
    employer = (50, "Adria Cleaning d.o.o.")
    recs = [
        pay(employer, 1, 1000, 0, description="salary January"),
        pay(employer, 2, 1000, 0, description="salary January"),
        pay(1, 60, 700, 1),
        pay(2, 60, 600, 2),  # handed to the same collector
        pay(1, (80, "Supermarket Mega"), 50, 1),  # shopping is not a deduction
        pay(2, employer, 100, 3),  # paid back to the employer
        pay(1, 60, 400, 20),  # too late after the wage
    ]
    ws.ingest_records(recs, source_name="wages")


def test_compensation_counts_deductions_to_collectors_and_employers(ws, pay, iban):
    _wages(ws, pay)
    est = estimate_proceeds(
        ws.con, flagged_tx=[], offender_accounts=[], victim_accounts=[iban(1), iban(2)]
    )
    claims = {c.account_key: c for c in est.claims}
    assert claims[iban(1)].handed_back == Decimal("700.00")
    assert claims[iban(2)].handed_back == Decimal(
        "700.00"
    )  # 600 to the collector + 100 to the employer
    assert est.compensation_total == Decimal("1400.00")
    assert "within 5 days" in est.compensation_method


def test_compensation_adds_the_shortfall_against_a_reference_wage(ws, pay, iban):
    _wages(ws, pay)
    est = estimate_proceeds(
        ws.con,
        flagged_tx=[],
        offender_accounts=[],
        victim_accounts=[iban(1), iban(2)],
        reference_monthly_wage=Decimal("1500"),
    )
    assert {c.shortfall for c in est.claims} == {Decimal("500.00")}
    assert est.compensation_total == Decimal("2400.00")
    assert "reference wage" in est.compensation_method


def test_a_trace_across_currencies_is_refused(ws, pay, iban):
    recs = [pay(1, 10, 100, 0, ref="a"), {**pay(2, 10, 100, 1, ref="b"), "currency": "USD"}]
    ws.ingest_records(recs, source_name="fx")
    ids = [r[0] for r in ws.con.execute("SELECT tx_id FROM tx").fetchall()]
    with pytest.raises(ValueError, match="currencies"):
        estimate_proceeds(ws.con, flagged_tx=ids, offender_accounts=[iban(10)])


def test_workspace_defaults_flagged_transactions_to_confirmed_alerts(ws, pay, iban):
    ws.ingest_records([pay(i, 100, 300, i) for i in (1, 2, 3)], source_name="funnel")
    (alert,) = ws.run_rules(only={"THB-NET-FANIN"}).alerts
    ws.decide_alert(alert.alert_key, "confirmed", decided_by="inv1")
    est = ws.proceeds(offender_accounts=[iban(100)])
    assert est.confiscation_total == Decimal("900.00")
