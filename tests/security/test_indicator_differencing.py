"""Small cells through differencing in the monitoring indicators: no count from 1 to
threshold − 1 may be worked out by subtracting one published figure from another.

Red-team findings (MEDIUM):

* against the Rapporteur tables — an analyst read "victims in 2026" (all cases registered:
  37) on `/api/v1/stats/tables` and "presumed and identified victims in 2026" (27) on
  `/api/v1/monitor/indicators?year=2026`: 10 cases of 2026 neither presumed nor identified;
  the same for forced labour (25 − 19 = 6);
* across years — each year was protected on its own and the all-years column on its own, so
  "all years" minus the published years gave a year whose count was suppressed.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from palermo.monitor import indicators
from palermo.stats.small_cells import DEFAULT_THRESHOLD

T = DEFAULT_THRESHOLD


def _fact(status: str = "identified", forms: tuple[str, ...] = ("ForcedLabour",)):
    return SimpleNamespace(
        identification_status=status,
        is_child=False,
        reflection_period_granted=True,
        guardian_due_on=None,
        guardian_appointed_on=None,
        referrals_sent=0,
        referrals_accepted=0,
        compensation_claimed=0,
        compensation_awarded=0,
        financial_investigations=0,
        forms=forms,
    )


def _figures(results):
    out = {}
    for r in results:
        for f in r.figures:
            out[(r.definition.id, f.label, "value")] = f.value
            if r.definition.is_share:
                out[(r.definition.id, f.label, "denominator")] = f.denominator
    return out


def test_all_years_minus_the_published_years_gives_no_small_count():
    # 2024: 5 identified victims (suppressed in its own column); 2025: 20; all years: 25.
    by_year = {2024: [_fact() for _ in range(5)], 2025: [_fact() for _ in range(20)]}
    whole = _figures(indicators.compute_years(by_year, year=None))
    years = {y: _figures(indicators.compute_years(by_year, year=y)) for y in by_year}
    assert years[2024][("victims_by_form", "Total", "value")] is None
    assert (
        years[2025][("victims_by_form", "Total", "value")] is None
        or whole[("victims_by_form", "Total", "value")] is None
    )
    for key, total in whole.items():
        hidden = [y for y in by_year if years[y].get(key) is None]
        if total is not None and len(hidden) == 1:
            known = sum(years[y][key] or 0 for y in by_year if y not in hidden)
            assert not 0 < total - known < T, (key, total - known)


def test_no_small_count_from_all_cases_minus_the_victims_of_a_year():
    # 2026: 30 cases, 25 of them presumed or identified: 5 are neither.
    by_year = {2026: [_fact() for _ in range(25)] + [_fact("not_identified") for _ in range(5)]}
    figures = _figures(indicators.compute_years(by_year, year=2026))
    assert figures[("victims_by_form", "Total", "value")] is None
    assert figures[("victims_by_form", "ForcedLabour", "value")] is None
    assert figures[("reflection_period", "Total", "denominator")] is None


@pytest.mark.django_db
def test_indicators_and_rapporteur_tables_of_the_demo_cannot_be_subtracted(
    client, api_token, demo_cases
):
    token = api_token("analyst")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    tables = client.get("/api/v1/stats/tables", **auth).json()
    whole = {(c["category"], c["year"]): c["value"] for c in tables if c["table"] == "victims"}
    whole |= {
        (c["category"], c["year"]): c["value"]
        for c in tables
        if c["table"] == "form_of_exploitation"
    }
    years = sorted({c["year"] for c in tables if c["year"] != "All years"})
    leaks = []
    for year in [None, *years]:
        params = {} if year is None else {"year": year}
        response = client.get("/api/v1/monitor/indicators", params, **auth)
        assert response.status_code == 200
        column = "All years" if year is None else year
        for ind in response.json():
            for f in ind["figures"]:
                cell = whole.get(("Total" if f["label"] == "Total" else f["label"], column))
                for value in (f["value"], f["denominator"]):
                    if cell is not None and value is not None and 0 < cell - value < T:
                        leaks.append((column, ind["id"], f["label"], cell - value))
    assert leaks == []
