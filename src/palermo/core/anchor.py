"""Anchoring the audit trail outside the database (pure: no Django).

The hash chain (``chain.py``) finds an edited, inserted or deleted entry, but
not someone who deletes the newest entries and rewrites the head row to
match: the shortened chain is consistent with itself. A *checkpoint* closes
that gap. It is the head (``seq`` and ``hash``) at one moment, signed with an
Ed25519 key kept outside the database, and appended to a log the database
cannot reach (a file on another machine, syslog, a write-once store).
Verification then asks, for every checkpoint: is its signature valid, and does
the chain still hold entry ``seq`` with exactly that ``hash``? A truncated
trail lacks the entry; a rewritten one has another hash.

A checkpoint is one JSON line, so it can be appended to a file, sent to
syslog or printed for any collector::

    {"at":"2026-12-02T06:00:00.000000Z","format":"palermo-audit-checkpoint/1",
     "hash":"…64 hex…","key_id":"…16 hex…","seq":1234,"sig":"…base64…"}

The signature covers the canonical payload (``signing_payload``): a fixed
domain-separation prefix and the JSON of format, seq, hash, at and key id with
sorted keys and no spaces, so the same checkpoint always signs the same bytes
whatever order a collector writes the keys in. A line may carry a prefix before
its JSON object (a syslog timestamp and tag): reading starts at the first ``{``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "palermo-audit-checkpoint/1"
_DOMAIN = b"palermo audit checkpoint v1\n"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_FIELDS = frozenset({"format", "seq", "hash", "at", "key_id", "sig"})


class CheckpointFormatError(ValueError):
    """A checkpoint line that is not a well-formed checkpoint."""


class KeyFileError(ValueError):
    """A key file that cannot be used (missing, wrong type, too open)."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: str  # when it was signed, UTC, microseconds: 2026-12-02T06:00:00.000000Z
    key_id: str
    sig: str  # base64 Ed25519 signature over signing_payload(...)


@dataclass(frozen=True)
class AnchorProblem:
    line: int  # line of the checkpoint log, from 1
    seq: int | None
    kind: str  # malformed | unknown_key | bad_signature | truncated | missing | rewritten | empty
    message: str


# --- keys -------------------------------------------------------------------


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint naming the key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def keypair_generate() -> tuple[bytes, bytes]:
    """A new key pair as PEM: (private PKCS#8, public SubjectPublicKeyInfo)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def private_key_load(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError("not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError("not an Ed25519 private key")
    return key


def public_key_load(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise KeyFileError("not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError("not an Ed25519 public key")
    return key


def keypair_write(private_path: Path, public_path: Path) -> str:
    """Write a new key pair (private key readable by its owner only); returns its key id.

    Never overwrites: an existing key may be the only one that verifies old checkpoints.
    """
    for path in (private_path, public_path):
        if path.exists():
            raise KeyFileError(f"{path} exists already; a key is never overwritten")
    private_pem, public_pem = keypair_generate()
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private_pem)
    fd = os.open(public_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(public_pem)
    return key_id(public_key_load(public_pem))


def private_key_read(path: Path) -> Ed25519PrivateKey:
    """Load the signing key, refusing a file that others than its owner may read (as ssh does)."""
    try:
        info = path.stat()
        pem = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from exc
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{path} is open to other users (mode {info.st_mode & 0o777:o}); chmod 600 it"
        )
    return private_key_load(pem)


def public_key_read(path: Path) -> Ed25519PublicKey:
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from exc
    return public_key_load(pem)


# --- checkpoints --------------------------------------------------------------


def canonical_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def signing_payload(*, seq: int, hash: str, at: str, key_id: str) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    body = {"format": FORMAT, "seq": seq, "hash": hash, "at": at, "key_id": key_id}
    return _DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":")).encode("ascii")


def checkpoint_sign(
    private_key: Ed25519PrivateKey, *, seq: int, head_hash: str, at: datetime
) -> Checkpoint:
    """Sign the head ``(seq, head_hash)`` as seen at ``at``."""
    if seq < 0 or not _HEX64.fullmatch(head_hash):
        raise ValueError("a head is a sequence number ≥ 0 and a 64-digit SHA-256 hex hash")
    kid = key_id(private_key.public_key())
    when = canonical_at(at)
    sig = private_key.sign(signing_payload(seq=seq, hash=head_hash, at=when, key_id=kid))
    return Checkpoint(
        seq=seq, hash=head_hash, at=when, key_id=kid, sig=base64.b64encode(sig).decode()
    )


def checkpoint_line(cp: Checkpoint) -> str:
    """One line of the checkpoint log (no newline)."""
    body = {
        "format": FORMAT,
        "seq": cp.seq,
        "hash": cp.hash,
        "at": cp.at,
        "key_id": cp.key_id,
        "sig": cp.sig,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def checkpoint_parse(line: str) -> Checkpoint:
    """Read one line; anything before the first ``{`` (a syslog prefix) is ignored."""
    start = line.find("{")
    if start < 0:
        raise CheckpointFormatError("no JSON object on the line")
    try:
        body = json.loads(line[start:])
    except ValueError as exc:
        raise CheckpointFormatError("not valid JSON") from exc
    if not isinstance(body, dict):
        raise CheckpointFormatError("not a JSON object")
    if set(body) != _FIELDS:
        raise CheckpointFormatError(f"fields must be exactly {', '.join(sorted(_FIELDS))}")
    if body["format"] != FORMAT:
        raise CheckpointFormatError(f"unknown format {str(body['format'])[:40]!r}")
    seq = body["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise CheckpointFormatError("seq must be a whole number ≥ 0")
    for name, pattern in (("hash", _HEX64), ("key_id", _KEY_ID), ("at", _AT)):
        if not isinstance(body[name], str) or not pattern.fullmatch(body[name]):
            raise CheckpointFormatError(f"{name} is malformed")
    if not isinstance(body["sig"], str):
        raise CheckpointFormatError("sig is malformed")
    try:
        raw = base64.b64decode(body["sig"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointFormatError("sig is not base64") from exc
    if len(raw) != 64:
        raise CheckpointFormatError("sig is not an Ed25519 signature")
    return Checkpoint(
        seq=seq, hash=body["hash"], at=body["at"], key_id=body["key_id"], sig=body["sig"]
    )


def signature_valid(cp: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    payload = signing_payload(seq=cp.seq, hash=cp.hash, at=cp.at, key_id=cp.key_id)
    try:
        public_key.verify(base64.b64decode(cp.sig), payload)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@dataclass(frozen=True)
class CheckpointLog:
    """A checkpoint log read and its signatures checked: what can be compared with the chain."""

    checkpoints: tuple[tuple[int, Checkpoint], ...]  # (line number, checkpoint), signature valid
    problems: tuple[AnchorProblem, ...]

    def wanted(self) -> frozenset[int]:
        """The sequence numbers whose hash the chain walk must report."""
        return frozenset(cp.seq for _, cp in self.checkpoints)


def checkpoint_log_read(
    lines: Iterable[str], public_keys: Iterable[Ed25519PublicKey]
) -> CheckpointLog:
    """Parse every line and check every signature; blank lines are skipped.

    Every other line must be a checkpoint: a line that cannot be read is a
    problem, never silently skipped (an altered line must not simply vanish).
    """
    keys = {key_id(k): k for k in public_keys}
    good: list[tuple[int, Checkpoint]] = []
    problems: list[AnchorProblem] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            cp = checkpoint_parse(raw)
        except CheckpointFormatError as exc:
            problems.append(
                AnchorProblem(number, None, "malformed", f"line {number}: not a checkpoint: {exc}")
            )
            continue
        key = keys.get(cp.key_id)
        if key is None:
            problems.append(
                AnchorProblem(
                    number,
                    cp.seq,
                    "unknown_key",
                    f"line {number}: signed by key {cp.key_id}, which is not among the public keys given",
                )
            )
        elif not signature_valid(cp, key):
            problems.append(
                AnchorProblem(
                    number,
                    cp.seq,
                    "bad_signature",
                    f"line {number}: signature does not match (checkpoint forged or altered)",
                )
            )
        else:
            good.append((number, cp))
    if not good and not problems:
        problems.append(AnchorProblem(0, None, "empty", "the checkpoint log holds no checkpoint"))
    return CheckpointLog(tuple(good), tuple(problems))


def checkpoints_compare(
    log: CheckpointLog, found: Mapping[int, str], last_seq: int
) -> list[AnchorProblem]:
    """Compare each signed checkpoint with the hash the chain holds at its ``seq``.

    ``found`` maps the checkpoints' sequence numbers to the hash of the entry
    the chain walk met there (absent: no such entry); ``last_seq`` is the
    highest ``seq`` met. A checkpoint at seq 0 anchors the empty trail.
    """
    problems: list[AnchorProblem] = []
    for line, cp in log.checkpoints:
        if cp.seq == 0:
            continue
        stored = found.get(cp.seq)
        if stored is None:
            if cp.seq > last_seq:
                message = (
                    f"line {line}: checkpoint of {cp.at} holds entry {cp.seq}, but the trail "
                    f"ends at entry {last_seq}: entries were removed from the end"
                )
                problems.append(AnchorProblem(line, cp.seq, "truncated", message))
            else:
                message = (
                    f"line {line}: checkpoint of {cp.at} holds entry {cp.seq}, which is missing"
                )
                problems.append(AnchorProblem(line, cp.seq, "missing", message))
        elif stored != cp.hash:
            message = (
                f"line {line}: entry {cp.seq} no longer has the hash signed at {cp.at}: "
                "the trail was rewritten"
            )
            problems.append(AnchorProblem(line, cp.seq, "rewritten", message))
    return problems


def latest(log: CheckpointLog) -> Checkpoint | None:
    """The checkpoint with the highest ``seq`` (the newest anchor)."""
    return max((cp for _, cp in log.checkpoints), key=lambda cp: (cp.seq, cp.at), default=None)
