"""The statistics API: tables, CTDC release, HTCDS export, imports; permissions as the pages."""

from __future__ import annotations

import io

import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from palermo.stats.anonymise import k_anonymity_check

pytestmark = pytest.mark.django_db

QIS = [
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
]


@pytest.fixture
def call(client, api_token):
    tokens: dict[str, str] = {}

    def do(method: str, path: str, username: str, **kw):
        if username not in tokens:
            tokens[username] = api_token(username)
        return getattr(client, method)(
            f"/api/v1/stats{path}", HTTP_AUTHORIZATION=f"Bearer {tokens[username]}", **kw
        )

    return do


def test_tables_have_no_small_cell_and_need_the_statistics_permission(call, demo_cases):
    response = call("get", "/tables", "analyst")
    assert response.status_code == 200
    cells = response.json()
    assert cells and all(c["value"] is None or c["value"] == 0 or c["value"] >= 11 for c in cells)
    assert all(c["status"] != "published" or c["value"] is not None for c in cells)
    assert call("get", "/tables", "caseworker").status_code == 403


def test_ctdc_release_over_the_api(call, demo_cases):
    report = call(
        "post", "/ctdc/report", "analyst", data={"k": 11}, content_type="application/json"
    )
    assert report.status_code == 200 and report.json()["records_in"] == 80
    csv = call(
        "post", "/ctdc/release.csv", "analyst", data={"k": 11}, content_type="application/json"
    )
    frame = pl.read_csv(io.BytesIO(csv.content), infer_schema_length=0)
    assert k_anonymity_check(frame, QIS, k=11).ok
    assert (
        call(
            "post", "/ctdc/report", "analyst", data={"k": 1}, content_type="application/json"
        ).status_code
        == 422
    )


def test_htcds_export_over_the_api(call, demo_cases):
    ok = call(
        "post",
        "/htcds/export",
        "coordinator",
        data={"format": "csv"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.content.startswith(b"cas_CaseOwner,")
    assert (
        call(
            "post",
            "/htcds/export",
            "analyst",
            data={"format": "csv"},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_import_over_the_api_is_all_or_nothing(call, demo_world, client, api_token):
    from palermo.cases.models import Case

    token = api_token("coordinator")

    def client_get(url: str):
        return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")

    bad = SimpleUploadedFile("bad.csv", b"prs_Gender,prs_Citizenship\nFemale,MD\nFeminine,ZZ\n")
    preview = call("post", "/imports/preview", "coordinator", data={"kind": "htcds", "file": bad})
    assert preview.status_code == 202 and preview.json()["status"] == "done"  # the check ran
    assert not preview.json()["summary"]["ok"] and preview.json()["summary"]["rejected"] == 2
    assert [e["row"] for e in preview.json()["report"]["errors"]] == [2, 3]
    bad.seek(0)
    # A background job: 202 at once; the tests' immediate backend has run it by the time it answers.
    refused = call("post", "/imports", "coordinator", data={"kind": "htcds", "file": bad})
    assert refused.status_code == 202 and Case.objects.count() == 0
    job = refused.json()
    assert job["status"] == "failed" and job["error"].startswith("Nothing was imported")
    assert [r["row"] for r in job["report"]["errors"]] == [2, 3]
    assert client_get(job["url"]).json()["status"] == "failed"
    good = SimpleUploadedFile("good.csv", b"prs_FirstName,prs_Gender\nZora,Feminine\n")
    done = call("post", "/imports", "coordinator", data={"kind": "htcds", "file": good})
    assert done.status_code == 202 and done.json()["status"] == "done"
    assert len(done.json()["summary"]["created"]) == 1 and Case.objects.count() == 1
    good.seek(0)
    assert (
        call("post", "/imports", "analyst", data={"kind": "htcds", "file": good}).status_code == 403
    )
