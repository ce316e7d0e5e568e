"""ODK Collect / KoboToolbox exports of the HTCDS XLSForm."""

from __future__ import annotations

import io
import json

import openpyxl

from palermo.stats.htcds_spec import load_spec
from palermo.stats.kobo import classify_column, preview_kobo_file

KOBO_CSV = (
    b"start;end;con_Consent;grp_person/prs_First_Name;grp_person/prs_Gender;grp_person/prs_Citizenship;"
    b"vic_Methods_of_Control;vic_ForcedLabourIndustry;cas_IncomingReferralDate;__version__;"
    b"meta/instanceID;_id;_uuid;_submission_time;_validation_status;_index\n"
    b"2024-01-01T10:00:00.000+02:00;2024-01-01T10:20:00.000+02:00;TRUE;Ana;Feminine;RO;"
    b"DebtBondage TakesEarnings;C_Manufacturing;2024-01-01;vSmt4GQA3C9uBMLPEVfgND;"
    b"uuid:11111111-1111-1111-1111-111111111111;5;11111111-1111-1111-1111-111111111111;2024-01-01T08:21:00;;1\n"
    b"2024-01-02T10:00:00.000+02:00;2024-01-02T10:20:00.000+02:00;FALSE;;Masculine;;;;;vSmt4GQA3C9uBMLPEVfgND;"
    b"uuid:22222222-2222-2222-2222-222222222222;6;22222222-2222-2222-2222-222222222222;2024-01-02T08:21:00;;2\n"
)


def test_kobo_csv_maps_questions_to_htcds_fields():
    preview = preview_kobo_file(KOBO_CSV, "csv")
    assert preview.ok, preview.report()
    assert [r.values for r in preview.records] == [
        {
            "con_Consent": "true",
            "prs_FirstName": "Ana",
            "prs_Gender": "Feminine",
            "prs_Citizenship": "RO",
            "vic_MethodsOfControl": "DebtBondage;TakesEarnings",
            "vic_ForcedLabourIndustry": "C_Manufacturing",
            "cas_IncomingReferralDate": "2024-01-01",
        },
        {"con_Consent": "false", "prs_Gender": "Masculine"},
    ]
    assert (
        preview.records[0].identity_key == "odk-instance:uuid:11111111-1111-1111-1111-111111111111"
    )


def test_reimporting_an_export_gives_the_same_keys():
    keys = [r.identity_key for r in preview_kobo_file(KOBO_CSV, "csv").records]
    assert keys == [r.identity_key for r in preview_kobo_file(KOBO_CSV, "csv").records]
    assert len(set(keys)) == 2


def test_kobo_xlsx_export():
    wb = openpyxl.Workbook()
    ws = wb.active
    for line in KOBO_CSV.decode().splitlines():
        ws.append([c or None for c in line.split(";")])
    buf = io.BytesIO()
    wb.save(buf)
    preview = preview_kobo_file(buf.getvalue(), "xlsx")
    assert preview.ok, preview.report()
    assert preview.records[0].values["vic_MethodsOfControl"] == "DebtBondage;TakesEarnings"


def test_kobo_api_json_and_odk_central_odata():
    kobo = {
        "count": 1,
        "results": [
            {
                "_id": 5,
                "_uuid": "abc",
                "meta/instanceID": "uuid:abc",
                "grp/prs_Gender": "Feminine",
                "vic_TypeOfExploitation": "ForcedLabour Other",
                "_attachments": [],
                "_geolocation": [None, None],
            }
        ],
    }
    odata = {
        "value": [
            {
                "__id": "uuid:def",
                "__system": {"submitterId": "7"},
                "grp": {"prs_Gender": "Masculine", "prs_Birthdate": "1990-05-06"},
            }
        ]
    }
    a = preview_kobo_file(json.dumps(kobo).encode(), "json")
    b = preview_kobo_file(json.dumps(odata).encode(), "json")
    assert a.ok and b.ok, a.report() + b.report()
    assert a.records[0].values == {
        "prs_Gender": "Feminine",
        "vic_TypeOfExploitation": "ForcedLabour;Other",
    }
    assert a.records[0].identity_key == "odk-instance:uuid:abc"
    assert b.records[0].values == {"prs_Gender": "Masculine", "prs_Birthdate": "1990-05-06"}


def test_separate_columns_for_multiple_select():
    data = (
        b"vic_TypeOfExploitation/ForcedLabour,vic_TypeOfExploitation/SexualExploitation,_uuid\n"
        b"1,0,a\nFalse,True,b\n"
    )
    preview = preview_kobo_file(data, "csv")
    assert preview.ok, preview.report()
    assert [r.values for r in preview.records] == [
        {"vic_TypeOfExploitation": "ForcedLabour"},
        {"vic_TypeOfExploitation": "SexualExploitation"},
    ]


def test_bad_submissions_are_reported_per_row_and_nothing_is_valid():
    data = (
        b"prs_Gender,prs_Birthdate,vic_ForcedLabourIndustry,prs_Citizenship,custom_question,_uuid\n"
        b"Female,1990-01-01,,,,a\n"
        b"Feminine,1990-13-01,C_Manufacturing F_Construction,Romania,x,b\n"
    )
    preview = preview_kobo_file(data, "csv")
    assert not preview.ok
    found = {(e.row, e.field) for e in preview.errors}
    assert found == {
        (2, "prs_Gender"),
        (3, "prs_Birthdate"),
        (3, "vic_ForcedLabourIndustry"),
        (3, "prs_Citizenship"),
        (3, "custom_question"),
    }
    lenient = preview_kobo_file(data, "csv", ignore_unknown=True)
    assert (3, "custom_question") not in {(e.row, e.field) for e in lenient.errors}
    assert lenient.notes


def test_choice_labels_instead_of_names_are_explained():
    data = b"prs_Gender,_uuid\nNot Specified/Unknown,a\n"
    preview = preview_kobo_file(data, "csv")
    assert "XML values" in preview.errors[0].message


def test_column_roles():
    spec = load_spec()
    assert classify_column("grp-prs_Gender", spec).kind == "answer"
    assert classify_column("_submission_time", spec).kind == "meta"
    assert classify_column("__version__", spec).kind == "meta"
    assert classify_column("vic_Methods_of_Control/DebtBondage", spec).kind == "choice"
    assert classify_column("nonsense", spec).kind == "unknown"


def test_unreadable_export_is_an_error():
    assert not preview_kobo_file(b"{not json", "json").ok
    assert not preview_kobo_file(b'{"foo": 1}', "json").ok
