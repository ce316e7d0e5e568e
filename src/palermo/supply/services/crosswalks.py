"""Writes of the product-classification tables: the CPV/UNSPSC → HS map and the shipped
goods → HS crosswalk (``supply/crosswalks.py``). Each checks the permission, validates whole,
changes nothing on an error and leaves an audit record."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm
from palermo.supply import crosswalks
from palermo.supply.models import ClassificationMap, Crosswalk
from palermo.supply.services import _audit, _require

__all__ = ["code_map_delete", "code_map_set", "crosswalk_load_defaults", "effective_crosswalk"]


def code_map_set(
    *, actor: User | None, organisation: Organisation, code: str, hs: str
) -> ClassificationMap:
    """Map a CPV (``cpv:18100000-0``) or UNSPSC (``unspsc:53100000``) code to an HS code."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    errs: list[FieldError] = []
    prefix, issue = crosswalks.classification_code(code)
    if issue:
        errs.append(FieldError("code", issue))
    digits, hs_issue = crosswalks.hs_code(hs)
    if hs_issue:  # the template translated, then filled in with the code's digits
        errs.append(FieldError("hs", gettext(hs_issue) % crosswalks.hs_values(hs)))
    if errs:
        raise InvalidInput(errs)
    with transaction.atomic():
        item, created = ClassificationMap.objects.update_or_create(
            organisation=organisation,
            code=prefix,
            defaults={"given": code.strip().lower().replace(" ", ""), "hs": digits},
        )
        _audit(
            "create" if created else "update",
            actor,
            organisation,
            "supply.code_map",
            item.pk,
            code=prefix,
            hs=digits,
        )
    return item


def code_map_delete(
    *, actor: User | None, organisation: Organisation, item: ClassificationMap
) -> None:
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    if item.organisation_id != organisation.pk:
        raise InvalidInput(FieldError("", "Not a mapping of your organisation."))
    with transaction.atomic():
        _audit("delete", actor, organisation, "supply.code_map", item.pk, code=item.code)
        item.delete()


def crosswalk_load_defaults(*, actor: User | None, organisation: Organisation) -> int:
    """Add the shipped goods → HS crosswalk; an entry the user already has is never changed.
    Returns how many entries were added."""
    _require(actor, organisation, Perm.SUPPLY_MANAGE)
    have = set(Crosswalk.objects.filter(organisation=organisation).values_list("code", flat=True))
    new = [
        Crosswalk(organisation=organisation, code=code, good=good)
        for code, good in crosswalks.default_goods()
        if code not in have
    ]
    with transaction.atomic():
        Crosswalk.objects.bulk_create(new)
        _audit(
            "create",
            actor,
            organisation,
            "supply.crosswalk",
            "defaults",
            added=len(new),
            file=crosswalks.DEFAULTS_FILE.name,
        )
    return len(new)


def effective_crosswalk(organisation: Organisation) -> dict[str, str]:
    """The crosswalk a screening uses: the user's entries and, through the classification map,
    each CPV/UNSPSC prefix resolved to the good of its HS code."""
    table = dict(Crosswalk.objects.filter(organisation=organisation).values_list("code", "good"))
    code_map = ClassificationMap.objects.filter(organisation=organisation).values_list("code", "hs")
    return crosswalks.compose(table, code_map)
