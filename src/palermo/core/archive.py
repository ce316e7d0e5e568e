"""The backup archive: a tar file of named members and a manifest of their SHA-256 (pure: no Django).

Layout (``palermo backup``)::

    manifest.json             format, when, Palermo version, database vendor, audit head,
                              and {member: {sha256, size}} for every other member
    manifest.sig              Ed25519 signature of manifest.json with the audit signing key,
                              when the deployment has one
    database.pgdump           PostgreSQL: pg_dump custom format   (or)
    database.sqlite3          SQLite: a copy made with SQLite's online backup API
    audit-checkpoints.jsonl   the audit checkpoint log, if one is configured
    field-keys.json           references (ids) of the field-encryption keys — never key material

Reading never extracts by the names inside the archive: only the member names above
are accepted, each written under a fixed name in a directory the caller chooses, and
hashed on the way. The manifest detects damage and mix-ups; its signature, made with the
audit signing key kept outside the database, also detects a forger who rewrites a member
and the manifest together (unsigned archives cannot: keep them where only the backup
operator can write).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from palermo.core.anchor import key_id

FORMAT = "palermo-backup/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_SIGNED = b"palermo backup manifest v1\n"
DATABASE_MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
OPTIONAL_MEMBERS = ("audit-checkpoints.jsonl", "field-keys.json")
ALLOWED = frozenset({MANIFEST, SIGNATURE, *DATABASE_MEMBERS.values(), *OPTIONAL_MEMBERS})
_NOT_LISTED = frozenset({MANIFEST, SIGNATURE})
_CHUNK = 1 << 20
_MANIFEST_LIMIT = 1 << 20


class ArchiveError(ValueError):
    """An archive that must not be restored (damaged, incomplete, not Palermo's)."""


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int


def file_digest(path: Path) -> Digest:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return Digest(h.hexdigest(), size)


def manifest_build(
    *,
    vendor: str,
    created_at: str,
    palermo_version: str,
    audit_head: tuple[int, str],
    members: Mapping[str, Digest],
) -> dict[str, Any]:
    if vendor not in DATABASE_MEMBERS:
        raise ValueError(f"no backup format for database {vendor!r}")
    unknown = set(members) - ALLOWED
    if unknown or _NOT_LISTED & set(members):
        raise ValueError(f"not archive members: {sorted(unknown | (_NOT_LISTED & set(members)))}")
    if DATABASE_MEMBERS[vendor] not in members:
        raise ValueError("the database member is missing")
    return {
        "format": FORMAT,
        "created_at": created_at,
        "palermo_version": palermo_version,
        "database": {"vendor": vendor, "member": DATABASE_MEMBERS[vendor]},
        "audit_head": {"seq": audit_head[0], "hash": audit_head[1]},
        "members": {
            name: {"sha256": d.sha256, "size": d.size} for name, d in sorted(members.items())
        },
    }


def manifest_check(manifest: Any, found: Mapping[str, Digest]) -> list[str]:
    """Every reason not to trust the archive; empty when each member is exactly as listed."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return [f"not a Palermo backup (manifest format is not {FORMAT})"]
    problems: list[str] = []
    listed = manifest.get("members")
    database = manifest.get("database")
    head = manifest.get("audit_head")
    if not isinstance(listed, dict) or not all(isinstance(v, dict) for v in listed.values()):
        return ["the manifest's member list is malformed"]
    vendor = database.get("vendor") if isinstance(database, dict) else None
    if (
        not isinstance(database, dict)
        or not isinstance(vendor, str)
        or (DATABASE_MEMBERS.get(vendor) != database.get("member"))
    ):
        problems.append("the manifest does not name a known database vendor and its member")
    elif database["member"] not in listed:
        problems.append(f"the manifest does not list the database member {database['member']}")
    if (
        not isinstance(head, dict)
        or not isinstance(head.get("seq"), int)
        or not isinstance(head.get("hash"), str)
    ):
        problems.append("the manifest's audit head is malformed")
    for name, want in sorted(listed.items()):
        got = found.get(name)
        if name not in ALLOWED or name in _NOT_LISTED:
            problems.append(f"{name}: not a member a Palermo backup has")
        elif got is None:
            problems.append(f"{name}: listed in the manifest but missing from the archive")
        elif got.sha256 != want.get("sha256") or got.size != want.get("size"):
            problems.append(f"{name}: content differs from the manifest (SHA-256 mismatch)")
    for name in sorted(set(found) - set(listed) - _NOT_LISTED):
        problems.append(f"{name}: in the archive but not in the manifest")
    return problems


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest exactly as written (and signed)."""
    return json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")


def manifest_sign(private_key: Ed25519PrivateKey, raw: bytes) -> bytes:
    """The content of ``manifest.sig`` for the manifest bytes ``raw``."""
    sig = private_key.sign(_SIGNED + raw)
    body = {"key_id": key_id(private_key.public_key()), "sig": base64.b64encode(sig).decode()}
    return json.dumps(body, sort_keys=True).encode("ascii")


def manifest_signature_problem(
    raw: bytes, signature: bytes, public_keys: list[Ed25519PublicKey]
) -> str | None:
    """Why the signature does not vouch for the manifest bytes ``raw``; None when it does."""
    try:
        body = json.loads(signature)
        kid, sig = body["key_id"], base64.b64decode(body["sig"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return "the manifest signature is malformed"
    key = {key_id(k): k for k in public_keys}.get(kid)
    if key is None:
        return f"the manifest is signed by key {str(kid)[:16]}, not by the configured public key"
    try:
        key.verify(sig, _SIGNED + raw)
    except InvalidSignature:
        return "the manifest signature does not match: manifest altered or forged"
    return None


def archive_write(
    path: Path,
    manifest: Mapping[str, Any],
    files: Mapping[str, Path],
    signature: bytes | None = None,
) -> None:
    """Write the tar file (readable by its owner only): the manifest (and its signature)
    first, then the members."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with (
        os.fdopen(fd, "wb") as raw,
        tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        heads = [(MANIFEST, manifest_bytes(manifest))]
        if signature is not None:
            heads.append((SIGNATURE, signature))
        for name, data in heads:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
        for name, source in sorted(files.items()):
            if name not in ALLOWED or name in _NOT_LISTED:
                raise ValueError(f"not an archive member: {name}")
            info = tar.gettarinfo(str(source), arcname=name)
            info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
            with source.open("rb") as f:
                tar.addfile(info, f)


def archive_read(path: Path, into: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    """Extract an archive into the directory ``into`` and check it against its manifest.

    Returns (manifest, {member name: extracted path}, including the manifest's own bytes
    and ``manifest.sig`` if present); raises ``ArchiveError`` with every problem found,
    before anything else is touched. Checking the signature is the caller's: it holds the
    public keys.
    """
    found: dict[str, Digest] = {}
    paths: dict[str, Path] = {}
    manifest: Any = None
    try:
        tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 (closed by the `with tar` below)
    except (OSError, tarfile.TarError) as exc:
        raise ArchiveError(f"cannot open {path} as a backup archive: {exc}") from exc
    with tar:
        try:
            for member in tar:
                name = member.name
                if name not in ALLOWED or not member.isreg():
                    raise ArchiveError(f"unexpected member {name[:80]!r} in the archive")
                if name in found or (name == MANIFEST and manifest is not None):
                    raise ArchiveError(f"member {name} appears twice")
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover – isreg() members always have data
                    raise ArchiveError(f"member {name} has no data")
                if name == MANIFEST:
                    if member.size > _MANIFEST_LIMIT:
                        raise ArchiveError("the manifest is too large")
                    raw_manifest = source.read()
                    try:
                        manifest = json.loads(raw_manifest)
                    except ValueError as exc:
                        raise ArchiveError("the manifest is not valid JSON") from exc
                    (into / MANIFEST).write_bytes(raw_manifest)
                    paths[MANIFEST] = into / MANIFEST
                    continue
                target = into / name
                h = hashlib.sha256()
                size = 0
                with target.open("wb") as out:
                    while chunk := source.read(_CHUNK):
                        h.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                found[name] = Digest(h.hexdigest(), size)
                paths[name] = target
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise ArchiveError(f"the archive is damaged: {exc}") from exc
    if manifest is None:
        raise ArchiveError("the archive has no manifest")
    problems = manifest_check(manifest, found)
    if problems:
        raise ArchiveError("; ".join(problems))
    return manifest, paths
