"""Shared pieces of the HTTP API: the one error shape, pagination, documented errors.

Kept apart from ``palermo.api`` so context routers can import them without a cycle.
(No `from __future__ import annotations`: django-ninja reads annotations at runtime.)"""

from typing import Any

from ninja import Field, Schema
from ninja.pagination import PaginationBase


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


class PalermoPagination(PaginationBase):
    """``?page=N&page_size=M`` (at most 200) on every list; the body says how many there are."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int = Field(50, ge=1, le=200)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    items_attribute = "items"

    def paginate_queryset(self, queryset: Any, pagination: Input, **params: Any) -> dict[str, Any]:
        count = (
            queryset.count()
            if hasattr(queryset, "count") and not isinstance(queryset, list)
            else len(queryset)
        )
        start = (pagination.page - 1) * pagination.page_size
        items = list(queryset[start : start + pagination.page_size])
        pages = max(1, -(-count // pagination.page_size))
        return {
            "items": items,
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": pages,
        }


# Every operation documents the error answers it can give, in the one shape.
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def with_errors(ok: dict[int, Any] | Any, ok_code: int = 200) -> dict[int, Any]:
    """``response=with_errors(Schema)`` → the success schema plus the standard errors."""
    base = dict(ok) if isinstance(ok, dict) else {ok_code: ok}
    return {**ERRORS, **base}
