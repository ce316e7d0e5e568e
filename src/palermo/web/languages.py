"""The language switcher and the reader's language (issue 15, item 5).

* ``set_language``: Django's own view (cookie, safe ``next`` redirect), wrapped to refuse a
  language that is not shipped and to remember the choice on the user's profile too.
* ``UserLanguageMiddleware``: a signed-in user's saved language wins over the browser's, so
  the choice follows them to another device.
* ``fallback_language``: the language a reader asked for (profile, cookie or browser) that
  Palermo wants but does not ship yet (its catalogue is incomplete) — pages say so.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_supported_language_variant
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from palermo.core.policy import public


def shipped_codes() -> set[str]:
    return {code for code, _ in settings.LANGUAGES}


def wanted_codes() -> set[str]:
    return {code for code, _ in settings.PALERMO_WANTED_LANGUAGES}


@public("the language switcher: changes only the reader's own language (cookie and profile)")
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("language", "")
    if code not in shipped_codes():
        # Django would accept any language it has a catalogue for; Palermo only shipped ones.
        nxt = request.POST.get("next", "")
        safe = url_has_allowed_host_and_scheme(
            nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return HttpResponseRedirect(nxt if safe else "/")
    response = django_set_language(request)  # validates the code and the next URL itself
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if user.language != code:
            user.language = code
            user.save(update_fields=["language"])
        translation.activate(code)
    return response


class UserLanguageMiddleware:
    """After authentication: activate the signed-in user's saved language, if shipped."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        code = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if code and code in shipped_codes() and code != translation.get_language():
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)


def _requested(request: HttpRequest) -> list[str]:
    """What the reader asked for, strongest first: profile, cookie, browser."""
    asked: list[str] = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and getattr(user, "language", ""):
        asked.append(user.language)
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie:
        asked.append(cookie)
    from django.utils.translation.trans_real import parse_accept_lang_header

    for code, _q in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code != "*":
            asked.append(code)
    return asked


def fallback_language(request: HttpRequest) -> str | None:
    """The wanted-but-not-shipped language the reader asked for before any shipped one."""
    shipped, wanted = shipped_codes(), wanted_codes()
    for code in _requested(request):
        base = code.lower().split("-")[0]
        if base in shipped:
            return None
        if base in wanted:
            return base
        try:
            if get_supported_language_variant(code) in shipped:
                return None
        except LookupError:
            continue
    return None
