"""Languages (issue 15, item 5): complete catalogues, the switcher, the English fallback.

* Every released language (locale/RELEASED) translates every msgid of the committed
  template, and the template is what makemessages extracts from the source today.
* Only complete catalogues are shown; a reader who asks for another gets English and a
  notice saying so — never ``lang="xx"`` over English text.
* The switcher (no JavaScript) sets the cookie and the user's profile.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from palermo.web import i18n

HAS_GETTEXT = shutil.which("xgettext") is not None and shutil.which("msgfmt") is not None


# --- catalogues ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", i18n.released_languages())
def test_a_released_language_translates_every_msgid_of_the_template(language):
    missing = i18n.missing_msgids(language)
    assert not missing, (
        f"{language} misses {len(missing)} msgids (palermo i18n missing {language}): "
        + "; ".join(m[:60] for m in missing[:10])
    )


def test_the_release_promises_ukrainian_and_russian_at_least():
    assert {"uk", "ru"} <= set(i18n.released_languages())
    assert set(i18n.released_languages()) <= {c for c, _ in i18n.WANTED_LANGUAGES}


@pytest.mark.skipif(not HAS_GETTEXT, reason="GNU gettext is needed")
def test_every_catalogue_passes_msgfmt_check(tmp_path):
    import subprocess

    for po in sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/django.po")):
        done = subprocess.run(  # noqa: S603
            ["msgfmt", "--check", "-o", str(tmp_path / "x.mo"), str(po)],  # noqa: S607
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"{po}: {done.stderr}"


def test_compiled_catalogues_match_their_po_files(tmp_path):
    """A .po changed without recompiling its .mo would ship a stale translation."""
    import subprocess

    for code in i18n.released_languages():
        po = i18n.LOCALE_DIR / code / "LC_MESSAGES" / "django.po"
        subprocess.run(  # noqa: S603
            ["msgfmt", "-o", str(tmp_path / f"{code}.mo"), str(po)],  # noqa: S607
            check=True,
        )
        fresh = i18n._compiled_file(tmp_path / f"{code}.mo")
        committed = i18n._compiled_file(po.with_suffix(".mo"))
        assert fresh == committed, f"{code}: run `palermo i18n check` to recompile"


def test_plural_entries_fill_every_form_and_keep_placeholders():
    placeholder = re.compile(r"%\([a-z_]+\)[sdif]|\{[a-z_]*\}")
    for code in i18n.released_languages():
        po = i18n.LOCALE_DIR / code / "LC_MESSAGES" / "django.po"
        for e in i18n.read_po(po):
            if e.obsolete or not e.msgid:
                continue
            want = sorted(set(placeholder.findall(e.msgid + (e.msgid_plural or ""))))
            for form in e.msgstr:
                assert form, f"{code}: empty form for {e.msgid!r}"
                got = sorted(set(placeholder.findall(form)))
                # A singular form may leave out the count ("одна справа") but never invent one.
                assert set(got) <= set(want), f"{code}: {e.msgid!r} -> {form!r}"
            if not e.msgid_plural:
                assert sorted(set(placeholder.findall(e.msgstr[0]))) == want, (code, e.msgid)


def test_data_msgids_module_is_up_to_date():
    """Indicator labels, guidance and rule explanations reach gettext through the
    generated module: changing a data file without regenerating it fails here."""
    assert i18n.DATA_MSGIDS.read_text(encoding="utf-8") == i18n.render_data_msgids(), (
        "run `palermo i18n extract` (or `palermo i18n data-msgids`)"
    )
    strings = i18n.data_strings()
    assert "Confiscation of documents" in strings  # an indicator label
    assert any(s.startswith("Ask who holds the person's passport") for s in strings)  # guidance
    assert "Repeated purchases of transport tickets" in strings  # a red-flag rule
    assert "Possible victim of trafficking" in strings  # an HTCDS picklist value


@pytest.mark.skipif(not HAS_GETTEXT, reason="GNU gettext is needed")
def test_committed_template_is_what_the_source_marks_today(tmp_path):
    """Every string marked in code, templates and data is in locale/django.pot, and
    nothing else: a new marked string without `palermo i18n extract` fails here."""
    fresh = i18n.fresh_template(tmp_path)
    extracted = {e.key for e in i18n.read_po(fresh) if e.msgid and not e.obsolete}
    committed = set(i18n.template_keys())
    new = sorted(extracted - committed)
    gone = sorted(committed - extracted)
    assert not new and not gone, (
        f"run `palermo i18n extract`: {len(new)} new msgids ({new[:5]}), "
        f"{len(gone)} no longer used ({gone[:5]})"
    )


def test_incomplete_catalogue_is_not_shown(tmp_path):
    """A catalogue missing one msgid is not shipped; a complete one is."""
    import subprocess

    template = tmp_path / "django.pot"
    template.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Save"\nmsgstr ""\n\nmsgid "Cancel"\nmsgstr ""\n',
        encoding="utf-8",
    )
    for code, body in {
        "uk": 'msgid "Save"\nmsgstr "Зберегти"\n\nmsgid "Cancel"\nmsgstr "Скасувати"\n',
        "ru": 'msgid "Save"\nmsgstr "Сохранить"\n',
    }.items():
        d = tmp_path / "locale" / code / "LC_MESSAGES"
        d.mkdir(parents=True)
        (d / "django.po").write_text(
            'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body,
            encoding="utf-8",
        )
        subprocess.run(  # noqa: S603
            ["msgfmt", "-o", str(d / "django.mo"), str(d / "django.po")],  # noqa: S607
            check=True,
        )
    i18n.template_keys.cache_clear()
    try:
        shown = [c for c, _ in i18n.shipped_languages(tmp_path / "locale", template)]
        assert shown == ["en", "uk"]
        assert i18n.missing_msgids("ru", tmp_path / "locale", template) == ["Cancel"]
        assert i18n.missing_msgids("fr", tmp_path / "locale", template) == ["Cancel", "Save"]
    finally:
        i18n.template_keys.cache_clear()


def test_settings_offer_only_complete_languages():
    # Public-page-only languages (complete for /check/ and /report/ only) are checked by
    # tests/web/test_i18n_public.py.
    public = {c for c, _ in settings.PALERMO_PUBLIC_LANGUAGES}
    codes = [c for c, _ in settings.LANGUAGES if c not in public]
    assert codes[0] == "en"
    for code in codes[1:]:
        assert not i18n.missing_msgids(code)
    assert set(i18n.released_languages()) <= set(codes)


# --- pages -----------------------------------------------------------------------------------


def test_page_in_ukrainian_is_marked_uk_and_translated(client, demo_world):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert 'lang="uk"' in html
    assert "Вхід до Palermo" in html
    assert "Sign in to Palermo" not in html


def test_incomplete_language_falls_back_to_english_and_says_so(client, demo_world, settings):
    """A wanted language whose catalogue is not complete: English, lang="en", a notice."""
    shown = [c for c, _ in settings.LANGUAGES]
    wanted_not_shown = [c for c, _ in settings.PALERMO_WANTED_LANGUAGES if c not in shown]
    if not wanted_not_shown:
        # Every language is complete: pretend one is not, as a deployment's partial one
        # (the settings fixture also clears Django's cached language checks).
        settings.LANGUAGES = [x for x in settings.LANGUAGES if x[0] != "ru"]
        wanted_not_shown = ["ru"]
    code = wanted_not_shown[0]
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=code).content.decode()
    assert 'lang="en"' in html and f'lang="{code}"' not in html.split("<body", 1)[0]
    assert "Sign in to Palermo" in html
    assert "translation is not complete yet, so Palermo is shown in English" in html


def test_no_notice_for_a_shipped_or_an_unknown_language(client, demo_world):
    assert "not complete yet" not in client.get("/accounts/login/").content.decode()
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="uk").content.decode()
    assert "не завершено" not in html
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "not complete yet" not in html and 'lang="en"' in html


def test_switcher_works_without_javascript_and_remembers_the_choice(client, persona, demo_world):
    user = persona("caseworker")
    client.force_login(user)
    page = client.get("/dashboard/").content.decode()
    assert 'action="/language/"' in page and 'name="language"' in page
    assert 'value="uk"' in page and "Українська" in page  # each language named in itself
    response = client.post("/language/", {"language": "uk", "next": "/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"
    user.refresh_from_db()
    assert user.language == "uk"
    html = client.get("/dashboard/").content.decode()
    assert 'lang="uk"' in html and "Моя робота" in html


def test_profile_language_follows_the_user_to_another_device(client, persona, demo_world):
    user = persona("police")
    user.language = "ru"
    user.save(update_fields=["language"])
    client.force_login(user)  # a fresh browser: no cookie, browser asks for English
    html = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="ru"' in html and "Моя работа" in html


def test_switcher_refuses_a_language_not_shown_and_an_outside_next(client, persona, demo_world):
    user = persona("caseworker")
    client.force_login(user)
    shown = {c for c, _ in settings.LANGUAGES}
    for code in ("sq", "xx", ""):
        if code in shown:
            continue
        response = client.post("/language/", {"language": code, "next": "/dashboard/"})
        assert response.status_code == 302
        assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert user.language == ""
    response = client.post("/language/", {"language": "uk", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil.example" not in response["Location"]
    assert client.get("/language/").status_code == 405


def test_anonymous_reader_can_switch_on_the_sign_in_page(client, demo_world):
    html = client.get("/accounts/login/").content.decode()
    assert 'id="language-choice"' in html
    response = client.post("/language/", {"language": "ru", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert "Вход в Palermo" in client.get("/accounts/login/").content.decode()


# --- the display layer in the reader's language -------------------------------------------


def test_data_text_translates_indicator_labels_and_guidance():
    from palermo.web.display import data_text

    with translation.override("uk"):
        assert data_text("Confiscation of documents") == "Вилучення документів"
        assert data_text("  Confiscation   of\ndocuments ") == "Вилучення документів"
        assert data_text("A text no catalogue knows") == "A text no catalogue knows"
    with translation.override("en"):
        assert data_text("Confiscation of documents") == "Confiscation of documents"


def test_codes_in_words_in_the_readers_language():
    from palermo.web.display import audit_sentence, code_words, htcds_choices, nrm_rule_name

    with translation.override("uk"):
        assert code_words("ForcedLabour") == "Примусова праця"
        assert code_words("presumed_victim") == "Ймовірна жертва"
        assert code_words("overdue") == "Прострочено"
        assert dict(htcds_choices("vic_TypeOfExploitation"))["ForcedLabour"] == "Примусова праця"
        assert nrm_rule_name("identification_decision") == "Формальне рішення про ідентифікацію"
    with translation.override("ru"):
        assert code_words("SexualExploitation") == "Сексуальная эксплуатация"
    with translation.override("en"):
        assert code_words("PossibleVictimOfTrafficking") == "Possible victim of trafficking"
        assert code_words("a_code_nobody_knows") == "A code nobody knows"

        class Entry:
            actor_username = "police"
            organisation_id = 7
            action = "read"
            object_type = "case"
            object_ref = "C-2026-0001"

        assert (
            audit_sentence(Entry(), {7: "Police unit"}, {"police": "Petra Novak"})
            == "Petra Novak, for Police unit, opened case C-2026-0001."
        )
        Entry.action, Entry.object_type, Entry.object_ref = "export", "case_list", ""
        assert (
            audit_sentence(Entry(), {}, {})
            == "police, for no organisation, exported the list of cases."
        )


def test_numbers_and_dates_in_the_readers_format():
    import datetime

    from django.utils.formats import date_format

    from palermo.web.display import number

    day = datetime.date(2026, 12, 2)
    with translation.override("en"):
        assert number(197905) == "197,905"
        assert number(1234.5) == "1,234.50"
        assert date_format(day, "SHORT_DATE_FORMAT") == "2 Dec 2026"  # not 12/02/2026
    with translation.override("uk"):
        assert number(197905).replace("\xa0", " ") == "197 905"
        assert date_format(day, "SHORT_DATE_FORMAT") == "02.12.2026"
    assert number(None) == "" and number("") == "" and number("n/a") == "n/a"


def test_audit_viewer_names_people_and_organisations_in_sentences(client, persona, demo_world):
    from palermo.core import audit

    police = persona("police")
    police.first_name, police.last_name = "Petra", "Novak"
    police.save()
    unit = police.organisations()[0]
    audit.record(
        action="read", actor=police, organisation=unit, object_type="case", object_ref="C-X-1"
    )
    client.force_login(persona("coordinator"))
    html = client.get("/audit/", {"object_ref": "C-X-1"}).content.decode()
    rows = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert f"Petra Novak, for {unit.name}, opened case C-X-1." in rows
    client.post("/language/", {"language": "uk", "next": "/audit/"})
    html = client.get("/audit/", {"object_ref": "C-X-1"}).content.decode()
    assert f"Petra Novak ({unit.name}): відкрито — справа C-X-1." in html


def test_template_path_constants_point_inside_the_package():
    assert Path(i18n.LOCALE_DIR, "django.pot") == i18n.TEMPLATE
    assert i18n.TEMPLATE.exists()
