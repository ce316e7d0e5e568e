"""Entity resolution: blocking, scoring, judgements that persist and re-apply."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.investigate.resolve import (
    ERRecord,
    InMemoryJudgementStore,
    pair_key,
    propose_matches,
    record_judgement,
    resolve_clusters,
)
from palermo.investigate.workspace import PartyError, Workspace


def rec(rid: str, name: str | None, **ids: str) -> ERRecord:
    return ERRecord(rid, name, {k: frozenset([v]) for k, v in ids.items()})


def test_pairs_are_blocked_on_identifiers_and_scored_on_names():
    records = [
        rec("account:A", "petrovic ivana", iban="DE1"),
        rec("party:1", "ivana petrovic", iban="DE1", phone="+38761"),
        rec("party:2", "marko horvat", address="main st 1"),
        rec(
            "party:3", "olena shevchenko", address="main st 1"
        ),  # a shared hostel, different people
        rec("party:4", "ivana petrovic"),  # same name, nothing shared: never compared
    ]
    proposals = propose_matches(records, InMemoryJudgementStore())
    assert [p.pair_key for p in proposals] == [pair_key("account:A", "party:1")]
    assert proposals[0].name_score == 1.0 and ("iban", "DE1") in proposals[0].shared


def test_a_strong_identifier_lowers_the_name_bar_but_not_to_zero():
    store = InMemoryJudgementStore()
    close = [rec("a", "ivana petrovic", phone="+1"), rec("b", "iva petrovic kovac", phone="+1")]
    far = [rec("c", "ivana petrovic", phone="+2"), rec("d", "marko horvat", phone="+2")]
    assert len(propose_matches(close, store)) == 1
    assert propose_matches(far, store) == []


def test_judged_pairs_are_not_proposed_again_and_clusters_follow_same_judgements():
    store = InMemoryJudgementStore()
    records = [
        rec("a", "ana kovac", email="a@x.org"),
        rec("b", "ana kovac", email="a@x.org"),
        rec("c", "ana kovac", email="a@x.org"),
    ]
    assert len(propose_matches(records, store)) == 3
    record_judgement(store, "b", "a", "same", decided_by="inv1")
    record_judgement(store, "b", "c", "different", decided_by="inv1")
    assert [p.pair_key for p in propose_matches(records, store)] == [pair_key("a", "c")]
    clusters = resolve_clusters(["a", "b", "c"], store)
    assert clusters["a"] == clusters["b"] == "a" and clusters["c"] == "c"
    with pytest.raises(ValueError):
        record_judgement(store, "a", "c", "probably", decided_by="inv1")
    with pytest.raises(ValueError):
        pair_key("a", "a")


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=15))
def test_clusters_are_the_connected_components_of_same_judgements(pairs):
    store = InMemoryJudgementStore()
    graph = nx.Graph()
    graph.add_nodes_from(str(i) for i in range(10))
    for a, b in pairs:
        if a != b:
            record_judgement(store, str(a), str(b), "same", decided_by="t")
            graph.add_edge(str(a), str(b))
    clusters = resolve_clusters([str(i) for i in range(10)], store)
    for component in nx.connected_components(graph):
        assert {clusters[n] for n in component} == {min(component)}


def test_judgements_persist_in_the_workspace_file_and_reapply(tmp_path, pay, iban):
    path = tmp_path / "inv.duckdb"
    with Workspace(path, memory_limit=None) as ws:
        ws.ingest_records([pay((1, "Ivana Petrovic"), 2, 100, 0)], source_name="s")
        ws.add_parties(
            [
                {
                    "party_id": "v1",
                    "schema": "Person",
                    "name": "PETROVIĆ Ivana",
                    "iban": iban(1),
                    "phone": "061 123 456",
                    "role": "victim",
                }
            ],
            default_region="BA",
        )
        (proposal,) = ws.propose_matches()
        assert {proposal.left, proposal.right} == {f"account:{iban(1)}", "party:v1"}
        ws.judge_match(proposal.left, proposal.right, "same", decided_by="inv1")
    with Workspace(path, memory_limit=None) as ws:  # a later session
        assert ws.propose_matches() == []
        clusters = ws.clusters()
        assert clusters[f"account:{iban(1)}"] == clusters["party:v1"]
        phone = ws.con.execute(
            "SELECT phone FROM account WHERE account_key = ?", [iban(1)]
        ).fetchone()
        assert phone == ("+38761123456",)


def test_a_shell_store_is_used_instead_of_the_file(pay, iban):
    store = InMemoryJudgementStore()
    for _ in range(2):  # two workspaces over the same judgements, as the Django shell does
        with Workspace(":memory:", memory_limit=None, judgements=store) as ws:
            ws.ingest_records([pay((1, "Ivana Petrovic"), 2, 100, 0)], source_name="s")
            ws.add_parties(
                [{"party_id": "v1", "schema": "Person", "name": "Ivana Petrovic", "iban": iban(1)}]
            )
            for p in ws.propose_matches():
                ws.judge_match(p.left, p.right, "same", decided_by="inv1")
    assert len(list(store.all())) == 1


def test_malformed_case_records_are_refused_with_the_field(ws):
    with pytest.raises(PartyError, match="p1: invalid phone"):
        ws.add_parties([{"party_id": "p1", "name": "X", "phone": "call me"}])
    with pytest.raises(PartyError, match="schema"):
        ws.add_parties([{"party_id": "p2", "schema": "Boat"}])
    with pytest.raises(PartyError, match="invalid IBAN"):
        ws.add_parties([{"party_id": "p3", "iban": "DE00 1234"}])
    assert ws.con.execute("SELECT count(*) FROM party").fetchone()[0] == 0
