"""One error path: what a service refuses, and the HTTP status it means.

Every refusal a service raises is a ``PalermoError``; the API (one django-ninja exception
handler in ``palermo.api``) and the web pages (``core.middleware.ErrorMiddleware``) turn an
uncaught one into its status and the one error shape, ``{detail, errors: [{field, message}]}``,
and audit the refusals (``NotAllowed``). Views that want to show the message beside a field
still catch ``InvalidInput`` themselves; nothing else needs a try/except or a decorator.

Pure core: no Django (docs/architecture.md, "Errors").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """A message about one field of the input (the screening engine's too)."""

    field: str  # "" for an error about the whole input
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class PalermoError(Exception):
    """A refusal a person can act on; ``status`` is its HTTP answer."""

    status: ClassVar[int] = 400
    default_detail: ClassVar[str] = "The request was refused."
    # What the audit trail records as the refused object's type ("" lets the handler say).
    object_type: str = ""
    perm: str = ""  # the permission that was missing, when one was

    def __init__(self, message: str = "", *, object_type: str = "", perm: str = "") -> None:
        self.detail = message or self.default_detail
        if object_type:
            self.object_type = object_type
        if perm:
            self.perm = perm
        super().__init__(self.detail)

    @property
    def errors(self) -> list[FieldError]:
        return []

    def as_dict(self) -> dict[str, object]:
        return {
            "detail": self.detail,
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }


class InvalidInput(PalermoError):
    """Raised by a service before it changes anything: the reason per field."""

    status = 422
    default_detail = "Invalid input."

    def __init__(
        self, errors: list[FieldError] | FieldError, detail: str = "Invalid input."
    ) -> None:
        self._errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__(detail)
        # The exception's text lists the field messages (the CLI prints it).
        self.args = ("; ".join(f"{e.field}: {e.message}" for e in self._errors),)

    @property
    def errors(self) -> list[FieldError]:
        return self._errors


class NotAllowed(PalermoError):
    """The actor may not do this (403; audited as a refusal)."""

    status = 403
    default_detail = "You are not allowed to do this."


class NotFound(PalermoError):
    """Nothing the actor may see is there (404; also what a hidden object answers)."""

    status = 404
    default_detail = "Not found."


class Conflict(PalermoError):
    """The change cannot be made in the object's present state (409)."""

    status = 409
    default_detail = "Conflict."


class StaleVersion(InvalidInput):
    """Someone else saved the object since the version the edit was based on (409).

    An ``InvalidInput`` too, so a form shows its message like any other input error."""

    status = 409

    def __init__(self, message: str = "", detail: str = "Conflict.") -> None:
        super().__init__(
            FieldError(
                "",
                message
                or "Someone else changed this record while you were editing it. Nothing was saved; "
                "check it again and save once more.",
            ),
            detail=detail,
        )


class Busy(PalermoError):
    """A resource is held by another process; the same request may succeed later (503)."""

    status = 503
    default_detail = "Busy: try again in a moment."
