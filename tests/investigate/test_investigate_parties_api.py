"""People and companies from case work through the API: add, list, take over from linked
cases — need-to-know, validation with field messages, audit."""

from __future__ import annotations

import pytest
from schwifty import IBAN
from test_investigate_shell import _police_case_with_legal_basis  # tests/investigate is on sys.path
from test_investigate_shell_api import _create as create_investigation
from test_investigate_shell_api import _h

from palermo.core.models import AuditEntry
from palermo.investigate.models import InvestigationParty

BASE = "/api/v1/investigations"


@pytest.fixture(autouse=True)
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")


def _create(client, token: str, **body: object) -> str:
    return create_investigation(client, token, **body)["reference"]


def _post(client, token: str, path: str, body: dict | None = None):
    return client.post(f"{BASE}/{path}", body or {}, content_type="application/json", **_h(token))


def test_add_and_list_parties(client, api_token):
    police = api_token("police")
    ref = _create(client, police)
    iban = str(IBAN.generate("DE", bank_code="37040044", account_code="1000060").compact)
    resp = _post(
        client,
        police,
        f"{ref}/parties",
        {
            "schema": "Person",
            "name": "Marko Horvat",
            "role": "suspect",
            "iban": iban,
            "phone": "+385 91 555 0100",
        },
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["party_id"] == "P1" and body["schema"] == "Person" and body["role"] == "suspect"
    assert body["iban"] == iban and body["record_ref"] == ""
    _post(client, police, f"{ref}/parties", {"schema": "Company", "name": "Adria Cleaning doo"})
    listed = client.get(f"{BASE}/{ref}/parties", **_h(police)).json()
    assert listed["count"] == 2
    assert [(p["party_id"], p["schema"], p["role"]) for p in listed["items"]] == [
        ("P1", "Person", "suspect"),
        ("P2", "Company", "other"),
    ]
    assert (
        AuditEntry.objects.filter(
            object_ref=ref, action="create", details__what="party_add"
        ).count()
        == 2
    )
    assert AuditEntry.objects.filter(
        object_ref=ref, action="read", details__what="parties"
    ).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "iban": "DE00 0000 0000 0000 0000 00"}, "iban"),
        ({"name": ""}, "name"),
        ({"name": "X", "role": "boss"}, "role"),
        ({"name": "X", "schema": "Vessel"}, "schema"),
        ({"name": "X", "nickname": "unknown field"}, "nickname"),
    ],
)
def test_bad_party_input_is_answered_next_to_the_field_and_adds_nothing(
    client, api_token, body, field
):
    police = api_token("police")
    ref = _create(client, police)
    resp = _post(client, police, f"{ref}/parties", body)
    assert resp.status_code == 422
    assert field in {e["field"].split(".")[-1] for e in resp.json()["errors"]}, resp.json()
    assert not InvestigationParty.objects.exists()


def test_parties_are_need_to_know(client, api_token):
    police, fiu = api_token("police"), api_token("fiu")
    ref = _create(client, police)
    _post(client, police, f"{ref}/parties", {"name": "Marko Horvat"})
    assert client.get(f"{BASE}/{ref}/parties", **_h(fiu)).status_code == 404
    assert _post(client, fiu, f"{ref}/parties", {"name": "Someone Else"}).status_code == 404
    assert _post(client, fiu, f"{ref}/parties/from-cases").status_code == 404
    assert InvestigationParty.objects.count() == 1
    assert client.get(f"{BASE}/{ref}/parties", **_h(api_token("caseworker"))).status_code == 403


def test_people_of_linked_cases_are_taken_over_through_the_api(client, api_token, persona):
    police = api_token("police")
    case = _police_case_with_legal_basis(persona)
    ref = _create(client, police, cases=[case.reference])
    first = _post(client, police, f"{ref}/parties/from-cases")
    assert (
        first.status_code == 200 and first.json()["added"] >= 1 and first.json()["withheld"] == []
    )
    again = _post(client, police, f"{ref}/parties/from-cases")
    assert again.json()["added"] == 0  # idempotent
    victims = [
        p
        for p in client.get(f"{BASE}/{ref}/parties", **_h(police)).json()["items"]
        if p["role"] == "victim"
    ]
    assert [(p["name"], p["record_ref"]) for p in victims] == [("Ana Example", case.reference)]


# --- CSV mapping profiles ---------------------------------------------------------------------------

DE_BANK = {
    "encoding": "utf-8",
    "delimiter": ";",
    "header": True,
    "date_format": "%d.%m.%Y",
    "decimal": ",",
    "thousands": ".",
    "amount_mode": "signed",
    "default_currency": "EUR",
    "columns": {
        "booked_at": "Buchungstag",
        "amount": "Betrag",
        "counterparty_name": "Name",
        "counterparty_account": "IBAN",
        "description": "Verwendungszweck",
    },
}


def test_profiles_list_packaged_and_saved_and_a_saved_one_imports(client, api_token):
    police = api_token("police")
    listed = client.get(f"{BASE}/profiles", **_h(police)).json()
    assert "pkg:palermo-canonical" in {p["id"] for p in listed["items"]}
    assert all(p["source"] == "packaged" and p["definition"] is None for p in listed["items"])
    resp = _post(
        client,
        police,
        "profiles",
        {"slug": "riverside-bank", "label": "Riverside Bank export", "definition": DE_BANK},
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["id"] == "org:riverside-bank"
    saved = [
        p
        for p in client.get(f"{BASE}/profiles", **_h(police)).json()["items"]
        if p["source"] == "saved"
    ]
    assert [(p["id"], p["definition"]["delimiter"]) for p in saved] == [("org:riverside-bank", ";")]
    assert AuditEntry.objects.filter(
        object_type="mapping_profile", object_ref="riverside-bank", action="create"
    ).exists()
    # another organisation does not see it
    assert "org:riverside-bank" not in {
        p["id"] for p in client.get(f"{BASE}/profiles", **_h(api_token("fiu"))).json()["items"]
    }

    # and a statement in that format imports with it
    from django.core.files.uploadedfile import SimpleUploadedFile

    ref = _create(client, police)
    iban = str(IBAN.generate("DE", bank_code="37040044", account_code="1000061").compact)
    own = str(IBAN.generate("DE", bank_code="37040044", account_code="1000062").compact)
    data = (
        "Buchungstag;Betrag;Name;IBAN;Verwendungszweck\n"
        f"01.03.2024;-600,00;Marko Horvat;{iban};Miete\n"
    ).encode()
    upload = client.post(
        f"{BASE}/{ref}/statements",
        {
            "file": SimpleUploadedFile("konto.csv", data, content_type="text/csv"),
            "kind": "csv",
            "profile": "org:riverside-bank",
            "account": own,
        },
        **_h(police),
    )
    assert upload.status_code == 202, upload.content  # a background job, run at once in the tests
    assert upload.json()["status"] == "done" and upload.json()["report"]["rows_inserted"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "Bad Slug", "label": "x", "definition": DE_BANK}, "slug"),
        (
            {"slug": "no-columns", "label": "x", "definition": {**DE_BANK, "columns": {}}},
            "definition",
        ),
        (
            {
                "slug": "bad-mode",
                "label": "x",
                "definition": {**DE_BANK, "amount_mode": "sideways"},
            },
            "definition",
        ),
        ({"slug": "x", "label": "x"}, "definition"),
    ],
)
def test_a_bad_profile_is_refused_next_to_its_field_and_nothing_is_saved(
    client, api_token, body, field
):
    from palermo.investigate.models import MappingProfile

    resp = _post(client, api_token("police"), "profiles", body)
    assert resp.status_code == 422
    assert field in {e["field"].split(".")[-1] for e in resp.json()["errors"]}, resp.json()
    assert not MappingProfile.objects.exists()


def test_profiles_need_the_investigator_role(client, api_token):
    assert client.get(f"{BASE}/profiles", **_h(api_token("caseworker"))).status_code == 403
    assert (
        _post(
            client,
            api_token("caseworker"),
            "profiles",
            {"slug": "x", "label": "x", "definition": DE_BANK},
        ).status_code
        == 403
    )
