"""Encryption at rest of personal fields (docs/security.md, "Encryption at rest").

The database alone — rows read with raw SQL, or a dump — holds none of the demo's
identity numbers, phones, e-mails, addresses, names or note texts, while the case
page and the API still show them to those entitled to see them.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from typer.testing import CliRunner

from palermo.cases.models import Case, CaseEvent, IdentificationDecision, Person, ServiceReferral
from palermo.core import encryption, fieldcrypt
from palermo.core.models import AuditEntry
from tests.waits import WAIT_SECONDS

SRC = Path(__file__).resolve().parents[2] / "src"


def _secrets() -> dict[str, set[str]]:
    """The demo's personal values, read through the application (decrypted)."""
    out: dict[str, set[str]] = {
        k: set()
        for k in (
            "identity_number",
            "phone",
            "email",
            "street",
            "postal_code",
            "note",
            "reasons",
            "summary",
        )
    }
    for p in Person.objects.all():
        for f in ("identity_number", "phone", "email", "street", "postal_code"):
            if getattr(p, f):
                out[f].add(getattr(p, f))
    out["note"] = {e.text for e in CaseEvent.objects.filter(kind="note")}
    out["reasons"] = {d.reasons for d in IdentificationDecision.objects.all()}
    out["summary"] = {c.summary for c in Case.objects.all() if c.summary}
    return out


def _dump() -> str:
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    s = connection.settings_dict
    args = [pg_dump, "--data-only", "-d", s["NAME"]]
    if s.get("HOST"):
        args += ["-h", s["HOST"]]
    if s.get("USER"):
        args += ["-U", s["USER"]]
    return subprocess.run(  # noqa: S603 – our own pg_dump and arguments
        args, capture_output=True, text=True, check=True, timeout=WAIT_SECONDS
    ).stdout


@pytest.mark.django_db(transaction=True)
def test_raw_rows_and_a_dump_hold_no_personal_value_but_the_app_shows_them(demo_cases, client):
    secrets = _secrets()
    # the demo has each kind of value (otherwise this test proves nothing)
    for kind, values in secrets.items():
        assert len(values) >= 3, kind
    everything = {v for values in secrets.values() for v in values}

    with connection.cursor() as cur:
        cur.execute("SELECT * FROM cases_person")
        cols = [c[0] for c in cur.description]
        rows = cur.fetchall()
    assert rows
    sealed = {
        "given_name",
        "family_name",
        "birthdate",
        "identity_number",
        "phone",
        "email",
        "street",
        "city",
        "postal_code",
    }
    for row in rows:
        for col, value in zip(cols, row, strict=True):
            if col in sealed:
                assert value in ("", None) or str(value).startswith("ev1:"), col
            assert not any(s in str(value) for s in everything), col
    with connection.cursor() as cur:
        cur.execute("SELECT text FROM cases_caseevent WHERE kind = 'note'")
        assert all(str(t).startswith("ev1:") for (t,) in cur.fetchall())

    dump = _dump()
    assert "cases_person" in dump and "ev1:" in dump
    leaked = sorted(s for s in everything if s in dump)
    assert leaked == [], leaked[:5]

    # The application still shows them, to the case team.
    person = next(p for p in Person.objects.select_related("case") if p.identity_number and p.phone)
    case = person.case
    from palermo.cases.selectors import case_visibility
    from palermo.core.models import User

    reader = next(
        u
        for u in User.objects.all()
        for m in u.memberships.select_related("organisation")
        if "case team" in case_visibility(u, m.organisation, case).basis
        and {"identity", "contact"} <= case_visibility(u, m.organisation, case).groups
    )
    client.force_login(reader)
    page = html.unescape(client.get(f"/cases/{case.reference}/").content.decode())
    assert person.identity_number in page and person.phone in page
    api = client.get(f"/api/v1/cases/{case.reference}").json()
    assert api["identity"]["identity_number"] == person.identity_number
    assert api["contact"]["phone"] == person.phone
    assert api["identity"]["given_name"] == person.given_name


@pytest.mark.django_db
def test_a_team_member_without_need_to_know_still_gets_no_identity(login_as):
    from tests.cases.cases_helpers import open_case

    case = open_case("police", person={"identity_number": "XK 1234 5678", "phone": "+12025550123"})
    client = login_as("police")
    body = client.get(f"/api/v1/cases/{case.reference}").json()
    assert body["identity"] is None and body["contact"] is None
    assert "XK 1234 5678" not in client.get(f"/cases/{case.reference}/").content.decode()


@pytest.mark.django_db
def test_sealed_values_cannot_be_moved_between_rows_or_replaced_by_plain_text(demo_world):
    from tests.cases.cases_helpers import open_case

    a = open_case(person={"identity_number": "AAA111", "phone": "+12025550111"})
    b = open_case(person={"identity_number": "BBB222", "phone": "+12025550122"})
    pa, pb = Person.objects.get(case=a), Person.objects.get(case=b)
    with connection.cursor() as cur:
        cur.execute("SELECT identity_number FROM cases_person WHERE id = %s", [pa.pk])
        token = cur.fetchone()[0]
        cur.execute("UPDATE cases_person SET identity_number = %s WHERE id = %s", [token, pb.pk])
        cur.execute(
            "UPDATE cases_person SET phone = %s WHERE id = %s", [token, pa.pk]
        )  # another column
    with pytest.raises(fieldcrypt.DecryptionError, match="altered or moved"):
        _ = Person.objects.get(pk=pb.pk).identity_number
    with pytest.raises(fieldcrypt.DecryptionError):
        _ = Person.objects.get(pk=pa.pk).phone
    assert (
        Person.objects.get(pk=pa.pk).identity_number == "AAA111"
    )  # the rest of the row still opens
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_person SET identity_number = 'planted' WHERE id = %s", [pa.pk])
    with pytest.raises(fieldcrypt.DecryptionError, match="not a ev1 ciphertext"):
        _ = Person.objects.get(pk=pa.pk).identity_number


@pytest.mark.django_db
def test_writes_through_the_orm_are_sealed_per_row_and_searchable_by_keyed_hash_only(demo_world):
    from tests.cases.cases_helpers import open_case

    cases = [open_case(person={"identity_number": f"ID-00{i}"}) for i in range(3)]
    # a query-set update seals each row under its own id
    Person.objects.filter(case__in=cases).update(phone="+12025550150", street="1 Sealed Street")
    for p in Person.objects.filter(case__in=cases):
        assert (p.phone, p.street) == ("+12025550150", "1 Sealed Street")
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM cases_person")
        tokens = [t for (t,) in cur.fetchall() if t]
    assert len(set(tokens)) == len(tokens) == 3 and all(t.startswith("ev1:") for t in tokens)
    # filtering by a plain value is refused rather than silently finding nothing
    with pytest.raises(TypeError, match="encrypted"):
        list(Person.objects.filter(phone="+12025550150"))
    # exact match through the keyed hash, whatever the spacing and case
    field = Person._meta.get_field("identity_number")
    found = Person.objects.filter(identity_number_index=encryption.index_value(field, "id 001"))
    assert [p.case_id for p in found] == [cases[1].pk]
    # changing the number keeps the hash in step; clearing it clears the hash
    Person.objects.filter(case=cases[1]).update(identity_number="")
    assert not Person.objects.filter(
        identity_number_index=encryption.index_value(field, "ID-001")
    ).exists()
    p = Person.objects.get(case=cases[2])
    p.identity_number = "NEW-9"
    p.save(update_fields=["identity_number"])
    assert (
        Person.objects.filter(identity_number_index=encryption.index_value(field, "new9")).get().pk
        == p.pk
    )


@pytest.mark.django_db
def test_the_data_migration_seals_plain_values_and_its_reverse_opens_them(demo_world):
    from tests.cases.cases_helpers import open_case

    case = open_case(person={"phone": "+12025550177"})
    pk = Person.objects.get(case=case).pk
    with connection.cursor() as cur:  # a row as it was before the migration
        cur.execute(
            "UPDATE cases_person SET identity_number = 'OLD 777', street = 'Old Street 1' WHERE id = %s",
            [pk],
        )
    encryption._seal_rows(
        connection, "cases_person", "identity_number", "identity_number_index", reverse=False
    )
    encryption._seal_rows(connection, "cases_person", "street", "", reverse=False)
    p = Person.objects.get(pk=pk)
    assert (p.identity_number, p.street, p.phone) == ("OLD 777", "Old Street 1", "+12025550177")
    assert p.identity_number_index == encryption.index_value(
        Person._meta.get_field("identity_number"), "old777"
    )
    encryption._seal_rows(connection, "cases_person", "street", "", reverse=True)
    with connection.cursor() as cur:
        cur.execute("SELECT street, identity_number FROM cases_person WHERE id = %s", [pk])
        street, number = cur.fetchone()
    assert street == "Old Street 1" and number.startswith("ev1:")


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "field-keys.json"
    fieldcrypt.write_key_file(path, fieldcrypt.new_key_file())
    with override_settings(PALERMO_FIELD_KEYS_FILE=str(path)):
        encryption.keyring(force=True)
        yield path
    encryption.keyring(force=True)


def _keys(*args: str):
    from palermo.cli import app

    return CliRunner().invoke(app, ["keys", *args])


@pytest.mark.django_db
def test_rotation_through_the_cli_keeps_everything_readable(demo_world, key_file):
    from palermo.cases import services
    from tests.cases.cases_helpers import acting, open_case

    first = json.loads(key_file.read_text())["primary"]
    cases = [
        open_case(person={"identity_number": f"R-{i}", "email": f"r{i}@example.org"})
        for i in range(3)
    ]
    actor, org = acting("outreach")
    for c in cases:
        services.note_add(
            actor=actor, organisation=org, case=c, text=f"Rotation note {c.reference}"
        )
    r = _keys("generate", "--add", "--out", str(key_file))
    assert r.exit_code == 0, r.output
    data = json.loads(key_file.read_text())
    second = data["primary"]
    assert second != first and set(data["keys"]) == {first, second}
    for secret in data["keys"].values():
        assert secret not in r.output
    # a running server re-reads the changed file within RECHECK_SECONDS; here at once
    encryption.keyring(force=True)
    # a value written now is sealed under the new key; the old ones still open
    late = open_case(person={"identity_number": "R-late"})
    assert (
        fieldcrypt.key_id_of(
            _raw("cases_person", "identity_number", Person.objects.get(case=late).pk)
        )
        == second
    )
    assert {p.identity_number for p in Person.objects.all()} >= {"R-0", "R-1", "R-2", "R-late"}
    # the old key cannot be retired while values use it
    r = _keys("retire", first)
    assert r.exit_code == 1 and "rotate" in r.output
    r = _keys("status")
    assert "Not yet rotated" in r.output and first in r.output
    r = _keys("rotate", "--batch-size", "2")
    assert r.exit_code == 0, r.output
    assert "re-wrapped" in r.output and "Every value is under the primary key" in r.output
    for col in encryption.key_status():
        assert set(col.by_key) <= {second}, (col.table, col.column, col.by_key)
        assert col.unreadable == 0
    r = _keys("rotate")  # resumable / idempotent: nothing left to do
    assert "0 value(s) re-wrapped" in r.output
    r = _keys("retire", first)
    assert r.exit_code == 0, r.output
    assert set(json.loads(key_file.read_text())["keys"]) == {second}
    assert sorted(p.identity_number for p in Person.objects.filter(case__in=cases)) == [
        "R-0",
        "R-1",
        "R-2",
    ]
    assert {e.text for e in CaseEvent.objects.filter(kind="note", case__in=cases)} == {
        f"Rotation note {c.reference}" for c in cases
    }
    # audited, with key ids only
    entries = list(AuditEntry.objects.filter(object_type="field_keys").order_by("id"))
    assert [e.details["what"] for e in entries] == [
        "rotation_started",
        "rotation_finished",
        "rotation_started",
        "rotation_finished",
        "key_retired",
    ]
    blob = json.dumps([e.details for e in entries])
    assert not any(secret in blob for secret in data["keys"].values())


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 – test constants
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_a_value_under_a_key_the_file_lacks_gives_a_clear_error(demo_world, key_file):
    from tests.cases.cases_helpers import open_case

    case = open_case(person={"identity_number": "LOST-1"})
    other = fieldcrypt.new_key_file()
    fieldcrypt.write_key_file(key_file, other)
    encryption.keyring(force=True)
    with pytest.raises(fieldcrypt.UnknownKeyError, match=str(key_file)):
        _ = Person.objects.get(case=case).identity_number
    r = _keys("status")
    assert r.exit_code == 1 and "does not hold" in r.output


@pytest.mark.django_db
def test_servers_pick_up_a_key_added_to_the_file_without_restart(demo_world, key_file):
    from tests.cases.cases_helpers import open_case

    old_ring = encryption.keyring()
    data, kid = fieldcrypt.add_key(fieldcrypt.read_key_file(key_file), make_primary=True)
    # another server writes with the new key …
    fieldcrypt.write_key_file(key_file, data)
    case = open_case()
    pk = Person.objects.get(case=case).pk
    token = fieldcrypt.encrypt(
        fieldcrypt.ring_from_data(data),
        "+12025550188",
        fieldcrypt.context("cases_person", "phone", pk),
    )
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_person SET phone = %s WHERE id = %s", [token, pk])
    assert kid not in old_ring.key_ids()
    # … and this one, whose cached ring lacks it, reads the file again
    assert Person.objects.get(pk=pk).phone == "+12025550188"


def _python(
    env_extra: dict[str, str], code: str, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PALERMO_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        {
            "PYTHONPATH": str(SRC),
            "SECRET_KEY": "x" * 60,
            "PALERMO_VAR_DIR": str(tmp_path),
            **env_extra,
        }
    )
    return subprocess.run(  # noqa: S603 – our own interpreter and code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=WAIT_SECONDS,
        cwd=tmp_path,
    )


def test_production_refuses_to_start_without_its_key_file_and_the_demo_makes_its_own(tmp_path):
    load = "import palermo.settings as s; print(s.PALERMO_FIELD_KEYS_FILE)"
    r = _python({}, load, tmp_path)
    assert r.returncode != 0 and "PALERMO_FIELD_KEYS_FILE is not set" in r.stderr
    missing = tmp_path / "nowhere.json"
    r = _python({"PALERMO_FIELD_KEYS_FILE": str(missing)}, load, tmp_path)
    assert r.returncode != 0 and "does not exist" in r.stderr
    # `palermo keys generate` works before the settings can load
    gen = f"from palermo.cli import app; app(['keys', 'generate', '--out', {str(missing)!r}])"
    r = _python({}, gen, tmp_path)
    assert "written to" in r.stdout, r.stderr
    assert oct(missing.stat().st_mode & 0o777) == "0o600"
    r = _python({"PALERMO_FIELD_KEYS_FILE": str(missing)}, load, tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == str(missing)
    # the demo: a key file of its own in var/, created on first use
    demo = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'palermo.settings'; django.setup();"
        "from palermo.core.encryption import keyring; print(keyring().primary_key_id)"
    )
    r = _python({"PALERMO_DEMO": "1"}, demo, tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "field-keys.json").is_file()
    assert r.stdout.strip() == json.loads((tmp_path / "field-keys.json").read_text())["primary"]


@pytest.mark.django_db
def test_screening_answers_and_investigation_parties_are_sealed(demo_world):
    from palermo.investigate.models import Investigation, InvestigationParty
    from palermo.screening.models import Screening
    from tests.cases.cases_helpers import acting

    actor, org = acting("outreach")
    s = Screening.objects.create(
        reference="SCR-TEST-0001",
        organisation=org,
        created_by=actor,
        answers={"notes": "Met near the old mill; scared of the boss"},
    )
    assert (
        Screening.objects.get(pk=s.pk).answers["notes"]
        == "Met near the old mill; scared of the boss"
    )
    assert "old mill" not in _raw("screening_screening", "answers", s.pk)
    from django.utils import timezone

    inv = Investigation.objects.create(
        reference="INV-T-1",
        title="t",
        organisation=org,
        workspace_file="x.duckdb",
        created_at=timezone.now(),
    )
    party = InvestigationParty.objects.create(
        investigation=inv,
        party_id="P1",
        name="Ivo Example",
        phone="+12025550100",
        email="ivo@example.org",
        address="2 Hidden Road",
        created_at=timezone.now(),
    )
    for col in ("name", "phone", "email", "address"):
        assert _raw("investigate_investigationparty", col, party.pk).startswith("ev1:")
    assert InvestigationParty.objects.get(pk=party.pk).address == "2 Hidden Road"


@pytest.mark.django_db
def test_ids_are_reserved_before_the_insert_and_never_reused(demo_world):
    ids = encryption.reserve_ids(CaseEvent, 3)
    assert ids == sorted(ids) and len(set(ids)) == 3
    again = encryption.reserve_ids(CaseEvent, 2)
    assert min(again) > max(ids)
    assert ServiceReferral.objects.count() == 0  # nothing written by reserving


@pytest.mark.django_db
def test_rotation_matches_key_ids_literally(demo_world, key_file):
    from tests.cases.cases_helpers import open_case

    data = fieldcrypt.read_key_file(key_file)
    key = next(iter(data["keys"].values()))
    other = fieldcrypt.new_key_file()["keys"].popitem()[1]
    # "k_1" as a LIKE pattern would also match "kx1": the rotation must not skip its values
    data.update(keys={"kx1": key, "k_1": other}, primary="kx1")
    fieldcrypt.write_key_file(key_file, data)
    encryption.keyring(force=True)
    case = open_case(person={"identity_number": "LIKE-1"})
    pk = Person.objects.get(case=case).pk
    assert fieldcrypt.key_id_of(_raw("cases_person", "identity_number", pk)) == "kx1"
    data["primary"] = "k_1"
    fieldcrypt.write_key_file(key_file, data)
    totals = encryption.rotate(batch_size=10)
    assert totals["cases_person.identity_number"] >= 1
    assert fieldcrypt.key_id_of(_raw("cases_person", "identity_number", pk)) == "k_1"
    assert Person.objects.get(pk=pk).identity_number == "LIKE-1"


@pytest.mark.django_db
def test_a_copied_row_cannot_carry_the_sealed_values_of_its_original(demo_world):
    from palermo.investigate.models import Investigation
    from tests.cases.cases_helpers import acting, open_case

    open_case()
    actor, org = acting("outreach")
    from django.utils import timezone

    inv = Investigation.objects.create(
        reference="INV-T-2",
        title="t",
        organisation=org,
        workspace_file="y.duckdb",
        created_at=timezone.now(),
    )
    from palermo.investigate.models import InvestigationParty

    InvestigationParty.objects.create(
        investigation=inv, party_id="P1", name="Original", created_at=timezone.now()
    )
    copy = InvestigationParty.objects.get(party_id="P1")
    copy.pk, copy.party_id = None, "P2"
    copy._state.adding = True
    with pytest.raises(fieldcrypt.FieldCryptError, match="copied row"):
        copy.save()
    copy = InvestigationParty.objects.get(party_id="P1")
    name = copy.name  # opened: the plain value travels with the copy
    copy.pk, copy.party_id = None, "P2"
    copy._state.adding = True
    copy.save()
    assert InvestigationParty.objects.get(party_id="P2").name == name == "Original"


@pytest.mark.django_db
def test_bulk_create_and_bulk_update_seal_each_row(demo_world):
    from django.utils import timezone

    from palermo.cases.models import TraffickingEvent
    from tests.cases.cases_helpers import open_case

    case = open_case()
    rows = TraffickingEvent.objects.bulk_create(
        [
            TraffickingEvent(
                case=case,
                event_type="Transit",
                description=f"Crossed at point {i}",
                recorded_at=timezone.now(),
            )
            for i in range(3)
        ]
    )
    assert all(r.pk for r in rows)
    tokens = {_raw("cases_traffickingevent", "description", r.pk) for r in rows}
    assert len(tokens) == 3 and all(t.startswith("ev1:") and "point" not in t for t in tokens)
    assert sorted(e.description for e in TraffickingEvent.objects.filter(case=case)) == [
        f"Crossed at point {i}" for i in range(3)
    ]
    for r in rows:
        r.description = r.description.replace("Crossed", "Held")
    TraffickingEvent.objects.bulk_update(rows, ["description"])
    assert sorted(e.description for e in TraffickingEvent.objects.filter(case=case)) == [
        f"Held at point {i}" for i in range(3)
    ]
