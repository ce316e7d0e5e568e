"""Envelope encryption of single field values at rest (docs/security.md, "Encryption at rest").

Each value gets its own random 256-bit data key. The value is sealed with
AES-256-GCM under that data key; the data key is wrapped (AES-256-GCM) by a
key-encryption key (KEK) of a key ring kept outside the database. Both
seals carry the value's *context* as associated data — table, column and
row id — so a ciphertext copied into another row or column is refused.

Ciphertext format (ASCII, so it fits a text column and a dump stays readable)::

    ev1:<kek id>:<base64url(wrapped data key)>:<base64url(nonce ‖ ciphertext ‖ tag)>

``ev1`` is the format version. Rotation re-wraps only the data key under the
new primary KEK (``rewrap``): the value's own ciphertext is unchanged.

The key ring sits behind ``KeyWrapper`` (wrap / unwrap a data key with a
context), the shape of a cloud KMS's ``Encrypt``/``Decrypt`` with an
encryption context, so a KMS can replace the local key file.

Keyed hashes (``blind_index``) allow exact-match search on a sealed field
without decrypting: HMAC-SHA256 with a separate index key over a normalised
value, domain-separated by purpose.

Pure: no Django imports. Only the ``cryptography`` package's primitives.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "ev1"
PREFIX = VERSION + ":"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_VALUE_AAD = b"palermo/ev1/value\x00"
_DEK_AAD = b"palermo/ev1/data-key\x00"
_INDEX_DOMAIN = b"palermo/ev1/index\x00"


class FieldCryptError(Exception):
    """Base of every error of this module. Messages never contain key material or plaintext."""


class KeyFileError(FieldCryptError):
    """The key file is missing, unreadable or malformed."""


class UnknownKeyError(FieldCryptError):
    """A value was sealed under a key id that the key ring does not hold."""


class DecryptionError(FieldCryptError):
    """A value does not open: altered, moved to another row/column, or not a ciphertext."""


class KeyWrapper(Protocol):
    """What field encryption needs from a key service (a local key file or a KMS)."""

    @property
    def primary_key_id(self) -> str: ...

    def key_ids(self) -> frozenset[str]: ...

    def wrap(self, data_key: bytes, context: bytes) -> tuple[str, bytes]:
        """Wrap ``data_key`` under the primary key; returns (key id, wrapped key)."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        """The data key, or ``UnknownKeyError`` / ``DecryptionError``."""
        ...


@dataclass(frozen=True)
class LocalKeyRing:
    """KEKs held in memory, read from a key file; one of them is the primary (used to wrap)."""

    keys: Mapping[str, bytes]
    primary: str
    index_key: bytes
    index_key_id: str = "i1"
    source: str = ""  # where the keys came from (a path), for messages
    _aead: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.primary not in self.keys:
            raise KeyFileError(f"the primary key id {self.primary!r} is not among the keys")
        for kid, key in self.keys.items():
            if not KEY_ID_RE.match(kid):
                raise KeyFileError(f"key id {kid!r}: use 1 to 40 letters, digits, '-' or '_'")
            if len(key) != KEY_BYTES:
                raise KeyFileError(f"key {kid!r} is not {KEY_BYTES} bytes (AES-256)")
            self._aead[kid] = AESGCM(key)
        if len(self.index_key) != KEY_BYTES:
            raise KeyFileError(f"the index key is not {KEY_BYTES} bytes")

    def __repr__(self) -> str:  # never print key material
        return f"LocalKeyRing(primary={self.primary!r}, key_ids={sorted(self.keys)!r})"

    @property
    def primary_key_id(self) -> str:
        return self.primary

    def key_ids(self) -> frozenset[str]:
        return frozenset(self.keys)

    def wrap(self, data_key: bytes, context: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return self.primary, nonce + self._aead[self.primary].encrypt(
            nonce, data_key, _DEK_AAD + context
        )

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        aead = self._aead.get(key_id)
        if aead is None:
            raise UnknownKeyError(
                f"a value is sealed under key id {key_id!r}, which the key file{self._where()} does not hold; "
                f"it holds {', '.join(sorted(self.keys))}. Put the retired key back, or restore the right key file."
            )
        try:
            return aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _DEK_AAD + context)
        except InvalidTag:
            raise DecryptionError(
                "the data key does not open: the value was altered or moved"
            ) from None

    def _where(self) -> str:
        return f" ({self.source})" if self.source else ""


# --- values ------------------------------------------------------------------------------------------


def context(table: str, column: str, row_id: object) -> bytes:
    """Associated data binding a value to its place: table, column and row id."""
    if row_id is None:
        raise FieldCryptError(f"{table}.{column}: a value is sealed only once its row has an id")
    return f"{table}\x1f{column}\x1f{row_id}".encode()


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_B64 = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")


def _b64d(text: str) -> bytes:
    if not _B64.match(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def _parts(token: str) -> tuple[str, bytes, bytes]:
    pieces = token.split(":")
    if len(pieces) != 4 or pieces[0] != VERSION or not KEY_ID_RE.match(pieces[1]):
        raise DecryptionError(f"not a {VERSION} ciphertext")
    try:
        wrapped, body = _b64d(pieces[2]), _b64d(pieces[3])
    except (binascii.Error, ValueError):
        raise DecryptionError(f"not a {VERSION} ciphertext") from None
    if len(body) < NONCE_BYTES + 16:
        raise DecryptionError(f"not a {VERSION} ciphertext")
    return pieces[1], wrapped, body


def key_id_of(token: str) -> str:
    """The id of the KEK that wraps this value's data key."""
    return _parts(token)[0]


def encrypt(ring: KeyWrapper, plaintext: str, ctx: bytes) -> str:
    data_key = AESGCM.generate_key(bit_length=256)
    key_id, wrapped = ring.wrap(data_key, ctx)
    nonce = os.urandom(NONCE_BYTES)
    body = nonce + AESGCM(data_key).encrypt(nonce, plaintext.encode("utf-8"), _VALUE_AAD + ctx)
    return f"{VERSION}:{key_id}:{_b64e(wrapped)}:{_b64e(body)}"


def decrypt(ring: KeyWrapper, token: str, ctx: bytes) -> str:
    key_id, wrapped, body = _parts(token)
    data_key = ring.unwrap(key_id, wrapped, ctx)
    try:
        return (
            AESGCM(data_key)
            .decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], _VALUE_AAD + ctx)
            .decode("utf-8")
        )
    except InvalidTag:
        raise DecryptionError("the value does not open: it was altered or moved") from None


def rewrap(ring: KeyWrapper, token: str, ctx: bytes) -> str:
    """The same value with its data key wrapped under the primary KEK (the body is unchanged)."""
    key_id, wrapped, body = _parts(token)
    if key_id == ring.primary_key_id:
        return token
    data_key = ring.unwrap(key_id, wrapped, ctx)
    new_id, new_wrapped = ring.wrap(data_key, ctx)
    return f"{VERSION}:{new_id}:{_b64e(new_wrapped)}:{_b64e(body)}"


# --- keyed hashes for exact-match search --------------------------------------------------------------


def normalise_identifier(value: str) -> str:
    """Identity numbers, phones, e-mails: compatibility-normalised, case-folded, no spaces or separators."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return re.sub(r"[\s\-./()]+", "", text)


def blind_index(index_key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of the normalised value, separated per purpose (e.g. ``cases_person.identity_number``)."""
    norm = normalise_identifier(value)
    if not norm:
        return ""
    return hmac.new(
        index_key, _INDEX_DOMAIN + purpose.encode() + b"\x00" + norm.encode("utf-8"), hashlib.sha256
    ).hexdigest()


# --- the key file -----------------------------------------------------------------------------------


def new_key_id(now: datetime | None = None) -> str:
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    return f"k{day}-{secrets.token_hex(2)}"


def new_key_file(now: datetime | None = None) -> dict[str, Any]:
    kid = new_key_id(now)
    return {
        "format": "palermo-field-keys/1",
        "primary": kid,
        "keys": {kid: _b64e(secrets.token_bytes(KEY_BYTES))},
        "index_key": {"id": "i1", "key": _b64e(secrets.token_bytes(KEY_BYTES))},
    }


def add_key(
    data: Mapping[str, Any], *, make_primary: bool, now: datetime | None = None
) -> tuple[dict[str, Any], str]:
    """A copy of a key file's content with one new KEK (primary if asked). Old keys stay for reading."""
    out = json.loads(json.dumps(data))
    kid = new_key_id(now)
    while kid in out["keys"]:
        kid = new_key_id(now)
    out["keys"][kid] = _b64e(secrets.token_bytes(KEY_BYTES))
    if make_primary:
        out["primary"] = kid
    return out, kid


def ring_from_data(data: Mapping[str, Any], source: str = "") -> LocalKeyRing:
    where = f" {source}" if source else ""
    if (
        not isinstance(data, Mapping)
        or not isinstance(data.get("keys"), Mapping)
        or not data["keys"]
    ):
        raise KeyFileError(
            f"key file{where}: expected {{'primary': id, 'keys': {{id: base64 key}}, 'index_key': …}}"
        )
    try:
        keys = {str(k): _b64d(str(v)) for k, v in data["keys"].items()}
        idx = data.get("index_key")
        if not isinstance(idx, Mapping) or "key" not in idx:
            raise KeyFileError(
                f"key file{where}: 'index_key' {{'id': …, 'key': base64}} is missing"
            )
        index_key = _b64d(str(idx["key"]))
    except (binascii.Error, ValueError):
        raise KeyFileError(f"key file{where}: a key is not valid base64") from None
    return LocalKeyRing(
        keys=keys,
        primary=str(data.get("primary", "")),
        index_key=index_key,
        index_key_id=str(idx.get("id", "i1")),
        source=source,
    )


def read_key_file(path: Path | str) -> dict[str, Any]:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyFileError(f"the key file {p} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyFileError(f"the key file {p} cannot be read: {exc.__class__.__name__}") from None
    if not isinstance(data, dict):
        raise KeyFileError(f"the key file {p} is not a JSON object")
    return data


def load_key_file(path: Path | str) -> LocalKeyRing:
    return ring_from_data(read_key_file(path), source=str(path))


def write_key_file(path: Path | str, data: Mapping[str, Any], *, exclusive: bool = False) -> bool:
    """Write atomically, readable by the owner only (0600).

    ``exclusive``: only if no key file is there yet (never replace one: two processes
    creating it at once end up with the same file). Returns False if one was there.
    """
    ring_from_data(data, source=str(path))  # never write a file that would not load
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f"{p.name}.tmp{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    if not exclusive:
        os.replace(tmp, p)
        return True
    try:
        os.link(tmp, p)  # atomic create-if-absent
    except FileExistsError:
        return False
    finally:
        tmp.unlink()
    return True


def key_file_problems(path: Path | str) -> list[str]:
    """Warnings about how the key file is kept (permissions)."""
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except OSError:
        return []
    return [f"{p} is readable by other users: chmod 600 it"] if mode & 0o077 else []
