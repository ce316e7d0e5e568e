"""The signed trust list: which partner instances we exchange with, under what terms.

Pure: no Django imports.

The trust list is a static document (JSON) signed as a compact JWS (ES256) by a trust
anchor key the administrator configures. Each entry names a partner instance: its entity
id (URL), ISO 3166-1 country, organisation and role, the legal basis for transfers to it and
the agreement's reference, the field groups that basis allows, its inbox URL, its public
keys (JWKS, several during a rotation) and the period it is valid for. A partner whose entry
has expired or is missing receives nothing and is accepted from no more. A list is refused
when its signature fails, when it has expired, or when its version is older than the one in
use (no roll-back to a list that still trusted a removed partner).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.jwk import ECKey

from palermo.crossborder import keys as k
from palermo.crossborder.vocabulary import GROUPS, LEGAL_BASES, PARTNER_ROLES

TRUST_LIST_TYP = "palermo-trust-list+jwt"
MAX_TRUST_LIST_BYTES = 1_000_000
_COUNTRY = re.compile(r"[A-Z]{2}")
_ENTITY = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")


class TrustError(ValueError):
    """A trust list or a partner is not to be trusted. ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PartnerEntry:
    entity_id: str
    country: str
    organisation: str
    role: str
    legal_basis: str
    agreement_ref: str
    allowed_groups: frozenset[str]
    inbox: str
    jwks: dict[str, Any]
    valid_from: int
    valid_until: int

    def valid_at(self, now: int) -> bool:
        return self.valid_from <= now < self.valid_until

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "country": self.country,
            "organisation": self.organisation,
            "role": self.role,
            "legal_basis": self.legal_basis,
            "agreement_ref": self.agreement_ref,
            "allowed_groups": sorted(self.allowed_groups),
            "inbox": self.inbox,
            "jwks": self.jwks,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
        }


@dataclass(frozen=True)
class TrustList:
    issuer: str
    version: int
    issued_at: int
    expires_at: int
    partners: tuple[PartnerEntry, ...] = field(default_factory=tuple)

    def find(self, entity_id: str) -> PartnerEntry | None:
        for p in self.partners:
            if p.entity_id == entity_id:
                return p
        return None

    def require(self, entity_id: str, now: int) -> PartnerEntry:
        """The partner's entry, valid now, or TrustError (unknown_sender / partner_expired)."""
        if now >= self.expires_at:
            raise TrustError("partner_expired", "The trust list has expired.")
        entry = self.find(entity_id)
        if entry is None:
            raise TrustError("unknown_sender", "The partner is not in the trust list.")
        if not entry.valid_at(now):
            raise TrustError("partner_expired", "The partner's entry is not valid now.")
        return entry

    def as_dict(self) -> dict[str, Any]:
        return {
            "typ": TRUST_LIST_TYP,
            "issuer": self.issuer,
            "version": self.version,
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "partners": [p.as_dict() for p in self.partners],
        }


def _int(doc: dict[str, Any], name: str, errors: list[str], where: str) -> int:
    v = doc.get(name)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        errors.append(f"{where}{name}: a whole number of seconds since 1970 is required")
        return 0
    return v


def _str(doc: dict[str, Any], name: str, errors: list[str], where: str, max_len: int = 300) -> str:
    v = doc.get(name)
    if not isinstance(v, str) or not v.strip() or len(v) > max_len:
        errors.append(f"{where}{name}: text of 1–{max_len} characters is required")
        return ""
    return v


def _entry(doc: Any, i: int, errors: list[str]) -> PartnerEntry | None:
    where = f"partners[{i}]."
    if not isinstance(doc, dict):
        errors.append(f"partners[{i}]: an object is required")
        return None
    n = len(errors)
    entity_id = _str(doc, "entity_id", errors, where)
    if entity_id and not _ENTITY.fullmatch(entity_id):
        errors.append(f"{where}entity_id: an http(s) URL is required")
    country = _str(doc, "country", errors, where, 2)
    if country and not _COUNTRY.fullmatch(country):
        errors.append(f"{where}country: an ISO 3166-1 alpha-2 code is required")
    organisation = _str(doc, "organisation", errors, where)
    role = _str(doc, "role", errors, where)
    if role and role not in PARTNER_ROLES:
        errors.append(f"{where}role: one of {', '.join(PARTNER_ROLES)}")
    basis = _str(doc, "legal_basis", errors, where)
    if basis and basis not in LEGAL_BASES:
        errors.append(f"{where}legal_basis: one of {', '.join(LEGAL_BASES)}")
    if basis == "ngo_explicit_consent" and role in ("authority", "coordinator"):
        errors.append(
            f"{where}legal_basis: a public authority cannot rely on consent alone (Art. 49(3))"
        )
    agreement = _str(doc, "agreement_ref", errors, where)
    groups = doc.get("allowed_groups")
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        errors.append(f"{where}allowed_groups: a list of field groups is required")
        groups = []
    elif unknown := sorted(set(groups) - set(GROUPS)):
        errors.append(f"{where}allowed_groups: unknown groups {', '.join(unknown)}")
    inbox = _str(doc, "inbox", errors, where)
    if inbox and not _ENTITY.fullmatch(inbox):
        errors.append(f"{where}inbox: an http(s) URL is required")
    jwks = doc.get("jwks")
    problems = k.check_keyset(jwks, private=False) if isinstance(jwks, dict) else ["no JWKS"]
    errors.extend(f"{where}jwks: {p}" for p in problems)
    valid_from = _int(doc, "valid_from", errors, where)
    valid_until = _int(doc, "valid_until", errors, where)
    if valid_until <= valid_from:
        errors.append(f"{where}valid_until: must be after valid_from")
    if len(errors) > n:
        return None
    return PartnerEntry(
        entity_id=entity_id,
        country=country,
        organisation=organisation,
        role=role,
        legal_basis=basis,
        agreement_ref=agreement,
        allowed_groups=frozenset(groups),
        inbox=inbox,
        jwks=dict(jwks) if isinstance(jwks, dict) else {},
        valid_from=valid_from,
        valid_until=valid_until,
    )


def parse(doc: Any) -> TrustList:
    """The trust list a JSON document describes, or TrustError listing every problem."""
    if not isinstance(doc, dict):
        raise TrustError("schema_invalid", "The trust list must be a JSON object.")
    errors: list[str] = []
    if doc.get("typ") != TRUST_LIST_TYP:
        errors.append(f"typ: must be {TRUST_LIST_TYP}")
    issuer = _str(doc, "issuer", errors, "")
    version = _int(doc, "version", errors, "")
    issued_at = _int(doc, "issued_at", errors, "")
    expires_at = _int(doc, "expires_at", errors, "")
    if expires_at <= issued_at:
        errors.append("expires_at: must be after issued_at")
    raw = doc.get("partners")
    if not isinstance(raw, list):
        errors.append("partners: a list is required")
        raw = []
    entries = [_entry(p, i, errors) for i, p in enumerate(raw)]
    ids = [e.entity_id for e in entries if e is not None]
    if len(ids) != len(set(ids)):
        errors.append("partners: an entity id appears twice")
    if errors:
        raise TrustError("schema_invalid", "; ".join(errors))
    return TrustList(
        issuer=issuer,
        version=version,
        issued_at=issued_at,
        expires_at=expires_at,
        partners=tuple(e for e in entries if e is not None),
    )


def sign(doc: dict[str, Any], anchor_private: dict[str, Any]) -> str:
    """The trust list signed by the anchor key (compact JWS over its RFC 8785 form)."""
    parse(doc)  # never sign a list that would be refused
    key = ECKey.import_key(anchor_private)
    header = {"alg": k.SIGNING_ALG, "typ": TRUST_LIST_TYP, "kid": str(key.kid or "")}
    return jws.serialize_compact(header, rfc8785.dumps(doc), key, algorithms=[k.SIGNING_ALG])


def new_anchor_key(kid: str) -> dict[str, Any]:
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": "ES256"})
    return dict(key.as_dict(private=True))


def read(token: str, anchors: dict[str, Any], now: int, *, min_version: int = 0) -> TrustList:
    """Verify a signed trust list against the configured anchor keys (JWKS: several during
    an anchor rotation) and return it; TrustError when it is not to be used."""
    if len(token) > MAX_TRUST_LIST_BYTES:
        raise TrustError("oversized", "The trust list is larger than the limit.")
    try:
        anchor_keys = k.keys_for(k.public_jwks(anchors), "sig")
        obj = jws.deserialize_compact(token.strip(), anchor_keys, algorithms=[k.SIGNING_ALG])
    except Exception as exc:  # untrusted input: any failure to verify is a refusal
        raise TrustError(
            "tampered", f"The trust list's signature does not verify ({exc})."
        ) from None
    payload = obj.payload
    try:
        doc = json.loads(payload)
    except ValueError:
        raise TrustError("schema_invalid", "The trust list is not JSON.") from None
    if rfc8785.dumps(doc) != payload:
        raise TrustError("schema_invalid", "The trust list is not in canonical form.")
    trust = parse(doc)
    if now >= trust.expires_at:
        raise TrustError("expired", "The trust list has expired.")
    if trust.version < min_version:
        raise TrustError(
            "rollback", f"The trust list is version {trust.version}; {min_version} is in use."
        )
    return trust


def unverified_payload(token: str) -> dict[str, Any]:
    """The claims of a compact JWS without verifying it (only to find whom to verify with)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    pad = "=" * (-len(parts[1]) % 4)
    try:
        doc = json.loads(base64.urlsafe_b64decode(parts[1] + pad))
    except RecursionError:  # deeply nested JSON, before any signature was checked
        raise ValueError("nested too deeply") from None
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    return doc
