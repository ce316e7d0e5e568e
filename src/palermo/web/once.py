"""One-time form tokens: a double submit creates nothing twice (issue 15, item 6).

A form that creates something that matters (a referral, a service referral, an
identification decision, a screening assessment) carries a token issued for this user
and this purpose::

    <form method="post">{% csrf_token %}{% form_token "case_open" %} …

and its view claims the token in the same transaction as the write::

    try:
        with once.claim(request, "case_open") as claim:
            case = services.case_open(...)
            claim.done(reverse("cases:detail", args=[case.reference]))
    except once.Duplicate as dup:
        return once.duplicate_response(request, dup, fallback=...)
    except once.TokenProblem as problem:
        form.add_error(None, problem.message)

The claim is an insert of the token's nonce under a unique constraint. A second submit of
the same form (a double click, the back button and "send again", a retry after a slow
answer) fails that insert: nothing is written twice and the person is sent to what the
first submit created. If the write itself is refused (bad input), the transaction rolls the
claim back with it, so the corrected form can be sent with the same token.

Tokens are signed (``django.core.signing``) with the user's id and the purpose, and expire
after ``MAX_AGE`` seconds: they cannot be made up, nor used by someone else or for
another form. Used tokens are forgotten after twice that time.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.contrib import messages
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.web.models import FormSubmission

FIELD = "form_token"
SALT = "palermo.web.once"
MAX_AGE = 12 * 3600  # a form may stay open for a working day


class Duplicate(Exception):
    """This form was already sent and acted on; ``result_url`` is where the first submit led."""

    def __init__(self, result_url: str) -> None:
        super().__init__("already submitted")
        self.result_url = result_url


class TokenProblem(Exception):
    """The token is missing, forged, for another user or form, or too old: nothing was done."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Claim:
    row: FormSubmission

    def done(self, result_url: str) -> None:
        """Remember where this submission led (a path with references only, no personal data)."""
        self.row.result_url = result_url[:200]
        self.row.save(update_fields=["result_url"])


def issue(request: HttpRequest, purpose: str) -> str:
    user_id = getattr(getattr(request, "user", None), "pk", None)
    return signing.dumps(
        {"u": user_id, "p": purpose, "n": secrets.token_urlsafe(18)}, salt=SALT, compress=False
    )


def _nonce(request: HttpRequest, purpose: str) -> str:
    raw = request.POST.get(FIELD, "")
    if not raw:
        raise TokenProblem(
            _(
                "This form was not sent from its page in Palermo, so nothing was done. "
                "Check the answers below and send the form again."
            )
        )
    try:
        data = signing.loads(raw, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise TokenProblem(
            _(
                "This form was open for too long, so nothing was done. "
                "Check the answers below and send the form again."
            )
        ) from None
    except signing.BadSignature:
        data = None
    if (
        not isinstance(data, dict)
        or data.get("u") != request.user.pk
        or data.get("p") != purpose
        or not isinstance(data.get("n"), str)
    ):
        raise TokenProblem(
            _(
                "This form cannot be accepted as it was sent (it belongs to another form or "
                "another user), so nothing was done. Check the answers below and send it again."
            )
        )
    return data["n"]


def previous(request: HttpRequest, purpose: str) -> Duplicate | None:
    """When the request carries a token for ``purpose`` that was already used: its ``Duplicate``.

    For views that would otherwise refuse the repeat for another reason (the first submit
    changed what is allowed, e.g. a decision now exists) before claiming the token."""
    if request.method != "POST" or not request.POST.get(FIELD):
        return None
    try:
        nonce = _nonce(request, purpose)
    except TokenProblem:
        return None
    prior = FormSubmission.objects.filter(nonce=nonce, user_id=cast(int, request.user.pk)).first()
    return Duplicate(prior.result_url) if prior else None


@contextmanager
def claim(request: HttpRequest, purpose: str) -> Iterator[Claim]:
    """Claim the request's token for ``purpose``, then run the block in the same transaction.

    Raises ``TokenProblem`` or ``Duplicate`` before the block runs; an exception from the
    block rolls the claim back together with whatever the block wrote."""
    nonce = _nonce(request, purpose)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the failed insert leaves the rest usable
                row = FormSubmission.objects.create(
                    nonce=nonce, user_id=cast(int, request.user.pk), purpose=purpose
                )
        except IntegrityError:
            # On PostgreSQL the insert waited for the first submit's transaction to end; it is
            # committed now, and so is where it led.
            prior = FormSubmission.objects.filter(nonce=nonce).first()
            raise Duplicate(prior.result_url if prior else "") from None
        FormSubmission.objects.filter(
            created_at__lt=timezone.now() - timedelta(seconds=2 * MAX_AGE)
        ).delete()
        yield Claim(row)


def duplicate_response(request: HttpRequest, dup: Duplicate, *, fallback: str) -> HttpResponse:
    """Where a second submit of the same form goes: to what the first one created, saying so."""
    messages.info(
        request,
        _("This form had already been sent. It was acted on once; nothing was done twice."),
    )
    return redirect(dup.result_url or fallback)
