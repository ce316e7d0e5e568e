"""The backup archive (pure): what its manifest promises is what it holds, or it is refused."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.core import archive

HEAD = (12, "a" * 64)


def make(tmp_path, members=None, vendor="sqlite"):
    members = members or {
        "database.sqlite3": b"SQLite format 3\x00" + bytes(range(256)) * 8,
        "audit-checkpoints.jsonl": b'{"seq": 1}\n',
        "field-keys.json": b'{"key_ids": ["k1"]}',
    }
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    files = {}
    for name, data in members.items():
        (src / name).write_bytes(data)
        files[name] = src / name
    manifest = archive.manifest_build(
        vendor=vendor,
        created_at="2026-12-02T06:00:00.000000Z",
        palermo_version="0.1.0",
        audit_head=HEAD,
        members={n: archive.file_digest(p) for n, p in files.items()},
    )
    path = tmp_path / "backup.tar"
    archive.archive_write(path, manifest, files)
    return path, manifest, members


def read(tmp_path, path):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return archive.archive_read(path, out)


def test_round_trip(tmp_path):
    path, manifest, members = make(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600  # it holds personal data
    got, files = read(tmp_path, path)
    assert got == manifest
    assert files.pop("manifest.json").read_bytes() == archive.manifest_bytes(manifest)
    assert {n: p.read_bytes() for n, p in files.items()} == members
    assert got["audit_head"] == {"seq": 12, "hash": "a" * 64}


def test_manifest_comes_first(tmp_path):
    path, _, _ = make(tmp_path)
    with tarfile.open(path) as tar:
        assert tar.getnames()[0] == "manifest.json"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(data=st.data())
def test_any_changed_byte_in_any_member_is_refused(tmp_path_factory, data):
    work = tmp_path_factory.mktemp("flip")
    path, _, _ = make(work)
    raw = bytearray(path.read_bytes())
    with tarfile.open(path) as tar:
        members = [m for m in tar.getmembers() if m.name != "manifest.json"]
    member = data.draw(st.sampled_from(members))
    i = member.offset_data + data.draw(st.integers(0, member.size - 1))
    raw[i] ^= data.draw(st.integers(1, 255))
    damaged = work / "damaged.tar"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(archive.ArchiveError, match=f"{member.name}: content differs"):
        read(work, damaged)


def _rewrite(path, tmp_path, change):
    """Copy the archive through ``change(list of (TarInfo, bytes))``."""
    with tarfile.open(path) as tar:
        items = [(m, tar.extractfile(m).read() if m.isreg() else b"") for m in tar.getmembers()]
    items = change(items)
    out = tmp_path / "changed.tar"
    with tarfile.open(out, "w") as tar:
        for info, data in items:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out


def _manifest_edit(edit):
    def change(items):
        out = []
        for info, data in items:
            if info.name == "manifest.json":
                m = json.loads(data)
                edit(m)
                data = json.dumps(m).encode()
            out.append((info, data))
        return out

    return change


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda items: [i for i in items if i[0].name != "audit-checkpoints.jsonl"],
            "missing from the archive",
        ),
        (lambda items: [i for i in items if i[0].name != "manifest.json"], "no manifest"),
        (lambda items: items + [items[1]], "appears twice"),
        (
            lambda items: items + [(tarfile.TarInfo("../../etc/cron.d/x"), b"boom")],
            "unexpected member",
        ),
        (lambda items: items + [(tarfile.TarInfo("notes.txt"), b"hi")], "unexpected member"),
        (
            _manifest_edit(lambda m: m["members"].pop("field-keys.json")),
            "in the archive but not in the manifest",
        ),
        (_manifest_edit(lambda m: m.update(format="other/1")), "not a Palermo backup"),
        (_manifest_edit(lambda m: m["database"].update(vendor="oracle")), "known database vendor"),
        (_manifest_edit(lambda m: m["audit_head"].update(seq="12")), "audit head is malformed"),
        (
            _manifest_edit(lambda m: m["members"]["field-keys.json"].update(size=1)),
            "field-keys.json: content differs",
        ),
    ],
)
def test_damaged_or_foreign_archives_are_refused(tmp_path, change, message):
    path, _, _ = make(tmp_path)
    with pytest.raises(archive.ArchiveError, match=message):
        read(tmp_path, _rewrite(path, tmp_path, change))


def test_a_symlink_member_is_refused(tmp_path):
    path, _, _ = make(tmp_path)

    def add_link(items):
        link = tarfile.TarInfo("field-keys.json")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        return [i for i in items if i[0].name != "field-keys.json"] + [(link, b"")]

    with pytest.raises(archive.ArchiveError, match="unexpected member"):
        read(tmp_path, _rewrite(path, tmp_path, add_link))


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    bad = tmp_path / "x.tar"
    bad.write_bytes(b"not a tar file at all" * 100)
    with pytest.raises(archive.ArchiveError):
        read(tmp_path, bad)


def test_an_existing_file_is_never_overwritten(tmp_path):
    path, manifest, _ = make(tmp_path)
    with pytest.raises(FileExistsError):
        archive.archive_write(path, manifest, {})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"vendor": "mysql"},
        {"members": {}},
        {
            "members": {
                "database.sqlite3": archive.Digest("0" * 64, 1),
                "evil": archive.Digest("0" * 64, 1),
            }
        },
    ],
)
def test_manifest_build_refuses_what_restore_would_refuse(kwargs):
    args = {
        "vendor": "sqlite",
        "created_at": "x",
        "palermo_version": "0",
        "audit_head": HEAD,
        "members": {"database.sqlite3": archive.Digest("0" * 64, 1)},
        **kwargs,
    }
    with pytest.raises(ValueError):
        archive.manifest_build(**args)


def test_a_signed_manifest_vouches_for_exactly_its_bytes(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    raw = archive.manifest_bytes({"format": archive.FORMAT, "members": {}})
    sig = archive.manifest_sign(key, raw)
    assert archive.manifest_signature_problem(raw, sig, [key.public_key()]) is None
    assert "does not match" in archive.manifest_signature_problem(
        raw.replace(b"members", b"memberz"), sig, [key.public_key()]
    )
    assert "not by the configured public key" in archive.manifest_signature_problem(
        raw, sig, [other.public_key()]
    )
    assert "malformed" in archive.manifest_signature_problem(raw, b"{}", [key.public_key()])


def test_the_signature_member_is_not_a_listed_member(tmp_path):
    with pytest.raises(ValueError):
        archive.manifest_build(
            vendor="sqlite",
            created_at="x",
            palermo_version="0",
            audit_head=HEAD,
            members={
                "database.sqlite3": archive.Digest("0" * 64, 1),
                "manifest.sig": archive.Digest("0" * 64, 1),
            },
        )
