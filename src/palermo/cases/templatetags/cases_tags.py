"""Small template helpers for the case pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``labels.phase|get:case.phase`` — a dictionary lookup by a variable key; the key itself if absent."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key


@register.filter
def codes(values: Any, mapping: Any) -> str:
    """A list of codes as their labels, comma-separated."""
    return ", ".join(
        str(mapping.get(v, v)) if hasattr(mapping, "get") else str(v) for v in (values or [])
    )


@register.filter
def timeline_summary(summary: Any) -> str:
    """A timeline entry's stored English summary in the reader's language, or as written
    in a ``<span lang="en">`` when no known sentence reads it back (cases/timeline.py)."""
    from palermo.cases.timeline import timeline_summary as shown
    from palermo.web.sentences import shown_html

    return shown_html(shown(summary))
