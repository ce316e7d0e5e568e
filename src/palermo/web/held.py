"""A file held between its preview and the person's confirmation.

The import pages of supply (sites, risk lists, purchase orders) and monitor
(recommendations) work in two steps: the upload is parsed and a preview shows what an
import would do, with nothing written; "Import" then imports exactly the file that was
previewed, without a second upload. Between the two the file waits in the session, on the
server: ``Holder.hold`` after a clean preview, ``Holder.take`` in the confirming view
(taken once: a second confirmation finds nothing), ``nothing_held`` when there is nothing
to confirm (the session expired, the file was already imported, another preview replaced
it). Cancelling is leaving the page: the next preview replaces the held file.

Each context has one slot (``Holder("supply_import")``); ``kind`` says which of its imports
the held file is for, so confirming another kind finds nothing and leaves the file alone.
The file's digest is kept beside it and checked when it is taken.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

NAME_CHARS = 100  # a file name is kept to its last 100 characters (the suffix tells the format)


@dataclass(frozen=True)
class HeldFile:
    kind: str
    name: str
    data: bytes
    extra: dict[str, Any] = field(default_factory=dict)  # what the preview was made with


class Holder:
    """One session slot holding at most one previewed file."""

    def __init__(self, slot: str) -> None:
        self.slot = slot

    def hold(self, request: HttpRequest, kind: str, data: bytes, name: str, **extra: Any) -> None:
        """Keep ``data`` for the confirmation (``extra``: JSON values, e.g. the form's fields)."""
        request.session[self.slot] = {
            **extra,
            "kind": kind,
            "name": name[-NAME_CHARS:],
            "data": base64.b64encode(data).decode("ascii"),
            "sha256": hashlib.sha256(data).hexdigest(),
        }

    def take(self, request: HttpRequest, kind: str) -> HeldFile | None:
        """The file held for ``kind``, removed from the session; None if there is none."""
        held = request.session.get(self.slot)
        if not isinstance(held, dict) or held.get("kind") != kind:
            return None
        request.session.pop(self.slot, None)
        held = dict(held)
        try:
            data = base64.b64decode(held.pop("data"), validate=True)
        except (KeyError, TypeError, binascii.Error):
            return None
        if hashlib.sha256(data).hexdigest() != held.pop("sha256", None):
            return None
        held.pop("kind")
        return HeldFile(kind=kind, name=str(held.pop("name", "")), data=data, extra=held)


def nothing_held(request: HttpRequest, upload_page: str) -> HttpResponse:
    """The answer to a confirmation with nothing held: say so, back to the upload page."""
    messages.error(request, _("Nothing to import: upload the file again."))
    return redirect(upload_page)
