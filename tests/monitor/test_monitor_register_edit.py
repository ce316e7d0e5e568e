"""Typing one recommendation and correcting recommendations and measures on the web: the same
checks as an import row, stale versions refused, history kept, only the office allowed."""

from __future__ import annotations

import pytest

from palermo.core.models import AuditEntry
from palermo.monitor.models import FollowUp, Measure, Recommendation

TYPED = {
    "source_body": "un_treaty_body",
    "report": "CRC concluding observations (fictional)",
    "paragraph": "44",
    "issued_on": "2025-10-01",
    "thematic_area": "child_trafficking",
    "addressee": "Government",
    "text": "Set up a child-friendly identification procedure.",
    "due_on": "2026-12-31",
    "response": "",
}


def test_a_typed_recommendation_enters_the_register(monitor_demo, login_as):
    c = login_as("coordinator")
    r = c.post("/monitor/recommendations/new/", TYPED)
    assert r.status_code == 302
    rec = Recommendation.objects.get(paragraph="44")
    assert rec.area == "child_trafficking" and rec.follow_ups.count() == 1


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"due_on": "2025-01-01"}, "before the date the recommendation was issued"),
        (
            {
                "source_body": "osce",
                "report": "Country visit report (fictional), 2025",
                "paragraph": "12",
            },
            "already in the register",
        ),
        ({"text": ""}, "This field is required"),
    ],
)
def test_a_bad_typed_recommendation_changes_nothing(monitor_demo, login_as, change, fragment):
    c = login_as("coordinator")
    before = Recommendation.objects.count()
    r = c.post("/monitor/recommendations/new/", {**TYPED, **change})
    assert r.status_code == 422 and fragment in r.content.decode()
    assert Recommendation.objects.count() == before


def test_correcting_a_recommendation_keeps_history_and_refuses_a_stale_save(monitor_demo, login_as):
    c = login_as("coordinator")
    rec = Recommendation.objects.get(source_body="greta", paragraph="87")
    url = f"/monitor/recommendations/{rec.pk}/edit/"
    assert c.get(url).status_code == 200
    form = {
        "addressee": "Government",
        "text": "Appoint a guardian promptly.",
        "due_on": "2026-06-30",
        "version": rec.version,
    }
    assert c.post(url, form).status_code == 302
    rec.refresh_from_db()
    assert rec.text == "Appoint a guardian promptly." and rec.version == form["version"] + 1
    assert FollowUp.objects.filter(recommendation=rec, note__startswith="Edited").exists()
    stale = c.post(url, {**form, "text": "Overwrite"})
    assert stale.status_code == 422 and "after you opened it" in stale.content.decode()
    rec.refresh_from_db()
    assert rec.text == "Appoint a guardian promptly."
    assert AuditEntry.objects.filter(
        object_type="monitor.recommendation", object_ref=str(rec.pk), action="update"
    ).exists()


def test_editing_a_measure(monitor_demo, login_as):
    c = login_as("coordinator")
    m = Measure.objects.get(code="1", objective__code="2")
    url = f"/monitor/measures/{m.pk}/edit/"
    resp = [o.pk for o in m.responsible.all()]
    bad = {
        "title": "Parallel financial investigations",
        "deadline": "2026-12-31",
        "responsible": resp,
        "budget_currency": "EURO",
        "version": m.version,
    }
    r = c.post(url, bad)
    assert r.status_code == 422
    m.refresh_from_db()
    assert m.title != "Parallel financial investigations"
    ok = {**bad, "budget_currency": "eur", "budget_amount": "50000"}
    assert c.post(url, ok).status_code == 302
    m.refresh_from_db()
    assert m.title == "Parallel financial investigations" and m.budget_currency == "EUR"
    assert str(m.deadline) == "2026-12-31"


@pytest.mark.parametrize("name", ["analyst", "caseworker", "police"])
def test_only_the_office_types_and_corrects(monitor_demo, login_as, name):
    c = login_as(name)
    rec = Recommendation.objects.first()
    m = Measure.objects.first()
    assert c.get("/monitor/recommendations/new/").status_code == 403
    assert c.post("/monitor/recommendations/new/", TYPED).status_code == 403
    assert c.get(f"/monitor/recommendations/{rec.pk}/edit/").status_code == 403
    assert c.get(f"/monitor/measures/{m.pk}/edit/").status_code == 403
    assert not Recommendation.objects.filter(paragraph="44").exists()
