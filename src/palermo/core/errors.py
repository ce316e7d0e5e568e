"""One error shape for services, the API and the UI: a list of field messages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str  # "" for an error about the whole input
    message: str


class InvalidInput(Exception):
    """Raised by a service before it changes anything."""

    def __init__(
        self, errors: list[FieldError] | FieldError, detail: str = "Invalid input."
    ) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        self.detail = detail
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    def as_dict(self) -> dict[str, object]:
        return {
            "detail": self.detail,
            "errors": [{"field": e.field, "message": e.message} for e in self.errors],
        }
