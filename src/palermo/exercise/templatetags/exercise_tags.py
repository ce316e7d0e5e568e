from __future__ import annotations

from typing import Any

from django import template

from palermo.exercise import clock

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """A label from one of the views' label dictionaries (never the raw code when it is known)."""
    return mapping.get(key, key) if isinstance(mapping, dict) else key


@register.filter
def simtime(seconds: float, day_start_minutes: int) -> str:
    return clock.format_time(seconds, day_start_minutes)
