"""The pure core: trust list, key rotation, minimisation, sealing, opening, receipts."""

from __future__ import annotations

import base64
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jwe, jws

from palermo.crossborder import envelope as e
from palermo.crossborder import keys as k
from palermo.crossborder import trust as t
from palermo.crossborder.vocabulary import GROUP_FIELDS, GROUPS
from tests.crossborder.core_helpers import ALL_GROUPS, NOW, A, B, World, entry, trust_doc

W = World()

FULL_FIELDS = {
    "prs_FirstName": "Ana",
    "prs_SecondName": "Kovač",
    "prs_Birthdate": "1999-04-02",
    "prs_Citizenship": ["AL"],
    "prs_MobilePhone": "+355690000000",
    "prs_MailingCity": "Durrës",
    "vic_TypeOfExploitation": ["sexual"],
    "vic_AgeWhenTrafficked": 17,
    "plm_ServicesReceived": ["shelter", "medical"],
    "plm_ReturnRiskCountry": "AL",
    "plm_ReturnRiskAnswers": {"reprisals": "unknown", "local_protection": "yes"},
    "plm_DocumentsHeld": ["passport"],
    "plm_ProceedingsStage": "investigation",
}


def body(groups=("identity", "exploitation"), allowed=ALL_GROUPS, **over):
    args = dict(
        fields=FULL_FIELDS,
        consented=frozenset(groups),
        allowed=frozenset(allowed),
        purpose="assistance",
        legal_basis="authority_agreement",
        handling="H2",
        child=False,
        case_pseudonym="IT-7F3A",
    )
    args.update(over)
    return e.handover_body(**args)


def send(b=None, *, typ="handover", sender=A, keys=None, to=B, trust=None, now=NOW, **kw):
    trust = trust or W.trust
    return e.seal(
        typ=typ,
        body=b if b is not None else body(),
        sender_id=sender,
        sender_keys=keys or W.ka,
        recipient=trust.find(to),
        now=now,
        **kw,
    )


def open_at_b(env, *, now=NOW, trust=None, keys=None, own=B):
    return e.open_envelope(env, own_id=own, own_keys=keys or W.kb, trust=trust or W.trust, now=now)


def reason(fn, *a, **kw):
    with pytest.raises(e.Rejected) as exc:
        fn(*a, **kw)
    return exc.value.reason


# --- trust list -------------------------------------------------------------------------------


def test_trust_list_reads_back_what_was_signed():
    assert W.trust.version == 1
    assert {p.entity_id for p in W.trust.partners} == {A, B}
    assert W.trust.require(B, NOW).country == "AL"


def test_trust_list_signed_by_another_key_is_refused():
    other = t.new_anchor_key("rogue")
    token = t.sign(trust_doc([entry(A, W.ka)]), other)
    with pytest.raises(t.TrustError) as exc:
        t.read(token, W.anchors, NOW)
    assert exc.value.reason == "tampered"


def test_trust_list_with_a_changed_byte_is_refused():
    head, payload, sig = W.token.split(".")
    doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    doc["partners"][0]["allowed_groups"] = ALL_GROUPS  # same, but re-encoded
    doc["partners"][0]["country"] = "FR"
    forged = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    with pytest.raises(t.TrustError):
        t.read(f"{head}.{forged}.{sig}", W.anchors, NOW)


def test_expired_trust_list_and_rollback_are_refused():
    token = t.sign(trust_doc([entry(A, W.ka)], expires_at=NOW + 10), W.anchor)
    assert t.read(token, W.anchors, NOW).version == 1
    with pytest.raises(t.TrustError) as exc:
        t.read(token, W.anchors, NOW + 10)
    assert exc.value.reason == "expired"
    with pytest.raises(t.TrustError) as exc:
        t.read(W.token, W.anchors, NOW, min_version=2)
    assert exc.value.reason == "rollback"


def test_anchor_key_rotation_accepts_lists_from_either_key_in_the_configured_set():
    new_anchor = t.new_anchor_key("anchor-2027")
    both = {"keys": [W.anchor, new_anchor]}
    token = t.sign(trust_doc([entry(A, W.ka)], version=3), new_anchor)
    assert t.read(token, both, NOW).version == 3
    assert t.read(W.token, both, NOW).version == 1


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"country": "Albania"}, "country"),
        ({"legal_basis": "whatever"}, "legal_basis"),
        ({"allowed_groups": ["identity", "dna"]}, "unknown groups"),
        ({"valid_until": NOW - 7200}, "valid_until"),
        ({"entity_id": "not a url"}, "entity_id"),
        ({"legal_basis": "ngo_explicit_consent"}, "Art. 49(3)"),
    ],
)
def test_invalid_entries_are_never_signed(over, needle):
    with pytest.raises(t.TrustError) as exc:
        t.sign(trust_doc([entry(A, W.ka, **over)]), W.anchor)
    assert needle in str(exc.value)


def test_a_private_key_in_the_trust_list_is_refused():
    doc = trust_doc([entry(A, W.ka, jwks=W.ka)])
    with pytest.raises(t.TrustError) as exc:
        t.sign(doc, W.anchor)
    assert "private" in str(exc.value)


# --- minimisation -----------------------------------------------------------------------------


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    consented=st.sets(st.sampled_from(GROUPS), min_size=1),
    allowed=st.sets(st.sampled_from(GROUPS), min_size=1),
)
def test_decrypted_groups_always_equal_consent_and_allowed(consented, allowed):
    expected = consented & allowed
    if not expected:
        assert reason(body, groups=consented, allowed=allowed) == "schema_invalid"
        return
    partners = [entry(A, W.ka), entry(B, W.kb, allowed_groups=sorted(allowed))]
    trust = W.resign(partners)
    b = body(groups=consented, allowed=trust.find(B).allowed_groups)
    _, env = send(b, trust=trust)
    opened = open_at_b(env, trust=trust)
    assert set(opened.body["groups"]) == expected
    assert set(opened.body["data"]) <= expected
    for group, values in opened.body["data"].items():
        assert set(values) <= set(GROUP_FIELDS[group])
    sent_fields = {f for vs in opened.body["data"].values() for f in vs}
    wanted = {f for f in FULL_FIELDS if any(f in GROUP_FIELDS[g] for g in expected)}
    assert sent_fields == wanted


def test_child_flag_travels():
    _, env = send(body(child=True))
    assert open_at_b(env).body["child"] is True


# --- opening: every refusal ----------------------------------------------------------------


def test_round_trip_and_receipt():
    jti, env = send()
    opened = open_at_b(env)
    assert (opened.sender.entity_id, opened.jti, opened.typ) == (A, jti, "handover")
    assert opened.digest == e.digest(env)
    receipt = e.sign_receipt(
        issuer=B,
        audience=A,
        ref=jti,
        envelope_digest=opened.digest,
        outcome="received",
        reason="",
        keys=W.kb,
        now=NOW,
    )
    r = e.verify_receipt(receipt, trust=W.trust, own_id=A, now=NOW)
    assert (r.ref, r.digest, r.outcome, r.issuer) == (jti, e.digest(env), "received", B)


def test_receipt_signed_by_a_stranger_or_changed_is_refused():
    stranger = k.new_keyset(NOW)
    forged = e.sign_receipt(
        issuer=B,
        audience=A,
        ref="x" * 24,
        envelope_digest="0" * 64,
        outcome="received",
        reason="",
        keys=stranger,
        now=NOW,
    )
    assert reason(e.verify_receipt, forged, trust=W.trust, own_id=A, now=NOW) == "tampered"
    good = e.sign_receipt(
        issuer=B,
        audience=A,
        ref="x" * 24,
        envelope_digest="0" * 64,
        outcome="received",
        reason="",
        keys=W.kb,
        now=NOW,
    )
    h, p, s = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["outcome"] = "deleted"
    p2 = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert reason(e.verify_receipt, f"{h}.{p2}.{s}", trust=W.trust, own_id=A, now=NOW) == (
        "tampered"
    )


def test_bit_flipped_envelopes_are_all_refused():
    """1,000 envelopes, each with one bit flipped somewhere: not one is opened."""
    _, env = send()
    raw = bytearray(env.encode("ascii"))
    rng = random.Random(17)
    reasons = set()
    for _ in range(1000):
        flipped = bytearray(raw)
        pos = rng.randrange(len(flipped))
        flipped[pos] ^= 1 << rng.randrange(8)
        with pytest.raises(e.Rejected) as exc:
            open_at_b(bytes(flipped))
        reasons.add(exc.value.reason)
    assert reasons <= {"malformed", "tampered", "unknown_key"}


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_any_changed_byte_is_refused(data):
    _, env = ENV_FOR_FUZZ
    pos = data.draw(st.integers(0, len(env) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != ord(env[pos])))
    changed = env[:pos].encode() + bytes([new]) + env[pos + 1 :].encode()
    with pytest.raises(e.Rejected):
        open_at_b(changed)


ENV_FOR_FUZZ = send()


def test_misaddressed_envelope_is_refused_with_the_sender_known():
    # Sealed for A's own key set but opened by A as if it were addressed to A: aud is B.
    jti, env = send()
    with pytest.raises(e.Rejected) as exc:
        e.open_envelope(env, own_id="https://elsewhere.test", own_keys=W.kb, trust=W.trust, now=NOW)
    assert exc.value.reason == "misaddressed"
    assert exc.value.sender is not None and exc.value.sender.entity_id == A


def test_expired_and_future_messages_are_refused():
    _, env = send(ttl=600)
    assert open_at_b(env, now=NOW + 599).jti
    assert reason(open_at_b, env, now=NOW + 600) == "expired"
    _, env = send(now=NOW + 3600)
    assert reason(open_at_b, env) == "not_yet_valid"


def test_unknown_key_unknown_sender_and_expired_partner_are_refused():
    stranger = k.new_keyset(NOW)
    _, env = send()
    assert reason(open_at_b, env, keys=stranger) == "unknown_key"
    trust_without_a = W.resign([entry(B, W.kb)])
    assert reason(open_at_b, env, trust=trust_without_a) == "unknown_sender"
    expired_a = W.resign([entry(A, W.ka, valid_until=NOW + 10), entry(B, W.kb)])
    assert open_at_b(env, trust=expired_a).jti
    assert reason(open_at_b, env, trust=expired_a, now=NOW + 10) == "partner_expired"


def test_a_stranger_claiming_to_be_a_partner_is_refused():
    stranger = k.new_keyset(NOW)
    _, env = send(keys=stranger)
    assert reason(open_at_b, env) == "tampered"


def test_oversized_and_malformed_are_refused():
    assert reason(open_at_b, "a" * (e.MAX_ENVELOPE_BYTES + 1)) == "oversized"
    assert reason(open_at_b, "not.a.jwe") == "malformed"
    assert reason(open_at_b, "é.b.c.d.e".encode()) == "malformed"


def _seal_raw(claims: dict, *, canonical: bool = True) -> str:
    """Sign and encrypt arbitrary claims with A's real keys (what a buggy or hostile partner
    could send): the schema checks must refuse them after the signature verifies."""
    key = k.signing_key(W.ka)
    payload = e.canonical(claims) if canonical else json.dumps(claims).encode()
    signed = jws.serialize_compact(
        {"alg": "ES256", "kid": key.kid}, payload, key, algorithms=["ES256"]
    )
    enc = k.encryption_key(W.trust.find(B).jwks)
    return jwe.encrypt_compact(
        {"alg": "ECDH-ES", "enc": "A256GCM", "kid": enc.kid},
        signed.encode(),
        enc,
        algorithms=["ECDH-ES", "A256GCM"],
    )


def _claims(b, **over):
    c = {
        "iss": A,
        "aud": B,
        "jti": "j" * 24,
        "iat": NOW,
        "exp": NOW + 60,
        "typ": "handover",
        "body": b,
    }
    c.update(over)
    return c


def test_undeclared_groups_and_schema_errors_are_refused_after_the_signature():
    b = body(groups=("identity",))
    b["data"]["contact"] = {"prs_MobilePhone": "+355690000000"}
    assert reason(open_at_b, _seal_raw(_claims(b))) == "undeclared_groups"
    b = body(groups=("identity",))
    b["data"]["identity"]["prs_MobilePhone"] = "+355690000000"  # contact field in identity
    assert reason(open_at_b, _seal_raw(_claims(b))) == "undeclared_groups"
    b = body()
    b["purpose"] = "marketing"
    assert reason(open_at_b, _seal_raw(_claims(b))) == "schema_invalid"
    b = body()
    b["extra"] = 1
    assert reason(open_at_b, _seal_raw(_claims(b))) == "schema_invalid"
    assert reason(open_at_b, _seal_raw(_claims(body()), canonical=False)) == "schema_invalid"
    assert reason(open_at_b, _seal_raw(_claims(body(), exp=NOW + e.MAX_TTL + 1))) == (
        "schema_invalid"
    )
    with pytest.raises(e.Rejected) as exc:
        open_at_b(_seal_raw(_claims(body(), typ="gossip")))
    assert exc.value.sender is not None  # known sender: a signed refusal can go back


def test_status_and_revoke_bodies():
    jti, env = send({"ref": "r" * 24, "status": "accepted"}, typ="status")
    assert open_at_b(env).body == {"ref": "r" * 24, "status": "accepted"}
    _, env = send({"ref": "r" * 24, "reason": "consent_withdrawn"}, typ="revoke")
    assert open_at_b(env).typ == "revoke"
    assert reason(send, {"ref": "r" * 24, "status": "lost"}, typ="status") == "schema_invalid"
    assert reason(send, {"ref": "x", "reason": "sent_in_error"}, typ="revoke") == "schema_invalid"


# --- key rotation without downtime -----------------------------------------------------------


def test_key_rotation_without_downtime():
    # B rotates: A still encrypts to B's old key (old trust list) and B still opens it.
    kb2 = k.rotate(W.kb, NOW)
    _, env = send()
    assert open_at_b(env, keys=kb2).jti
    # The new list publishes both of B's keys; A now encrypts to the newest and B opens it.
    both = W.resign([entry(A, W.ka), entry(B, kb2)])
    _, env = send(trust=both)
    assert (
        json.loads(base64.urlsafe_b64decode(env.split(".")[0] + "==="))["kid"]
        == (k.kids(kb2, "enc")[-1])
    )
    assert open_at_b(env, keys=kb2, trust=both).jti
    # A rotates: B accepts the new signature once the new list carries A's new key.
    ka2 = k.rotate(W.ka, NOW)
    _, env = send(keys=ka2)
    assert reason(open_at_b, env) == "tampered"  # the old list does not know the new key yet
    with_new_a = W.resign([entry(A, ka2), entry(B, W.kb)])
    assert open_at_b(env, trust=with_new_a).jti
    # Retiring B's old encryption key: messages to it no longer open.
    _, old_env = send()
    kb3 = k.retire(kb2, k.kids(kb2, "enc")[0])
    assert reason(open_at_b, old_env, keys=kb3) == "unknown_key"
    with pytest.raises(k.KeySetError):
        k.retire(k.retire(kb3, k.kids(kb3, "sig")[0]), k.kids(kb3, "sig")[-1])


def test_keyset_checks():
    assert k.check_keyset(W.ka, private=True) == []
    assert k.check_keyset(k.public_jwks(W.ka), private=False) == []
    assert any("private" in p for p in k.check_keyset(k.public_jwks(W.ka), private=True))
    assert k.check_keyset({"keys": []}, private=False) == ["the key set has no keys"]


def test_a_new_signing_key_signs_only_once_published():
    ka2 = k.rotate(W.ka, NOW)
    old_sig = k.kids(W.ka, "sig")
    chosen = k.for_signing(ka2, W.trust.find(A).jwks)
    assert k.kids(chosen, "sig") == old_sig
    assert k.kids(chosen, "enc") == k.kids(ka2, "enc")  # every key still decrypts
    _, env = send(keys=chosen)
    assert open_at_b(env).jti
    assert k.for_signing(ka2, k.public_jwks(ka2)) == ka2
