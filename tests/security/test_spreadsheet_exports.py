"""Spreadsheet safety by default (issue 11, build item 4).

Every CSV export neutralises cells a spreadsheet would run as formulas; the exact HTCDS CSV is
an explicit option (``exact`` in the web form and the API, ``--exact`` on the command line);
Palermo's importer reads a neutralised export back to the same records, in both modes.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.core.spreadsheet import FORMULA_STARTS, spreadsheet_safe, spreadsheet_unescape
from palermo.stats.htcds_rows import preview_htcds_file, write_htcds_csv

FORMULA = '=HYPERLINK("http://evil.example/","click")'
RECORD = {
    "prs_FirstName": FORMULA,
    "prs_SecondName": "@SUM(1+1)",
    "prs_MobilePhone": "+33612345678",
    "cas_IncomingReferralDetails": "-2+3 then '=quoted",
    "prs_MailingStreet": "'=already an apostrophe",
    "cas_IncomingReferralDate": "2024-03-01",
}


# --- the rule -------------------------------------------------------------------------------------------


@given(st.text())
def test_unescape_undoes_safe_for_every_text(text):
    assert spreadsheet_unescape(spreadsheet_safe(text)) == text


@given(st.text())
def test_a_safe_cell_never_starts_like_a_formula_unless_it_is_a_plain_number(text):
    safe = spreadsheet_safe(text)
    if safe.startswith(FORMULA_STARTS):
        float(safe)  # only a number may start with + or -: it is no formula


@pytest.mark.parametrize("value", ["-99", "+33612345678", "1.5e3", "-0.5"])
def test_plain_numbers_are_left_alone(value):
    assert spreadsheet_safe(value) == value


# --- HTCDS CSV: neutralised by default, exact on request, both read back ----------------------------------


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def test_htcds_csv_is_neutralised_by_default():
    out = io.StringIO()
    write_htcds_csv([RECORD], out)
    cells = _cells(out.getvalue())
    assert "'" + FORMULA in cells and "'@SUM(1+1)" in cells and "'-2+3 then '=quoted" in cells
    assert "+33612345678" in cells  # a phone number is a number, not a formula
    assert "''=already an apostrophe" in cells  # so that the importer can take exactly one off
    assert not [c for c in cells if c.startswith(("=", "@"))]


def test_htcds_exact_csv_keeps_values_as_they_are():
    out = io.StringIO()
    write_htcds_csv([RECORD], out, exact=True)
    assert FORMULA in _cells(out.getvalue())


@pytest.mark.parametrize("exact", [False, True])
def test_htcds_round_trip_in_both_modes(exact):
    record = {k: v for k, v in RECORD.items() if k != "prs_MailingStreet"}
    out = io.StringIO()
    write_htcds_csv([record], out, exact=exact)
    preview = preview_htcds_file(out.getvalue().encode(), "csv")
    assert preview.ok, preview.report()
    assert preview.records[0].values == record


def test_only_the_default_csv_round_trips_a_value_that_starts_with_an_apostrophe_and_a_formula_sign():
    """The documented edge: the importer always takes one apostrophe off before = + - @ or ', so
    the *exact* file loses it there (use the default CSV or XLSX to come back to Palermo)."""
    for exact, expected in ((False, "'=already an apostrophe"), (True, "=already an apostrophe")):
        out = io.StringIO()
        write_htcds_csv([RECORD], out, exact=exact)
        preview = preview_htcds_file(out.getvalue().encode(), "csv")
        assert preview.records[0].values["prs_MailingStreet"] == expected


# --- through HTTP and the command line ------------------------------------------------------------------


@pytest.fixture
def formula_case(demo_world, persona):
    """A case whose person's name is a formula, opened by the identification body (who may export)."""
    from palermo.stats import services

    coordinator = persona("coordinator")
    data = io.StringIO()
    write_htcds_csv([RECORD], data, exact=True)
    result = services.import_commit(
        actor=coordinator,
        organisation=coordinator.organisations()[0],
        kind="htcds",
        data=data.getvalue().encode(),
        name="in.csv",
    )
    assert result.ok, result.report()
    return result.created[0]


def test_web_htcds_csv_is_neutralised_and_exact_only_when_asked(login_as, formula_case):
    client = login_as("coordinator")
    default = client.post("/stats/export/htcds/", {"format": "csv"}).content.decode()
    assert "'" + FORMULA in _cells(default) and FORMULA not in _cells(default)
    exact = client.post("/stats/export/htcds/", {"format": "csv", "exact": "1"}).content.decode()
    assert FORMULA in _cells(exact)
    page = client.get("/stats/").content.decode()
    assert "never open it in a spreadsheet" in page


def test_api_htcds_csv_is_neutralised_by_default_and_the_choice_is_audited(
    client, api_token, formula_case
):
    from palermo.core.models import AuditEntry

    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('coordinator')}"}
    default = client.post(
        "/api/v1/stats/htcds/export", {"format": "csv"}, content_type="application/json", **auth
    )
    assert "'" + FORMULA in _cells(default.content.decode())
    exact = client.post(
        "/api/v1/stats/htcds/export",
        {"format": "csv", "exact": True},
        content_type="application/json",
        **auth,
    )
    assert FORMULA in _cells(exact.content.decode())
    flags = [
        e.details.get("exact")
        for e in AuditEntry.objects.filter(object_type="htcds_export").order_by("id")
    ]
    assert flags[-2:] == [False, True]


def test_a_neutralised_export_reimports_without_changing_the_case(client, api_token, formula_case):
    from palermo.cases.models import Case

    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('coordinator')}"}
    exported = client.post(
        "/api/v1/stats/htcds/export", {"format": "csv"}, content_type="application/json", **auth
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = Case.objects.count()
    resp = client.post(
        "/api/v1/stats/imports",
        {"kind": "htcds", "file": SimpleUploadedFile("back.csv", exported.content)},
        **auth,
    )
    assert resp.status_code == 202 and resp.json()["status"] == "done", (
        resp.content
    )  # a background job
    assert Case.objects.count() == before
    assert (
        resp.json()["summary"]["unchanged"] == 1
    )  # every value came back as it was: nothing to change


def test_cli_export_exact_warns_on_stderr(formula_case, tmp_path):
    from typer.testing import CliRunner

    from palermo.cli import app

    out = tmp_path / "htcds.csv"
    runner = CliRunner()
    result = runner.invoke(app, ["export", "htcds", str(out), "--as", "coordinator"])
    assert result.exit_code == 0 and "'" + FORMULA in _cells(out.read_text())
    result = runner.invoke(app, ["export", "htcds", str(out), "--as", "coordinator", "--exact"])
    assert result.exit_code == 0 and FORMULA in _cells(out.read_text())
    assert "do not open it in a spreadsheet" in result.stderr


def test_statistics_csv_exports_are_neutralised(login_as, demo_cases, monkeypatch):
    """Table and long-format CSVs: every cell goes through spreadsheet_safe (checked by making a
    category label formula-like, as a country name or a translation could be)."""
    from palermo.stats import views

    monkeypatch.setattr(views, "_category_label", lambda dim, value: "=cmd|' /C calc'!A0")
    client = login_as("coordinator")
    cells = _cells(client.get("/stats/tables/sex.csv").content.decode())
    assert "'=cmd|' /C calc'!A0" in cells and "=cmd|' /C calc'!A0" not in cells


@settings(deadline=None)  # the first example pays for polars' start-up
@given(
    st.lists(
        st.one_of(st.none(), st.text(), st.sampled_from(["-99", "=1", "'=1", "+3361", "0--8"])),
        max_size=20,
    )
)
def test_ctdc_release_uses_the_same_rule_vectorised(values):
    import polars as pl

    from palermo.stats.ctdc import _spreadsheet_safe_column

    frame = pl.DataFrame({"c": values}, schema={"c": pl.Utf8})
    assert frame.with_columns(_spreadsheet_safe_column("c"))["c"].to_list() == [
        spreadsheet_safe(v) for v in values
    ]


@pytest.mark.parametrize("value", [1, 0, "true", "yes"])
def test_api_exact_must_be_a_json_boolean(client, api_token, demo_world, value):
    resp = client.post(
        "/api/v1/stats/htcds/export",
        {"format": "csv", "exact": value},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_token('coordinator')}",
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "exact"
