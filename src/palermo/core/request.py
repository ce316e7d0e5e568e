"""Typed request notes: what Palermo's middleware and API authentication add to a request.

``ActiveOrganisationMiddleware`` (or the API token) sets ``request.organisation``;
``RequestContextMiddleware`` sets ``request.request_id``. These classes only *name* those
attributes for the type checker — Django builds the request, nothing instantiates them.

- ``PalermoRequest``: any request (a public page, ``@authenticated``): there may be no user
  and no organisation.
- ``SignedInRequest``: a request to an ``@authenticated`` page: a signed-in user, who may act
  for no organisation yet.
- ``AuthedRequest``: a request past a permission check (``@requires(Perm.X)`` on a page,
  every API operation): ``has_perm`` is false without a signed-in, active user acting for an
  organisation, so both are there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_htmx.middleware import HtmxDetails

    from palermo.core.models import Organisation, User


class PalermoRequest(HttpRequest):
    user: User | AnonymousUser
    organisation: Organisation | None
    request_id: str
    htmx: HtmxDetails


class SignedInRequest(PalermoRequest):
    user: User


class AuthedRequest(SignedInRequest):
    organisation: Organisation
