"""The statistics pages through the Django test client: permissions, dashboard, downloads,
the CTDC release, HTCDS export and the upload → preview → confirm import."""

from __future__ import annotations

import io
import re

import openpyxl
import polars as pl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from palermo.core.models import AuditEntry
from palermo.stats.anonymise import k_anonymity_check
from palermo.stats.htcds_rows import preview_htcds_file

pytestmark = pytest.mark.django_db

QIS = [
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
]
GOOD = (
    "prs_FirstName,prs_SecondName,prs_Gender,prs_Citizenship,cas_IncomingReferralDate,vic_TypeOfExploitation,"
    "cas_ReferringOrganisation,vic_TraffickingStatus,cas_Status\n"
    "Zora,Fictive,Feminine,MD,2025-03-02,ForcedLabour,Partner NGO (fictional),PossibleVictimOfTrafficking,Active\n"
    "Ilir,Sample,Masculine,AL;IT,2025-04-11,SexualExploitation,Partner NGO (fictional),"
    "ActualVictimOfTrafficking,FollowUp\n"
)
BAD = (
    "prs_FirstName,prs_Gender,prs_Citizenship,cas_IncomingReferralDate\n"
    "Zora,Female,MD,2025-03-02\n"
    "Ilir,Masculine,ZZ,2025-04-11\n"
    "Ana,Feminine,RO,02/03/2025\n"
)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """Uploads waiting for confirmation go under VAR_DIR: keep the tests' in a temporary directory."""
    settings.VAR_DIR = tmp_path


def _numbers_in_cells(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'data-value="(\d+)"', html)]


# --- permissions -------------------------------------------------------------------------------------------


def test_analyst_sees_the_dashboard_but_may_not_import(login_as, demo_cases):
    client = login_as("analyst")
    assert client.get("/stats/").status_code == 200
    assert client.get("/stats/import/").status_code == 403
    assert AuditEntry.objects.filter(action="refused", actor_username="analyst").exists()


@pytest.mark.parametrize("who", ["inspector", "caseworker"])
def test_screener_and_caseworker_are_refused_and_audited(login_as, who):
    client = login_as(who)
    for url in ("/stats/", "/stats/tables/sex.csv", "/stats/export/ctdc/", "/stats/import/"):
        assert client.get(url).status_code == 403, url
    assert AuditEntry.objects.filter(action="refused", actor_username=who).count() >= 4


def test_analyst_may_not_export_personal_data(login_as, demo_cases):
    client = login_as("analyst")
    response = client.post("/stats/export/htcds/", {"format": "csv"})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="refused", actor_username="analyst").exists()
    assert not AuditEntry.objects.filter(action="export", object_type="htcds_export").exists()


# --- dashboard ---------------------------------------------------------------------------------------------


def test_dashboard_shows_no_small_cell(login_as, demo_cases):
    html = login_as("analyst").get("/stats/").content.decode()
    numbers = _numbers_in_cells(html)
    assert numbers, "some counts are published"
    assert all(n == 0 or n >= 11 for n in numbers)
    assert 'data-status="suppressed"' in html
    assert "Flows: nationality" in html and "<svg" in html
    assert AuditEntry.objects.filter(action="read", object_type="rapporteur_statistics").exists()


def test_dashboard_filters_and_empty_state(login_as, demo_cases):
    client = login_as("coordinator")
    filtered = client.get("/stats/", {"form": "ForcedLabour"}).content.decode()
    assert all(n == 0 or n >= 11 for n in _numbers_in_cells(filtered))
    from palermo.cases.models import Case

    year = Case.objects.first().incoming_referral_date.year
    by_year = client.get("/stats/", {"year": year}).content.decode()
    assert "All years" not in re.sub(r"<select.*?</select>", "", by_year, flags=re.S)
    assert client.get("/stats/", {"year": "not-a-year"}).status_code == 200
    assert (
        "No case has this form of exploitation"
        in client.get("/stats/", {"form": "OrganRemoval"}).content.decode()
    )
    Case.objects.all().delete()
    assert "No cases to count yet" in client.get("/stats/").content.decode()


def test_each_table_downloads_as_csv_and_image_without_small_cells(login_as, demo_cases):
    client = login_as("analyst")
    for table in (
        "victims",
        "sex",
        "age_group",
        "citizenship",
        "country_of_exploitation",
        "form_of_exploitation",
        "referral_outcome",
        "days_referral_to_decision",
        "flow",
    ):
        response = client.get(f"/stats/tables/{table}.csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        body = response.content.decode()
        cells = [c for line in body.splitlines()[1:] for c in line.split(",")[1:]]
        assert all(c == "x" or int(c) == 0 or int(c) >= 11 for c in cells), (table, body)
        if table != "flow":
            image = client.get(f"/stats/tables/{table}.svg")
            assert image.status_code == 200 and image["Content-Type"].startswith("image/svg+xml")
            assert image.content.startswith(b"<svg")
    assert client.get("/stats/tables/flow.svg").status_code == 404
    assert client.get("/stats/tables/nothing.csv").status_code == 404
    full = client.get("/stats/statistics.csv").content.decode()
    assert full.startswith("table,category,year,value,status")


# --- exports --------------------------------------------------------------------------------------------------


def test_coordinator_exports_htcds_csv_and_xlsx_audited(login_as, demo_cases):
    client = login_as("coordinator")
    response = client.post("/stats/export/htcds/", {"format": "csv"})
    assert response.status_code == 200
    preview = preview_htcds_file(response.content, name="x.csv")
    assert preview.rows_read == 80
    xlsx = client.post("/stats/export/htcds/", {"format": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert wb.sheetnames == ["HTCDS", "About"]
    entries = AuditEntry.objects.filter(
        action="export", object_type="htcds_export", actor_username="coordinator"
    )
    assert entries.count() == 2 and len(entries.first().details["references"]) == 80
    assert client.get("/stats/export/htcds/").status_code == 405


def test_ctdc_release_report_and_download_pass_the_k_check(login_as, demo_cases, client):
    from palermo.jobs.models import Job

    client = login_as("analyst")
    # A background job: the page of the job shows the report and offers the file.
    made = client.post("/stats/export/ctdc/", {"k": "11"})
    job = Job.objects.get(kind="stats.ctdc_release")
    assert (
        made.status_code == 302 and made["Location"] == f"/jobs/{job.pk}/" and job.status == "done"
    )
    page = client.get(made["Location"]).content.decode()
    assert (
        "Records kept" in page and "Information loss" in page and f"/jobs/{job.pk}/result" in page
    )
    response = client.get(f"/jobs/{job.pk}/result")
    assert response.status_code == 200 and response["Content-Disposition"].endswith(
        '"palermo-ctdc-k11.csv"'
    )
    frame = pl.read_csv(io.BytesIO(b"".join(response.streaming_content)), infer_schema_length=0)
    assert frame.height > 0
    assert k_anonymity_check(frame, QIS, k=11).ok
    assert AuditEntry.objects.filter(action="export", object_type="ctdc_release").count() == 1
    assert (
        AuditEntry.objects.filter(
            action="export", object_type="job", object_ref=str(job.pk)
        ).count()
        == 1
    )
    login_as("coordinator")  # another user, even with the right: not theirs
    assert client.get(f"/jobs/{job.pk}/result").status_code == 404
    login_as("analyst")
    bad = client.post("/stats/export/ctdc/", {"k": "1"})
    assert (
        bad.status_code == 200 and Job.objects.count() == 1
    )  # refused next to the field; nothing queued


# --- import ----------------------------------------------------------------------------------------------------


def _upload(client, text: str, name: str = "cases.csv", kind: str = "htcds"):
    return client.post(
        "/stats/import/",
        {"kind": kind, "file": SimpleUploadedFile(name, text.encode(), "text/csv")},
    )


def test_import_preview_then_confirm_creates_cases_and_reimport_adds_none(login_as, demo_world):
    from palermo.cases.models import Case

    client = login_as("coordinator")
    response = _upload(client, GOOD)
    assert response.status_code == 302 and response["Location"] == "/stats/import/preview/"
    assert "Zora" not in response["Location"]
    preview = client.get("/stats/import/preview/", follow=True).content.decode()
    assert "2 valid, 0 rejected" in preview and "open 2 new case(s)" in preview
    assert Case.objects.count() == 0  # nothing written before confirming
    # The check is a background job, started once per upload: opening the page again shows the same job.
    first = client.get("/stats/import/preview/")["Location"]
    assert first.startswith("/jobs/") and client.get("/stats/import/preview/")["Location"] == first
    confirmed = client.post("/stats/import/confirm/")
    # The import runs as a background job (run at once by the tests' immediate backend): its page reports.
    assert confirmed.status_code == 302 and confirmed["Location"].startswith("/jobs/")
    done = client.get(confirmed["Location"]).content.decode()
    assert "2 case(s) opened" in done
    assert Case.objects.count() == 2
    # names are encrypted at rest: found by reading them, not by a database filter
    identified = next(
        c for c in Case.objects.select_related("person") if c.person.given_name == "Ilir"
    )
    assert identified.identification_status == "identified" and identified.status == "FollowUp"
    assert identified.person.citizenship == ["AL", "IT"]
    # The same file again: no duplicates.
    _upload(client, GOOD)
    assert (
        "update 2 existing case(s)"
        in client.get("/stats/import/preview/", follow=True).content.decode()
    )
    client.post("/stats/import/confirm/")
    assert Case.objects.count() == 2
    assert AuditEntry.objects.filter(object_type="stats_import", action="create").count() == 2


def test_malformed_file_lists_every_rejected_row_and_imports_nothing(
    login_as, demo_world, tmp_path
):
    from palermo.cases.models import Case

    client = login_as("coordinator")
    _upload(client, BAD)
    page = client.get("/stats/import/preview/", follow=True).content.decode()
    assert "0 valid, 3 rejected" in page
    for row, field in ((2, "prs_Gender"), (3, "prs_Citizenship"), (4, "cas_IncomingReferralDate")):
        assert re.search(rf"<tr><td>{row}</td><td>{field}</td>", page), (row, field)
    assert "Confirm the import" not in page
    assert list((tmp_path / "stats-imports").glob("*.upload"))  # held until confirmed or discarded
    done = client.post("/stats/import/confirm/", follow=True).content.decode()
    assert "Nothing was imported" in done
    for row, field in ((2, "prs_Gender"), (3, "prs_Citizenship"), (4, "cas_IncomingReferralDate")):
        assert re.search(rf"<tr><td>{row}</td><td>{field}</td>", done), (row, field)
    assert Case.objects.count() == 0
    # The job took the file and deleted it when it ended: nothing waits, no copy is left anywhere.
    assert not list((tmp_path / "stats-imports").glob("*.upload"))
    assert not list((tmp_path / "jobs").glob("*"))
    assert client.get("/stats/import/preview/").status_code == 302


def test_upload_refuses_wrong_file_types(login_as, demo_world):
    client = login_as("coordinator")
    response = _upload(client, "hello", name="cases.pdf")
    assert (
        response.status_code == 200
        and "Use a .csv, .xlsx or .json file." in response.content.decode()
    )


def test_xlsx_and_kobo_uploads_go_through_the_same_preview(login_as, demo_world):
    from palermo.cases.models import Case
    from palermo.stats.htcds_rows import write_htcds_xlsx

    client = login_as("coordinator")
    out = io.BytesIO()
    write_htcds_xlsx(
        [
            {
                "prs_FirstName": "Zora",
                "prs_Gender": "Feminine",
                "cas_IncomingReferralDate": "2025-03-02",
            }
        ],
        out,
    )
    client.post(
        "/stats/import/",
        {"kind": "htcds", "file": SimpleUploadedFile("cases.xlsx", out.getvalue())},
    )
    assert (
        "1 valid, 0 rejected" in client.get("/stats/import/preview/", follow=True).content.decode()
    )
    client.post("/stats/import/confirm/")
    kobo = b'[{"_uuid": "k-1", "prs_Gender": "Masculine", "prs_Citizenship": "UA"}]'
    client.post("/stats/import/", {"kind": "kobo", "file": SimpleUploadedFile("kobo.json", kobo)})
    assert (
        "open 1 new case(s)" in client.get("/stats/import/preview/", follow=True).content.decode()
    )
    client.post("/stats/import/confirm/")
    assert Case.objects.count() == 2
    assert set(Case.objects.values_list("source_ref", flat=True)) == {"IMPORT-HTCDS", "IMPORT-KOBO"}


def test_confirming_the_check_of_another_file_imports_nothing(login_as, demo_world):
    from palermo.cases.models import Case
    from palermo.jobs.models import Job

    client = login_as("coordinator")
    _upload(client, GOOD)
    client.get("/stats/import/preview/")
    checked = Job.objects.get(kind="stats.import_preview").summary["upload"]
    _upload(client, GOOD.replace("Zora", "Mila"))  # another tab: a second file replaces the first
    response = client.post("/stats/import/confirm/", {"upload": checked})
    assert response.status_code == 302 and response["Location"] == "/stats/import/preview/"
    assert Case.objects.count() == 0 and not Job.objects.filter(kind="stats.import").exists()
