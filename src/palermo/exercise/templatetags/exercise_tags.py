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


@register.simple_tag
def scenario_text(texts: Any, thing: Any, name: str = "") -> str:
    """``{% scenario_text texts inject "title" %}``, ``{% scenario_text texts action %}``,
    ``{% scenario_text texts team %}``: a scenario text in the reader's language when the
    package has it (``palermo.exercise.texts``), else as written."""
    if thing is None or thing == "":
        return ""
    if name:
        return str(texts.inject(thing, name)) if texts else str(getattr(thing, name, "") or "")
    if hasattr(thing, "criterion"):
        return str(texts.action(thing)) if texts else str(thing.text)
    return str(texts.team(thing)) if texts else str(thing.name)


@register.simple_tag
def scenario_role(texts: Any, key: str, written: str, name: str = "title") -> str:
    """``{% scenario_role texts role_key role_title %}``: a role's title (or ``"brief"``) in the
    reader's language when the package has it, else as written."""
    return str(texts.role(key, written, name)) if texts else str(written or "")
