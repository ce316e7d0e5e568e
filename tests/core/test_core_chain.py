"""The audit hash chain, pure: every single edit, deletion or insertion is found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from palermo.core.chain import GENESIS, entry_hash, verify


def make_trail(n: int) -> list[dict]:
    entries = []
    prev = GENESIS
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, n + 1):
        e = {
            "seq": seq,
            "at": t0 + timedelta(seconds=seq),
            "actor_id": seq % 3,
            "actor_username": f"u{seq % 3}",
            "organisation_id": 1,
            "action": "read",
            "object_type": "case",
            "object_ref": f"C-{seq}",
            "purpose": "",
            "outcome": "ok",
            "client": "",
            "details": {"n": seq},
        }
        e["prev_hash"] = prev
        e["hash"] = entry_hash(prev, e)
        prev = e["hash"]
        entries.append(e)
    return entries


def test_intact_trail_verifies():
    trail = make_trail(20)
    assert verify(trail, 20, trail[-1]["hash"]) == []


def test_empty_trail_verifies():
    assert verify([], 0, GENESIS) == []


def test_timestamp_form_does_not_matter():
    trail = make_trail(3)
    # A database may hand the same instant back in another time zone.
    from zoneinfo import ZoneInfo

    trail[1] = {**trail[1], "at": trail[1]["at"].astimezone(ZoneInfo("Europe/Belgrade"))}
    assert verify(trail, 3, trail[-1]["hash"]) == []


@given(n=st.integers(2, 30), data=st.data())
def test_any_edit_is_found_at_its_entry(n, data):
    trail = make_trail(n)
    i = data.draw(st.integers(0, n - 1))
    field = data.draw(
        st.sampled_from(["actor_username", "action", "object_ref", "details", "at", "purpose"])
    )
    edited = dict(trail[i])
    edited[field] = (
        {"x": 1}
        if field == "details"
        else (edited["at"] + timedelta(seconds=1) if field == "at" else "tampered")
    )
    trail[i] = edited
    problems = verify(trail, n, trail[-1]["hash"])
    assert any(p.seq == i + 1 and p.kind == "edited" for p in problems)


@given(n=st.integers(2, 30), data=st.data())
def test_any_deletion_is_found(n, data):
    trail = make_trail(n)
    i = data.draw(st.integers(0, n - 1))
    head_hash = trail[-1]["hash"]
    del trail[i]
    problems = verify(trail, n, head_hash)
    assert any(p.kind == "deleted" for p in problems)
    assert any(p.seq in (i + 1, i + 2) for p in problems)


@given(n=st.integers(1, 30), data=st.data())
def test_any_insertion_is_found(n, data):
    trail = make_trail(n)
    i = data.draw(st.integers(0, n))
    forged = dict(trail[min(i, n - 1)])
    forged["object_ref"] = "C-forged"
    # A forger who recomputes the forged entry's own hash still breaks the chain.
    forged["hash"] = entry_hash(forged["prev_hash"], forged)
    trail.insert(i, forged)
    problems = verify(trail, n, make_trail(n)[-1]["hash"])
    assert problems, "an inserted entry went unnoticed"
    assert any(p.kind in {"inserted", "edited"} for p in problems)


def test_rewriting_whole_tail_is_caught_by_head():
    trail = make_trail(5)
    head_hash = trail[-1]["hash"]
    # Rewrite entry 5 and recompute its hash consistently: only the head can tell.
    e = dict(trail[4])
    e["object_ref"] = "C-other"
    e["hash"] = entry_hash(e["prev_hash"], e)
    trail[4] = e
    problems = verify(trail, 5, head_hash)
    assert [p.kind for p in problems] == ["edited"]
    assert problems[0].seq == 5


def test_truncated_tail_is_found():
    trail = make_trail(6)
    problems = verify(trail[:4], 6, trail[-1]["hash"])
    assert problems and problems[0].kind == "deleted" and problems[0].seq == 5
