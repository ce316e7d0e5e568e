"""The share of cases recruited online (issue 19, item 5): pure counting and its small-cell
protection, then the dashboard through HTTP over the demo cases."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.stats.online_share import RecruitmentFact, online_share, recruited_online

AD, SOCIAL, FAMILY = "ThroughAnOnlineAdvertisement", "ThroughOnlineSocialNetworks", "AtWork"


def _facts(n: int, *, year: int = 2025, country: str = "IT", forms=("ForcedLabour",), methods=()):
    return [RecruitmentFact(year, country, tuple(forms), tuple(methods)) for _ in range(n)]


def test_online_means_an_online_advert_or_social_network_and_unrecorded_is_not_offline():
    assert recruited_online([AD]) is True
    assert recruited_online([FAMILY, SOCIAL]) is True
    assert recruited_online([FAMILY]) is False
    assert recruited_online([]) is None
    assert recruited_online(["", "Unknown"]) is None


def test_share_over_recorded_cases_by_year_country_and_form():
    facts = (
        _facts(40, methods=[AD])
        + _facts(60, methods=[FAMILY])
        + _facts(25, year=2024, forms=("ForcedLabour", "SexualExploitation"), methods=[SOCIAL])
        + _facts(25, year=2024, forms=("SexualExploitation",), methods=[FAMILY])
        + _facts(30)  # no method recorded
    )
    share = online_share(facts, country_minimum=1)
    total = share.of("total")[0]
    assert (total.online, total.recorded, total.share) == (65, 150, pytest.approx(65 / 150))
    by_year = {r.value: (r.online, r.recorded) for r in share.of("year")}
    assert by_year == {"2024": (25, 50), "2025": (40, 100)}
    by_form = {r.value: (r.online, r.recorded) for r in share.of("form")}
    assert by_form == {"ForcedLabour": (65, 125), "SexualExploitation": (25, 50)}
    assert {r.value: r.recorded for r in share.of("country")} == {"IT": 150}
    assert share.not_recorded == 30


def test_a_small_offline_count_cannot_be_worked_out_from_the_published_ones():
    # 2024: 30 online and 3 offline. Publishing 30 of 33 would give the 3 away.
    facts = (
        _facts(30, year=2024, methods=[AD])
        + _facts(3, year=2024, methods=[FAMILY])
        + _facts(50, year=2025, methods=[AD])
        + _facts(50, year=2025, methods=[FAMILY])
    )
    share = online_share(facts, country_minimum=1)
    row = next(r for r in share.of("year") if r.value == "2024")
    assert row.online is None or row.recorded is None
    assert row.share is None


def test_small_online_counts_are_suppressed_and_few_unrecorded_cases_are_hidden():
    facts = _facts(4, methods=[AD]) + _facts(40, methods=[FAMILY]) + _facts(2)
    share = online_share(facts, country_minimum=1)
    assert share.of("total")[0].online is None and share.of("total")[0].share is None
    assert share.not_recorded is None


def test_no_case_gives_an_empty_total_and_no_rows():
    share = online_share([])
    assert [(r.breakdown, r.online, r.recorded) for r in share.rows] == [("total", 0, 0)]


fact = st.builds(
    RecruitmentFact,
    year=st.sampled_from([2023, 2024, 2025]),
    country_of_exploitation=st.sampled_from(["IT", "DE", None]),
    forms=st.lists(st.sampled_from(["ForcedLabour", "SexualExploitation"]), max_size=2).map(tuple),
    methods=st.lists(st.sampled_from([AD, SOCIAL, FAMILY, "Unknown"]), max_size=2).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(fact, max_size=120))
def test_no_published_count_and_no_difference_of_two_is_a_small_cell(facts):
    share = online_share(facts, country_minimum=1)
    for r in share.rows:
        for v in (r.online, r.recorded):
            assert v is None or v == 0 or v >= share.threshold
        if r.online is not None and r.recorded is not None:
            offline = r.recorded - r.online
            assert offline == 0 or offline >= share.threshold
        if r.share is not None:
            assert 0 <= r.share <= 1


# --- through HTTP -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_shows_the_protected_share_of_cases_recruited_online(login_as, demo_cases):
    from palermo.cases.models import Case, VictimContext

    cases = list(Case.objects.order_by("id"))
    assert len(cases) >= 80
    for i, case in enumerate(cases):
        methods = [AD] if i < 30 else [FAMILY] if i < 60 else []
        VictimContext.objects.update_or_create(
            case=case, defaults={"methods_of_recruitment": methods}
        )
    html = login_as("analyst").get("/stats/").content.decode()
    assert "Cases recruited online" in html
    section = html[html.index('id="table-online-recruitment"') :]
    section = section[: section.index("</section>")]
    total = re.search(r'<tr class="total">.*?</tr>', section, re.S).group(0)
    assert 'data-value="30"' in total and 'data-value="60"' in total
    assert "50.0 %" in total
    assert f"{len(cases) - 60} cases have no recorded method of recruitment" in section
    numbers = [int(v) for v in re.findall(r'data-value="(\d+)"', section)]
    assert all(n == 0 or n >= 11 for n in numbers)
