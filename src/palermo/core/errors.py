"""One error path: what a service refuses, and the HTTP status it means.

Every refusal a service raises is a ``PalermoError``; the API (one django-ninja exception
handler in ``palermo.api``) and the web pages (``core.middleware.ErrorMiddleware``) turn an
uncaught one into its status and the one error shape, ``{detail, errors: [{field, message}]}``,
and audit the refusals (``NotAllowed``). Views that want to show the message beside a field
still catch ``InvalidInput`` themselves; nothing else needs a try/except or a decorator.

**Messages are said in the reader's language.** A service writes its message as an English
template with ``{name}`` fields and gives the values separately::

    FieldError("source", "Choose one of: {choices}.", choices=", ".join(CaseSource.values))

The template is the msgid: ``palermo i18n extract`` finds every literal given to
``FieldError`` and to the refusals below (``web.i18n.refusal_messages``, an AST walk), and a
test fails on an f-string there, which no catalogue could hold. ``message`` and ``detail``
are translated when read, through the translator the Django shell installs at start-up
(``install_translator``), so the form beside the field, the API's error shape and the CLI
all say it in the active language, while the pure core stays free of Django.

Pure core: no Django (docs/architecture.md, "Errors").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

# Identity until the shell installs gettext (pure-core tests and tools read English).
_translate: Callable[[str], str] = str


def install_translator(translate: Callable[[str], str]) -> None:
    """Called once by ``core.apps`` with ``django.utils.translation.gettext``."""
    global _translate
    _translate = translate


def say(template: str, params: tuple[tuple[str, object], ...] = ()) -> str:
    """``template`` in the active language, its fields filled. A translation that names a
    field the template does not have (a translator's typo) falls back to English rather than
    failing the request that wanted to explain an error."""
    translated = _translate(template) if template else template
    if not params:
        return translated
    # A value that is itself a Problem (a phase's label) is said in the reader's language too.
    values = {k: v.said() if isinstance(v, Problem) else v for k, v in params}
    try:
        return translated.format_map(values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return template.format_map(values)


class Problem(str):
    """English text a pure rule returns that remembers its template and values, so that the
    shell can say it in the reader's language: ``Problem("Unknown factors: {keys}.", keys=…)``
    *is* the English sentence (tests and callers compare and search it as a ``str``), and
    ``FieldError`` or a refusal made from it is translated like one written in the service.
    A label from a data table is wrapped as it is, ``Problem(PHASE_LABELS[p])``: its msgid is
    extracted with the table."""

    template: str
    params: tuple[tuple[str, object], ...]

    def __new__(cls, template: str, /, **params: object) -> Problem:
        obj = super().__new__(cls, template.format_map(params) if params else template)
        obj.template = template
        obj.params = tuple(params.items())
        return obj

    def said(self) -> str:
        """In the active language."""
        return say(self.template, self.params)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return _problem, (self.template, dict(self.params))


def _problem(template: str, params: dict[str, object]) -> Problem:
    return Problem(template, **params)


@dataclass(frozen=True, slots=True, init=False)
class FieldError:
    """A message about one field of the input (the screening engine's too)."""

    field: str  # "" for an error about the whole input
    template: str  # English, the msgid; ``{name}`` fields filled from params
    params: tuple[tuple[str, object], ...]

    def __init__(self, field: str, message: str, /, **params: object) -> None:
        object.__setattr__(self, "field", field)
        if isinstance(message, Problem) and not params:  # a pure rule's sentence
            object.__setattr__(self, "template", message.template)
            object.__setattr__(self, "params", message.params)
            return
        object.__setattr__(self, "template", message)
        object.__setattr__(self, "params", tuple(params.items()))

    @property
    def message(self) -> str:
        """The message in the active language."""
        return say(self.template, self.params)

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class PalermoError(Exception):
    """A refusal a person can act on; ``status`` is its HTTP answer."""

    status: ClassVar[int] = 400
    default_detail: ClassVar[str] = "The request was refused."
    # What the audit trail records as the refused object's type ("" lets the handler say).
    object_type: str = ""
    perm: str = ""  # the permission that was missing, when one was

    def __init__(
        self, message: str = "", *, object_type: str = "", perm: str = "", **params: object
    ) -> None:
        self.template = message or self.default_detail
        self.params = tuple(params.items())
        if isinstance(message, Problem) and not params:  # a pure rule's sentence
            self.template, self.params = message.template, message.params
        if object_type:
            self.object_type = object_type
        if perm:
            self.perm = perm
        super().__init__(say(self.template, self.params) if self.params else self.template)

    @property
    def detail(self) -> str:
        """The refusal in the active language (``template`` filled with ``params``)."""
        return say(self.template, self.params)

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
