"""``{{ code|outcome_label }}``: an assessment code as translated words (labels.py)."""

from __future__ import annotations

from django import template

from palermo.screening.labels import outcome_label as _outcome_label

register = template.Library()


@register.filter
def outcome_label(code: object) -> str:
    return _outcome_label(str(code) if code else None)
