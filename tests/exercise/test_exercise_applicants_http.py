"""Applications and the selection pages: chief controller only, audited, all-or-nothing import."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from palermo.core.models import AuditEntry
from palermo.exercise import applicants
from palermo.exercise.isolation import NotAnExerciseInstance
from palermo.exercise.middleware import CSV_MARK
from palermo.exercise.models import Application, SelectionRun

HEADER = "reference,name,country,organisation,profession,gender,languages\n"
GOOD = (
    HEADER
    + "A1,Ana Popescu,MD,Police,criminal_investigator,female,ro;en\n"
    + "A2,Bojan Ilic,RS,Inspectorate,labour_inspector,male,sr\n"
    + 'A3,=HYPERLINK("http://x"),AL,NGO Hope,ngo_case_worker,female,sq;en\n'
    + "A4,Dara Kovalenko,UA,Prosecutor's office,prosecutor,other,uk\n"
)
PAGES = ["/exercise/applicants/", "/exercise/applicants/selection/"]


def _upload(client, text, name="apps.csv"):
    f = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post("/exercise/applicants/", {"act": "import", "file": f})


def test_only_the_chief_controller_sees_applications(loaded, as_user):
    for username in ["controller-1", "a-ngo_worker-1", "actor_mira", "antenna-1"]:
        c = as_user(username)
        for url in [*PAGES, "/exercise/applicants/selection.csv"]:
            before = AuditEntry.objects.filter(action="refused").count()
            assert c.get(url).status_code == 403, (username, url)
            assert AuditEntry.objects.filter(action="refused").count() == before + 1
        assert c.post("/exercise/applicants/", {"act": "add"}).status_code == 403
        assert c.post("/exercise/applicants/selection/", {"places": "2"}).status_code == 403
    chief = as_user("chief")
    for url in PAGES:
        assert chief.get(url).status_code == 200
    assert b"/exercise/applicants/" in chief.get("/exercise/").content
    assert chief.get("/exercise/applicants/selection.csv").status_code == 404  # none made yet


def test_import_reads_all_rows_and_audits_without_names(loaded, as_user):
    chief = as_user("chief")
    r = _upload(chief, GOOD)
    assert r.status_code == 302
    assert Application.objects.count() == 4
    entry = AuditEntry.objects.filter(object_type="exercise_application", action="create").last()
    assert len(entry.details["ids"]) == 4
    assert "Ana" not in str(entry.details)
    page = chief.get("/exercise/applicants/")
    assert "Ana Popescu" in page.content.decode() and "Moldova" in page.content.decode()
    assert "Labour inspector" in page.content.decode() and "Romanian" in page.content.decode()
    assert AuditEntry.objects.filter(
        object_type="exercise_application", action="read", object_ref="list"
    ).exists()


def test_a_bad_row_imports_nothing_and_names_line_and_column(loaded, as_user):
    chief = as_user("chief")
    bad = GOOD + "A5,Eve,ZZ,Org,astronaut,female,en\nA1,Dup,MD,Org,judge,male,\n"
    r = _upload(chief, bad)
    assert r.status_code == 400
    html = r.content.decode()
    assert Application.objects.count() == 0
    assert "Nothing was imported" in html
    assert "ISO 3166" in html and "Choose one of the listed professions." in html
    assert "This reference is already on an earlier row." in html
    # a second file whose reference is already stored is refused whole, too
    assert _upload(chief, GOOD).status_code == 302
    again = HEADER + "B1,New,MD,Org,judge,male,\nA2,Old,RS,Org,judge,male,\n"
    r = _upload(chief, again)
    assert (
        r.status_code == 400 and "An application with this reference exists." in r.content.decode()
    )
    assert Application.objects.count() == 4
    # not UTF-8, no file, missing columns
    f = SimpleUploadedFile("x.csv", "reference\n\xe9".encode("latin-1"), content_type="text/csv")
    r = chief.post("/exercise/applicants/", {"act": "import", "file": f})
    assert r.status_code == 400 and "UTF-8" in r.content.decode()
    assert chief.post("/exercise/applicants/", {"act": "import"}).status_code == 400
    r = _upload(chief, "reference,name\nZ1,Zed\n")
    assert r.status_code == 400 and "missing" in r.content.decode()
    assert Application.objects.count() == 4


def test_add_one_application_on_the_page(loaded, as_user):
    chief = as_user("chief")
    data = {
        "act": "add",
        "reference": "W1",
        "name": "Wanda",
        "country": "pl",
        "organisation": "Border Guard",
        "profession": "border_guard",
        "gender": "female",
        "languages": "pl;en",
    }
    assert chief.post("/exercise/applicants/", data).status_code == 302
    a = Application.objects.get(ref="W1")
    assert (a.country, a.languages) == ("PL", ["pl", "en"])
    assert AuditEntry.objects.filter(
        object_type="exercise_application", action="create", object_ref=str(a.pk)
    ).exists()
    r = chief.post("/exercise/applicants/", {**data, "country": "Poland", "profession": "x"})
    assert r.status_code == 400
    html = r.content.decode()
    assert html.count('class="field-error"') >= 2 and "ISO 3166" in html
    r = chief.post("/exercise/applicants/", data)  # same reference again
    assert (
        r.status_code == 400 and "An application with this reference exists." in r.content.decode()
    )
    assert Application.objects.count() == 1


def _many(chief, n=40):
    rows = [HEADER]
    profs = ["criminal_investigator", "labour_inspector", "prosecutor", "social_worker"]
    countries = ["MD", "RS", "AL", "UA", "RO"]
    for i in range(n):
        g = ["female", "male", "male"][i % 3]
        rows.append(f"R{i:03d},Person {i},{countries[i % 5]},Org,{profs[(i // 5) % 4]},{g},en\n")
    assert _upload(chief, "".join(rows)).status_code == 302


def test_selection_page_runs_reports_balance_and_exports_safely(loaded, as_user):
    chief = as_user("chief")
    _many(chief)
    _upload(chief, HEADER + 'Z9,=HYPERLINK("http://x"),AL,@Org,judge,female,\n')
    form = {
        "places": "12",
        "quota_prosecutor": "4",
        "quota_judge": "1",
        "women_percent": "50",
        "country_cap": "3",
        "seed": "7",
    }
    assert chief.post("/exercise/applicants/selection/", form).status_code == 302
    run = SelectionRun.objects.get()
    assert run.seed == 7 and sum(d["selected"] for d in run.decisions) == 12
    page = chief.get("/exercise/applicants/selection/").content.decode()
    assert "12 of 12 places filled" in page and "Balance by country" in page
    assert "Selected for the quota of their profession." in page
    assert "Not selected: their country had reached its cap of places." in page
    prof = {x["key"]: x for x in run.balance["profession"]}
    assert prof["prosecutor"]["selected"] >= 4 and prof["prosecutor"]["met"] is True
    assert prof["judge"]["selected"] == 1
    assert all(x["selected"] <= 3 for x in run.balance["country"])
    gender = {x["key"]: x for x in run.balance["gender"]}
    assert gender["female"]["target"] == 6 and gender["female"]["selected"] == 6
    assert AuditEntry.objects.filter(object_type="exercise_selection", action="create").exists()
    assert AuditEntry.objects.filter(object_type="exercise_selection", action="read").exists()
    # same seed, same applications → same choice
    chief.post("/exercise/applicants/selection/", form)
    runs = list(SelectionRun.objects.order_by("id"))
    assert runs[0].decisions == runs[1].decisions
    r = chief.get("/exercise/applicants/selection.csv")
    assert r.status_code == 200 and "TRAINING-selection.csv" in r["Content-Disposition"]
    body = r.content.decode("utf-8-sig")
    assert body.startswith(CSV_MARK)
    rows = list(csv.reader(io.StringIO(body[len(CSV_MARK) :])))
    assert len(rows) == 1 + 41 and sum(1 for x in rows[1:] if x[1] == "yes") == 12
    z9 = next(x for x in rows if x[3] == "Z9")
    assert z9[4].startswith("'=") and z9[6] == "'@Org"
    assert AuditEntry.objects.filter(object_type="exercise_selection", action="export").exists()


def test_bad_rules_change_nothing(loaded, as_user):
    chief = as_user("chief")
    r = chief.post("/exercise/applicants/selection/", {"places": "3"})
    assert r.status_code == 400 and "no applications" in r.content.decode()
    _many(chief, 10)
    for form, field_text in (
        ({"places": ""}, "Give the number of places."),
        ({"places": "x"}, "whole number"),
        ({"places": "3", "quota_judge": "5"}, "more than the places"),
        ({"places": "3", "quota_judge": "-1"}, "cannot be negative"),
        ({"places": "3", "women_percent": "150"}, "between 0 and 100"),
        ({"places": "3", "country_cap": "0"}, "at least one place"),
        ({"places": "3", "seed": "-4"}, "between 0 and"),
    ):
        r = chief.post("/exercise/applicants/selection/", form)
        assert r.status_code == 400, form
        assert field_text in r.content.decode(), form
    assert SelectionRun.objects.count() == 0
    assert chief.post("/exercise/applicants/selection/", {"places": "3"}).status_code == 302
    assert SelectionRun.objects.get().seed >= 0  # drawn when not given


def test_services_refuse_outside_an_exercise_instance_and_without_permission(loaded, as_user):
    from django.test import override_settings

    from palermo.core.errors import NotAllowed
    from palermo.core.models import User

    ctl = User.objects.get(username="controller-1")
    with pytest.raises(NotAllowed):
        applicants.application_add(actor=ctl, organisation=None, data={})
    with pytest.raises(NotAllowed):
        applicants.run_selection(actor=ctl, organisation=None, data={"places": "1"})
    with override_settings(PALERMO_EXERCISE=""), pytest.raises(NotAnExerciseInstance):
        applicants.applications_import(actor=None, organisation=None, text=GOOD)
    assert Application.objects.count() == 0
