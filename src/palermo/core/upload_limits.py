"""The Django side of ``palermo.core.limits``: limits from the settings, translated refusals.

Every importer takes its limits from :func:`import_limits` (``settings.PALERMO_IMPORT_LIMITS``,
set from the environment: see docs/admin-guide.md) and reports a
:class:`~palermo.core.limits.LimitExceeded` through :func:`refusal`, which makes it the
project's one error type (``InvalidInput`` on the ``file`` field): the web form shows
it next to the file field, the API answers 422 in the one error shape, the CLI prints
it on stderr. Nothing is changed by a refused file.

A new importer needs two lines: ``limits = import_limits("mykind")`` (falls back to the
defaults for an unknown kind) and ``check_upload(file, limits)`` before it reads; then
pass ``limits`` to its reader, which uses ``RowGuard`` while streaming.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from palermo.core.errors import FieldError, InvalidInput
from palermo.core.limits import DEFAULT_LIMITS, ImportLimits, LimitExceeded, check_size, check_zip

ZIP_SUFFIXES = (".xlsx", ".xlsm")


def import_limits(kind: str) -> ImportLimits:
    """The limits of one importer (``htcds``, ``kobo``, ``statement``, ``profile`` …)."""
    configured: dict[str, dict[str, Any]] = getattr(settings, "PALERMO_IMPORT_LIMITS", {})
    base = configured.get("default", {})
    return DEFAULT_LIMITS.with_(**{**base, **configured.get(kind, {})})


def message(exc: LimitExceeded) -> str:
    """The refusal in the user's language."""
    return exc.message(gettext)


def refusal(exc: LimitExceeded, field: str = "file") -> InvalidInput:
    return InvalidInput(
        FieldError(field, message(exc)),
        detail=gettext("The file was refused; nothing was imported."),
    )


def check_upload(
    upload: Any, limits: ImportLimits, *, name: str | None = None, field: str = "file"
) -> None:
    """Size and, for a workbook, the zip structure of an uploaded file, before any parsing.

    ``upload`` is a Django ``UploadedFile`` (or anything with ``size`` and ``read``/``seek``).
    Raises ``InvalidInput`` on ``field``.
    """
    try:
        check_size(getattr(upload, "size", None), limits)
        file_name = (name if name is not None else getattr(upload, "name", "")) or ""
        if file_name.lower().endswith(ZIP_SUFFIXES):
            fh = upload.file if hasattr(upload, "file") else upload
            check_zip(fh, limits)
    except LimitExceeded as exc:
        raise refusal(exc, field) from exc


def check_bytes(data: bytes, limits: ImportLimits, *, name: str = "", field: str = "file") -> None:
    """The same checks on a file already read (the CLI, a held upload)."""
    try:
        check_size(len(data), limits)
        if name.lower().endswith(ZIP_SUFFIXES):
            check_zip(data, limits)
    except LimitExceeded as exc:
        raise refusal(exc, field) from exc


def check_size_of_path(path: Any, limits: ImportLimits, *, field: str = "file") -> None:
    """A file named on the command line: its size from the file system, before it is read."""
    from pathlib import Path

    try:
        check_size(Path(path).stat().st_size, limits)
    except LimitExceeded as exc:
        raise refusal(exc, field) from exc


__all__ = [
    "check_bytes",
    "check_size_of_path",
    "check_upload",
    "import_limits",
    "message",
    "refusal",
]
