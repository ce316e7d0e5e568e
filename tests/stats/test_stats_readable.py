"""Statistics that read well (issue 15, item 11): age bands in age order, charts with text a
person can read, demo data over several years, numbers grouped."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.stats.hierarchies import ctdc_age_band, generalisation_config
from palermo.stats.small_cells import UNKNOWN, display_order


def _bands() -> list[str]:
    cfg = generalisation_config()["age"]
    return [ctdc_age_band(low) for low, _high in cfg["ctdc_bands"]]


def test_ctdc_age_bands_sort_by_age_with_unknown_last():
    bands = _bands()
    assert bands[:3] == ["0--8", "9--17", "18--20"] and bands[-1] == "48+"
    shuffled = [*reversed(bands), UNKNOWN]
    assert sorted(shuffled, key=display_order) == [*bands, UNKNOWN]


@given(st.lists(st.integers(0, 120), min_size=1, max_size=40))
def test_any_set_of_ages_is_listed_in_age_order(ages):
    labels = sorted({ctdc_age_band(a) for a in ages}, key=display_order)
    lows = [int(re.match(r"\d+", b).group()) for b in labels]
    assert lows == sorted(lows)


def test_words_sort_alphabetically_and_other_and_unknown_come_last():
    values = ["Other – Asia", "Male", UNKNOWN, "Female", "Other"]
    assert sorted(values, key=display_order) == ["Female", "Male", "Other", "Other – Asia", UNKNOWN]


def test_a_chart_has_readable_text_and_a_whole_title():
    from palermo.stats.views import chart_svg

    title = "Victims by form of exploitation (a victim may suffer several)"
    svg = chart_svg(title, [("Forced labour", 1234), ("Servitude", None)], caption="All years")
    sizes = [int(s) for s in re.findall(r'font-size="(\d+)"', svg)]
    assert min(sizes) >= 13
    width = int(re.search(r'viewBox="0 0 (\d+)', svg).group(1))
    # shown at 34rem at most and, on a 390 px phone, at about 358 px: labels stay ≥ 11 px there
    assert 15 * 358 / width >= 11
    words = " ".join(re.findall(r">([^<>]+)</text>", svg))
    assert "Victims by form of exploitation" in words and "(a victim may suffer several)" in words
    assert "1,234" in svg and "suppressed" in svg


def test_the_demo_registers_victims_over_several_years_and_the_page_lists_bands_in_order(
    login_as,
    demo_cases,
):
    from palermo.cases.models import Case

    years = set(Case.objects.values_list("incoming_referral_date__year", flat=True))
    assert len(years) >= 4, years
    html = login_as("analyst").get("/stats/").content.decode()
    section = html.split('id="table-victims"', 1)[1].split("</section>", 1)[0]
    heads = re.findall(r'<th scope="col">(\d{4})</th>', section)
    assert len(heads) >= 4 and heads == sorted(heads)
    ages = html.split('id="table-age_group"', 1)[1].split("</section>", 1)[0]
    table = ages.split("<table", 1)[1]
    rows = re.findall(r'<th scope="row">([^<]+)</th>', table)
    banded = [r for r in rows if re.match(r"\d", r)]
    assert banded == sorted(banded, key=display_order)
    assert rows.index(banded[-1]) < rows.index(UNKNOWN) if UNKNOWN in rows else True


@pytest.mark.parametrize("value,shown", [(197905, "197,905"), (80, "80")])
def test_counts_are_grouped_in_the_tables(value, shown):
    from django.template import Context, Template
    from django.utils import translation

    # In English (another test in the same worker may have left a language active).
    with translation.override("en"):
        out = Template('{{ v|floatformat:"0g" }}').render(Context({"v": value}))
    assert out == shown
