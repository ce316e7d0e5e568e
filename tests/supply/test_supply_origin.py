"""Issue 18, item 6: a case opened from a supply-chain inspection's screening records that
origin, so the national statistics count it (small cells protected) and the procurement
dashboard shows a protected count — never a reference."""

from __future__ import annotations

import pytest
from django.urls import reverse

from palermo.cases.models import Case
from palermo.core.errors import InvalidInput
from palermo.screening.models import Screening
from palermo.stats import origins
from palermo.supply.models import InspectionReferral, Site
from tests.web.once_helpers import token_for


def _inspect_screen_and_refer(login_as) -> tuple[Screening, Case]:
    c = login_as("inspector")
    inspection = Site.objects.get(inspections__isnull=False).inspections.get()
    r = c.post(f"/supply/inspections/{inspection.pk}/", {"consent": "on"})
    assert r.status_code == 302
    link = InspectionReferral.objects.get()
    screening = Screening.objects.get(reference=link.screening_reference)
    assert screening.origin == "supply_inspection"
    # The inspector goes through the interview with the worker, then refers from the result.
    from palermo.screening import services as screening_services

    screening_services.screening_save(
        actor=screening.created_by,
        organisation=screening.organisation,
        screening=screening,
        answers=screening.answers,
        assess=True,
        based_on_version=screening.version,
    )
    url = reverse("screening:refer", args=[screening.reference])
    r = c.post(
        url,
        {
            "form_token": token_for(c, url),
            "exploitation_forms": ["ForcedLabour"],
            "summary": "Met at a labour inspection.",
            "consent": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    c.get(r["Location"])  # the inspector reads the confirmation (its flash message is used up)
    case = Case.objects.get(source_ref=screening.reference)
    return screening, case


def test_inspection_to_case_carries_the_origin_and_statistics_count_it(supply_demo, login_as):
    from palermo.stats import services as stats_services

    others = Case.objects.count()
    screening, case = _inspect_screen_and_refer(login_as)
    assert case.origin == "supply_inspection" and case.source == "screening"
    # Counted (threshold 1: the true counts) …
    counts = stats_services.supply_inspection_cases(threshold=1)
    assert counts.total.identified == 1 and counts.total.cases == others + 1
    year = case.incoming_referral_date.year
    assert next(r for r in counts.rows if r.year == year).identified == 1
    # … and protected at the real threshold: one case is never shown as 1.
    protected = stats_services.supply_inspection_cases()
    assert protected.total.identified is None
    page = login_as("coordinator").get("/stats/").content.decode()
    assert "Cases identified through a supply-chain inspection" in page
    assert screening.reference not in page and case.reference not in page
    # The procurement office sees "fewer than 5" opened cases — never a reference.
    body = login_as("procurement").get("/supply/").content.decode()
    assert "NRM cases opened from these inspections: fewer than 5." in body
    assert screening.reference not in body and case.reference not in body
    for url in ("/supply/inspections/", f"/screening/{screening.reference}/"):
        assert login_as("procurement").get(url).status_code in (403, 404)


def test_statistics_api_counts_with_protection(supply_demo, login_as, client, api_token):
    _inspect_screen_and_refer(login_as)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token('coordinator')}"}
    r = client.get("/api/v1/stats/supply-inspections", **auth)
    assert r.status_code == 200
    total = r.json()[0]
    assert total["year"] is None and total["identified"] is None  # 1 case: suppressed
    other = {"HTTP_AUTHORIZATION": f"Bearer {api_token('procurement')}"}
    assert client.get("/api/v1/stats/supply-inspections", **other).status_code == 403


def test_an_unknown_origin_is_refused(demo_world):
    from palermo.cases import services as case_services
    from palermo.core.models import User
    from palermo.screening import services as screening_services

    user = User.objects.get(username="police")
    org = user.organisations()[0]
    with pytest.raises(InvalidInput):
        screening_services.screening_create(
            actor=user, organisation=org, answers={"forms": ["labour"]}, assess=False, origin="x"
        )
    with pytest.raises(InvalidInput) as exc:
        case_services.referral_receive(
            actor=user,
            organisation=org,
            source="screening",
            origin="elsewhere",
            person={},
            exploitation_forms=["labour"],
            is_child_or_presumed_child=False,
        )
    assert any(e.field == "origin" for e in exc.value.errors)
    assert not Case.objects.filter(origin="elsewhere").exists()


def test_origin_counts_rule():
    facts = [(2025, "supply_inspection")] * 12 + [(2025, "")] * 30 + [(2026, "")] * 20
    facts += [(2026, "supply_inspection")] * 3
    out = origins.origin_counts(facts, threshold=11)
    by_year = {r.year: r for r in out.rows}
    assert by_year[None].identified == 15 and by_year[None].cases == 65
    assert by_year[2026].identified is None  # 3 < 11
    assert by_year[2025].identified is None  # else 15 − 12 would give 2026 away
    assert by_year[2025].cases == 42 and by_year[2026].cases == 23
    assert origins.origin_counts([], threshold=11).total.identified == 0
    exact = origins.origin_counts(facts, threshold=1)
    assert [(r.year, r.identified, r.cases) for r in exact.rows] == [
        (None, 15, 65),
        (2026, 3, 23),
        (2025, 12, 42),
    ]
