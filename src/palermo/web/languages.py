"""The language switcher and the reader's language (issue 15, item 5).

* ``set_language``: Django's own view (cookie, safe ``next`` redirect), wrapped to refuse a
  language that is not shipped and to remember the choice on the user's profile too.
* ``UserLanguageMiddleware``: a signed-in user's saved language wins over the browser's, so
  the choice follows them to another device.
* ``fallback_language``: the language a reader asked for (profile, cookie or browser) that
  Palermo wants but does not ship yet (its catalogue is incomplete) — pages say so.
* Public-page languages (``settings.PALERMO_PUBLIC_LANGUAGES``, web/i18n.PUBLIC_LANGUAGES):
  complete for /check/ and /report/ only. Offered, accepted and kept active on those pages
  (``is_public_path``); anywhere else the reader gets the fallback as for an incomplete one.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_supported_language_variant
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from palermo.core.policy import public


def public_only_codes() -> set[str]:
    """The public-page languages that are complete for those pages (and only those)."""
    return {code for code, _ in getattr(settings, "PALERMO_PUBLIC_LANGUAGES", ())}


def shipped_codes(*, public_page: bool = False) -> set[str]:
    """The languages a page may be shown in: the full ones, and on a public page also the
    complete public-page ones."""
    codes = {code for code, _ in settings.LANGUAGES}
    return codes if public_page else codes - public_only_codes()


def wanted_codes() -> set[str]:
    from palermo.web.i18n import PUBLIC_LANGUAGES

    return {code for code, _ in settings.PALERMO_WANTED_LANGUAGES} | {
        code for code, _ in PUBLIC_LANGUAGES
    }


def on_public_page(request: HttpRequest) -> bool:
    """Whether the request is for a public page — only asked (a URL resolution) when some
    public-page language is complete, so that nothing changes for the others."""
    return bool(public_only_codes()) and is_public_path(request.path_info)


def is_public_path(path: str) -> bool:
    """Whether ``path`` is one of the public pages (the ``prevent_public`` URL namespace)."""
    from django.urls import Resolver404, resolve

    from palermo.web.i18n import PUBLIC_URL_NAMESPACE

    try:
        match = resolve(path)
    except Resolver404:
        return False
    return PUBLIC_URL_NAMESPACE in match.namespaces


@public("the language switcher: changes only the reader's own language (cookie and profile)")
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("language", "")
    nxt = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    public_page = safe and is_public_path(urlsplit(nxt).path)
    if code not in shipped_codes(public_page=public_page):
        # Django would accept any language it has a catalogue for; Palermo only shipped ones
        # (and a public-page language only when going back to a public page).
        return HttpResponseRedirect(nxt if safe else "/")
    response = django_set_language(request)  # validates the code and the next URL itself
    user = getattr(request, "user", None)
    if code in public_only_codes():
        return response  # the cookie only: the user's other pages cannot be shown in it
    if user is not None and user.is_authenticated:
        if user.language != code:
            user.language = code
            user.save(update_fields=["language"])
        translation.activate(code)
    return response


class UserLanguageMiddleware:
    """After authentication: activate the signed-in user's saved language, if shipped; and
    keep a public-page language (which LocaleMiddleware activates from the cookie or the
    browser, as it is in ``settings.LANGUAGES``) to the public pages: anywhere else the
    reader gets the first full language they asked for, else English (and the notice)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        public_only = public_only_codes()
        active = translation.get_language()
        if public_only and active in public_only and is_public_path(request.path_info):
            return self.get_response(request)  # the reader's choice, on a page that has it
        user = getattr(request, "user", None)
        code = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if not (code and code in shipped_codes()) and active in public_only:
            code = _first_full(request) or settings.LANGUAGE_CODE
        if code and code in shipped_codes() and code != active:
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)


def _first_full(request: HttpRequest) -> str | None:
    """The first full (not public-page-only) shipped language the reader asked for."""
    full = shipped_codes()
    for code in _requested(request):
        try:
            variant = get_supported_language_variant(code)
        except LookupError:
            continue
        if variant in full:
            return variant
    return None


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
    """The wanted-but-not-shipped language the reader asked for before any shipped one (a
    public-page language counts as not shipped outside the public pages)."""
    shipped = shipped_codes(public_page=on_public_page(request))
    wanted = wanted_codes()
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
