"""HTCDS CSV/XLSX reading, validation, writing and record identity."""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.stats.htcds_rows import (
    normalise_phone,
    preview_htcds_file,
    record_identity_key,
    write_htcds_csv,
    write_htcds_xlsx,
)
from palermo.stats.htcds_spec import load_spec

SPEC = load_spec()
PHONES = ["+14155552671", "+33612345678", "+380501234567", "+4915123456789"]
TEXT = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
    .map(lambda s: unicodedata.normalize("NFC", " ".join(s.split())))
    .filter(bool)
)


def _value(name: str) -> st.SearchStrategy[str]:
    f = SPEC.field(name)
    if f.is_phone:
        return st.sampled_from(PHONES)
    if f.is_date:
        return st.dates(date(1930, 1, 1), date(2030, 12, 31)).map(date.isoformat)
    if f.is_checkbox:
        return st.sampled_from(["true", "false"])
    if f.is_number:
        if "itude" in f.base_name:
            return st.integers(-90, 90).map(str)
        return st.integers(0, 99).map(str)
    if f.value_source == "iso3166_alpha2":
        codes = st.sampled_from(["RO", "MD", "UA", "NG", "PH", "GB"])
        return (
            st.lists(codes, min_size=1, max_size=3, unique=True).map(";".join)
            if f.multiple
            else codes
        )
    if f.value_source == "iso639":
        return st.sampled_from(["eng", "ron", "ukr", "fra"])
    if f.value_source == "picklist":
        names = sorted(f.value_names)
        if f.multiple:
            return st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True).map(
                ";".join
            )
        return st.sampled_from(names)
    if f.base_name == "Email":
        return st.sampled_from(["a@example.org", "case.worker@ngo.example"])
    return TEXT


RECORDS = st.lists(
    st.fixed_dictionaries({}, optional={n: _value(n) for n in SPEC.flat_layout}).filter(bool),
    min_size=1,
    max_size=5,
)


def _csv(records) -> bytes:
    buf = io.StringIO()
    write_htcds_csv(records, buf)
    return buf.getvalue().encode("utf-8")


def _xlsx(records) -> bytes:
    buf = io.BytesIO()
    write_htcds_xlsx(records, buf)
    return buf.getvalue()


def _unique_by_key(records):
    seen, out = set(), []
    for r in records:
        key = record_identity_key(r)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


@settings(max_examples=40, deadline=None, derandomize=True)
@given(RECORDS)
def test_csv_export_then_import_gives_back_the_same_records(records):
    records = _unique_by_key(records)
    preview = preview_htcds_file(_csv(records), "csv")
    assert preview.ok, preview.report()
    assert [r.values for r in preview.records] == records


@settings(max_examples=25, deadline=None, derandomize=True)
@given(RECORDS)
def test_xlsx_export_then_import_gives_back_the_same_records(records):
    records = _unique_by_key(records)
    preview = preview_htcds_file(_xlsx(records), "xlsx")
    assert preview.ok, preview.report()
    assert [r.values for r in preview.records] == records


def test_export_header_is_exactly_the_htcds_field_names():
    header = _csv([{"prs_Gender": "Feminine"}]).decode().splitlines()[0].split(",")
    assert tuple(header) == SPEC.flat_layout
    wb = openpyxl.load_workbook(io.BytesIO(_xlsx([{"prs_Gender": "Feminine"}])))
    assert tuple(c.value for c in wb.worksheets[0][1]) == SPEC.flat_layout


def test_xlsx_never_turns_text_into_formulas():
    data = _xlsx([{"prs_FirstName": '=HYPERLINK("http://x")', "prs_MobilePhone": "+14155552671"}])
    ws = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    cells = {c.value: c.data_type for c in ws[2] if c.value}
    assert set(cells.values()) == {"s"}


def test_malformed_rows_are_all_reported_with_their_file_line_and_nothing_is_valid():
    data = (
        b"prs_FirstName,prs_Gender,prs_Birthdate,prs_Citizenship,prs_MobilePhone,con_Consent,vic_TypeOfExploitation\n"
        b"Ana,Feminine,1999-02-03,RO,+40721234567,true,ForcedLabour\n"
        b'"Multi\nline",Female,1999-02-30,ro;XX,12345,maybe,ForcedLabour;Slavery\n'
        b"Ion,Masculine,03/02/1999,MD,+373 69 123 456,TRUE,forcedlabour\n"
    )
    preview = preview_htcds_file(data, "csv")
    assert not preview.ok
    assert preview.rows_read == 3
    assert preview.rejected_rows == (
        3,
        5,
    )  # the quoted field spans lines 3-4, so the next row is line 5
    by_row = {(e.row, e.field) for e in preview.errors}
    assert {
        (3, "prs_Gender"),
        (3, "prs_Birthdate"),
        (3, "prs_Citizenship"),
        (3, "prs_MobilePhone"),
        (3, "con_Consent"),
        (3, "vic_TypeOfExploitation"),
        (5, "prs_Birthdate"),
        (5, "vic_TypeOfExploitation"),
    } == by_row
    hints = " ".join(e.message for e in preview.errors)
    assert "upper case: RO" in hints and "did you mean 'ForcedLabour'" in hints
    assert "Nothing was imported" in preview.report()


def test_header_problems_are_reported_on_line_one():
    data = b"prs_Gender,prs_Gender,org_Name,prs_Nickname,vic_Vulnerabilities\nFeminine,Feminine,x,y,z\n"
    preview = preview_htcds_file(data, "csv")
    messages = {(e.row, e.field): e.message for e in preview.errors}
    assert messages[(1, "prs_Gender")].startswith("column repeated")
    assert "one-row-per-case" in messages[(1, "org_Name")]
    assert messages[(1, "prs_Nickname")] == "not an HTCDS 2.0 field name"
    assert "one-row-per-case" in messages[(1, "vic_Vulnerabilities")]


def test_iom_template_is_accepted_as_published(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([None, "cas_CaseOwner", "vic_TraffickinStatusDecisionMakingOrg", None, "prs_Gender"])
    ws.append(
        [
            None,
            "Case Owner",
            "Trafficking Status Decision Making Organization",
            "Reason for Outgoing Referral",
            "Gender",
        ]
    )
    ws.append([1, "Maria", "Police", "Other", "Feminine"])
    ws.append([2, None, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    preview = preview_htcds_file(buf.getvalue(), "xlsx")
    assert preview.ok, preview.report()
    assert [r.values for r in preview.records] == [
        {
            "cas_CaseOwner": "Maria",
            "vic_TraffickingStatusDecisionMakingOrg": "Police",
            "cas_ReasonForOutgoingReferral": "Other",
            "prs_Gender": "Feminine",
        }
    ]
    assert preview.notes


def test_xlsx_native_cells_are_read_as_htcds_text():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["prs_Birthdate", "con_Consent", "prs_NumberOfChildren", "cas_IncomingReferralDate"])
    ws.append([datetime(1999, 2, 3), True, 2.0, datetime(2023, 5, 1, 14, 30)])
    buf = io.BytesIO()
    wb.save(buf)
    preview = preview_htcds_file(buf.getvalue(), "xlsx")
    assert [(e.field, e.message) for e in preview.errors] == [
        ("cas_IncomingReferralDate", "a date without a time of day is expected")
    ]


def test_unreadable_files_are_an_error_not_an_exception():
    assert not preview_htcds_file(b"PK\x03\x04 not really a workbook", "xlsx").ok
    assert not preview_htcds_file(b"\xff\xfe\x00bad", "csv").ok
    assert preview_htcds_file(b"", "csv").errors[0].message == "the file is empty"


def test_duplicate_rows_in_one_file_are_rejected():
    record = {"prs_FirstName": "Ana", "prs_SecondName": "Pop", "prs_Birthdate": "1999-02-03"}
    data = _csv([record, {**record, "prs_Title": "Cook"}])
    preview = preview_htcds_file(data, "csv")
    assert [e.row for e in preview.errors] == [3]
    assert "same person and referral as row 2" in preview.errors[0].message


def test_identity_key_is_stable_and_tolerates_spelling_of_case_and_space():
    a = {
        "prs_FirstName": "Ana",
        "prs_SecondName": "Pop",
        "prs_Birthdate": "1999-02-03",
        "prs_Citizenship": "RO;MD",
        "prs_Title": "Cook",
    }
    same = {**a, "prs_FirstName": " ana ", "prs_Citizenship": "MD;RO", "prs_Title": "Baker"}
    other = {**a, "prs_Birthdate": "1999-02-04"}
    assert record_identity_key(a) == record_identity_key(same)
    assert record_identity_key(a) != record_identity_key(other)
    assert record_identity_key(a, secret=b"k1") != record_identity_key(a, secret=b"k2")
    assert record_identity_key(a, secret=b"k1").startswith("hmac-sha256:")


def test_anonymous_records_are_keyed_on_all_their_fields():
    a = {
        "prs_Gender": "Feminine",
        "cas_IncomingReferralDate": "2023-01-01",
        "vic_TypeOfExploitation": "ForcedLabour",
    }
    b = {**a, "vic_TypeOfExploitation": "SexualExploitation"}
    assert record_identity_key(a) != record_identity_key(b)


def test_reimporting_the_same_file_gives_the_same_keys():
    records = [{"prs_FirstName": "Ana", "prs_Birthdate": "1999-02-03"}, {"prs_FirstName": "Ion"}]
    first = preview_htcds_file(_csv(records), "csv")
    again = preview_htcds_file(_csv(records), "csv")
    assert [r.identity_key for r in first.records] == [r.identity_key for r in again.records]


def test_phone_numbers_are_normalised_to_e164():
    assert normalise_phone("+1 (415) 555-2671") == ("+14155552671", None)
    assert normalise_phone("14155552671") == ("+14155552671", None)
    assert normalise_phone("+999123")[1] is not None
    assert normalise_phone("0721 234 567")[1] is not None
