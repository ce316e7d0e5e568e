"""An instance's own key set (JWKS with private keys) and what it publishes.

Pure: no Django imports. Keys are made and used by ``joserfc``; nothing here does
cryptography by hand.

An instance holds signing keys (EC P-256, ES256) and encryption keys (X25519, ECDH-ES).
Rotation without downtime: ``rotate`` adds a new pair and keeps the old ones. The newest
signing key signs; partners encrypt to the newest encryption key they find in the trust
list, and the instance still decrypts with any key it holds. Once a new trust list carrying
the new keys is everywhere, ``retire`` drops an old key.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from joserfc.jwk import ECKey, KeySet, OKPKey

SIGNING_ALG = "ES256"
KEY_ALG = "ECDH-ES"
CONTENT_ENC = "A256GCM"

JWKS = dict[str, Any]


class KeySetError(ValueError):
    """The key set cannot be used (missing key, private key absent, unknown kind)."""


def _kid(use: str, now: int) -> str:
    day = datetime.fromtimestamp(now, tz=UTC).strftime("%Y%m%d")
    return f"{use}-{day}-{secrets.token_hex(4)}"


def new_pair(now: int) -> list[dict[str, Any]]:
    """A new signing key and a new encryption key, private parts included."""
    sig = ECKey.generate_key(
        "P-256", parameters={"kid": _kid("sig", now), "use": "sig", "alg": SIGNING_ALG}
    )
    enc = OKPKey.generate_key(
        "X25519", parameters={"kid": _kid("enc", now), "use": "enc", "alg": KEY_ALG}
    )
    return [dict(sig.as_dict(private=True)), dict(enc.as_dict(private=True))]


def new_keyset(now: int) -> JWKS:
    return {"keys": new_pair(now)}


def rotate(keyset: JWKS, now: int) -> JWKS:
    """The key set with a new pair added after the old keys (which stay usable)."""
    return {"keys": [*keyset.get("keys", []), *new_pair(now)]}


def retire(keyset: JWKS, kid: str) -> JWKS:
    keys = list(keyset.get("keys", []))
    kept = [k for k in keys if k.get("kid") != kid]
    if len(kept) == len(keys):
        raise KeySetError(f"no key {kid!r} in the key set")
    for use in ("sig", "enc"):
        if not any(k.get("use") == use for k in kept):
            raise KeySetError(f"retiring {kid!r} would leave no {use} key")
    return {"keys": kept}


def public_jwks(keyset: JWKS) -> JWKS:
    """The public half of every key, in the same order (what goes into the trust list)."""
    out = []
    for k in keyset.get("keys", []):
        imported = KeySet.import_key_set({"keys": [k]}).keys[0]
        out.append(dict(imported.as_dict(private=False)))
    return {"keys": out}


def _newest(jwks: JWKS, use: str) -> dict[str, Any]:
    found = [k for k in jwks.get("keys", []) if k.get("use") == use]
    if not found:
        raise KeySetError(f"the key set has no {use} key")
    return dict(found[-1])


def signing_key(keyset: JWKS) -> ECKey:
    data = _newest(keyset, "sig")
    if "d" not in data:
        raise KeySetError("the signing key has no private part")
    return ECKey.import_key(data)


def encryption_key(jwks: JWKS) -> OKPKey:
    """The key a partner encrypts to: the newest ``enc`` key it publishes."""
    return OKPKey.import_key(_newest(jwks, "enc"))


def keys_for(jwks: JWKS, use: str) -> KeySet:
    """Every key of one use (verification with any of a partner's signing keys, decryption
    with any of our encryption keys)."""
    chosen = [k for k in jwks.get("keys", []) if k.get("use") == use]
    if not chosen:
        raise KeySetError(f"the key set has no {use} key")
    return KeySet.import_key_set({"keys": chosen})


def kids(jwks: JWKS, use: str) -> list[str]:
    return [str(k.get("kid", "")) for k in jwks.get("keys", []) if k.get("use") == use]


def check_keyset(keyset: JWKS, *, private: bool) -> list[str]:
    """Problems with a key set read from a file or a trust list ([] when usable)."""
    problems: list[str] = []
    keys = keyset.get("keys") if isinstance(keyset, dict) else None
    if not isinstance(keys, list) or not keys:
        return ["the key set has no keys"]
    seen: set[str] = set()
    for k in keys:
        if not isinstance(k, dict) or not k.get("kid"):
            problems.append("a key has no kid")
            continue
        kid = str(k["kid"])
        if kid in seen:
            problems.append(f"key {kid!r} appears twice")
        seen.add(kid)
        if k.get("use") not in ("sig", "enc"):
            problems.append(f"key {kid!r} has no use (sig or enc)")
        if k.get("use") == "sig" and (k.get("kty"), k.get("crv")) != ("EC", "P-256"):
            problems.append(f"signing key {kid!r} is not EC P-256")
        if k.get("use") == "enc" and (k.get("kty"), k.get("crv")) != ("OKP", "X25519"):
            problems.append(f"encryption key {kid!r} is not X25519")
        if private and "d" not in k:
            problems.append(f"key {kid!r} has no private part")
        if not private and "d" in k:
            problems.append(f"key {kid!r} carries a private part: publish public keys only")
    for use in ("sig", "enc"):
        if not any(isinstance(k, dict) and k.get("use") == use for k in keys):
            problems.append(f"the key set has no {use} key")
    if not problems:
        try:
            KeySet.import_key_set({"keys": keys})
        except Exception as exc:  # joserfc raises several types for bad key material
            problems.append(f"the keys cannot be read: {exc}")
    return problems


def for_signing(keyset: JWKS, published: JWKS | None) -> JWKS:
    """The key set with only the signing keys partners already know (published in the trust
    list in force), so a freshly rotated key signs nothing until the new list is out."""
    if published is None:
        return keyset
    known = set(kids(published, "sig"))
    kept = [
        key for key in keyset.get("keys", []) if key.get("use") != "sig" or key.get("kid") in known
    ]
    if not any(key.get("use") == "sig" for key in kept):
        return keyset
    return {"keys": kept}
