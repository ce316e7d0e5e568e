from django import template

register = template.Library()


@register.filter
def human(code: object) -> str:
    """`presumed_victim` → `Presumed victim`: codes stay codes in data, words on screen."""
    text = str(code or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]
