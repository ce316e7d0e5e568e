"""Checkpoints of the audit chain's head (pure): format, signature, comparison with the chain."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from tests.core.test_core_chain import make_trail

from palermo.core import anchor
from palermo.core.chain import GENESIS, entry_hash, walk

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)

hashes = st.text("0123456789abcdef", min_size=64, max_size=64)
seqs = st.integers(0, 2**62)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


def rows(trail):
    from palermo.core.chain import as_row

    return [as_row(e) for e in trail]


def log_of(*cps, keys=(KEY,)):
    return anchor.checkpoint_log_read(
        [anchor.checkpoint_line(cp) for cp in cps], [k.public_key() for k in keys]
    )


# --- format and signature ------------------------------------------------------------


@given(seq=seqs, head_hash=hashes, at=moments)
def test_a_signed_checkpoint_reads_back_and_verifies(seq, head_hash, at):
    cp = anchor.checkpoint_sign(KEY, seq=seq, head_hash=head_hash, at=at)
    line = anchor.checkpoint_line(cp)
    assert "\n" not in line
    back = anchor.checkpoint_parse(line)
    assert back == cp
    assert anchor.signature_valid(back, KEY.public_key())
    assert not anchor.signature_valid(back, OTHER_KEY.public_key())


@given(seq=seqs, head_hash=hashes, at=moments, data=st.data())
def test_changing_any_signed_field_breaks_the_signature(seq, head_hash, at, data):
    cp = anchor.checkpoint_sign(KEY, seq=seq, head_hash=head_hash, at=at)
    field = data.draw(st.sampled_from(["seq", "hash", "at", "key_id"]))
    changed = {
        "seq": lambda: {"seq": seq + data.draw(st.integers(1, 1000))},
        "hash": lambda: {"hash": data.draw(hashes.filter(lambda h: h != head_hash))},
        "at": lambda: {
            "at": anchor.canonical_at(at + timedelta(microseconds=data.draw(st.integers(1, 10**9))))
        },
        "key_id": lambda: {"key_id": anchor.key_id(OTHER_KEY.public_key())},
    }[field]()
    forged = anchor.Checkpoint(**{**cp.__dict__, **changed})
    assert not anchor.signature_valid(forged, KEY.public_key())


@given(order=st.permutations(["format", "seq", "hash", "at", "key_id", "sig"]))
def test_key_order_and_spacing_of_a_line_do_not_matter(order):
    # A collector (syslog, a log shipper) may rewrite the JSON; the signed bytes stay canonical.
    cp = anchor.checkpoint_sign(KEY, seq=42, head_hash="a" * 64, at=T0)
    body = json.loads(anchor.checkpoint_line(cp))
    line = json.dumps({k: body[k] for k in order}, indent=None, separators=(", ", ": "))
    assert anchor.signature_valid(anchor.checkpoint_parse(line), KEY.public_key())


def test_signing_payload_is_domain_separated_and_canonical():
    payload = anchor.signing_payload(
        seq=7, hash="b" * 64, at="2026-12-02T06:00:00.000000Z", key_id="0" * 16
    )
    assert payload == (
        b"palermo audit checkpoint v1\n"
        b'{"at":"2026-12-02T06:00:00.000000Z","format":"palermo-audit-checkpoint/1",'
        b'"hash":"' + b"b" * 64 + b'","key_id":"0000000000000000","seq":7}'
    )


def test_a_syslog_prefix_is_ignored():
    cp = anchor.checkpoint_sign(KEY, seq=3, head_hash="c" * 64, at=T0)
    line = "Dec  2 06:00:01 app1 palermo-audit[812]: " + anchor.checkpoint_line(cp)
    assert anchor.checkpoint_parse(line) == cp


def _line(**change):
    body = json.loads(
        anchor.checkpoint_line(anchor.checkpoint_sign(KEY, seq=3, head_hash="c" * 64, at=T0))
    )
    body.update(change)
    return json.dumps({k: v for k, v in body.items() if v is not ...})


@pytest.mark.parametrize(
    "line, reason",
    [
        ("", "no JSON object"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "no JSON object"),
        (_line(extra=1), "fields must be exactly"),
        (_line(sig=...), "fields must be exactly"),
        (_line(format="palermo-audit-checkpoint/2"), "unknown format"),
        (_line(seq=True), "seq must be"),
        (_line(seq=-1), "seq must be"),
        (_line(seq="3"), "seq must be"),
        (_line(hash="C" * 64), "hash is malformed"),
        (_line(hash="c" * 63), "hash is malformed"),
        (_line(key_id="xyz"), "key_id is malformed"),
        (_line(at="2026-12-02 06:00:00"), "at is malformed"),
        (_line(sig="not base64!"), "sig is not base64"),
        (_line(sig=base64.b64encode(b"short").decode()), "not an Ed25519 signature"),
        (_line(sig=5), "sig is malformed"),
    ],
)
def test_malformed_lines_are_refused_with_a_reason(line, reason):
    with pytest.raises(anchor.CheckpointFormatError, match=reason):
        anchor.checkpoint_parse(line)


def test_a_head_to_sign_must_look_like_one():
    with pytest.raises(ValueError):
        anchor.checkpoint_sign(KEY, seq=-1, head_hash="a" * 64, at=T0)
    with pytest.raises(ValueError):
        anchor.checkpoint_sign(KEY, seq=1, head_hash="not a hash", at=T0)


# --- reading a log -------------------------------------------------------------------


def test_log_reports_each_bad_line_by_number_and_keeps_the_good_ones():
    good = anchor.checkpoint_sign(KEY, seq=5, head_hash="d" * 64, at=T0)
    foreign = anchor.checkpoint_sign(OTHER_KEY, seq=6, head_hash="e" * 64, at=T0)
    altered = json.loads(anchor.checkpoint_line(good))
    altered["seq"] = 4
    lines = [
        anchor.checkpoint_line(good),
        "",
        "garbage",
        anchor.checkpoint_line(foreign),
        json.dumps(altered),
    ]
    log = anchor.checkpoint_log_read(lines, [KEY.public_key()])
    assert log.checkpoints == ((1, good),)
    assert [(p.line, p.kind) for p in log.problems] == [
        (3, "malformed"),
        (4, "unknown_key"),
        (5, "bad_signature"),
    ]
    assert log.wanted() == {5}


def test_several_keys_verify_a_log_written_across_a_key_rotation():
    a = anchor.checkpoint_sign(KEY, seq=5, head_hash="d" * 64, at=T0)
    b = anchor.checkpoint_sign(OTHER_KEY, seq=9, head_hash="e" * 64, at=T0 + timedelta(days=1))
    log = log_of(a, b, keys=(KEY, OTHER_KEY))
    assert not log.problems and anchor.latest(log) == b


def test_an_empty_log_is_a_problem():
    log = anchor.checkpoint_log_read(["", "  "], [KEY.public_key()])
    assert [p.kind for p in log.problems] == ["empty"]


# --- comparing with the chain --------------------------------------------------------


@given(n=st.integers(1, 25), data=st.data())
def test_walk_reports_the_hash_at_every_watched_seq(n, data):
    trail = make_trail(n)
    watch = frozenset(data.draw(st.sets(st.integers(1, n + 5))))
    report = walk(rows(trail), n, trail[-1]["hash"], watch)
    assert report.found == {e["seq"]: e["hash"] for e in trail if e["seq"] in watch}
    assert (report.entries, report.last_seq, report.last_hash) == (n, n, trail[-1]["hash"])


@given(n=st.integers(2, 25), data=st.data())
def test_truncation_with_head_rewrite_passes_the_chain_but_not_the_checkpoint(n, data):
    trail = make_trail(n)
    cp = anchor.checkpoint_sign(KEY, seq=n, head_hash=trail[-1]["hash"], at=T0)
    log = log_of(cp)
    keep = data.draw(st.integers(0, n - 1))
    short = trail[:keep]
    head = (keep, short[-1]["hash"] if short else GENESIS)
    report = walk(rows(short), *head, log.wanted())
    assert report.problems == []  # what the chain alone cannot see
    problems = anchor.checkpoints_compare(log, report.found, report.last_seq)
    assert [(p.seq, p.kind) for p in problems] == [(n, "truncated")]


@given(n=st.integers(2, 25), data=st.data())
def test_a_rewritten_tail_passes_the_chain_but_not_the_checkpoint(n, data):
    trail = make_trail(n)
    log = log_of(anchor.checkpoint_sign(KEY, seq=n, head_hash=trail[-1]["hash"], at=T0))
    start = data.draw(st.integers(0, n - 1))
    # Rewrite entries start+1 … n with consistent hashes, as someone with the database would.
    prev = trail[start - 1]["hash"] if start else GENESIS
    for i in range(start, n):
        e = dict(trail[i], object_ref=f"C-other-{i}", prev_hash=prev)
        e["hash"] = prev = entry_hash(prev, e)
        trail[i] = e
    report = walk(rows(trail), n, trail[-1]["hash"], log.wanted())
    assert report.problems == []
    problems = anchor.checkpoints_compare(log, report.found, report.last_seq)
    assert [(p.seq, p.kind) for p in problems] == [(n, "rewritten")]


@given(n=st.integers(1, 25), data=st.data())
def test_an_untouched_trail_agrees_with_every_checkpoint(n, data):
    trail = make_trail(n)
    marks = data.draw(st.sets(st.integers(1, n), min_size=1))
    log = log_of(
        *[anchor.checkpoint_sign(KEY, seq=s, head_hash=trail[s - 1]["hash"], at=T0) for s in marks]
    )
    report = walk(rows(trail), n, trail[-1]["hash"], log.wanted())
    assert anchor.checkpoints_compare(log, report.found, report.last_seq) == []


def test_a_checkpoint_of_a_deleted_middle_entry_is_reported_missing():
    trail = make_trail(6)
    log = log_of(anchor.checkpoint_sign(KEY, seq=3, head_hash=trail[2]["hash"], at=T0))
    report = walk(rows(trail[:2] + trail[3:]), 6, trail[-1]["hash"], log.wanted())
    assert [p.kind for p in anchor.checkpoints_compare(log, report.found, report.last_seq)] == [
        "missing"
    ]


def test_a_checkpoint_of_the_empty_trail_holds():
    log = log_of(anchor.checkpoint_sign(KEY, seq=0, head_hash=GENESIS, at=T0))
    assert anchor.checkpoints_compare(log, {}, 0) == []


# --- key files -----------------------------------------------------------------------


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(tmp_path):
    private, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    kid = anchor.keypair_write(private, public)
    assert os.stat(private).st_mode & 0o777 == 0o600
    assert anchor.key_id(anchor.public_key_read(public)) == kid
    assert anchor.key_id(anchor.private_key_read(private).public_key()) == kid
    before = private.read_bytes()
    with pytest.raises(anchor.KeyFileError, match="never overwritten"):
        anchor.keypair_write(private, tmp_path / "other.pub")
    assert private.read_bytes() == before


def test_a_signing_key_open_to_others_is_refused(tmp_path):
    private = tmp_path / "audit.key"
    anchor.keypair_write(private, tmp_path / "audit.pub")
    private.chmod(0o644)
    with pytest.raises(anchor.KeyFileError, match="open to other users"):
        anchor.private_key_read(private)


def test_wrong_key_files_are_refused(tmp_path):
    anchor.keypair_write(tmp_path / "audit.key", tmp_path / "audit.pub")
    swapped = tmp_path / "swapped.key"
    swapped.write_bytes((tmp_path / "audit.pub").read_bytes())
    swapped.chmod(0o600)
    with pytest.raises(anchor.KeyFileError):
        anchor.private_key_read(swapped)
    with pytest.raises(anchor.KeyFileError):
        anchor.public_key_read(tmp_path / "audit.key")
    with pytest.raises(anchor.KeyFileError, match="cannot read"):
        anchor.public_key_read(tmp_path / "absent.pub")


def test_a_trail_broken_everywhere_lists_the_first_problems_and_counts_the_rest():
    trail = make_trail(30)
    for e in trail:
        e["object_ref"] = "tampered"
    report = walk(rows(trail), 30, trail[-1]["hash"], max_problems=10)
    assert len(report.problems) == 10 and report.more == 20
    assert [p.seq for p in report.problems] == list(range(1, 11))
