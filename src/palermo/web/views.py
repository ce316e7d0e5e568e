from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render

from palermo.core.policy import authenticated, public
from palermo.core.request import PalermoRequest, SignedInRequest
from palermo.web.mywork import my_work
from palermo.web.navigation import visible_items


@public("the front door: sends visitors to sign in or to their dashboard")
def home(request: PalermoRequest) -> HttpResponse:
    return redirect("dashboard" if request.user.is_authenticated else "login")


@authenticated
def dashboard(request: SignedInRequest) -> HttpResponse:
    org = getattr(request, "organisation", None)
    tiles = [i for i in visible_items(request.user, org) if i.url != request.path]
    work = my_work(request.user, org)
    return render(
        request,
        "web/dashboard.html",
        {"tiles": tiles, "work": work, "nothing_waits": not any(w.count for w in work)},
    )


@public("health check for load balancers; says nothing about data")
def healthz(request: PalermoRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
