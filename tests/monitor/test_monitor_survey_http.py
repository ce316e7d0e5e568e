"""The implementation survey through HTTP and the CLI: who may do what, the stepped answer
form, refusals that change nothing, XLSForm in and out, reminders."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from tests.monitor.monitor_helpers import acting

from palermo.core.models import AuditEntry
from palermo.monitor import survey_services, xlsform
from palermo.monitor.models import Survey, SurveyAssignment, SurveyResponse, SurveyStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def demo_survey(monitor_demo):
    return Survey.objects.get()


@pytest.fixture
def fresh(demo_world):
    """A small draft survey of the co-ordinator, sent to the case worker's organisation."""
    actor, org = acting("coordinator")
    item = survey_services.survey_create(
        actor=actor,
        organisation=org,
        title="Small survey",
        definition={
            "title": "x",
            "sections": [
                {
                    "name": "one",
                    "label": "Part one",
                    "questions": [
                        {
                            "name": "works",
                            "type": "select_one",
                            "label": "Do you work on this?",
                            "required": True,
                            "choices": [
                                {"name": "yes", "label": "Yes"},
                                {"name": "no", "label": "No"},
                            ],
                        },
                        {
                            "name": "n",
                            "type": "integer",
                            "label": "How many?",
                            "required": True,
                            "relevant": "${works} = 'yes'",
                        },
                    ],
                },
                {
                    "name": "two",
                    "label": "Part two",
                    "questions": [
                        {"name": "notes", "type": "text", "label": "Notes"},
                        {"name": "report", "type": "file", "label": "Your report"},
                    ],
                },
            ],
        },
    )
    _cw, shelter = acting("caseworker")
    survey_services.survey_open(
        actor=actor,
        organisation=org,
        item=item,
        organisations=[shelter],
        due_on=timezone.localdate() + timedelta(days=3),
    )
    item.refresh_from_db()
    return item


def test_the_demo_holds_a_survey_answered_by_two_organisations(demo_survey):
    assert demo_survey.status == SurveyStatus.OPEN
    assert (
        SurveyResponse.objects.filter(assignment__survey=demo_survey, submitted=True).count() == 2
    )


@pytest.mark.parametrize("name", ["coordinator", "analyst"])
def test_the_office_and_the_rapporteur_see_answers_across_respondents(demo_survey, login_as, name):
    c = login_as(name)
    assert c.get("/monitor/surveys/").status_code == 200
    r = c.get(f"/monitor/surveys/{demo_survey.pk}/")
    assert r.status_code == 200 and "Organisations asked" in r.content.decode()
    r = c.get(f"/monitor/surveys/{demo_survey.pk}/consolidated/?area=victim_identification")
    body = r.content.decode()
    assert r.status_code == 200
    assert "1 of 2 respondents answered" in body and "Earlier access" not in body  # one area only
    assert AuditEntry.objects.filter(object_type="monitor.survey_consolidated").exists()


def test_a_respondent_sees_its_survey_but_not_the_others_answers(demo_survey, login_as):
    c = login_as("caseworker")
    assert demo_survey.title in c.get("/monitor/surveys/").content.decode()
    assert c.get(f"/monitor/surveys/{demo_survey.pk}/answer/").status_code == 200
    before = AuditEntry.objects.filter(action="refused").count()
    assert c.get(f"/monitor/surveys/{demo_survey.pk}/consolidated/").status_code == 403
    assert AuditEntry.objects.filter(action="refused").count() == before + 1


def test_a_draft_is_invisible_to_respondents(fresh, login_as):
    actor, org = acting("coordinator")
    draft = survey_services.survey_create(
        actor=actor, organisation=org, title="Draft", from_template=True
    )
    c = login_as("caseworker")
    assert c.get(f"/monitor/surveys/{draft.pk}/").status_code == 404
    assert "Draft" not in c.get("/monitor/surveys/").content.decode()


def test_an_organisation_not_asked_cannot_answer(fresh, login_as):
    c = login_as("police")
    assert c.get(f"/monitor/surveys/{fresh.pk}/answer/").status_code == 404  # not even listed
    assert c.get(f"/monitor/surveys/{fresh.pk}/").status_code == 404


@pytest.mark.parametrize("name", ["inspector", "admin"])
def test_others_are_refused(demo_survey, login_as, name):
    c = login_as(name)
    assert c.get("/monitor/surveys/").status_code == 403
    assert c.get(f"/monitor/surveys/{demo_survey.pk}/xlsform.xlsx").status_code == 403


def test_the_stepped_answer_keeps_input_across_steps_and_submits_after_review(fresh, login_as):
    c = login_as("caseworker")
    url = f"/monitor/surveys/{fresh.pk}/answer/"
    r = c.post(url, {"step": 0, "version": 1, "a-works": "yes", "nav": "next"})
    assert r.status_code == 302 and r["Location"].endswith("?step=1")
    response = SurveyResponse.objects.get(assignment__survey=fresh)
    assert response.answers == {"works": "yes"} and not response.submitted
    # back to step 0: the answer is there
    assert 'value="yes" checked' in c.get(url + "?step=0").content.decode().replace("\n", " ") or (
        "checked" in c.get(url + "?step=0").content.decode()
    )
    # the review lists what is missing and the submission is refused
    review = c.get(url + "?step=2").content.decode()
    assert "An answer is required." in review
    r = c.post(url, {"step": 2, "version": response.version})
    assert r.status_code == 422
    assert not SurveyResponse.objects.get(pk=response.pk).submitted
    # complete step 0, then submit
    r = c.post(
        url, {"step": 0, "version": response.version, "a-works": "yes", "a-n": "12", "nav": "next"}
    )
    assert r.status_code == 302
    response.refresh_from_db()
    r = c.post(url, {"step": 2, "version": response.version})
    assert r.status_code == 302
    response.refresh_from_db()
    assert response.submitted and response.answers == {"works": "yes", "n": 12}
    assert AuditEntry.objects.filter(
        object_type="monitor.survey_response", details__event="submitted"
    ).exists()


def test_an_answer_that_does_not_apply_is_refused_and_nothing_saved(fresh, login_as):
    c = login_as("caseworker")
    url = f"/monitor/surveys/{fresh.pk}/answer/"
    r = c.post(url, {"step": 0, "version": 1, "a-works": "no", "a-n": "3", "nav": "next"})
    assert r.status_code == 422
    assert "does not apply" in r.content.decode()
    assert not SurveyResponse.objects.filter(assignment__survey=fresh).exists()


def test_a_save_over_a_newer_save_is_refused(fresh, login_as):
    c = login_as("caseworker")
    url = f"/monitor/surveys/{fresh.pk}/answer/"
    assert c.post(url, {"step": 0, "version": 1, "a-works": "no", "nav": "stay"}).status_code == 302
    r = c.post(url, {"step": 0, "version": 1, "a-works": "yes", "a-n": "1", "nav": "stay"})
    assert (
        r.status_code == 422 and "saved these answers after you opened them" in r.content.decode()
    )
    assert SurveyResponse.objects.get(assignment__survey=fresh).answers == {"works": "no"}


def test_an_answer_to_a_removed_question_is_refused_by_the_service(fresh):
    actor, org = acting("caseworker")
    assignment = SurveyAssignment.objects.get(survey=fresh)
    with pytest.raises(survey_services.InvalidInput) as info:
        survey_services.answers_save(
            actor=actor,
            organisation=org,
            assignment=assignment,
            answers={"works": "no", "old_q": "x"},
        )
    assert info.value.errors[0].field == "old_q"
    assert "no longer in the survey" in info.value.errors[0].message


def test_a_file_answer_is_kept_with_its_hash_and_only_for_those_allowed(fresh, login_as):
    c = login_as("caseworker")
    url = f"/monitor/surveys/{fresh.pk}/answer/"
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 fictional", content_type="application/pdf")
    r = c.post(url, {"step": 1, "version": 1, "a-notes": "ok", "a-report": upload, "nav": "stay"})
    assert r.status_code == 302
    response = SurveyResponse.objects.get(assignment__survey=fresh)
    att = response.attachments.get()
    assert len(att.sha256) == 64 and response.answers["report"] == "report.pdf"
    assert c.get(f"/monitor/surveys/attachments/{att.pk}/download/").status_code == 200
    assert (
        login_as("police").get(f"/monitor/surveys/attachments/{att.pk}/download/").status_code
        == 404
    )
    assert (
        login_as("coordinator").get(f"/monitor/surveys/attachments/{att.pk}/download/").status_code
        == 200
    )


def test_the_designer_refuses_a_bad_question_and_changes_nothing(demo_world, login_as):
    c = login_as("coordinator")
    r = c.post("/monitor/surveys/", {"title": "Pilot", "from_template": "on"})
    assert r.status_code == 302
    item = Survey.objects.get(title="Pilot")
    version = item.version
    r = c.post(
        f"/monitor/surveys/{item.pk}/",
        {
            "action": "add",
            "q-section": "labour_exploitation",
            "q-name": "extra",
            "q-type": "text",
            "q-label": "Extra",
            "q-relevant": "${nowhere} = 'x'",
        },
    )
    assert r.status_code == 422 and "not a question of this survey" in r.content.decode()
    item.refresh_from_db()
    assert item.version == version
    r = c.post(
        f"/monitor/surveys/{item.pk}/",
        {
            "action": "add",
            "q-section": "labour_exploitation",
            "q-name": "extra",
            "q-type": "select_one",
            "q-label": "Extra",
            "q-relevant": "${le_works} = 'yes'",
            "q-choices": "a|Alpha\nb|Beta",
        },
    )
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.version == version + 1
    # removal asks first, then removes
    r = c.post(f"/monitor/surveys/{item.pk}/questions/remove/", {"name": "extra"})
    assert r.status_code == 200 and "Remove the question" in r.content.decode()
    item.refresh_from_db()
    assert item.version == version + 1
    c.post(f"/monitor/surveys/{item.pk}/questions/remove/", {"name": "extra", "confirm": "yes"})
    item.refresh_from_db()
    assert "extra" not in str(item.definition)


def test_an_open_survey_is_frozen(fresh, login_as):
    c = login_as("coordinator")
    r = c.post(
        f"/monitor/surveys/{fresh.pk}/",
        {"action": "add", "q-section": "one", "q-name": "x", "q-type": "text", "q-label": "X"},
    )
    assert r.status_code == 422 and "no longer a draft" in r.content.decode()


def test_sending_needs_organisations_and_a_future_date(demo_world, login_as):
    c = login_as("coordinator")
    c.post("/monitor/surveys/", {"title": "Pilot", "from_template": "on"})
    item = Survey.objects.get(title="Pilot")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    r = c.post(f"/monitor/surveys/{item.pk}/", {"action": "open", "open-due_on": yesterday})
    assert r.status_code == 422
    item.refresh_from_db()
    assert item.status == SurveyStatus.DRAFT and not item.assignments.exists()


def test_xlsform_export_is_accepted_by_pyxform_and_reimports(demo_survey, login_as):
    c = login_as("coordinator")
    r = c.get(f"/monitor/surveys/{demo_survey.pk}/xlsform.xlsx")
    assert r.status_code == 200 and r["Content-Type"] == XLSX
    assert "<h:title>" in xlsform.xform(r.content)
    # into a new draft through the page
    c.post("/monitor/surveys/", {"title": "Copy", "from_template": ""})
    copy = Survey.objects.get(title="Copy")
    r = c.post(
        f"/monitor/surveys/{copy.pk}/",
        {"action": "import", "x-file": SimpleUploadedFile("s.xlsx", r.content, content_type=XLSX)},
    )
    assert r.status_code == 302
    copy.refresh_from_db()
    assert copy.definition["sections"] == demo_survey.definition["sections"]


def test_a_bad_workbook_is_refused_whole(demo_world, login_as):
    c = login_as("coordinator")
    c.post("/monitor/surveys/", {"title": "Copy", "from_template": "on"})
    copy = Survey.objects.get(title="Copy")
    before = copy.definition
    r = c.post(
        f"/monitor/surveys/{copy.pk}/",
        {
            "action": "import",
            "x-file": SimpleUploadedFile("s.xlsx", b"not a workbook", content_type=XLSX),
        },
    )
    assert r.status_code == 422 and "nothing was imported" in r.content.decode()
    copy.refresh_from_db()
    assert copy.definition == before


def test_reminders_go_once_a_day_after_commit(fresh, django_capture_on_commit_callbacks):
    actor, org = acting("coordinator")
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_services.remind(actor=actor, organisation=org) == 1
    assert survey_services.remind(actor=actor, organisation=org) == 0  # not twice a day
    assert len(mail.outbox) == 1 and "Small survey" in mail.outbox[0].subject
    assert SurveyAssignment.objects.get(survey=fresh).reminders == 1


def test_a_respondent_may_not_remind(fresh):
    actor, org = acting("caseworker")
    with pytest.raises(survey_services.NotAllowed):
        survey_services.remind(actor=actor, organisation=org)


def test_cli_exports_and_imports_an_xlsform(demo_survey, tmp_path):
    from typer.testing import CliRunner

    from palermo.monitor.cli import app

    out = tmp_path / "s.xlsx"
    runner = CliRunner()
    result = runner.invoke(
        app, ["survey", "export-xlsform", str(demo_survey.pk), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["survey", "import-xlsform", str(out), "--title", "From Kobo", "--as", "coordinator"]
    )
    assert result.exit_code == 0, result.output
    assert Survey.objects.filter(title="From Kobo", status=SurveyStatus.DRAFT).exists()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(io.BytesIO(b"nope").getvalue())
    result = runner.invoke(
        app, ["survey", "import-xlsform", str(bad), "--title", "Bad", "--as", "coordinator"]
    )
    assert result.exit_code == 1 and not Survey.objects.filter(title="Bad").exists()


def test_api_answers_are_checked_and_saved_for_the_callers_organisation(fresh, login_as):
    c = login_as("caseworker")
    r = c.get("/api/v1/monitor/surveys")
    assert r.status_code == 200 and any(s["id"] == fresh.pk for s in r.json())
    r = c.get(f"/api/v1/monitor/surveys/{fresh.pk}")
    assert r.status_code == 200 and r.json()["my_submitted"] is False
    r = c.put(
        f"/api/v1/monitor/surveys/{fresh.pk}/answers",
        {"answers": {"works": "yes"}, "submit": True},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "n", "message": "An answer is required."}]
    assert not SurveyResponse.objects.filter(assignment__survey=fresh).exists()
    r = c.put(
        f"/api/v1/monitor/surveys/{fresh.pk}/answers",
        {"answers": {"works": "yes", "n": 2}, "submit": True},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["submitted"] is True


def test_api_refuses_an_organisation_that_was_not_asked(fresh, login_as):
    c = login_as("police")
    assert c.get(f"/api/v1/monitor/surveys/{fresh.pk}").status_code == 404
    r = c.put(
        f"/api/v1/monitor/surveys/{fresh.pk}/answers",
        {"answers": {"works": "no"}},
        content_type="application/json",
    )
    assert r.status_code == 404


def test_the_annual_report_has_its_charts_in_every_format(demo_survey, login_as):
    import zipfile

    c = login_as("analyst")
    html = c.get("/monitor/report.html").content.decode()
    assert html.count('<img class="chart" src="data:image/svg+xml;base64,') >= 7
    docx = c.get("/monitor/report.docx").content
    names = zipfile.ZipFile(io.BytesIO(docx)).namelist()
    assert sum(1 for n in names if n.startswith("word/media/")) >= 7
    pdf = c.get("/monitor/report.pdf").content
    assert pdf[:5] == b"%PDF-" and pdf.count(b"/Subtype /Image") >= 7
