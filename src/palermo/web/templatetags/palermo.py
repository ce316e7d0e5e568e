from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def human(code: object) -> str:
    """`presumed_victim` → `Presumed victim`: codes stay codes in data, words on screen
    (in the reader's language for the codes palermo.web.display knows)."""
    from palermo.web.display import CODE_WORDS, _htcds_labels, data_text

    known = CODE_WORDS.get(str(code or ""))
    if known is not None:
        return str(known)
    htcds = _htcds_labels().get(str(code or ""))
    if htcds is not None:
        return data_text(htcds)
    text = str(code or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# --- responsive building blocks (issue 15, item 4) ----------------------------------------
#
# {% tablescroll %}<table>…</table>{% endtablescroll %}
#     A wide table scrolls inside its own box on a phone instead of widening the page. The box
#     is a labelled, focusable region so keyboard users can scroll it too (axe:
#     scrollable-region-focusable).
#
# {% filterpanel active %}<form class="filters">…</form>{% endfilterpanel %}
#     Filters behind a "Filters" button on small screens (a <details>: works without
#     JavaScript); always shown on wide screens (CSS); open when a filter is in use.


class _WrapNode(template.Node):
    def __init__(self, nodelist: template.NodeList, render_wrap, args: list) -> None:  # type: ignore[no-untyped-def]
        self.nodelist, self.render_wrap, self.args = nodelist, render_wrap, args

    def render(self, context: template.Context) -> str:
        values = [a.resolve(context) for a in self.args]
        return self.render_wrap(self.nodelist.render(context), *values)


def _table_wrap(inner: str, label: object = "") -> str:
    return format_html(
        '<div class="table-scroll" role="region" tabindex="0" aria-label="{}">{}</div>',
        label or _("Table (scrolls sideways on small screens)"),
        inner,
    )


def _filter_wrap(inner: str, active: object = False) -> str:
    return format_html(
        '<details class="filter-panel"{}><summary>{}</summary>{}</details>',
        " open" if active else "",
        _("Filters"),
        inner,
    )


def _wrap_tag(end: str, render_wrap):  # type: ignore[no-untyped-def]
    def compile_tag(parser: template.base.Parser, token: template.base.Token) -> _WrapNode:
        bits = token.split_contents()[1:]
        nodelist = parser.parse((end,))
        parser.delete_first_token()
        return _WrapNode(nodelist, render_wrap, [parser.compile_filter(b) for b in bits])

    return compile_tag


register.tag("tablescroll", _wrap_tag("endtablescroll", _table_wrap))
register.tag("filterpanel", _wrap_tag("endfilterpanel", _filter_wrap))


# --- plain words for codes (issue 15, item 3): see palermo.web.display -------------------------


@register.filter
def country(code: object) -> str:
    from palermo.web.display import country_name

    return country_name(code)


@register.filter
def countries(codes: object) -> str:
    from palermo.web.display import country_name

    return ", ".join(country_name(c) for c in (codes or []))


@register.filter
def language(code: object) -> str:
    from palermo.web.display import language_name

    return language_name(code)


@register.filter
def role(code: object) -> str:
    from palermo.web.display import role_name

    return role_name(code)


@register.filter
def words(code: object) -> str:
    from palermo.web.display import code_words

    return code_words(code)


@register.filter
def status_rule(code: object) -> str:
    from palermo.web.display import status_rule_name

    return status_rule_name(code)


@register.filter
def lookup(mapping: object, key: object) -> object:
    """``names|lookup:entry.organisation_id`` — a dictionary lookup by a variable key."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key


@register.simple_tag
def organisation_names() -> dict[int, str]:
    """Organisation id → name, for pages that list ids (the audit viewer)."""
    from palermo.core.models import Organisation

    return dict(Organisation.objects.values_list("pk", "name"))


@register.filter
def languages(codes: object) -> str:
    from palermo.web.display import language_name

    return ", ".join(language_name(c) for c in (codes or []))


@register.filter
def wordlist(codes: object) -> str:
    from palermo.web.display import code_words

    return ", ".join(code_words(c) for c in (codes or []))


@register.filter
def number(value: object, digits: object = None) -> str:
    """``{{ total|number }}`` — grouped as the reader's language writes numbers."""
    from palermo.web.display import number as _number

    return _number(value, int(digits) if digits not in (None, "") else None)  # type: ignore[call-overload]


@register.filter
def data_text(text: object) -> str:
    """``{{ rule.title|data_text }}`` — text from a data file, in the reader's language."""
    from palermo.web.display import data_text as _data_text

    return _data_text(text)


@register.filter
def nrm_rule(key: object) -> str:
    """``{{ t.rule_key|nrm_rule }}`` — the NRM rule's label, in the reader's language."""
    from palermo.web.display import nrm_rule_name

    return nrm_rule_name(key)


@register.simple_tag
def people_names(entries: object) -> dict[str, str]:
    """Username → full name (else the username) for the people the entries name."""
    from palermo.core.models import User

    usernames = {getattr(e, "actor_username", "") for e in (entries or [])}
    usernames.discard("")
    out: dict[str, str] = {}
    for u in User.objects.filter(username__in=usernames).only(
        "username", "first_name", "last_name"
    ):
        out[u.username] = u.get_full_name() or u.username
    return out


@register.simple_tag
def audit_sentence(entry: object, org_names: dict[int, str], people: dict[str, str]) -> str:
    """``{% audit_sentence e org_names people %}`` — the entry as a sentence."""
    from palermo.web.display import audit_sentence as _sentence

    return _sentence(entry, org_names, people)


# --- one-time form tokens (issue 15, item 6) ----------------------------------------------
#
# {% form_token "purpose" %}
#     The hidden one-time token of a form whose double submit must not create anything twice
#     (palermo.web.once). The view claims it with ``once.claim(request, "purpose")``.


@register.simple_tag(takes_context=True)
def form_token(context: template.Context, purpose: str) -> str:
    from palermo.web import once

    return format_html(
        '<input type="hidden" name="{}" value="{}">',
        once.FIELD,
        once.issue(context["request"], purpose),
    )


@register.simple_tag(takes_context=True)
def page_of(context: template.Context, items: object, per_page: int = 50) -> object:
    """{% page_of items 50 as page %}: one page of a list, chosen by ``?page=`` (use with
    ``web/pager.html``)."""
    from django.core.paginator import Paginator

    request = context.get("request")
    number = request.GET.get("page") if request is not None else None
    return Paginator(list(items or []), per_page).get_page(number)  # type: ignore[call-overload]
