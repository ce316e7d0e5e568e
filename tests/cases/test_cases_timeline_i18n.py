"""The case timeline in the reader's language (issue 15: "every user, every language").

A timeline entry's summary is a record: it is stored in English, as before, whoever wrote
it and in whatever language they read. The case page reads the stored text back against
the timeline's sentences (cases/timeline.py) and says it through gettext; a text no
sentence reads back exactly is shown as written, marked lang="en".

The catalogues are completed by the translators later, so these tests do not assert
Ukrainian words: a stand-in gettext marks what went through it (⟦…⟧).
"""

from __future__ import annotations

import copy
import pickle
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from palermo.cases import workflow as wf
from palermo.cases.timeline import TIMELINE, said, timeline_summary
from palermo.core.sentences import Book, Count, ListOf, Sentence, Text, Words


def mark(text: str) -> str:
    return f"⟦{text}⟧"


@pytest.fixture
def marked(monkeypatch):
    """gettext marks its msgid; the reader is not English (as on a Ukrainian page)."""
    from palermo.web import sentences

    monkeypatch.setattr(sentences, "gettext", mark)
    monkeypatch.setattr(sentences, "english_reader", lambda: False)


# The wording the services wrote before the sentences existed: the stored text must not change.
LEGACY = [
    (
        said("transition", previous=wf.IDENTIFICATION, target=wf.FIRST_LINE),
        f"Phase: {wf.PHASE_LABELS[wf.IDENTIFICATION]} → {wf.PHASE_LABELS[wf.FIRST_LINE]}",
    ),
    (
        said("transition_closed", previous=wf.PROCEEDINGS, target=wf.CLOSED, reason="other"),
        f"Phase: {wf.PHASE_LABELS[wf.PROCEEDINGS]} → {wf.PHASE_LABELS[wf.CLOSED]} "
        f"({wf.CLOSURE_REASONS['other']})",
    ),
    (
        said("referral_sent", organisation="Safe House, Ltd.", service="shelter"),
        f"Referred to Safe House, Ltd. for {wf.SERVICE_TYPES['shelter'].lower()}",
    ),
    (
        said(
            "consent_given",
            giver="person",
            scopes=["identity", "victim_context"],
            organisation="Shelter → North",
            purpose="shelter",
        ),
        f"Consent given ({wf.CONSENT_GIVERS['person']}): identity, victim_context → "
        f"Shelter → North, for {wf.CONSENT_PURPOSES['shelter'].lower()}",
    ),
    (
        said("decision_new_facts", outcome="identified"),
        f"Identification decision: {wf.IDENTIFICATION_LABELS['identified']} (new facts)",
    ),
    (said("guardian", date=date(2026, 3, 1)), "Guardian appointed on 2026-03-01"),
    (
        said("return_override", country="XK", date=date(2026, 1, 2)),
        "Return to XK recorded for 2026-01-02 (co-ordinator override)",
    ),
    (
        said("case_updated", fields=["is_child", "status"]),
        "Case details changed: is_child, status",
    ),
    (said("case_updated_nothing"), "Case details changed: nothing"),
    (
        said("opened_child", source="hotline"),
        "Case opened from an incoming referral (Hotline call) — a child: child protection applies",
    ),
    (
        said("team_joined", organisation="NGO (north)", role="assistance"),
        "NGO (north) joined the case team (Assistance and protection)",
    ),
    (
        said("compensation_claim", source=next(iter(wf.COMPENSATION_SOURCES)), status="filed"),
        f"Compensation claim ({next(iter(wf.COMPENSATION_SOURCES.values())).lower()}): filed",
    ),
]


@pytest.mark.parametrize(("written", "legacy"), LEGACY, ids=lambda v: str(v)[:30])
def test_the_stored_english_is_the_wording_of_before(written, legacy) -> None:
    assert str(written) == legacy
    # ...and it reads back as the same sentence with the same values.
    again = TIMELINE.read(legacy)
    assert again is not None and again.sentence.key == written.sentence.key
    assert again.values == {
        k: tuple(v) if isinstance(v, list) else v for k, v in written.values.items()
    }


def test_the_english_is_written_in_english_whatever_the_actor_reads() -> None:
    # CaseSource and TeamRole labels are translated lazily; the record is not.
    with translation.override("uk"):
        assert str(said("opened", source="hotline")) == (
            "Case opened from an incoming referral (Hotline call)"
        )
        assert str(said("team_joined", organisation="X", role="lead")).endswith("(Lead case work)")


def test_a_text_only_counts_when_writing_it_again_gives_it_exactly() -> None:
    for text in (
        "Phase: Identification → Nowhere",  # not a phase
        "Phase: Identification → First-line assistance and protection (",  # cut short
        "Guardian appointed on 2026-02-30",  # not a date
        "Case details changed: is_child, colour",  # not a case field
        "A sentence of an older release",
        "",
    ):
        assert TIMELINE.read(text) is None, text


def test_sentences_keep_their_values_through_copies() -> None:
    s = said(
        "consent_given", giver="guardian", scopes=["safeguards"], organisation="A", purpose="legal"
    )
    for again in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):  # noqa: S301 - our own bytes
        assert again == s and again.values == s.values


def test_a_template_and_its_slots_must_agree() -> None:
    with pytest.raises(ValueError):
        Sentence("bad", "{a} and {b}", {"a": Text()})
    with pytest.raises(ValueError):
        Book([Sentence("x", "A"), Sentence("x", "B")])


def test_words_read_the_longest_label_first() -> None:
    s = Sentence(
        "t", "{n}: {w}", {"n": Count("things"), "w": ListOf(Words("w", {"a": "ok", "b": "not ok"}))}
    )
    said_ = Book([s]).read("3 things: not ok, ok")
    assert said_ is not None and said_.values == {"n": 3, "w": ("b", "a")}


def test_in_another_language_the_sentence_and_its_words_go_through_gettext(marked, db) -> None:
    stored = str(said("transition", previous=wf.IDENTIFICATION, target=wf.FIRST_LINE))
    shown = timeline_summary(stored)
    assert shown.lang == ""
    assert shown.text == (
        "⟦Phase: {previous} → {target}⟧".replace(
            "{previous}", mark(wf.PHASE_LABELS[wf.IDENTIFICATION])
        ).replace("{target}", mark(wf.PHASE_LABELS[wf.FIRST_LINE]))
    )
    # A service type mid-sentence: said by its label's msgid (not by the lower-cased text).
    shown = timeline_summary(str(said("referral_sent", organisation="Org", service="shelter")))
    assert shown.text == "⟦Referred to Org for " + mark(wf.SERVICE_TYPES["shelter"]) + "⟧"


def test_an_english_reader_sees_the_stored_text(db) -> None:
    stored = str(said("appeal_upheld"))
    with translation.override("en"):
        assert timeline_summary(stored).text == stored and timeline_summary(stored).lang == ""


def test_an_english_reader_sees_the_codes_of_the_record_in_words(db) -> None:
    """The record names changed fields and field groups by their codes and countries by ISO
    code: an English reader reads "lead organisation", "victim context …", "India"."""
    from datetime import date

    with translation.override("en"):
        changed = timeline_summary(str(said("case_updated", fields=["lead_organisation"])))
        assert changed.text == "Case details changed: lead organisation"
        consent = timeline_summary(
            str(
                said(
                    "consent_given",
                    giver="person",
                    scopes=["identity", "victim_context"],
                    organisation="Org",
                    purpose="shelter",
                )
            )
        )
        assert "_" not in consent.text and "victim context" in consent.text
        assessed = timeline_summary(str(said("return_assessment_acceptable", country="IN")))
        assert assessed.text == "Return risk assessment (India): acceptable"
        guardian = timeline_summary(str(said("guardian", date=date(2026, 10, 24))))
        assert guardian.text == "Guardian appointed on 24 Oct 2026" and guardian.lang == ""


def test_an_unknown_stored_text_is_shown_as_written_marked_english(marked) -> None:
    shown = timeline_summary("Imported from the old register")
    assert shown.text == "Imported from the old register" and shown.lang == "en"


def test_a_broken_translation_falls_back_to_the_english_template(monkeypatch) -> None:
    from palermo.web import sentences

    monkeypatch.setattr(sentences, "gettext", lambda t: "{oops} " + t)
    monkeypatch.setattr(sentences, "english_reader", lambda: False)
    shown = timeline_summary("Guardian appointed on 2026-03-01")
    assert shown.text.startswith("Guardian appointed on ") and "oops" not in shown.text


def test_every_entry_the_services_write_reads_back(demo_cases) -> None:
    """The 80 demo cases are built through the case services: every timeline summary they
    wrote is one of the timeline's sentences (so a page can translate each of them)."""
    from palermo.cases.models import CaseEvent

    summaries = set(CaseEvent.objects.values_list("summary", flat=True))
    assert len(summaries) > 20
    unread = sorted(s for s in summaries if TIMELINE.read(s) is None)
    assert unread == []
    kinds = {TIMELINE.read(s).sentence.key for s in summaries}  # type: ignore[union-attr]
    assert len(kinds) > 8


def test_the_case_page_says_the_timeline_in_the_readers_language(client, persona, marked) -> None:
    from cases_helpers import acting, open_case

    from palermo.cases import services
    from palermo.cases.models import CaseEvent
    from palermo.cases.services._common import _event

    case = open_case()
    actor, org = acting("outreach")
    services.note_add(actor=actor, organisation=org, case=case, text="Met at the shelter.")
    _event(case, "imported", None, None, "Imported from the old register")
    before = list(
        CaseEvent.objects.filter(case=case).order_by("id").values_list("summary", flat=True)
    )
    client.force_login(persona("outreach"))
    html = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    timeline = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    assert "<strong>⟦Note⟧</strong>" in timeline
    assert (
        "⟦Case opened from an incoming referral ({source})⟧".replace("{source}", "⟦Screening⟧")
        in timeline
    )
    assert '<strong><span lang="en">Imported from the old register</span></strong>' in timeline
    # Showing changed nothing stored.
    assert (
        list(CaseEvent.objects.filter(case=case).order_by("id").values_list("summary", flat=True))
        == before
    )
    assert before[0] == "Case opened from an incoming referral (Screening)"
