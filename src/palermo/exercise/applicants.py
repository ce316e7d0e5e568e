"""Applications to an international exercise and the selection run on them (issue 16, item 9).

The Django shell around the pure :mod:`palermo.exercise.selection`. Applicant data is personal
data: every write here and every read in the views leaves an audit entry; the entries name
application ids and counts, never a name. Only holders of ``EXERCISE_DIRECT`` (the chief
controller) may read or change them.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from palermo.core import audit
from palermo.core.errors import FieldError, InvalidInput, NotAllowed
from palermo.core.policy import Perm, has_perm
from palermo.exercise import selection as sel
from palermo.exercise.isolation import guard
from palermo.exercise.models import Application, Exercise, SelectionRun
from palermo.exercise.vocabulary import PROFESSIONS

MAX_SEED = 2**31 - 1


class ImportRejected(InvalidInput):
    """A CSV file with at least one bad row: nothing of it was imported."""

    def __init__(self, rows: list[sel.RowError]) -> None:
        self.rows = rows
        super().__init__(
            [FieldError(f"row{e.row}.{e.column or 'file'}", _(e.message)) for e in rows],
            detail=_("Nothing was imported: correct the rows below and import the file again."),
        )


def _check(actor: Any, organisation: Any) -> None:
    if actor is not None and not has_perm(actor, Perm.EXERCISE_DIRECT, organisation):
        raise NotAllowed(_("You do not have permission to do this."), perm=Perm.EXERCISE_DIRECT)


def _current() -> Exercise:
    from palermo.exercise.services import current

    return current()


def _audit(actor: Any, org: Any, action: str, object_type: str, ref: Any, **details: Any) -> None:
    audit.record(
        action=action,
        actor=actor,
        organisation=org,
        object_type=object_type,
        object_ref=str(ref),
        details=details,
    )


def _model(ex: Exercise, app: sel.Application) -> Application:
    return Application(
        exercise=ex,
        ref=app.ref,
        name=app.name,
        country=app.country,
        organisation=app.organisation,
        profession=app.profession,
        gender=app.gender,
        languages=list(app.languages),
    )


def application_add(*, actor: Any, organisation: Any, data: dict[str, Any]) -> Application:
    guard()
    _check(actor, organisation)
    ex = _current()
    app, errs = sel.check_application({k: str(data.get(k, "") or "") for k in sel.COLUMNS})
    errors = [FieldError(f, _(m)) for f, m in errs]
    if app is not None and ex.applications.filter(ref=app.ref).exists():
        errors.append(FieldError("reference", _("An application with this reference exists.")))
    if errors or app is None:
        raise InvalidInput(errors)
    with transaction.atomic():
        row = _model(ex, app)
        row.save()
        _audit(actor, organisation, "create", "exercise_application", row.pk)
    return row


def applications_import(*, actor: Any, organisation: Any, text: str) -> int:
    """Import every application of a CSV file, or none (``ImportRejected`` lists the rows)."""
    guard()
    _check(actor, organisation)
    ex = _current()
    apps, errors = sel.parse_csv(text)
    existing = set(
        ex.applications.filter(ref__in=[a.ref for a in apps]).values_list("ref", flat=True)
    )
    errors.extend(
        sel.RowError(a.line, "reference", _("An application with this reference exists."))
        for a in apps
        if a.ref in existing
    )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row))
    with transaction.atomic():
        rows = Application.objects.bulk_create([_model(ex, a) for a in apps])
        ids = sorted(
            ex.applications.filter(ref__in=[a.ref for a in apps]).values_list("pk", flat=True)
        )
        _audit(actor, organisation, "create", "exercise_application", "csv-import", ids=ids)
    return len(rows)


def _int(data: dict[str, Any], key: str, errors: list[FieldError], msg: str) -> int | None:
    raw = str(data.get(key, "") or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        errors.append(FieldError(key, msg))
        return None


def rules_from(data: dict[str, Any]) -> tuple[sel.Rules, int | None]:
    """The rules and seed a form or API call gives; ``InvalidInput`` names each bad field."""
    errors: list[FieldError] = []
    places = _int(data, "places", errors, _("Give the number of places as a whole number."))
    if places is None and not any(e.field == "places" for e in errors):
        errors.append(FieldError("places", _("Give the number of places.")))
    quotas: dict[str, int] = {}
    for p in PROFESSIONS:
        q = _int(data, f"quota_{p}", errors, _("Give the quota as a whole number."))
        if q:
            quotas[p] = q
        elif q is not None and q < 0:
            errors.append(FieldError(f"quota_{p}", _("A quota cannot be negative.")))
    women = _int(data, "women_percent", errors, _("Give the share of women as a whole percent."))
    cap = _int(data, "country_cap", errors, _("Give the cap as a whole number."))
    seed = _int(data, "seed", errors, _("Give the seed as a whole number."))
    if seed is not None and not 0 <= seed <= MAX_SEED:
        errors.append(FieldError("seed", _("Give a seed between 0 and 2147483647.")))
    if errors:
        raise InvalidInput(errors)
    assert places is not None
    rules = sel.Rules(
        places=places,
        quotas=quotas,
        women_target=None if women is None else women / 100,
        country_cap=cap,
    )
    problems = rules.problems()
    if problems:
        raise InvalidInput([FieldError(f, _(m)) for f, m in problems])
    return rules, seed


def run_selection(*, actor: Any, organisation: Any, data: dict[str, Any]) -> SelectionRun:
    guard()
    _check(actor, organisation)
    ex = _current()
    rules, seed = rules_from(data)
    if seed is None:
        seed = secrets.randbelow(MAX_SEED + 1)
    apps = [
        sel.Applicant(a.ref, a.country, a.organisation, a.profession, a.gender, tuple(a.languages))
        for a in ex.applications.all()
    ]
    if not apps:
        raise InvalidInput(FieldError("places", _("There are no applications to select from.")))
    result = sel.select(apps, rules, seed)
    with transaction.atomic():
        run = SelectionRun(
            exercise=ex,
            seed=seed,
            places=rules.places,
            quotas=dict(rules.quotas),
            women_target=rules.women_target,
            country_cap=rules.country_cap,
            decisions=[asdict(d) for d in result.decisions],
            balance={
                "profession": [asdict(x) for x in result.by_profession],
                "gender": [asdict(x) for x in result.by_gender],
                "country": [asdict(x) for x in result.by_country],
            },
        )
        run.save()
        _audit(
            actor,
            organisation,
            "create",
            "exercise_selection",
            run.pk,
            seed=seed,
            places=rules.places,
            selected=len(result.selected),
            applications=len(apps),
        )
    return run


def latest_run(ex: Exercise) -> SelectionRun | None:
    return ex.selections.first()


def decision_rows(ex: Exercise, run: SelectionRun) -> list[dict[str, Any]]:
    """The run's decisions joined to the applications they name (in lottery order)."""
    by_ref = {a.ref: a for a in ex.applications.all()}
    rows = []
    for d in run.decisions:
        app = by_ref.get(d["ref"])
        if app is not None:
            rows.append({**d, "app": app})
    return rows


def quota_fields() -> set[str]:
    return {f"quota_{p}" for p in PROFESSIONS}
