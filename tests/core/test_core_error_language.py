"""Refusals and field errors in the reader's language (issue 15, item 5): a service writes an
English template with named fields; the message is translated when it is read, so a Ukrainian
user who types bad input reads Ukrainian beside the field, in the API's error shape and on the
command line alike."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from palermo.core import errors
from palermo.core.errors import FieldError, InvalidInput, NotAllowed, say
from palermo.web import i18n


def test_a_template_is_filled_with_its_values_in_english_without_a_translator(monkeypatch):
    monkeypatch.setattr(errors, "_translate", str)
    e = FieldError("source_ref", "At most {limit} characters.", limit=80)
    assert e.message == "At most 80 characters."
    assert e.template == "At most {limit} characters." and dict(e.params) == {"limit": 80}
    assert e.to_dict() == {"field": "source_ref", "message": "At most 80 characters."}


def test_a_message_without_values_is_never_formatted(monkeypatch):
    """Braces in a plain message (no values given) stay as written."""
    monkeypatch.setattr(errors, "_translate", str)
    assert FieldError("f", "Use {curly} braces.").message == "Use {curly} braces."


def test_the_installed_translator_is_used_when_the_message_is_read(monkeypatch):
    monkeypatch.setattr(errors, "_translate", {"At most {limit} characters.": "≤ {limit}"}.get)
    e = FieldError("f", "At most {limit} characters.", limit=5)
    assert e.message == "≤ 5"


def test_a_refusal_detail_is_said_with_its_values(monkeypatch):
    monkeypatch.setattr(errors, "_translate", str)
    exc = NotAllowed("You may not record a claim on case {case}.", case="NRM-1")
    assert exc.detail == "You may not record a claim on case NRM-1."
    assert exc.as_dict()["detail"] == exc.detail
    assert str(exc) == exc.detail


@given(st.text(max_size=40))
def test_a_broken_translation_never_fails_the_request_that_explains_an_error(broken):
    """A translator's typo in a field name ({limt}), a stray brace or a format spec falls back
    to the English template instead of raising while an error is being shown."""
    original = errors._translate
    errors._translate = lambda _t: broken
    try:
        text = say("At most {limit} characters.", (("limit", 80),))
    finally:
        errors._translate = original
    assert isinstance(text, str)
    assert text == "At most 80 characters." or "{limit}" not in broken or text


def test_no_refusal_message_in_the_package_is_built_at_run_time():
    """An f-string (or a concatenation) given to FieldError or a refusal cannot be a msgid:
    it would reach every reader in English. Give the values as keyword arguments instead."""
    built = [m.where for m in i18n.refusal_messages() if m.text is None]
    assert built == [], built


def test_every_refusal_message_is_in_the_committed_template():
    template = i18n.template_keys()
    missing = sorted(
        {m.text for m in i18n.refusal_messages() if m.text and m.text.strip()} - template
    )
    assert missing == [], f"run `palermo i18n extract`: {missing[:5]}"


@pytest.mark.parametrize("language", i18n.released_languages())
def test_a_field_error_is_said_in_each_released_language(language):
    e = FieldError("source_ref", "At most {limit} characters.", limit=80)
    with translation.override(language):
        said = e.message
    assert "80" in said and said != "At most 80 characters."


def test_an_invalid_input_raised_in_one_language_is_read_in_the_readers(monkeypatch):
    """The message is translated when read, not when raised: a job started in English and
    shown to a Ukrainian reader speaks Ukrainian."""
    exc = InvalidInput(FieldError("answers", "Unknown questions: {keys}.", keys="q9"))
    with translation.override("uk"):
        said = exc.errors[0].message
    assert "q9" in said and "Unknown questions" not in said


@pytest.mark.django_db
def test_the_api_says_a_service_refusal_in_the_language_the_client_asks_for(client, api_token):
    """Through the HTTP layer: the case-file service refuses an unknown form of exploitation;
    a client asking for Ukrainian gets the reason beside the field in Ukrainian, with the
    value it sent, and nothing is created."""
    from palermo.cases.models import Case

    body = {
        "source": "hotline",
        "person": {"given_name": "Bojan"},
        "exploitation_forms": ["Tourism"],
        "is_child_or_presumed_child": False,
    }
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('outreach')}"}
    said = {}
    for language in ("en", "uk"):
        r = client.post(
            "/api/v1/cases",
            body,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
            **auth,
        )
        assert r.status_code == 422, r.content
        by_field = {e["field"]: e["message"] for e in r.json()["errors"]}
        said[language] = by_field["exploitation_forms"]
    assert said["en"] == "Unknown forms of exploitation: Tourism."
    assert "Tourism" in said["uk"] and said["uk"] != said["en"]
    assert Case.objects.count() == 0


def test_a_pure_rules_problem_is_english_text_that_remembers_its_template():
    from palermo.core.errors import Problem

    p = Problem("Unknown factors: {keys}.", keys="x, y")
    assert p == "Unknown factors: x, y." and isinstance(p, str) and "factors" in p
    e = FieldError("factors", p)
    assert e.template == "Unknown factors: {keys}." and dict(e.params) == {"keys": "x, y"}
    import copy

    again = copy.deepcopy(p)  # __reduce__ keeps the template (copies, caches, job queues)
    assert again == p and again.template == p.template


def test_the_case_workflows_refusals_are_said_in_ukrainian_labels_included():
    """The identification decision and the phase rules are the journey's high-stakes refusals:
    their sentences and the phase names inside them are Ukrainian for a Ukrainian reader."""
    from palermo.cases import workflow as wf

    [already] = wf.transition_problems(
        wf.TransitionFacts(phase=wf.IDENTIFICATION, identification_status="none"),
        wf.IDENTIFICATION,
    )
    short = wf.decision_problems("none", wf.PRESUMED, "short")[-1]
    with translation.override("uk"):
        said_phase = FieldError("target", already).message
        said_reason = FieldError("reasons", short).message
        label = translation.gettext(wf.PHASE_LABELS[wf.IDENTIFICATION])
    assert label != wf.PHASE_LABELS[wf.IDENTIFICATION] and label in said_phase
    assert said_phase != str(already) and said_reason != str(short)
