"""The two public pages: "check a job offer" (/check/) and the anonymous worker report (/report/).

No account, server-rendered (they work with JavaScript off), rate-limited per client without
keeping its address (``throttle``), protected by CSRF. The check page writes nothing and logs
nothing of what is typed: answers arrive by POST (never in a URL), are evaluated in memory and
shown once. The report page writes one report and an audit entry without the address.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from palermo.core.errors import InvalidInput
from palermo.core.policy import public
from palermo.prevent import forms, services, throttle
from palermo.web.display import country_name

# --- the blank check page, rendered once per language -----------------------------------
#
# Nearly all the cost of GET /check/ was rendering 16 radio groups through Django's form
# templates (about 10 ms a page; no database query, no session). The blank page is the same
# for every visitor in one language, so it is rendered once per process and key, and only the
# CSRF token is put in per request (the token is per visitor and must never be cached).
# The key holds everything the blank page is made from: the language, the path, the rules
# version and the contacts file (path, size, modification time). It holds nothing from the
# licence registry because the blank page shows nothing from it (the registry is read only
# when answers are posted); ``test_prevent_check_cache.py`` keeps that true.

_TOKEN_SLOT = "palermo-csrf-slot-" + secrets.token_hex(16)  # never a valid token
_PAGES: dict[tuple[object, ...], str] = {}
_PAGES_MAX = 64  # languages × versions; cleared whole when full (a version change, a restart)


def _page_key(request: HttpRequest) -> tuple[object, ...]:
    return (
        translation.get_language(),
        request.path,
        services.rules_version(),
        services.contacts_signature(),
    )


def _said(code: str, name: str) -> str:
    """A country by its name in the reader's language; the contacts file's own name for a
    code ISO 3166 does not know (the demo's fictional countries)."""
    said = country_name(code)
    return name if said == code.upper() else said


def _countries() -> list[tuple[str, str]]:
    """The contacts file's countries for a choice, named and sorted in the reader's language."""
    named = [(code, _said(code, name)) for code, name in services.contact_countries()]
    return sorted(named, key=lambda kv: kv[1])


def _named(contacts: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{**c, "name": _said(c["code"], c.get("name", ""))} for c in contacts]


def _named_contacts(countries: Iterable[str]) -> list[dict[str, str]]:
    return _named(services.contacts(countries))


def _blank_check_page(request: HttpRequest) -> str:
    key = _page_key(request)
    page = _PAGES.get(key)
    if page is None:
        page = render_to_string(
            "prevent/check.html",
            {
                "form": forms.CheckForm(countries=_countries()),
                "csrf_token": _TOKEN_SLOT,
            },
            request=request,
        )
        if _TOKEN_SLOT not in page:  # the form could not be sent: refuse to serve it
            raise ImproperlyConfigured("prevent/check.html lost its {% csrf_token %}")
        if len(_PAGES) >= _PAGES_MAX:
            _PAGES.clear()
        _PAGES[key] = page
    # get_token() also has the CSRF middleware set the cookie for a first visit.
    return page.replace(_TOKEN_SLOT, get_token(request))


@receiver(setting_changed)
def clear_page_cache(**_kwargs: object) -> None:
    """Forget the rendered pages (also whenever a setting changes, as in tests)."""
    _PAGES.clear()


def _too_many(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    context["rate_limited"] = True
    return render(request, template, context, status=429)


@public("a person about to migrate checks a job offer without an account; nothing is stored")
@never_cache
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponse(_blank_check_page(request))
    form = forms.CheckForm(request.POST, countries=_countries())
    context: dict[str, object] = {"form": form}
    if not throttle.allow(request, "check"):
        return _too_many(request, "prevent/check.html", context)
    if not form.is_valid():
        return render(request, "prevent/check.html", context, status=422)
    result = services.check_offer(form.answers())
    agency = form.cleaned_data.get("agency") or ""
    context.update(
        {
            "result": result,
            "agency": agency,
            "licence_matches": services.licence_lookup(agency) if agency else [],
            "contacts": _named_contacts(
                c
                for c in (form.cleaned_data.get("origin"), form.cleaned_data.get("destination"))
                if c
            ),
        }
    )
    return render(request, "prevent/check.html", context)


@public("a worker or witness reports a situation anonymously; no address is stored")
@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    countries = _countries()
    if request.method != "POST":
        return render(
            request, "prevent/report.html", {"form": forms.ReportForm(countries=countries)}
        )
    form = forms.ReportForm(request.POST, countries=countries)
    context: dict[str, object] = {"form": form}
    if not throttle.allow(request, "report"):
        return _too_many(request, "prevent/report.html", context)
    if not form.is_valid():
        return render(request, "prevent/report.html", context, status=422)
    if form.cleaned_data.get("website"):
        # A robot filled the hidden field: answer as if taken, keep nothing.
        return redirect("prevent_public:report_thanks")
    data = {k: v for k, v in form.cleaned_data.items() if k != "website"}
    try:
        services.report_submit(data=data)
    except InvalidInput as exc:
        for e in exc.errors:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        return render(request, "prevent/report.html", context, status=422)
    return redirect("prevent_public:report_thanks")


@public("the page a reporter sees after sending; it shows nothing of the report")
@require_http_methods(["GET"])
def report_thanks(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "prevent/report_thanks.html",
        {"contacts": _named(services.contacts(code for code, _n in services.contact_countries()))},
    )
