"""Hand-over messages: build (minimised), sign, encrypt, open, verify, acknowledge.

Pure: no Django imports. ``joserfc`` does all cryptography.

A message is a JSON object (the claims: ``iss``, ``aud``, ``jti``, ``iat``, ``exp``, ``typ``
and a ``body``), serialised in RFC 8785 canonical form, signed as a compact JWS (ES256) with
the sender's newest signing key, then encrypted as a compact JWE (ECDH-ES, A256GCM) to the
recipient's newest encryption key as the trust list publishes it. Kinds (``typ``):
``handover`` (the case data), ``status`` (a status update about a hand-over, both ways) and
``revoke`` (the sender withdraws a hand-over). Receipts are signed (JWS) but not encrypted:
they carry no personal data — the message id, the SHA-256 of the envelope and the outcome.

``open_envelope`` refuses, with a stable reason code: oversized, malformed, unknown key,
tampered (any changed byte), unknown or expired sender, misaddressed, expired or future
dated, schema-invalid and undeclared groups. Replays are caught by the caller, which keeps
the ids it has seen (the database); ``Opened.digest`` tells a duplicate from a replay.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import rfc8785
from joserfc import jwe, jws

from palermo.crossborder import keys as k
from palermo.crossborder.trust import PartnerEntry, TrustError, TrustList, unverified_payload
from palermo.crossborder.vocabulary import (
    DOCUMENT_NUMBER,
    FIELD_GROUP,
    GROUP_FIELDS,
    GROUPS,
    HANDLING,
    LEGAL_BASES,
    MAX_RECORDS,
    PURPOSES,
    RECORD_KEYS,
    RECORD_LIST_KEYS,
    REVOKE_REASONS,
    STATUSES,
)

SCHEMA = "palermo-handover/1"
MESSAGE_TYP = "palermo-handover+jwt"
RECEIPT_TYP = "palermo-receipt+jwt"
KINDS = ("handover", "status", "revoke")
MAX_ENVELOPE_BYTES = 256 * 1024
MAX_TTL = 30 * 24 * 3600  # an offline carriage (USB, secure mail) may take weeks
DEFAULT_TTL = 14 * 24 * 3600
CLOCK_SKEW = 300
RECEIPT_OUTCOMES = ("received", "rejected", "deleted")
_B64 = re.compile(r"[A-Za-z0-9_-]*")
_JTI = re.compile(r"[A-Za-z0-9_-]{16,64}")
_MAX_INT = 2**53 - 1


class Rejected(Exception):
    """An envelope or receipt refused. ``sender`` is set only once the signature verified
    (then a signed rejection receipt can go back to it)."""

    def __init__(self, reason: str, detail: str = "", sender: PartnerEntry | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.sender = sender


@dataclass(frozen=True)
class Opened:
    sender: PartnerEntry
    typ: str
    jti: str
    iat: int
    exp: int
    body: dict[str, Any]
    digest: str


@dataclass(frozen=True)
class Receipt:
    issuer: str
    audience: str
    jti: str
    ref: str
    digest: str
    outcome: str
    reason: str
    iat: int


def new_jti() -> str:
    return secrets.token_urlsafe(18)


def digest(envelope: str | bytes) -> str:
    raw = envelope.encode("ascii") if isinstance(envelope, str) else envelope
    return hashlib.sha256(raw).hexdigest()


def canonical(obj: Any) -> bytes:
    return rfc8785.dumps(obj)


# --- the hand-over body: minimisation and schema ------------------------------------------


def permitted_groups(consented: frozenset[str], allowed: frozenset[str]) -> frozenset[str]:
    """What may travel: what the person consented to and the partner's legal basis allows."""
    return frozenset(consented) & frozenset(allowed) & frozenset(GROUPS)


def handover_body(
    *,
    fields: dict[str, Any],
    consented: frozenset[str],
    allowed: frozenset[str],
    purpose: str,
    legal_basis: str,
    handling: str,
    child: bool,
    case_pseudonym: str,
) -> dict[str, Any]:
    """The body of a hand-over with only the permitted groups' fields. ``fields`` maps
    field names (any group) to values; fields of other groups and empty values are dropped."""
    groups = permitted_groups(consented, allowed)
    if not groups:
        raise Rejected("schema_invalid", "no field group is both consented and allowed")
    data: dict[str, dict[str, Any]] = {g: {} for g in sorted(groups)}
    for name, value in fields.items():
        group = FIELD_GROUP.get(name)
        if group in groups and value not in (None, "", [], {}):
            data[group][name] = value
    if "documents" in data and "identity" not in groups:
        # A document's number identifies the person: it travels only with the identity group.
        docs = data["documents"].get("plm_Documents")
        if docs:
            data["documents"]["plm_Documents"] = [
                {k: x for k, x in d.items() if k != DOCUMENT_NUMBER} for d in docs
            ]
    body = {
        "schema": SCHEMA,
        "child": bool(child),
        "groups": sorted(groups),
        "purpose": purpose,
        "legal_basis": legal_basis,
        "handling": handling,
        "case_pseudonym": case_pseudonym,
        "data": data,
    }
    validate_body("handover", body)
    return body


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _text_ok(v: Any, bound: int) -> bool:
    """Short text a database can store: no NUL, no lone surrogate (PostgreSQL refuses both)."""
    return isinstance(v, str) and len(v) <= bound and _UNSTORABLE.search(v) is None


def _scalar(v: Any) -> bool:
    if isinstance(v, bool) or v is None:
        return True
    if isinstance(v, int):
        return -_MAX_INT <= v <= _MAX_INT
    return _text_ok(v, 2000)


def _records_ok(name: str, v: Any) -> bool:
    """A list of records (objects of short values, or short lists of them) with known keys."""
    keys = RECORD_KEYS[name]
    return (
        isinstance(v, list)
        and len(v) <= MAX_RECORDS
        and all(
            isinstance(r, dict)
            and len(r) <= len(keys)
            and all(
                k in keys
                and (
                    (isinstance(x, list) and len(x) <= 10 and all(_text_ok(y, 300) for y in x))
                    if k in RECORD_LIST_KEYS
                    else _scalar_record(x)
                )
                for k, x in r.items()
            )
            for r in v
        )
    )


def _scalar_record(x: Any) -> bool:
    return x is None or isinstance(x, bool) or _text_ok(x, 300)


def _value_ok(v: Any) -> bool:
    if isinstance(v, list):
        return len(v) <= 100 and all(_scalar(x) for x in v)
    if isinstance(v, dict):
        return len(v) <= 100 and all(_text_ok(a, 100) and _scalar(b) for a, b in v.items())
    return _scalar(v)


def _exact_keys(obj: dict[str, Any], keys: set[str]) -> None:
    if set(obj) != keys:
        raise Rejected("schema_invalid", f"keys must be exactly {', '.join(sorted(keys))}")


def _one_of(obj: dict[str, Any], name: str, allowed: Any) -> None:
    if not isinstance(obj.get(name), str) or obj[name] not in allowed:
        raise Rejected("schema_invalid", f"{name} is not one of the codes")


def validate_body(typ: str, body: Any) -> None:
    """Rejected(schema_invalid | undeclared_groups) unless ``body`` follows the schema of its
    kind (the JSON Schema in data/handover.schema.json says the same)."""
    if not isinstance(body, dict):
        raise Rejected("schema_invalid", "the body must be an object")
    if typ == "handover":
        _handover(body)
    elif typ == "status":
        _exact_keys(body, {"ref", "status"})
        _ref(body)
        _one_of(body, "status", STATUSES)
    elif typ == "revoke":
        _exact_keys(body, {"ref", "reason"})
        _ref(body)
        _one_of(body, "reason", REVOKE_REASONS)
    else:
        raise Rejected("schema_invalid", "unknown message kind")


def _ref(body: dict[str, Any]) -> None:
    if not isinstance(body.get("ref"), str) or not _JTI.fullmatch(body["ref"]):
        raise Rejected("schema_invalid", "ref must be a message id")


def _handover(body: dict[str, Any]) -> None:
    _exact_keys(
        body,
        {
            "schema",
            "child",
            "groups",
            "purpose",
            "legal_basis",
            "handling",
            "case_pseudonym",
            "data",
        },
    )
    if body["schema"] != SCHEMA:
        raise Rejected("schema_invalid", "unknown schema version")
    if not isinstance(body["child"], bool):
        raise Rejected("schema_invalid", "child must be true or false")
    _one_of(body, "purpose", PURPOSES)
    _one_of(body, "legal_basis", LEGAL_BASES)
    _one_of(body, "handling", HANDLING)
    pseud = body["case_pseudonym"]
    if not _text_ok(pseud, 64) or not pseud:
        raise Rejected("schema_invalid", "case_pseudonym must be short text")
    groups = body["groups"]
    if (
        not isinstance(groups, list)
        or not groups
        or groups != sorted(set(groups))
        or not all(isinstance(g, str) and g in GROUP_FIELDS for g in groups)
    ):
        raise Rejected("schema_invalid", "groups must be a sorted list of known field groups")
    data = body["data"]
    if not isinstance(data, dict):
        raise Rejected("schema_invalid", "data must be an object")
    if set(data) - set(groups):
        raise Rejected("undeclared_groups", "data carries groups it does not declare")
    for group, values in data.items():
        if not isinstance(values, dict):
            raise Rejected("schema_invalid", "each group's data must be an object")
        for name, value in values.items():
            if FIELD_GROUP.get(name) != group:
                raise Rejected("undeclared_groups", "a field is outside its declared group")
            if name in RECORD_KEYS:
                if not _records_ok(name, value):
                    raise Rejected("schema_invalid", "a field's records are not as the schema says")
            elif not _value_ok(value):
                raise Rejected("schema_invalid", "a field's value is not a short value or list")
    docs = (data.get("documents") or {}).get("plm_Documents") or []
    if "identity" not in groups and any(DOCUMENT_NUMBER in d for d in docs):
        raise Rejected("undeclared_groups", "a document number travels only with identity")


# --- sealing and opening ----------------------------------------------------------------------


def seal(
    *,
    typ: str,
    body: dict[str, Any],
    sender_id: str,
    sender_keys: k.JWKS,
    recipient: PartnerEntry,
    now: int,
    jti: str | None = None,
    ttl: int = DEFAULT_TTL,
) -> tuple[str, str]:
    """(jti, envelope): ``body`` signed by us and encrypted to ``recipient``."""
    if typ not in KINDS:
        raise ValueError(f"unknown message kind {typ!r}")
    if not 0 < ttl <= MAX_TTL:
        raise ValueError("ttl out of range")
    validate_body(typ, body)
    jti = jti or new_jti()
    claims = {
        "iss": sender_id,
        "aud": recipient.entity_id,
        "jti": jti,
        "iat": now,
        "exp": now + ttl,
        "typ": typ,
        "body": body,
    }
    key = k.signing_key(sender_keys)
    signed = jws.serialize_compact(
        {"alg": k.SIGNING_ALG, "typ": MESSAGE_TYP, "kid": str(key.kid or "")},
        canonical(claims),
        key,
        algorithms=[k.SIGNING_ALG],
    )
    enc_key = k.encryption_key(recipient.jwks)
    envelope = jwe.encrypt_compact(
        {"alg": k.KEY_ALG, "enc": k.CONTENT_ENC, "kid": str(enc_key.kid or ""), "cty": "JWT"},
        signed.encode("ascii"),
        enc_key,
        algorithms=[k.KEY_ALG, k.CONTENT_ENC],
    )
    if len(envelope) > MAX_ENVELOPE_BYTES:
        raise Rejected("oversized", "the message is larger than the limit")
    return jti, envelope


def _b64_canonical(segment: str) -> bool:
    """True when ``segment`` is base64url with no padding and no stray bits (so two texts
    never decode to the same bytes: a flipped spare bit is a change, not a no-op)."""
    if not _B64.fullmatch(segment) or len(segment) % 4 == 1:
        return False
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") == segment


def _header(segment: str) -> dict[str, Any]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except RecursionError:  # deeply nested JSON from an unauthenticated sender
        raise ValueError("header nested too deeply") from None
    if not isinstance(doc, dict):
        raise ValueError("header is not an object")
    return doc


def open_envelope(
    envelope: str | bytes,
    *,
    own_id: str,
    own_keys: k.JWKS,
    trust: TrustList,
    now: int,
) -> Opened:
    """Decrypt, verify and validate an envelope addressed to us; Rejected otherwise."""
    if len(envelope) > MAX_ENVELOPE_BYTES:
        raise Rejected("oversized")
    try:
        text = envelope.decode("ascii") if isinstance(envelope, bytes) else envelope
        text.encode("ascii")
    except (UnicodeDecodeError, UnicodeEncodeError):
        raise Rejected("malformed", "not ASCII") from None
    text = text.strip()
    sha = digest(text)
    parts = text.split(".")
    if len(parts) != 5 or not all(_b64_canonical(p) for p in parts):
        raise Rejected("malformed", "not a compact JWE")
    try:
        header = _header(parts[0])
    except ValueError:
        raise Rejected("malformed", "unreadable header") from None
    if (header.get("alg"), header.get("enc")) != (k.KEY_ALG, k.CONTENT_ENC):
        raise Rejected("malformed", "unexpected algorithms")
    if header.get("kid") not in k.kids(own_keys, "enc"):
        raise Rejected("unknown_key")
    try:
        decrypted = jwe.decrypt_compact(
            text, k.keys_for(own_keys, "enc"), algorithms=[k.KEY_ALG, k.CONTENT_ENC]
        )
        inner = (decrypted.plaintext or b"").decode("ascii")
    except Exception:  # untrusted input: joserfc raises KeyError too (found by the fuzz test)
        raise Rejected("tampered", "does not decrypt") from None
    try:
        claimed = unverified_payload(inner)
    except ValueError:
        raise Rejected("tampered", "no signed message inside") from None
    iss = claimed.get("iss")
    if not isinstance(iss, str):
        raise Rejected("schema_invalid", "no issuer")
    try:
        sender = trust.require(iss, now)
    except TrustError as exc:
        raise Rejected(exc.reason, str(exc)) from None
    try:
        verified = jws.deserialize_compact(
            inner, k.keys_for(sender.jwks, "sig"), algorithms=[k.SIGNING_ALG]
        )
    except Exception:  # untrusted input: any failure to verify is a refusal
        raise Rejected("tampered", "the signature does not verify") from None
    payload = verified.payload
    try:
        claims = json.loads(payload)
        if canonical(claims) != payload:
            raise ValueError("not canonical")
    except Exception:  # signed by the partner, but not canonical JSON
        raise Rejected("schema_invalid", "not in canonical form", sender) from None
    return _check_claims(claims, sender, own_id, now, sha)


def _check_claims(claims: Any, sender: PartnerEntry, own_id: str, now: int, sha: str) -> Opened:
    if not isinstance(claims, dict) or set(claims) != {
        "iss",
        "aud",
        "jti",
        "iat",
        "exp",
        "typ",
        "body",
    }:
        raise Rejected("schema_invalid", "claims are not the expected set", sender)
    if claims["aud"] != own_id:
        raise Rejected("misaddressed", "", sender)
    jti, iat, exp, typ = claims["jti"], claims["iat"], claims["exp"], claims["typ"]
    if not isinstance(jti, str) or not _JTI.fullmatch(jti):
        raise Rejected("schema_invalid", "jti", sender)
    if (
        isinstance(iat, bool)
        or isinstance(exp, bool)
        or not isinstance(iat, int)
        or not isinstance(exp, int)
    ):
        raise Rejected("schema_invalid", "iat/exp", sender)
    if iat > now + CLOCK_SKEW:
        raise Rejected("not_yet_valid", "", sender)
    if exp <= now:
        raise Rejected("expired", "", sender)
    if exp - iat > MAX_TTL or exp <= iat:
        raise Rejected("schema_invalid", "lifetime", sender)
    if typ not in KINDS:
        raise Rejected("schema_invalid", "typ", sender)
    try:
        validate_body(typ, claims["body"])
    except Rejected as exc:
        raise Rejected(exc.reason, exc.detail, sender) from None
    return Opened(
        sender=sender, typ=typ, jti=jti, iat=iat, exp=exp, body=claims["body"], digest=sha
    )


# --- receipts ----------------------------------------------------------------------------


def sign_receipt(
    *,
    issuer: str,
    audience: str,
    ref: str,
    envelope_digest: str,
    outcome: str,
    reason: str,
    keys: k.JWKS,
    now: int,
) -> str:
    """A signed receipt for message ``ref`` (JWS; no personal data, so not encrypted)."""
    if outcome not in RECEIPT_OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    claims = {
        "iss": issuer,
        "aud": audience,
        "jti": new_jti(),
        "iat": now,
        "typ": "receipt",
        "ref": ref,
        "sha256": envelope_digest,
        "outcome": outcome,
        "reason": reason,
    }
    key = k.signing_key(keys)
    return jws.serialize_compact(
        {"alg": k.SIGNING_ALG, "typ": RECEIPT_TYP, "kid": str(key.kid or "")},
        canonical(claims),
        key,
        algorithms=[k.SIGNING_ALG],
    )


def verify_receipt(token: str, *, trust: TrustList, own_id: str, now: int) -> Receipt:
    """The receipt, verified against the issuer's keys in the trust list; Rejected otherwise."""
    if len(token) > 16_384:
        raise Rejected("oversized")
    try:
        claimed = unverified_payload(token)
    except (ValueError, UnicodeDecodeError):
        raise Rejected("malformed") from None
    iss = claimed.get("iss")
    if not isinstance(iss, str):
        raise Rejected("schema_invalid", "no issuer")
    try:
        sender = trust.require(iss, now)
    except TrustError as exc:
        raise Rejected(exc.reason, str(exc)) from None
    try:
        verified = jws.deserialize_compact(
            token, k.keys_for(sender.jwks, "sig"), algorithms=[k.SIGNING_ALG]
        )
    except Exception:  # untrusted input: any failure to verify is a refusal
        raise Rejected("tampered", "the receipt's signature does not verify") from None
    c = json.loads(verified.payload)
    expected = {"iss", "aud", "jti", "iat", "typ", "ref", "sha256", "outcome", "reason"}
    if not isinstance(c, dict) or set(c) != expected or c["typ"] != "receipt":
        raise Rejected("schema_invalid", "not a receipt")
    if c["aud"] not in (own_id, ""):
        raise Rejected("misaddressed")
    if c["outcome"] not in RECEIPT_OUTCOMES:
        raise Rejected("schema_invalid", "outcome")
    return Receipt(
        issuer=iss,
        audience=str(c["aud"]),
        jti=str(c["jti"]),
        ref=str(c["ref"]),
        digest=str(c["sha256"]),
        outcome=str(c["outcome"]),
        reason=str(c["reason"]),
        iat=int(c["iat"]),
    )
