"""Arabic on the public pages for tests, until the real catalogue is complete.

A public-page language is offered only when its catalogue translates every public msgid
(palermo.web.i18n.public_msgids). The Arabic catalogue in locale/ar is being translated
(the lead merges it); until then ``arabic_on_public_pages`` compiles a SMALL test catalogue
of a few public msgids into ``tmp_path`` and offers Arabic as settings would once it is
complete. Once ``public_languages()`` includes ``ar`` the fixture uses the real catalogue;
tests read the expected words with ``in_arabic()``, so they hold with either.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from palermo.web import i18n

# A few public msgids in Arabic (test catalogue only; translators fill locale/ar).
ARABIC = {
    "Check a job offer": "تحقق من عرض عمل",
    "Report a situation": "أبلغ عن حالة",
    "Skip to main content": "انتقل إلى المحتوى الرئيسي",
    "Public pages": "الصفحات العامة",
    "Language": "اللغة",
    "Change": "تغيير",
    "Check the offer": "تحقق من العرض",
    "Yes": "نعم",
    "No": "لا",
    "I don't know": "لا أعرف",
    "Who can help": "من يمكنه المساعدة",
    "hotline": "خط المساعدة",
}


def in_arabic(text: str) -> str:
    """``text`` as the active Arabic catalogue says it."""
    from django.utils import translation

    with translation.override("ar"):
        return translation.gettext(text)


def real_arabic_complete() -> bool:
    return "ar" in {code for code, _ in i18n.public_languages()}


def write_test_catalogue(root: Path) -> Path:
    """``root/ar/LC_MESSAGES/django.mo`` from ``ARABIC``; returns ``root``."""
    d = root / "ar" / "LC_MESSAGES"
    d.mkdir(parents=True)
    body = "".join(
        f"msgid {json.dumps(k, ensure_ascii=False)}\nmsgstr {json.dumps(v, ensure_ascii=False)}\n\n"
        for k, v in ARABIC.items()
    )
    (d / "django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Language: ar\\n"\n\n' + body,
        encoding="utf-8",
    )
    subprocess.run(  # noqa: S603
        ["msgfmt", "--check-format", "-o", str(d / "django.mo"), str(d / "django.po")],  # noqa: S607
        check=True,
    )
    return root


@pytest.fixture
def arabic_on_public_pages(settings, tmp_path):
    """Arabic offered on the public pages (real catalogue if complete, else the test one)."""
    if real_arabic_complete():
        return False
    root = write_test_catalogue(tmp_path / "locale")
    settings.LOCALE_PATHS = [root, *settings.LOCALE_PATHS]
    settings.PALERMO_PUBLIC_LANGUAGES = [("ar", "Arabic")]
    settings.LANGUAGES = [*settings.LANGUAGES, ("ar", "Arabic")]
    return True
