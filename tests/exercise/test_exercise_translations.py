"""Scenario texts in the reader's language: a package's optional translations.yaml (checked at
load, every problem named with file and line), shown on the inbox, cue cards, tabletop, home
page and API in the reader's language, as written where the package has no translation."""

from __future__ import annotations

import pytest
from django.test import override_settings

from palermo.exercise.scenario import FILES, SHIPPED, TRANSLATIONS, PackageError, parse_package

FR = """\
fr:
  title: "Passage du port"
  teams:
    a: "Équipe A"
  injects:
    SOC-02:
      title: "Une jeune femme au centre d'accueil de l'ONG"
      content: "Une jeune femme demande un médecin."
      cue: "Mira : nerveuse, ne répond qu'en kelvan."
      questions:
        - "Que faites-vous dans les dix premières minutes ?"
        - "Que doit-elle savoir avant tout partage de ses données ?"
      expected_actions:
        SOC-02.1: "Lui parler en privé avec un interprète."
"""


def _texts(translations: str | None = FR) -> dict[str, str]:
    t = {n: (SHIPPED / "harbour_crossing" / n).read_text() for n in FILES}
    if translations is not None:
        t[TRANSLATIONS] = translations
    return t


def _problems(translations: str) -> list[str]:
    with pytest.raises(PackageError) as exc:
        parse_package(_texts(translations))
    return [str(p) for p in exc.value.problems]


def test_translations_are_optional_and_kept_with_the_package():
    assert parse_package(_texts(None)).translations == {}
    sc = parse_package(_texts())
    assert sc.translations["fr"]["injects"]["SOC-02"]["cue"].startswith("Mira")
    assert TRANSLATIONS in sc.files  # stored with the exercise, as the other files


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (FR.replace("SOC-02:", "SOC-99:"), "translations.yaml, line 7: unknown inject 'SOC-99'"),
        (FR.replace("    a: ", "    z: "), "translations.yaml, line 4: unknown team 'z'"),
        (FR.replace("SOC-02.1:", "SOC-02.9:"), "unknown expected action 'SOC-02.9'"),
        (
            FR.replace(
                '        - "Que doit-elle savoir avant tout partage de ses données ?"\n', ""
            ),
            "inject 'SOC-02' has 2 questions: translate all of them, in order",
        ),
        (FR.replace("fr:", "en:", 1), "'en' is the package's own language"),
        (FR.replace("      cue:", "      cues:"), "translations.yaml, line 7: fr/injects/SOC-02"),
        (FR.replace("fr:", "french:", 1), "translations.yaml"),
        ("fr: [", "translations.yaml, line 1: not valid YAML"),
    ],
)
def test_bad_translations_are_named_with_file_and_line_and_load_nothing(bad, message):
    problems = _problems(bad)
    assert any(message in p for p in problems), problems


@pytest.fixture
def loaded_fr(exercise_instance):
    from palermo.exercise import services

    ex, _logins = services.load_scenario(
        parse_package(_texts()), antennas=1, controllers=1, password="Exercise-test-1"
    )
    return ex


def _play(as_user):
    chief = as_user("chief")
    chief.post("/exercise/direction/clock/", {"act": "start"})
    chief.post("/exercise/direction/clock/", {"act": "jump", "value": "D1 10:05"})
    chief.post("/exercise/direction/clock/", {"act": "pause"})
    chief.get("/exercise/direction/")
    return chief


def _in(client, url, lang):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()


@override_settings(LANGUAGES=[("en", "English"), ("fr", "French")])
def test_pages_show_the_package_texts_in_the_readers_language(loaded_fr, as_user):
    chief = _play(as_user)
    ngo = as_user("a-ngo_worker-1")
    fr = _in(ngo, "/exercise/inbox/", "fr")
    assert "Une jeune femme au centre d&#x27;accueil de l&#x27;ONG" in fr
    assert "Une jeune femme demande un médecin." in fr
    # not translated in the package: as written
    assert "Routine inspection" not in fr  # (not sent to NGO workers)
    en = _in(ngo, "/exercise/inbox/", "en")
    assert "A young woman at the NGO drop-in centre" in en and "ONG" not in en
    cues = _in(as_user("actor_mira"), "/exercise/cues/", "fr")
    assert "Mira : nerveuse" in cues and "Équipe A" in cues
    table = _in(chief, "/exercise/tabletop/", "fr")
    assert "Que faites-vous dans les dix premières minutes ?" in table
    assert "Whom do you inform, and when?" in table  # SOC-01 has no French: as written
    home = _in(ngo, "/exercise/", "fr")
    assert "<h1>Passage du port</h1>" in home


@override_settings(LANGUAGES=[("en", "English"), ("fr", "French")])
def test_api_and_cli_give_the_texts_in_the_language_asked(loaded_fr, as_user):
    from django.test import Client

    from palermo.core.models import User
    from palermo.core.tokens import token_create
    from palermo.exercise import api

    _play(as_user)
    user = User.objects.get(username="a-ngo_worker-1")
    _, clear = token_create(actor=user, organisation=user.organisations()[0], name="t")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    rows = c.get("/api/v1/exercises/inbox", HTTP_ACCEPT_LANGUAGE="fr").json()
    titles = {r["inject"]: r["title"] for r in rows}
    assert titles["SOC-02"] == "Une jeune femme au centre d'accueil de l'ONG"
    from palermo.exercise import services

    prompts = api.tabletop_prompts(services.current(), 12, "fr")
    soc02 = next(p for p in prompts if p["inject"] == "SOC-02")
    assert soc02["questions"][1].startswith("Que doit-elle savoir")
    assert {t["team_name"] for t in soc02["teams"]} >= {"Équipe A", "Team B"}
