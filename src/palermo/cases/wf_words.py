"""The case workflow's words in the reader's language (Django shell over the pure core).

``palermo.cases.workflow`` is pure and keeps its labels in English (they also go into
the timeline, which is a record and stays as written). Pages and forms import this module
instead, as ``wf``: every label table (``PHASE_LABELS``, ``CLOSURE_REASONS`` …) comes back
with lazily translated values, so a form's choices and a page's words follow the reader's
language; every other name (``wf.PRESUMED``, ``wf.TRANSITIONS`` …) is the workflow's own.
The msgids are generated from the same tables (palermo.web.i18n, ``palermo i18n extract``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.functional import lazy

from palermo.cases import workflow

# The workflow's tables of words (code → English label).
LABEL_TABLES = (
    "PHASE_LABELS",
    "IDENTIFICATION_LABELS",
    "CLOSURE_REASONS",
    "REFERRAL_OUTCOMES",
    "CONSENT_SCOPES",
    "CONSENT_PURPOSES",
    "CONSENT_GIVERS",
    "SERVICE_TYPES",
    "BID_FACTORS",
    "DURABLE_SOLUTIONS",
    "RETURN_QUESTIONS",
    "COMPENSATION_SOURCES",
    "NON_PUNISHMENT_DECISIONS",
    "PROCEEDINGS_STAGES",
    "PROCEEDINGS_ROLES",
    "DOCUMENT_TYPES",
    "DOCUMENT_STATUSES",
)


def _text(value: str) -> str:
    from palermo.web.display import data_text

    return data_text(value)


_lazy_text = lazy(_text, str)


class Translated(Mapping[str, Any]):
    """A read-only view of a code → English label table whose values are translated
    when rendered (lazy), so it can sit in a form's class-level choices."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table = table

    def __getitem__(self, key: str) -> Any:
        return _lazy_text(self._table[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)


def translated(table: Mapping[str, str]) -> Translated:
    return Translated(table)


_CACHE: dict[str, Translated] = {}


def __getattr__(name: str) -> Any:
    if name in LABEL_TABLES:
        if name not in _CACHE:
            _CACHE[name] = Translated(getattr(workflow, name))
        return _CACHE[name]
    return getattr(workflow, name)
