"""The two public pages: "check a job offer" (/check/) and the anonymous worker report (/report/).

No account, server-rendered (they work with JavaScript off), rate-limited per client without
keeping its address (``throttle``), protected by CSRF. The check page writes nothing and logs
nothing of what is typed: answers arrive by POST (never in a URL), are evaluated in memory and
shown once. The report page writes one report and an audit entry without the address.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from palermo.core.errors import InvalidInput
from palermo.core.policy import public
from palermo.prevent import forms, services, throttle


def _too_many(request: HttpRequest, template: str, context: dict[str, object]) -> HttpResponse:
    context["rate_limited"] = True
    return render(request, template, context, status=429)


@public("a person about to migrate checks a job offer without an account; nothing is stored")
@never_cache
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    countries = services.contact_countries()
    if request.method != "POST":
        return render(request, "prevent/check.html", {"form": forms.CheckForm(countries=countries)})
    form = forms.CheckForm(request.POST, countries=countries)
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
            "contacts": services.contacts(
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
    countries = services.contact_countries()
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
        {"contacts": services.contacts(code for code, _name in services.contact_countries())},
    )
