"""The HTCDS case import preview lists what confirming will change, record by record, a page
at a time, with field names and case references but no values (issue 15, item 6)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db

HEADER = (
    "prs_FirstName,prs_SecondName,prs_Gender,prs_Citizenship,cas_IncomingReferralDate,"
    "vic_TypeOfExploitation,cas_ReferringOrganisation,vic_TraffickingStatus,cas_Status\n"
)


def _rows(n: int, exploitation: str = "ForcedLabour") -> str:
    return HEADER + "".join(
        f"Zorana{i},Fictive{i},Feminine,MD,2025-03-02,{exploitation},Partner NGO (fictional),"
        "PossibleVictimOfTrafficking,Active\n"
        for i in range(n)
    )


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def _preview(client, text: str) -> str:
    client.post(
        "/stats/import/",
        {"kind": "htcds", "file": SimpleUploadedFile("cases.csv", text.encode(), "text/csv")},
    )
    response = client.get("/stats/import/preview/", follow=True)
    return response.redirect_chain[-1][0], response.content.decode()


def _record_rows(html: str) -> list[tuple[str, str]]:
    table = re.search(r'<table class="import-records">.*?</table>', html, re.S).group(0)
    return re.findall(r'<tr data-action="(\w+)">\s*<td>(\d+)</td>', table)


def test_the_preview_lists_each_record_a_page_at_a_time_without_values(login_as, demo_world):
    from palermo.cases.models import Case
    from palermo.jobs.models import Job

    client = login_as("coordinator")
    url, html = _preview(client, _rows(60))
    assert "What the import will do, record by record" in html
    first = _record_rows(html)
    assert len(first) == 50 and all(action == "create" for action, _ in first)
    assert "A new case is opened" in html and "Page 1 of 2" in html
    assert "Given name" in html and "Forced labour" in html  # field names and forms as words
    second = _record_rows(client.get(url, {"page": 2}).content.decode())
    assert len(second) == 10
    assert {r for _, r in first} | {r for _, r in second} == {str(n) for n in range(2, 62)}
    # The preview stores and shows no value from the file.
    assert "Zorana" not in html and "Fictive" not in html
    assert "Zorana" not in str(Job.objects.get(kind="stats.import_preview").report)
    assert Case.objects.count() == 0


def test_a_second_import_shows_which_cases_change_and_how(login_as, demo_world):
    from palermo.cases.models import Case

    client = login_as("coordinator")
    _preview(client, _rows(3))
    client.post("/stats/import/confirm/")
    assert Case.objects.count() == 3
    # The same people again, one of them now with another form of exploitation.
    text = _rows(3).replace(
        "Zorana1,Fictive1,Feminine,MD,2025-03-02,ForcedLabour",
        "Zorana1,Fictive1,Feminine,MD,2025-03-02,SexualExploitation",
    )
    _url, html = _preview(client, text)
    rows = dict((r, a) for a, r in _record_rows(html))
    assert rows == {"2": "unchanged", "3": "update", "4": "unchanged"}
    references = set(Case.objects.values_list("reference", flat=True))
    shown = set(re.findall(r"NRM-[A-Z0-9]{4}-[A-Z0-9]{4}", html))
    assert shown and shown <= references
    assert "The case is updated" in html and "No change" in html
    assert "Exploitation types" in html
    assert Case.objects.count() == 3
