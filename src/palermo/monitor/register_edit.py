"""Typing and correcting records of the register and the plan: one recommendation typed on the
web (the same checks as a file row), a recommendation's wording, addressee and due date, and
a measure's title, deadline, budget and responsible organisations.

Each change is validated whole, refused on a stale version (someone else changed it), audited
in its transaction, and — for a recommendation — written into its follow-up history, so a
country visit sees what changed and when.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from palermo.core.errors import FieldError, InvalidInput
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm
from palermo.monitor import recimport, services
from palermo.monitor.models import FollowUp, Measure, Recommendation
from palermo.monitor.services import _audit, _require

STALE = gettext_noop(
    "Someone changed this record after you opened it. Reload the page; your change was not saved."
)


def _row_errors(errs: list[recimport.RowError]) -> InvalidInput:
    return InvalidInput(
        [
            FieldError(e.field, _(e.template) % dict(e.params) if e.params else _(e.template))
            for e in errs
        ]
    )


def recommendation_type(
    *, actor: User | None, organisation: Organisation, values: dict[str, Any]
) -> Recommendation:
    """One recommendation typed on the web: the checks of an import row, then the register."""
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    text_values = {
        k: (v.isoformat() if isinstance(v, date) else str(v or "")) for k, v in values.items()
    }
    row, errs = recimport.check_values(text_values, 0, existing=services.existing_keys())
    if row is None:
        raise _row_errors(errs)
    return services.recommendation_create(actor=actor, organisation=organisation, row=row)


def recommendation_edit(
    *,
    actor: User | None,
    organisation: Organisation,
    recommendation: Recommendation,
    addressee: str,
    text: str,
    due_on: date | None,
    note: str = "",
    expected_version: int | None = None,
) -> Recommendation:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    addressee = services._text(addressee, "addressee", 200, errors)
    text = services._text(text, "text", 5000, errors)
    note = services._text(note, "note", 5000, errors, required=False)
    if due_on is not None and due_on < recommendation.issued_on:
        errors.append(
            FieldError(
                "due_on", _("The due date is before the date the recommendation was issued.")
            )
        )
    if errors:
        raise InvalidInput(errors)
    version = expected_version if expected_version is not None else recommendation.version
    with transaction.atomic():
        changed = [
            name
            for name, new in (("addressee", addressee), ("text", text), ("due_on", due_on))
            if getattr(recommendation, name) != new
        ]
        updated = Recommendation.objects.filter(pk=recommendation.pk, version=version).update(
            addressee=addressee, text=text, due_on=due_on, version=version + 1
        )
        if not updated:
            raise InvalidInput(FieldError("", _(STALE)))
        recommendation.refresh_from_db()
        FollowUp.objects.create(
            recommendation=recommendation,
            at=timezone.now(),
            status_before=recommendation.status,
            status_after=recommendation.status,
            note=note or _("Edited: %(fields)s.") % {"fields": ", ".join(changed) or "—"},
            organisation=organisation,
            actor=actor,
        )
        _audit(
            "update",
            actor,
            organisation,
            "monitor.recommendation",
            recommendation.pk,
            changed=changed,
        )
    return recommendation


def measure_edit(
    *,
    actor: User | None,
    organisation: Organisation,
    measure: Measure,
    title: str,
    deadline: date,
    budget_line: str = "",
    budget_amount: Any = None,
    budget_currency: str = "",
    responsible: list[Organisation] | None = None,
    expected_version: int | None = None,
) -> Measure:
    _require(actor, organisation, Perm.MONITOR_MANAGE)
    errors: list[FieldError] = []
    title = services._text(title, "title", 300, errors)
    budget_line = services._text(budget_line, "budget_line", 120, errors, required=False)
    amount: Decimal | None = None
    if budget_amount not in (None, ""):
        try:
            amount = Decimal(str(budget_amount))
            if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
                raise InvalidOperation
        except InvalidOperation:
            errors.append(FieldError("budget_amount", _("Give an amount of zero or more.")))
    currency = (budget_currency or "").strip().upper()
    if currency and (len(currency) != 3 or not currency.isalpha()):
        errors.append(FieldError("budget_currency", _("Give a three-letter currency code (EUR).")))
    if responsible is not None and not responsible:
        errors.append(FieldError("responsible", _("Name at least one responsible organisation.")))
    if errors:
        raise InvalidInput(errors)
    version = expected_version if expected_version is not None else measure.version
    with transaction.atomic():
        updated = Measure.objects.filter(pk=measure.pk, version=version).update(
            title=title,
            deadline=deadline,
            budget_line=budget_line,
            budget_amount=amount,
            budget_currency=currency,
            version=version + 1,
        )
        if not updated:
            raise InvalidInput(FieldError("", _(STALE)))
        measure.refresh_from_db()
        if responsible is not None:
            measure.responsible.set(responsible)
        _audit("update", actor, organisation, "monitor.measure", measure.pk)
    return measure
