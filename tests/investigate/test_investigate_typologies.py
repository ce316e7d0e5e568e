"""AMLSim's typologies, each named once and correctly: the new network rules on small
hand-built graphs (positive, the confusable typology not misnamed, normal traffic
silent), precedence between rules, properties under relabelling and added noise,
the evaluation-set generator, and zero amounts at import."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schwifty import IBAN

from palermo.investigate.amlsim_gen import TYPOLOGIES, GeneratorParams, generate, write_amlsim
from palermo.investigate.backtest import flagged_accounts, labelled_accounts
from palermo.investigate.ingest import ZERO_AMOUNT_WARNING
from palermo.investigate.redflags import Alert, apply_precedence, load_rule_pack
from palermo.investigate.workspace import Workspace


def make_iban(n: int) -> str:
    """The conftest's numbered IBANs, for helpers that run outside a fixture."""
    return str(IBAN.generate("DE", bank_code="37040044", account_code=str(1_000_000 + n)).compact)


NETWORK_RULES = {
    "THB-NET-FANIN",
    "THB-NET-FANOUT",
    "THB-NET-CYCLE",
    "THB-NET-SCATTER-GATHER",
    "THB-NET-GATHER-SCATTER",
    "THB-NET-BIPARTITE",
    "THB-NET-STACK",
}


def _network_alerts(ws: Workspace) -> list[Alert]:
    return list(ws.run_rules(only=NETWORK_RULES).alerts)


def _by_typology(alerts: list[Alert]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for a in alerts:
        out[a.typology].add(a.subject)
    return out


def _scatter_gather(pay, src=1, mids=(11, 12, 13), gatherer=99, day=0):
    return [pay(src, m, 1000, day) for m in mids] + [pay(m, gatherer, 900, day + 5) for m in mids]


def _gather_scatter(pay, sources=(21, 22, 23), hub=50, benes=(31, 32, 33), day=0):
    return [pay(s, hub, 500, day + i) for i, s in enumerate(sources)] + [
        pay(hub, b, 450, day + 8 + i) for i, b in enumerate(benes)
    ]


def _bipartite(pay, origs=(41, 42), benes=(43, 44, 45), day=0):
    return [
        pay(o, b, 300, day + i) for i, (o, b) in enumerate((o, b) for o in origs for b in benes)
    ]


def _stack(pay, origs=(61, 62), mids=(63, 64), benes=(65, 66), day=0):
    return [pay(o, m, 700, day + 1) for o in origs for m in mids] + [
        pay(m, b, 650, day + 6) for m in mids for b in benes
    ]


def _normal(pay, accounts=range(200, 212), months=6):
    """Standing monthly payments: every pair pays again each month (rent, wages, family)."""
    accts = list(accounts)
    recs = []
    for m in range(months):
        for i, a in enumerate(accts):
            for k in (1, 2, 3):
                recs.append(pay(a, accts[(i + k) % len(accts)], 100 + k, 30 * m + i % 5))
    return recs


# ------------------------------------------------------------ scatter-gather


def test_scatter_gather_names_gatherer_source_and_intermediaries(ws, pay, iban):
    ws.ingest_records(_scatter_gather(pay), source_name="sg")
    alerts = _network_alerts(ws)
    sg = [a for a in alerts if a.typology == "scatter_gather"]
    assert [a.subject for a in sg] == [iban(99)]
    assert iban(1) in sg[0].summary and "gatherer" in sg[0].summary
    named = flagged_accounts(ws.con, sg, "scatter_gather")
    assert named == {iban(1), iban(11), iban(12), iban(13), iban(99)}
    # the gatherer's payers are single-use accounts, yet it is not also called a funnel
    assert "fan_in" not in _by_typology(alerts)


def test_scatter_gather_intermediaries_that_pay_several_onward_are_not_scatter_gather(ws, pay):
    # each intermediary pays two onward accounts: that is a stack layer, not a scatter-gather
    recs = _stack(pay, origs=(1,), mids=(11, 12, 13), benes=(98, 99))
    ws.ingest_records(recs, source_name="near")
    assert "scatter_gather" not in _by_typology(_network_alerts(ws))


# ------------------------------------------------------------ gather-scatter


def test_gather_scatter_names_the_hub_and_not_a_fan_in_or_fan_out(ws, pay, iban):
    ws.ingest_records(_gather_scatter(pay), source_name="gs")
    found = _by_typology(_network_alerts(ws))
    assert found["gather_scatter"] == {iban(50)}
    assert iban(50) not in found.get("fan_in", set())
    assert iban(50) not in found.get("fan_out", set())


def test_a_plain_funnel_is_a_fan_in_not_a_gather_scatter(ws, pay, iban):
    ws.ingest_records([pay(s, 50, 500, s % 7) for s in (21, 22, 23, 24)], source_name="fi")
    found = _by_typology(_network_alerts(ws))
    assert found["fan_in"] == {iban(50)} and "gather_scatter" not in found


def test_an_account_with_two_roles_keeps_both_alerts(ws, pay, iban):
    # account 99 gathers a scatter-gather AND, months later, is fed by its own single-use payers
    recs = _scatter_gather(pay) + [pay(s, 99, 300, 120 + s % 5) for s in (71, 72, 73)]
    ws.ingest_records(recs, source_name="two")
    found = _by_typology(_network_alerts(ws))
    assert iban(99) in found["scatter_gather"] and iban(99) in found["fan_in"]


# ------------------------------------------------------------ bipartite and stack


def test_bipartite_set_names_every_member(ws, pay, iban):
    ws.ingest_records(_bipartite(pay), source_name="bp")
    alerts = _network_alerts(ws)
    bp = [a for a in alerts if a.typology == "bipartite"]
    assert len(bp) == 1 and bp[0].subject == min(iban(41), iban(42))  # first originator by key
    assert flagged_accounts(ws.con, bp, "bipartite") == {iban(n) for n in (41, 42, 43, 44, 45)}
    assert {a.typology for a in alerts} == {"bipartite"}


def test_bipartite_near_miss_standing_relationships(ws, pay):
    recs = [pay(o, b, 300, 30 * m) for m in range(4) for o in (41, 42) for b in (43, 44, 45)]
    ws.ingest_records(recs, source_name="near")
    assert "bipartite" not in _by_typology(_network_alerts(ws))


def test_stack_is_named_stack_not_bipartite_nor_scatter_gather(ws, pay, iban):
    ws.ingest_records(_stack(pay), source_name="st")
    alerts = _network_alerts(ws)
    st_alerts = [a for a in alerts if a.typology == "stack"]
    assert len(st_alerts) == 1
    assert flagged_accounts(ws.con, st_alerts, "stack") == {iban(n) for n in range(61, 67)}
    assert {a.typology for a in alerts} == {"stack"}


def test_normal_traffic_raises_no_network_alert(ws, pay):
    ws.ingest_records(_normal(pay), source_name="normal")
    assert _network_alerts(ws) == []


# ------------------------------------------------------------ precedence


def _alert(rule_id: str, typology: str, subject: str, txs: tuple[str, ...]) -> Alert:
    return Alert(
        alert_key=rule_id + subject + "".join(txs),
        rule_id=rule_id,
        rule_version=1,
        subject=subject,
        tx_ids=txs,
        score=1.0,
        summary="",
        exploitation=("labour",),
        typology=typology,
    )


def test_precedence_drops_only_alerts_whose_payments_the_specific_rule_explains():
    pack = load_rule_pack()
    sg = _alert(
        "THB-NET-SCATTER-GATHER", "scatter_gather", "g", ("t1", "t2", "t3", "s1", "s2", "s3")
    )
    covered = _alert("THB-NET-FANIN", "fan_in", "g", ("t1", "t2", "t3"))
    other_payments = _alert("THB-NET-FANIN", "fan_in", "g", ("u1", "u2", "u3", "t1"))
    other_subject = _alert("THB-NET-FANIN", "fan_in", "h", ("t1", "t2", "t3"))
    kept = apply_precedence([sg, covered, other_payments, other_subject], pack)
    assert covered not in kept
    assert {sg, other_payments, other_subject} <= set(kept)


# ------------------------------------------------------------ properties


def _findings(ws: Workspace, relabel=lambda n: n) -> set[tuple[str, frozenset[str]]]:
    """(typology, accounts named) for every alert, accounts mapped back through ``relabel``."""
    inverse = {make_iban(relabel(n)): n for n in range(1, 1000)}
    out = set()
    for a in _network_alerts(ws):
        named = flagged_accounts(ws.con, [a], a.typology) | {a.subject}
        out.add((a.typology, frozenset(inverse.get(k, -1) for k in named)))
    return out


_SCENE = [(_scatter_gather, {}), (_gather_scatter, {}), (_bipartite, {}), (_stack, {})]


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shift=st.integers(min_value=1, max_value=400), flip=st.booleans())
def test_relabelling_accounts_does_not_change_findings(pay, shift, flip):
    def relabel(n: int) -> int:  # a bijection on 1..999 that also changes key order
        m = (n + shift) % 999 + 1
        return 1000 - m if flip else m

    def remap(recs):
        return [
            {
                **r,
                "payer_account": make_iban(relabel(_num(r["payer_account"]))),
                "payee_account": make_iban(relabel(_num(r["payee_account"]))),
                "payer_name": None,
                "payee_name": None,
            }
            for r in recs
        ]

    recs = [r for fn, _ in _SCENE for r in fn(pay)]
    with (
        Workspace(":memory:", memory_limit=None) as a,
        Workspace(":memory:", memory_limit=None) as b,
    ):
        a.ingest_records(
            [{**r, "payer_name": None, "payee_name": None} for r in recs], source_name="a"
        )
        b.ingest_records(remap(recs), source_name="b")
        assert _findings(a) == _findings(b, relabel)


_NUM = {make_iban(n): n for n in range(1, 1000)}


def _num(iban_text: str) -> int:
    return _NUM[iban_text]


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    noise=st.lists(
        st.tuples(st.integers(300, 320), st.integers(300, 320), st.integers(0, 200)),
        min_size=1,
        max_size=25,
    )
)
def test_unrelated_normal_payments_do_not_remove_a_flag(pay, noise):
    recs = [r for fn, _ in _SCENE for r in fn(pay)]
    with (
        Workspace(":memory:", memory_limit=None) as clean,
        Workspace(":memory:", memory_limit=None) as noisy,
    ):
        clean.ingest_records(recs, source_name="clean")
        extra = [pay(a, b, 5, d) for a, b, d in noise if a != b]
        # the same small payments between unrelated accounts, repeated monthly (standing links)
        extra += [pay(a, b, 5, d + 30 * k) for a, b, d in noise if a != b for k in (1, 2, 3)]
        noisy.ingest_records(recs + extra, source_name="noisy")
        assert _findings(clean) <= _findings(noisy)


# ------------------------------------------------------------ the generator


def _edges_by_alert(gen):
    return {a.alert_id: a for a in gen.alerts}


def test_generator_plants_each_typologys_defining_structure():
    gen = generate(
        GeneratorParams(
            seed=5,
            accounts=3_000,
            days=200,
            normal_transactions=8_000,
            alerts_per_typology=3,
            size=(6, 9),
        )
    )
    assert {a.typology for a in gen.alerts} == set(TYPOLOGIES)
    for alert in gen.alerts:
        edges = [(a, b) for a, b, _ in alert.edges]
        pays = defaultdict(set)
        paid = defaultdict(set)
        for a, b in edges:
            pays[a].add(b)
            paid[b].add(a)
        roles = alert.roles
        by_role = defaultdict(set)
        for acct, role in roles.items():
            by_role[role].add(acct)
        if alert.typology == "fan_in":
            (hub,) = by_role["hub"]
            assert paid[hub] == by_role["source"] and not pays[hub]
        elif alert.typology == "fan_out":
            (hub,) = by_role["hub"]
            assert pays[hub] == by_role["beneficiary"] and not paid[hub]
        elif alert.typology == "cycle":
            assert all(len(pays[a]) == 1 and len(paid[a]) == 1 for a in roles)
            start = next(iter(roles))
            seen, cur = [], start
            for _ in roles:
                seen.append(cur)
                (cur,) = pays[cur]
            assert cur == start and set(seen) == set(roles)
            days = [d for _, _, d in alert.edges]
            assert days == sorted(days)
        elif alert.typology == "scatter_gather":
            (src,), (g,) = by_role["source"], by_role["gatherer"]
            mids = by_role["intermediary"]
            assert pays[src] == mids and paid[g] == mids
            assert all(pays[m] == {g} and paid[m] == {src} for m in mids)
            scatter = max(d for a, _, d in alert.edges if a == src)
            gather = min(d for _, b, d in alert.edges if b == g)
            assert scatter < gather  # scatter before mid-period, gather after
        elif alert.typology == "gather_scatter":
            (hub,) = by_role["hub"]
            assert paid[hub] == by_role["source"] and pays[hub] == by_role["beneficiary"]
            assert len(by_role["source"]) == len(by_role["beneficiary"]) >= 2
        elif alert.typology == "bipartite":
            origs, benes = by_role["originator"], by_role["beneficiary"]
            assert set(edges) == {(o, b) for o in origs for b in benes}
        elif alert.typology == "stack":
            o, m, b = by_role["originator"], by_role["intermediary"], by_role["beneficiary"]
            assert len(o) == len(m) >= 2
            assert set(edges) == {(x, y) for x in o for y in m} | {(x, y) for x in m for y in b}
        else:  # random walk: a chain of transfers, each from the previous payee
            for (_a1, b1), (a2, _) in zip(edges, edges[1:], strict=False):
                assert a2 == b1
    members = [acct for a in gen.alerts for acct in a.roles]
    assert len(members) == len(set(members))  # no account in two typologies


def test_generated_set_imports_with_roles_and_scores(tmp_path):
    gen = generate(
        GeneratorParams(
            seed=9,
            accounts=3_000,
            days=200,
            normal_transactions=6_000,
            alerts_per_typology=2,
            size=(6, 8),
            zero_amount_rows=2,
        )
    )
    path = write_amlsim(gen, tmp_path / "set")
    ws = Workspace(":memory:", memory_limit=None)
    report = ws.ingest(path)
    assert report.ok and report.warning_count == 2
    hubs = {
        f"amlsim:{acct}"
        for a in gen.alerts
        if a.typology == "gather_scatter"
        for acct, role in a.roles.items()
        if role == "hub"
    }
    assert labelled_accounts(ws.con, "gather_scatter") == hubs
    sg = {
        f"amlsim:{acct}" for a in gen.alerts if a.typology == "scatter_gather" for acct in a.roles
    }
    assert labelled_accounts(ws.con, "scatter_gather") == sg
    ws.close()


def test_generator_is_deterministic_and_refuses_unknown_typologies():
    p = GeneratorParams(
        seed=3, accounts=1_000, days=120, normal_transactions=2_000, alerts_per_typology=1
    )
    assert generate(p).transactions == generate(p).transactions
    with pytest.raises(ValueError, match="unknown typologies"):
        generate(
            GeneratorParams(
                seed=3, accounts=1_000, normal_transactions=10, typologies=("smurfing",)
            )
        )


# ------------------------------------------------------------ zero amounts


def test_zero_amount_rows_are_kept_and_reported_as_warnings(ws, pay):
    recs = [pay(1, 2, 100, 0), pay(1, 3, 0, 1), pay(2, 3, 0.0, 2), pay(3, 1, 50, 3)]
    report = ws.ingest_records(recs, source_name="zero")
    assert report.ok and report.rows_inserted == 4
    assert report.warning_count == 2
    assert [(w.line, w.field, w.message) for w in report.warnings] == [
        (2, "amount", ZERO_AMOUNT_WARNING),
        (3, "amount", ZERO_AMOUNT_WARNING),
    ]
    assert report.as_dict()["warning_count"] == 2


def test_negative_amount_is_still_rejected_with_nothing_imported(ws, pay):
    report = ws.ingest_records([pay(1, 2, 100, 0), pay(1, 3, -5, 1)], source_name="neg")
    assert not report.ok and report.rows_inserted == 0
    assert ws.con.execute("SELECT count(*) FROM tx").fetchone()[0] == 0
