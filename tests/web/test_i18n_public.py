"""Public-page languages (issue 19, item 1): a second tier of languages offered only on
/check/ and /report/ (and its thanks page) once their catalogue translates every msgid those
pages can show.

* The scope (``public_msgids``) is what the public templates, the templates they extend or
  include, the check rules' texts and the report form can show — and nothing of the
  analysts' pages; Django's own form messages come from Django's catalogue (ar, ro there).
* A public language missing one public msgid is not offered; one promised in
  locale/RELEASED_PUBLIC that misses one fails here.
* Arabic is accepted on the public pages only: right to left there; elsewhere English and
  the notice; the switcher offers it only there; the profile never keeps it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from palermo.web import i18n
from tests.public_arabic import arabic_on_public_pages, in_arabic  # noqa: F401 – fixture

HAS_GETTEXT = shutil.which("msgfmt") is not None
PUBLIC_PAGES = ("prevent/check.html", "prevent/report.html", "prevent/report_thanks.html")


# --- the scope ----------------------------------------------------------------------------


def test_public_scope_is_not_empty_and_has_what_the_pages_show():
    from palermo.prevent import checker

    keys = i18n.public_msgids()
    assert len(keys) > 100
    for msgid in (
        "Check a job offer",  # the page title (check.html)
        "Report a situation",  # public_base.html's navigation
        "Language",  # the switcher
        "There is a problem",  # web/error_summary.html, included by both forms
        "Yes",  # the answers (forms.ANSWER_LABELS)
        "Country you leave from",  # CheckForm
        "Who is reporting?",  # ReportForm
        "Please choose who is reporting.",  # reports.py's refusals
        "Suspended",  # a licence status shown by the registry look-up
        "Reports cannot be received at the moment. Please call a hotline.",
        "%(n)s warning sign found.",  # a plural, counted once
    ):
        assert msgid in keys, msgid
    rules = checker.load()
    texts = [q.text for q in rules.questions]
    assert texts and all(t in keys for t in texts), "the check questions are public msgids"


def test_public_scope_leaves_the_analysts_pages_out():
    keys = i18n.public_msgids()
    for msgid in ("Name of this batch", "Kind of list", "Monitor", "Waiting for triage"):
        assert msgid not in keys, msgid
    assert len(keys) < len(i18n.template_keys()) / 5


def _template_file(name: str) -> Path:
    found = sorted(i18n.PACKAGE_DIR.glob(f"*/templates/{name}"))
    assert found, name
    return found[0]


def test_every_template_the_public_pages_use_is_in_scope():
    """Follow {% extends %} and {% include %} from the public pages: each is in scope."""
    seen: set[str] = set()
    todo = list(PUBLIC_PAGES)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        text = _template_file(name).read_text(encoding="utf-8")
        todo += re.findall(r"{%\s*(?:extends|include)\s+[\"']([^\"']+)[\"']", text)
    rel = {_template_file(n).relative_to(i18n.PACKAGE_DIR).as_posix() for n in seen}
    assert rel == set(i18n.PUBLIC_TEMPLATES)


def test_public_definitions_exist_and_a_missing_one_is_an_error(monkeypatch):
    assert "Who is reporting?" in i18n.public_definition_msgids()
    monkeypatch.setitem(i18n.PUBLIC_DEFINITIONS, "prevent/forms.py", ("NoSuchForm",))
    with pytest.raises(LookupError, match="NoSuchForm"):
        i18n.public_definition_msgids()


def test_every_public_msgid_is_in_the_committed_template():
    """Otherwise a catalogue could not translate it (run `palermo i18n extract`)."""
    assert not sorted(i18n.public_msgids() - i18n.template_keys())


@pytest.mark.parametrize("language", [code for code, _ in i18n.PUBLIC_LANGUAGES])
def test_django_translates_its_own_form_messages_in_each_public_language(language):
    """The form errors the public pages show ("This field is required.") are Django's."""
    import django
    from django import forms

    with translation.override("en"):
        assert str(forms.Field.default_error_messages["required"]) in i18n.DJANGO_FORM_MESSAGES
        invalid = forms.ChoiceField.default_error_messages["invalid_choice"]
        assert str(invalid) in i18n.DJANGO_FORM_MESSAGES
    mo = Path(django.__file__).parent / "conf" / "locale" / language / "LC_MESSAGES" / "django.mo"
    translated = i18n._translated_keys(i18n._compiled_file(mo))
    assert set(i18n.DJANGO_FORM_MESSAGES) <= translated


# --- completeness -------------------------------------------------------------------------


def test_public_release_promises_only_public_languages():
    promised = set(i18n.released_public_languages())
    assert promised <= {code for code, _ in i18n.PUBLIC_LANGUAGES}


@pytest.mark.parametrize("language", i18n.released_public_languages() or ["(none yet)"])
def test_a_released_public_language_translates_every_public_msgid(language):
    if language == "(none yet)":
        pytest.skip("no public-page language is promised in locale/RELEASED_PUBLIC yet")
    missing = i18n.missing_public_msgids(language)
    assert not missing, f"{language} misses {len(missing)} public msgids: " + "; ".join(
        m[:60] for m in missing[:10]
    )


@pytest.mark.skipif(not HAS_GETTEXT, reason="GNU gettext is needed")
def test_a_public_language_missing_one_public_msgid_is_not_offered(tmp_path):
    template = tmp_path / "django.pot"
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    template.write_text(
        header + "#: prevent/templates/prevent/check.html\n"
        'msgid "Check a job offer"\nmsgstr ""\n\n'
        "#: prevent/templates/prevent/report.html\n"
        'msgid "Send the report"\nmsgstr ""\n\n'
        "#: cases/views.py\n"
        'msgid "Cases"\nmsgstr ""\n',
        encoding="utf-8",
    )
    for code, body in {
        "ro": 'msgid "Check a job offer"\nmsgstr "Verificați o ofertă de muncă"\n\n'
        'msgid "Send the report"\nmsgstr "Trimiteți raportul"\n',
        "ar": 'msgid "Check a job offer"\nmsgstr "تحقق من عرض عمل"\n',
    }.items():
        d = tmp_path / "locale" / code / "LC_MESSAGES"
        d.mkdir(parents=True)
        (d / "django.po").write_text(header + body, encoding="utf-8")
        subprocess.run(  # noqa: S603
            ["msgfmt", "-o", str(d / "django.mo"), str(d / "django.po")],  # noqa: S607
            check=True,
        )
    locale = tmp_path / "locale"
    keys = i18n.public_msgids(template) - i18n.public_definition_msgids()
    assert keys == {"Check a job offer", "Send the report"}  # not "Cases"
    # ro translates the template's public msgids but not the public definitions' labels.
    assert "Who is reporting?" in i18n.missing_public_msgids("ro", locale, template)
    assert "Send the report" not in i18n.missing_public_msgids("ro", locale, template)
    assert "Send the report" in i18n.missing_public_msgids("ar", locale, template)
    assert i18n.public_languages(locale, template) == []
    # ro's full catalogue is far from complete: it is never a full language.
    assert i18n.missing_msgids("ro", locale, template) == ["Cases"]


def test_settings_offer_a_public_language_only_when_complete():
    public = {code for code, _ in settings.PALERMO_PUBLIC_LANGUAGES}
    assert public <= {code for code, _ in settings.LANGUAGES}
    for code in public:
        assert not i18n.missing_public_msgids(code)
    for code, _ in i18n.PUBLIC_LANGUAGES:
        if i18n.missing_public_msgids(code):
            assert code not in {c for c, _ in settings.LANGUAGES}


# --- pages --------------------------------------------------------------------------------


def _lang(html: str) -> tuple[str, str]:
    m = re.search(r'<html lang="([^"]+)"(?: dir="([^"]+)")?', html)
    assert m, html[:200]
    return m.group(1), m.group(2) or "ltr"  # the signed-in pages' base sets no dir


@pytest.mark.django_db
@pytest.mark.usefixtures("arabic_on_public_pages")
def test_arabic_is_right_to_left_on_the_public_pages(client):
    for url in ("/check/", "/report/", "/report/thanks/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
        assert _lang(html) == ("ar", "rtl"), url
        assert in_arabic("Check a job offer") in html
        assert 'value="ar" lang="ar"' in html  # the switcher offers it here
    html = client.get("/check/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert in_arabic("Check a job offer") != "Check a job offer"


@pytest.mark.django_db
@pytest.mark.usefixtures("arabic_on_public_pages")
def test_the_countries_are_named_in_the_readers_language_on_the_public_pages(client):
    """The origin/destination choices and the hotline list name countries in the page's
    language (ISO 3166 names), not the contacts file's English."""
    html = client.get("/check/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert ">ألبانيا<" in html and ">Albania<" not in html
    assert "مولدوفا" in html  # not the Maldives: iso-codes' Arabic mistranslation is mended
    english = client.get("/check/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Albania<" in english


@pytest.mark.django_db
def test_an_incomplete_public_language_is_english_on_the_public_pages(client):
    if "ar" in {c for c, _ in settings.PALERMO_PUBLIC_LANGUAGES}:
        pytest.skip("the Arabic catalogue is complete for the public pages")
    html = client.get("/check/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert _lang(html) == ("en", "ltr")
    assert 'value="ar"' not in html


@pytest.mark.usefixtures("arabic_on_public_pages")
def test_arabic_elsewhere_is_english_with_the_notice(client, demo_world, settings):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert _lang(html) == ("en", "ltr")
    assert "The Arabic translation is not complete yet" in html
    assert 'value="ar"' not in html  # the switcher does not offer it here
    # Arabic first, a full language second: that one, the first full language asked for.
    public = {c for c, _ in settings.PALERMO_PUBLIC_LANGUAGES}
    full = [c for c, _ in settings.LANGUAGES if c not in public and c != "en"]
    if not full:  # no full language complete just now (new msgids): offer Ukrainian anyway
        settings.LANGUAGES = [*settings.LANGUAGES, ("uk", "Ukrainian")]
        full = ["uk"]
    accept = f"ar,{full[0]};q=0.8"
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert _lang(html)[0] == full[0]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    assert _lang(client.get("/accounts/login/").content.decode()) == ("en", "ltr")
    assert _lang(client.get("/check/").content.decode()) == ("ar", "rtl")


@pytest.mark.usefixtures("arabic_on_public_pages")
def test_switcher_takes_a_public_language_only_back_to_a_public_page(client, persona, demo_world):
    user = persona("caseworker")
    client.force_login(user)
    before = user.language
    response = client.post("/language/", {"language": "ar", "next": "/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    response = client.post("/language/", {"language": "ar", "next": "/check/"})
    assert response.status_code == 302 and response["Location"] == "/check/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    user.refresh_from_db()
    assert user.language == before  # the profile keeps a language every page has
    assert _lang(client.get("/check/").content.decode()) == ("ar", "rtl")
    assert _lang(client.get("/dashboard/").content.decode())[1] == "ltr"


@pytest.mark.skipif(not HAS_GETTEXT, reason="GNU gettext is needed")
@pytest.mark.parametrize("language", [code for code, _ in i18n.PUBLIC_LANGUAGES])
def test_the_translators_file_holds_exactly_the_missing_public_msgids(language, tmp_path):
    # From a catalogue not compiled yet (its .po alone, no .mo): every public msgid is
    # missing, plural entries included, whatever the shipped catalogue holds today.
    out, empty = tmp_path / f"todo_{language}.po", tmp_path / "none"
    (empty / language / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(
        i18n.LOCALE_DIR / language / "LC_MESSAGES" / "django.po",
        empty / language / "LC_MESSAGES" / "django.po",
    )
    n = i18n.write_public_todo(language, out, empty)
    entries = [e for e in i18n.read_po(out) if e.msgid]
    missing = i18n.missing_public_msgids(language, empty)
    assert n == len(entries) == len(missing) == len(i18n.public_msgids())
    assert {e.key for e in entries} == set(missing)
    assert all(not any(e.msgstr) for e in entries)
    forms = {"ar": 6, "ro": 3}[language]  # each plural entry has the language's forms
    assert all(len(e.msgstr) == forms for e in entries if e.msgid_plural)
    assert any(e.msgid_plural for e in entries)
    done = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "-o", str(tmp_path / "x.mo"), str(out)],  # noqa: S607
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(not HAS_GETTEXT, reason="GNU gettext is needed")
def test_a_catalogue_with_every_public_msgid_is_offered_on_the_public_pages_only(tmp_path):
    """Translating exactly the public msgids (with the translators' file) is enough for
    the public pages and not for the platform."""
    import polib

    todo = tmp_path / "todo.po"
    i18n.write_public_todo("ar", todo, tmp_path / "none", i18n.TEMPLATE)
    po = polib.pofile(str(todo))
    po.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
    for e in po:
        if e.msgid_plural:
            e.msgstr_plural = {0: "ع " + e.msgid, 1: "ع " + e.msgid_plural}
        else:
            e.msgstr = "ع " + e.msgid
    d = tmp_path / "locale" / "ar" / "LC_MESSAGES"
    d.mkdir(parents=True)
    po.save(str(d / "django.po"))
    subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "-o", str(d / "django.mo"), str(d / "django.po")],  # noqa: S607
        check=True,
    )
    locale = tmp_path / "locale"
    assert i18n.public_languages(locale) == [("ar", "Arabic")]
    assert i18n.missing_msgids("ar", locale)  # not a full language
    assert "ar" not in {c for c, _ in i18n.shipped_languages(locale)}
