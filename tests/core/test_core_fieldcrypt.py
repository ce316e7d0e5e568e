"""The pure envelope-encryption core (palermo.core.fieldcrypt): no Django, no database."""

from __future__ import annotations

import json
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.core import fieldcrypt as fc


def ring_from(data: dict) -> fc.LocalKeyRing:
    return fc.ring_from_data(data)


@pytest.fixture(scope="module")
def keyfile() -> dict:
    return fc.new_key_file()


@pytest.fixture(scope="module")
def ring(keyfile) -> fc.LocalKeyRing:
    return ring_from(keyfile)


CTX = fc.context("cases_person", "phone", 7)
contexts = st.tuples(
    st.sampled_from(["cases_person", "cases_caseevent"]),
    st.sampled_from(["phone", "text"]),
    st.integers(min_value=1, max_value=10**12),
)


@given(text=st.text(max_size=300), where=contexts)
def test_round_trip_any_text_anywhere(ring, text, where):
    ctx = fc.context(*where)
    token = fc.encrypt(ring, text, ctx)
    assert token.startswith("ev1:" + ring.primary_key_id + ":")
    assert fc.decrypt(ring, token, ctx) == text
    if len(text) >= 4:
        assert text not in token


def test_each_value_has_its_own_data_key_and_nonce(ring):
    a, b = fc.encrypt(ring, "+12025550123", CTX), fc.encrypt(ring, "+12025550123", CTX)
    assert a != b
    assert a.split(":")[2] != b.split(":")[2] and a.split(":")[3] != b.split(":")[3]


@given(text=st.text(min_size=1, max_size=50), data=st.data())
def test_any_altered_character_is_refused(ring, text, data):
    token = fc.encrypt(ring, text, CTX)
    prefix = len("ev1:") + len(ring.primary_key_id) + 1
    i = data.draw(st.integers(min_value=prefix, max_value=len(token) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    new = data.draw(st.sampled_from(alphabet).filter(lambda c: c != token[i]))
    bad = token[:i] + new + token[i + 1 :]
    try:
        out = fc.decrypt(ring, bad, CTX)
    except fc.FieldCryptError:
        return
    # only the unused low bits of the last base64 character may change without changing a byte
    assert out == text and i == len(token) - 1


@pytest.mark.parametrize(
    "other",
    [
        fc.context("cases_person", "phone", 8),  # another row
        fc.context("cases_person", "email", 7),  # another column
        fc.context("cases_caseevent", "phone", 7),  # another table
    ],
)
def test_a_value_moved_elsewhere_is_refused(ring, other):
    token = fc.encrypt(ring, "DEMO12345678", CTX)
    with pytest.raises(fc.DecryptionError, match="altered or moved"):
        fc.decrypt(ring, token, other)


def test_body_of_one_value_under_the_data_key_of_another_is_refused(ring):
    a = fc.encrypt(ring, "first", CTX).split(":")
    b = fc.encrypt(ring, "second", CTX).split(":")
    with pytest.raises(fc.DecryptionError):
        fc.decrypt(ring, ":".join([a[0], a[1], a[2], b[3]]), CTX)


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "plain text",
        "ev1:",
        "ev1:k:AAAA",
        "ev1:k:!!:AAAA",
        "ev2:k:AAAA:AAAA",
        "ev1:bad id:AAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_what_is_not_a_ciphertext_is_refused(ring, junk):
    with pytest.raises(fc.DecryptionError, match="not a ev1 ciphertext"):
        fc.decrypt(ring, junk, CTX)


def test_unknown_key_id_names_the_id_and_the_file(keyfile):
    other = fc.new_key_file()
    token = fc.encrypt(ring_from(other), "x", CTX)
    r = fc.ring_from_data(keyfile, source="/etc/palermo/field-keys.json")
    with pytest.raises(fc.UnknownKeyError) as err:
        fc.decrypt(r, token, CTX)
    msg = str(err.value)
    assert (
        other["primary"] in msg
        and "/etc/palermo/field-keys.json" in msg
        and keyfile["primary"] in msg
    )


def test_a_key_with_the_right_id_but_the_wrong_material_is_refused(keyfile):
    token = fc.encrypt(ring_from(keyfile), "x", CTX)
    forged = json.loads(json.dumps(keyfile))
    forged["keys"][keyfile["primary"]] = fc.new_key_file()["keys"].popitem()[1]
    with pytest.raises(fc.DecryptionError):
        fc.decrypt(ring_from(forged), token, CTX)


@given(texts=st.lists(st.text(max_size=40), min_size=1, max_size=8))
def test_rotation_keeps_every_value_readable_and_moves_it_to_the_new_key(keyfile, texts):
    old = ring_from(keyfile)
    tokens = [fc.encrypt(old, t, fc.context("t", "c", i)) for i, t in enumerate(texts)]
    data, kid = fc.add_key(keyfile, make_primary=True)
    new = ring_from(data)
    assert new.primary_key_id == kid != old.primary_key_id
    # readers with the new file accept both keys
    assert [fc.decrypt(new, tok, fc.context("t", "c", i)) for i, tok in enumerate(tokens)] == texts
    rewrapped = [fc.rewrap(new, tok, fc.context("t", "c", i)) for i, tok in enumerate(tokens)]
    assert all(fc.key_id_of(tok) == kid for tok in rewrapped)
    # the body is kept: only the data key is re-wrapped
    assert [t.split(":")[3] for t in rewrapped] == [t.split(":")[3] for t in tokens]
    # once the old key is retired, the rotated values still open
    del data["keys"][keyfile["primary"]]
    retired = ring_from(data)
    assert [
        fc.decrypt(retired, tok, fc.context("t", "c", i)) for i, tok in enumerate(rewrapped)
    ] == texts
    with pytest.raises(fc.UnknownKeyError):
        fc.decrypt(retired, tokens[0], fc.context("t", "c", 0))


def test_rewrap_of_a_value_moved_elsewhere_is_refused(keyfile):
    token = fc.encrypt(ring_from(keyfile), "x", CTX)
    data, _ = fc.add_key(keyfile, make_primary=True)
    with pytest.raises(fc.DecryptionError):
        fc.rewrap(ring_from(data), token, fc.context("cases_person", "phone", 8))


def test_add_key_without_primary_keeps_the_primary(keyfile):
    data, kid = fc.add_key(keyfile, make_primary=False)
    assert data["primary"] == keyfile["primary"] and kid in data["keys"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(primary="nope"), "primary key id"),
        (lambda d: d.update(keys={}), "expected"),
        (lambda d: d["keys"].update({"k1": "AAAA"}), "not 32 bytes"),
        (lambda d: d["keys"].update({"bad id!": d["keys"][d["primary"]]}), "key id"),
        (lambda d: d["keys"].update({"k1": "***"}), "base64"),
        (lambda d: d.pop("index_key"), "index_key"),
    ],
)
def test_malformed_key_files_are_refused_with_the_reason(keyfile, mutate, message):
    data = json.loads(json.dumps(keyfile))
    mutate(data)
    with pytest.raises(fc.KeyFileError, match=message):
        fc.ring_from_data(data)


def test_key_file_is_written_owner_only_and_never_printed(tmp_path, keyfile):
    path = tmp_path / "keys" / "field-keys.json"
    fc.write_key_file(path, keyfile)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert fc.key_file_problems(path) == []
    r = fc.load_key_file(path)
    assert r.primary_key_id == keyfile["primary"]
    for key in keyfile["keys"].values():
        assert key not in repr(r) and key not in str(r)
    path.chmod(0o644)
    assert "chmod 600" in fc.key_file_problems(path)[0]


def test_missing_or_broken_key_file(tmp_path):
    with pytest.raises(fc.KeyFileError, match="does not exist"):
        fc.load_key_file(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(fc.KeyFileError, match="cannot be read"):
        fc.load_key_file(tmp_path / "bad.json")
    with pytest.raises(fc.KeyFileError):
        fc.write_key_file(tmp_path / "x.json", {"keys": {}})
    assert not (tmp_path / "x.json").exists()


def test_a_row_without_an_id_cannot_be_sealed():
    with pytest.raises(fc.FieldCryptError, match="once its row has an id"):
        fc.context("cases_person", "phone", None)


@given(
    value=st.text(alphabet="ABCDEFGHJK0123456789", min_size=3, max_size=20),
    sep=st.sampled_from([" ", "-", ".", "/", "  "]),
)
def test_blind_index_ignores_case_spacing_and_separators(ring, value, sep):
    spaced = sep.join(value[i : i + 3] for i in range(0, len(value), 3)).lower()
    purpose = "cases_person.identity_number"
    assert fc.blind_index(ring.index_key, purpose, spaced) == fc.blind_index(
        ring.index_key, purpose, value
    )


def test_blind_index_is_keyed_and_separated_by_purpose(ring):
    other = ring_from(fc.new_key_file())
    a = fc.blind_index(ring.index_key, "cases_person.identity_number", "AB123")
    assert len(a) == 64 and "AB123" not in a
    assert a != fc.blind_index(other.index_key, "cases_person.identity_number", "AB123")
    assert a != fc.blind_index(ring.index_key, "cases_person.phone", "AB123")
    assert a != fc.blind_index(ring.index_key, "cases_person.identity_number", "AB124")
    assert fc.blind_index(ring.index_key, "x", " - ") == ""


def test_exclusive_creation_never_replaces_a_key_file(tmp_path):
    path = tmp_path / "field-keys.json"
    first, second = fc.new_key_file(), fc.new_key_file()
    assert fc.write_key_file(path, first, exclusive=True) is True
    assert fc.write_key_file(path, second, exclusive=True) is False
    assert fc.load_key_file(path).primary_key_id == first["primary"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "field-keys.json"
    ]  # no temporary file left
