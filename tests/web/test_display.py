"""Plain words for codes shown to people (issue 15, item 3)."""

from __future__ import annotations

import re

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from palermo.web.display import country_name, language_name, role_name, status_rule_name, words


def test_htcds_and_snake_case_codes_read_as_words():
    assert words("PossibleVictimOfTrafficking") == "Possible victim of trafficking"
    assert words("ForcedLabour") == "Forced labour"
    assert words("palermo_elements_met") == "Palermo elements met"
    assert words("") == ""
    assert words("HTCDS") == "HTCDS"


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,30}", fullmatch=True))
def test_words_never_shows_underscores_or_glued_camel_case(code):
    out = words(code)
    assert "_" not in out
    assert out[:1] == out[:1].upper()
    assert not re.search(r"[a-z][A-Z]", out), out
    assert out.replace(" ", "").lower() == code.replace("_", "").lower()


def test_countries_and_languages_by_name_in_the_readers_language():
    with translation.override("en"):
        assert country_name("XK") == "Kosovo"
        assert country_name("md") == "Moldova"
        assert language_name("sq") == "Albanian"
        assert role_name("case_worker") == "Case worker"
    with translation.override("fr"):
        assert country_name("DE") == "Allemagne"
        assert language_name("sq") == "Albanais"
    assert country_name("ZZ") == "ZZ"  # unknown: the code, never an error
    assert language_name("xx-unknown") == "xx-unknown"


def test_screening_status_rules_in_words():
    with translation.override("en"):
        assert (
            status_rule_name("palermo_elements_met")
            == "The elements of the Palermo definition are recorded"
        )
        assert status_rule_name("a_national_rule") == "A national rule"


def test_case_list_and_audit_viewer_show_words_not_codes(client, demo_world):
    from palermo.cases import services
    from palermo.core.models import User

    police = User.objects.get(username="police")
    unit = police.organisations()[0]
    services.case_open(
        actor=police,
        organisation=unit,
        source="agency",
        source_ref="POL-7",
        person={"given_name": "Test", "citizenship": ["XK"], "primary_language": "sq"},
        exploitation_forms=["ForcedLabour"],
        is_child_or_presumed_child=False,
    )
    coordinator = User.objects.get(username="coordinator")
    client.force_login(coordinator)
    html = client.get("/cases/").content.decode()
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    # Case references are random letters and may contain "XK" themselves: look at the cells.
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert "ForcedLabour" not in table and "XK" not in cells
    assert "Kosovo" in cells
    assert "Forced labour" in table

    audit = client.get("/audit/?object_type=case").content.decode()
    rows = audit.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert unit.name in rows, "the organisation by name"
    assert f"<td>{unit.pk}</td>" not in rows


def test_moldova_is_never_called_the_maldives_in_arabic():
    """iso-codes' Arabic catalogue translates the common name "Moldova" as the Maldives."""
    assert country_name("MD", "ar") == "مولدوفا"
    assert country_name("MV", "ar") != country_name("MD", "ar")


def test_an_empty_choice_reads_as_a_word_not_dashes(client, demo_world):
    """Django labels an empty choice "---------"; the widget template says "— choose —"."""
    from django import forms

    from palermo.core.models import Organisation, User

    class Pick(forms.Form):
        organisation = forms.ModelChoiceField(Organisation.objects.all(), required=False)
        kind = forms.ChoiceField(choices=[("", "---------"), ("a", "A")], required=False)

    html = str(Pick())
    assert "---------" not in html
    assert html.count(">— choose —</option>") == 2
    with translation.override("fr"):
        assert "---------" not in str(Pick())
    # and on a real page: the case list's filters
    client.force_login(User.objects.get(username="police"))
    page = client.get("/cases/").content.decode()
    at = page.find("---------")
    assert at < 0, page[max(0, at - 300) : at + 50]
