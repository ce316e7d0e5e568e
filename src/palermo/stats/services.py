"""Writes and audited exports of the statistics context.

* ``htcds_export``: the cases the actor may open, as HTCDS CSV or XLSX (personal data: audited).
* ``import_preview`` / ``import_commit``: an HTCDS file or an ODK/KoboToolbox export into cases,
  all-or-nothing, through the case services (``case_open``, ``person_update`` …) so every case
  gets its timeline, deadlines and audit entries like any other.
* ``ctdc_release``: a k-anonymous CTDC release of every case (audited as an export).
* ``rapporteur_statistics``: the protected Rapporteur tables and the flow table.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TextIO

import polars as pl
from django.conf import settings
from django.db import DatabaseError, transaction

from palermo.cases import access, clock
from palermo.cases import selectors as case_selectors
from palermo.cases import services as case_services
from palermo.cases import workflow as wf
from palermo.core import audit
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.limits import ImportLimits, LimitExceeded
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.core.spreadsheet import safe_row
from palermo.core.upload_limits import check_bytes, import_limits, refusal
from palermo.stats import case_mapping, online_share, origins, selectors
from palermo.stats.anonymise import DEFAULT_K, Release
from palermo.stats.ctdc import SOURCE_COLUMNS, release_ctdc
from palermo.stats.htcds_rows import (
    ImportPreview,
    RowError,
    preview_htcds_file,
    record_identity_key,
    write_htcds_csv,
    write_htcds_xlsx,
)
from palermo.stats.kobo import preview_kobo_file
from palermo.stats.models import ImportedRecord
from palermo.stats.small_cells import (
    COUNTRY_DIMENSIONS,
    DEFAULT_THRESHOLD,
    CellKey,
    Constraint,
    RapporteurTables,
    VictimStat,
    _country_groups,
    _values_of,
    differencing_risks,
    protect,
    rapporteur_tables,
)

if TYPE_CHECKING:  # a type only: cases are read through ``cases.selectors``
    from palermo.cases.models import Case

NotAllowed = case_services.NotAllowed
Progress = Callable[[int, int], None]  # (records done, records in all)
ImportKind = Literal["htcds", "kobo"]
ExportFormat = Literal["csv", "xlsx"]


def upload_limits(kind: str) -> ImportLimits:
    """The limits of an HTCDS or ODK/Kobo import (settings ``PALERMO_IMPORT_LIMITS``)."""
    return import_limits(kind)


KEY_MAX = 255  # ImportedRecord.key


def identity_secret() -> bytes:
    """The instance's key for record identity hashes (derived from SECRET_KEY: keep it stable)."""
    return hashlib.sha256(
        b"palermo.stats.record-identity\0" + settings.SECRET_KEY.encode("utf-8")
    ).digest()


CLI_ACTOR = "command line"


def _require(actor: User | None, organisation: Organisation | None, perm: str) -> None:
    """``actor=None`` is the operator at the command line (database access already): no role check."""
    if actor is None:
        return
    if not has_perm(actor, perm, organisation):
        raise NotAllowed("You do not have permission to do this.")


# --- HTCDS export ----------------------------------------------------------------------------------


def htcds_export(
    *,
    actor: User,
    organisation: Organisation | None,
    fmt: ExportFormat,
    out: Path | TextIO | BinaryIO,
    request: Any = None,
    exact: bool = False,
) -> int:
    """Write the HTCDS records of every case the actor may open; returns the number of cases.

    Personal data: needs EXPORT_DATA *and* the right to see cases; the export,
    with the references of the cases it holds, goes to the audit trail.
    CSV cells that a spreadsheet would run as formulas are neutralised unless ``exact``
    (an explicit choice, recorded in the audit entry); XLSX stores every cell as text.
    """
    _require(actor, organisation, Perm.EXPORT_DATA)
    _require(actor, organisation, Perm.VIEW_CASES)
    exported = list(selectors.htcds_records_for(actor, organisation))
    records = [e.record for e in exported]
    if fmt == "xlsx":
        count = write_htcds_xlsx(records, out)
    else:
        count = write_htcds_csv(records, out, exact=exact)
    details: dict[str, Any] = {
        "format": fmt,
        "cases": count,
        "references": [e.case.reference for e in exported],
    }
    if fmt == "csv":
        details["exact"] = exact
    audit.record(
        action="export",
        actor=actor,
        organisation=organisation,
        object_type="htcds_export",
        purpose="HTCDS export",
        request=request,
        details=details,
    )
    return count


# --- import ----------------------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What an import would do (nothing written)."""

    kind: ImportKind
    preview: ImportPreview
    creates: int = 0
    updates: int = 0
    notes: list[str] = field(default_factory=list)
    # What confirming would do, record by record (``ImportResult.records``).
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.preview.ok

    @property
    def errors(self) -> tuple[RowError, ...]:
        return self.preview.errors


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)  # case references
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # One entry per record, in file order: {"row", "action": create | update | unchanged, "case"
    # (the reference of an existing case, else ""), "fields" (names of the fields set or changed,
    # never their values), "forms", "child"}. No personal data: the preview keeps it in a job's report.
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def report(self) -> str:
        lines = [
            f"{len(self.created)} case(s) created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged."
        ]
        lines += [f"note: {n}" for n in self.notes]
        for e in self.errors:
            lines.append(f"row {e.row}: {e.field}: {e.value!r}: {e.message}")
        if self.errors:
            lines.append("Nothing was imported: correct the rows above and import the file again.")
        return "\n".join(lines)


def _validate(kind: ImportKind, data: bytes, name: str) -> ImportPreview:
    """Every row validated, within the import limits: a file over them raises ``InvalidInput``
    on ``file`` (the whole file is refused; nothing is read further)."""
    limits = upload_limits(kind)
    check_bytes(data, limits, name=name)
    try:
        if kind == "kobo":
            return preview_kobo_file(
                data, name=name, secret=identity_secret(), ignore_unknown=False, limits=limits
            )
        return preview_htcds_file(data, name=name, secret=identity_secret(), limits=limits)
    except LimitExceeded as exc:
        raise refusal(exc) from exc


def _existing_keys(
    actor: User, organisation: Organisation | None, kind: ImportKind
) -> tuple[dict[str, int], set[str]]:
    """Identity key → case id of the cases the actor may open (imported records, and for HTCDS
    every such case), and the keys imported before into cases the actor may not open.

    ODK/Kobo keys are instance IDs, which only imported records carry. A key of a case the
    actor may not open is never matched (that case is not theirs to change, nor to learn of).
    """
    open_ids = set(
        case_selectors.cases_visible_to(actor, organisation)
        .filter(imported_records__isnull=False)
        .values_list("pk", flat=True)
    )
    keys: dict[str, int] = {}
    hidden: set[str] = set()
    for key, case_id in ImportedRecord.objects.values_list("key", "case_id"):
        if case_id in open_ids:
            keys[key] = case_id
        else:
            hidden.add(key)
    if kind == "htcds" and has_perm(actor, Perm.VIEW_CASES, organisation):
        secret = identity_secret()
        for exported in selectors.htcds_records_for(actor, organisation):
            keys.setdefault(record_identity_key(exported.record, secret=secret), exported.case.pk)
    return keys, hidden


def _unstored_note(preview: ImportPreview) -> list[str]:
    found: dict[str, int] = {}
    for r in preview.records:
        for name in case_mapping.htcds_to_case_input(r.values, today=clock.today()).unstored:
            found[name] = found.get(name, 0) + 1
    if not found:
        return []
    listed = ", ".join(f"{k} ({n} row(s))" for k, n in sorted(found.items()))
    return [f"the case file has no place for these fields, which are not imported: {listed}"]


def import_preview(
    *,
    actor: User,
    organisation: Organisation | None,
    kind: ImportKind,
    data: bytes,
    name: str,
    request: Any = None,
    progress: Progress | None = None,
) -> ImportPlan:
    """Validate the file, then rehearse the import in a transaction that is always rolled back.

    The rehearsal runs every record through the case services, so a row the
    case file would refuse (a referral date in the future, a decision the
    workflow does not allow …) is listed now, not after confirming. Nothing is
    written.
    """
    _require(actor, organisation, Perm.IMPORT_DATA)
    preview = _validate(kind, data, name)
    plan = ImportPlan(kind, preview, notes=list(preview.notes))
    if preview.ok:
        rehearsal = _run(
            actor=actor,
            organisation=organisation,
            kind=kind,
            preview=preview,
            rehearse=True,
            progress=progress,
        )
        if rehearsal.errors:
            plan.preview = replace(preview, errors=tuple(rehearsal.errors))
        else:
            plan.creates = len(rehearsal.created)
            plan.updates = len(rehearsal.updated) + len(rehearsal.unchanged)
            plan.records = rehearsal.records
            plan.notes += _unstored_note(preview)
    # The file's personal data was read and matched against the case file: audited (never the file name).
    audit.record(
        action="read",
        actor=actor,
        organisation=organisation,
        object_type="stats_import",
        purpose=f"{kind} import preview",
        request=request,
        details={
            "kind": kind,
            "rows": preview.rows_read,
            "errors": len(plan.errors),
            "creates": plan.creates,
            "updates": plan.updates,
        },
    )
    return plan


def _audit_rejected(
    actor: User,
    organisation: Organisation | None,
    kind: ImportKind,
    rows: int,
    errors: int,
    request: Any,
) -> None:
    audit.record(
        action="create",
        actor=actor,
        organisation=organisation,
        object_type="stats_import",
        purpose=f"{kind} import",
        request=request,
        outcome="rejected",
        details={"kind": kind, "rows": rows, "errors": errors},
    )


class _Rollback(Exception):
    pass


def _decision_reasons(kind: str, ci: case_mapping.CaseInput) -> str:
    by = (
        f" by a decision-making organisation of type {ci.decision_org_type}"
        if ci.decision_org_type
        else ""
    )
    return f"Recorded from an imported {kind.upper()} record: the status was decided{by} before the case came to Palermo."


def _version(case: Case) -> int:
    return case_selectors.current_version(case)


def _apply_status(
    case: Case, ci: case_mapping.CaseInput, *, actor: User, organisation: Organisation, kind: str
) -> bool:
    changed = False
    if ci.outcome and ci.outcome != case.identification_status:
        case_services.identification_decide(
            actor=actor,
            organisation=organisation,
            case=case,
            expected_version=_version(case),
            outcome=ci.outcome,
            reasons=_decision_reasons(kind, ci),
        )
        changed = True
    if ci.status in (wf.STATUS_CLOSED, wf.STATUS_CLOSED_REFERRED) and case.is_open:
        referred = ci.status == wf.STATUS_CLOSED_REFERRED
        case_services.case_transition(
            actor=actor,
            organisation=organisation,
            case=case,
            expected_version=_version(case),
            target=wf.CLOSED,
            closure_reason="referred_elsewhere" if referred else "other",
            closure_details=ci.closure_details
            or f"Closed before the record was imported ({kind.upper()}).",
        )
        changed = True
    elif ci.status in wf.OPEN_STATUSES and case.is_open and ci.status != case.status:
        case_services.case_update(
            actor=actor,
            organisation=organisation,
            case=case,
            expected_version=_version(case),
            status=ci.status,
        )
        changed = True
    return changed


def _create(
    ci: case_mapping.CaseInput, *, actor: User, organisation: Organisation, kind: str
) -> Case:
    case = case_services.case_open(
        actor=actor,
        organisation=organisation,
        source="agency",
        source_ref=f"IMPORT-{kind.upper()}",
        person=ci.person,
        exploitation_forms=ci.exploitation_forms,
        is_child_or_presumed_child=ci.is_child,
        summary=ci.summary,
        referral_date=ci.referral_date,
        reason_for_referral=ci.reason_for_referral,
    )
    if ci.context:
        case_services.context_update(
            actor=actor,
            organisation=organisation,
            case=case,
            expected_version=_version(case),
            changes=ci.context,
        )
    _apply_status(case, ci, actor=actor, organisation=organisation, kind=kind)
    return case


def _given(ci: case_mapping.CaseInput) -> list[str]:
    """The names of the fields a new case would be opened with (never their values)."""
    names = [attr for attr, _name, _group in case_mapping.PERSON_MAP if ci.person.get(attr)]
    names += [k for k, v in ci.context.items() if v not in (None, "", [])]
    names += [n for n, v in (("summary", ci.summary), ("status", ci.status)) if v]
    return names


def _update(
    case: Case,
    ci: case_mapping.CaseInput,
    *,
    actor: User,
    organisation: Organisation,
    kind: str,
    changed_fields: list[str] | None = None,
) -> bool:
    """Set the values the file gives that differ; an empty value never erases one. Hidden groups are left alone.

    ``changed_fields`` (when given) receives the names of the fields changed, for the preview."""
    names = changed_fields if changed_fields is not None else []
    vis = case_selectors.case_visibility(actor, organisation, case)
    changed = False
    person = getattr(case, "person", None)
    changes: dict[str, Any] = {}
    for attr, _name, group in case_mapping.PERSON_MAP:
        if attr in ci.person and group in vis and ci.person[attr]:
            current = getattr(person, attr) if person is not None else None
            current = current.isoformat() if hasattr(current, "isoformat") else current
            if current != ci.person[attr]:
                changes[attr] = ci.person[attr]
    names += list(changes)
    if changes:
        case_services.person_update(
            actor=actor,
            organisation=organisation,
            case=case,
            expected_version=_version(case),
            changes=changes,
        )
        changed = True
    if access.VICTIM_CONTEXT in vis:
        context = getattr(case, "context", None)
        ctx = {
            k: v
            for k, v in ci.context.items()
            if v not in (None, "", []) and (context is None or getattr(context, k) != v)
        }
        if ci.exploitation_forms and list(case.exploitation_types) != ci.exploitation_forms:
            ctx["exploitation_types"] = ci.exploitation_forms
        names += list(ctx)
        if ctx:
            case_services.context_update(
                actor=actor,
                organisation=organisation,
                case=case,
                expected_version=_version(case),
                changes=ctx,
            )
            changed = True
        if ci.summary and ci.summary != case.summary:
            names.append("summary")
            case_services.case_update(
                actor=actor,
                organisation=organisation,
                case=case,
                expected_version=_version(case),
                summary=ci.summary,
            )
            changed = True
    if _apply_status(case, ci, actor=actor, organisation=organisation, kind=kind):
        names.append("status")
        return True
    return changed


def import_commit(
    *,
    actor: User,
    organisation: Organisation,
    kind: ImportKind,
    data: bytes,
    name: str,
    request: Any = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import every record of the file, or none: one transaction; any refused row rolls all back.

    A record whose identity key matches a case (imported before, or an existing
    case the actor may open with the same person and referral) updates it;
    others open a case through ``cases.services.case_open``. ``progress(done, total)``
    is told how many records are through (the background job shows it).
    """
    _require(actor, organisation, Perm.IMPORT_DATA)
    preview = _validate(kind, data, name)
    if not preview.ok:
        _audit_rejected(actor, organisation, kind, preview.rows_read, len(preview.errors), request)
        return ImportResult(errors=list(preview.errors), notes=list(preview.notes))
    result = _run(
        actor=actor,
        organisation=organisation,
        kind=kind,
        preview=preview,
        rehearse=False,
        request=request,
        progress=progress,
    )
    if not result.ok:
        _audit_rejected(actor, organisation, kind, preview.rows_read, len(result.errors), request)
    result.notes = list(preview.notes) + (_unstored_note(preview) if result.ok else [])
    return result


HIDDEN_CASE = (
    "this record was imported before into a case your organisation may not open: it cannot be "
    "imported again here (ask the identification body)"
)


def _service_error(row: int, field_name: str, message: str) -> RowError:
    return RowError(
        row, case_mapping.SERVICE_FIELD_TO_HTCDS.get(field_name, field_name), "", message
    )


def _run(
    *,
    actor: User,
    organisation: Organisation,
    kind: ImportKind,
    preview: ImportPreview,
    rehearse: bool,
    request: Any = None,
    progress: Progress | None = None,
) -> ImportResult:
    result = ImportResult()
    today = clock.today()
    total = len(preview.records)
    step = max(1, total // 50)  # about fifty progress reports per import, whatever its size
    try:
        with transaction.atomic():
            keys, hidden = _existing_keys(actor, organisation, kind)
            for i, rec in enumerate(preview.records):
                if progress is not None and i % step == 0:
                    progress(i, total)
                ci = case_mapping.htcds_to_case_input(rec.values, today=today)
                if len(rec.identity_key) > KEY_MAX:
                    result.errors.append(
                        RowError(
                            rec.row,
                            "meta/instanceID",
                            rec.identity_key[:60],
                            f"the submission's instance ID is longer than {KEY_MAX} characters",
                        )
                    )
                    continue
                if rec.identity_key in hidden:
                    result.errors.append(RowError(rec.row, "", "", HIDDEN_CASE))
                    continue
                try:
                    case_id = keys.get(rec.identity_key)
                    entry: dict[str, Any] = {
                        "row": rec.row,
                        "forms": list(ci.exploitation_forms),
                        "child": bool(ci.is_child),
                    }
                    if case_id is None:
                        case = _create(ci, actor=actor, organisation=organisation, kind=kind)
                        result.created.append(case.reference)
                        # A new case's reference is drawn when it is really opened: none to show yet.
                        entry |= {"action": "create", "case": "", "fields": _given(ci)}
                    else:
                        case = case_selectors.case_for_import(case_id)
                        changed: list[str] = []
                        if _update(
                            case,
                            ci,
                            actor=actor,
                            organisation=organisation,
                            kind=kind,
                            changed_fields=changed,
                        ):
                            result.updated.append(case.reference)
                            entry |= {"action": "update", "case": case.reference, "fields": changed}
                        else:
                            result.unchanged.append(case.reference)
                            entry |= {"action": "unchanged", "case": case.reference, "fields": []}
                    result.records.append(entry)
                    keys[rec.identity_key] = case.pk
                    values = {
                        "case": case,
                        "source": kind,
                        "imported_by": actor,
                        "referring_organisation": ci.referring_organisation[:200]
                        if kind == "htcds"
                        else "",
                    }
                    ImportedRecord.objects.update_or_create(
                        key=rec.identity_key,
                        defaults={**values, "updated_at": clock.now()},
                        create_defaults={**values, "imported_at": clock.now()},
                    )
                except InvalidInput as exc:
                    result.errors += [
                        _service_error(rec.row, e.field, e.message) for e in exc.errors
                    ]
                except NotAllowed as exc:
                    result.errors.append(RowError(rec.row, "", "", str(exc)))
                except DatabaseError:
                    # A value the database cannot hold (e.g. longer than its column) that validation let
                    # through: the service's own savepoint is rolled back, so the import can go on and report.
                    result.errors.append(
                        RowError(
                            rec.row,
                            "",
                            "",
                            "the case file cannot store this row "
                            "(a value is too long or malformed)",
                        )
                    )
            if result.errors or rehearse:
                raise _Rollback
            audit.record(
                action="create",
                actor=actor,
                organisation=organisation,
                object_type="stats_import",
                purpose=f"{kind} import",
                request=request,
                details={
                    "kind": kind,
                    "rows": preview.rows_read,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": len(result.unchanged),
                },
            )
    except _Rollback:
        if result.errors:
            result.created, result.updated, result.unchanged = [], [], []
            result.records = []
    return result


# --- CTDC release ----------------------------------------------------------------------------------

_INT16 = ("yearOfRegistration", "age")


def _ctdc_schema() -> dict[str, Any]:
    schema: dict[str, Any] = {}
    for c in SOURCE_COLUMNS:
        if c in _INT16:
            schema[c] = pl.Int16
        elif c.endswith("Concatenated") or c in (
            "Datasource",
            "gender",
            "majorityStatusAtExploit",
            "majorityEntry",
            "citizenship",
            "RecruiterRelationship",
            "CountryOfExploitation",
        ):
            schema[c] = pl.Utf8
        else:
            schema[c] = pl.Int8
    return schema


def ctdc_frame(rows: Sequence[dict[str, object]]) -> pl.DataFrame:
    schema = _ctdc_schema()
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in SOURCE_COLUMNS}, schema=schema)


def ctdc_release(
    *,
    actor: User | None,
    organisation: Organisation | None,
    k: int = DEFAULT_K,
    request: Any = None,
) -> Release:
    """A k-anonymous CTDC release of every case (``ctdc.release_ctdc``); audited as an export."""
    _require(actor, organisation, Perm.EXPORT_DATA)
    if k < 2 or k > 1000:
        raise InvalidInput(FieldError("k", "k is a whole number from 2 to 1000."))
    rows = selectors.ctdc_rows()
    if not rows:
        raise InvalidInput(FieldError("", "There are no cases to release."))
    release = release_ctdc(ctdc_frame(rows), k=k)
    m = release.metrics
    audit.record(
        action="export",
        actor=actor,
        organisation=organisation,
        object_type="ctdc_release",
        purpose="CTDC anonymised release",
        request=request,
        actor_username=None if actor else CLI_ACTOR,
        details={
            "k": k,
            "records_in": m.records_in,
            "records_kept": m.records_kept,
            "ncp": round(m.ncp, 4),
        },
    )
    return release


# --- Rapporteur statistics -------------------------------------------------------------------------

FLOW = "flow"
TABLE_TITLES = {
    "victims": "Victims by year",
    "sex": "Victims by sex",
    "age_group": "Victims by age group (CTDC bands)",
    "citizenship": "Victims by nationality",
    "country_of_exploitation": "Victims by country of exploitation",
    "form_of_exploitation": "Victims by form of exploitation (a victim may suffer several)",
    "referral_outcome": "Outcome of the latest referral to a service",
    "days_referral_to_decision": "Days from referral to identification decision",
    FLOW: "Flows: nationality → country of exploitation (all years)",
}


@dataclass
class Statistics:
    tables: RapporteurTables | None
    flows: list[
        tuple[str, str]
    ]  # (citizenship group, country-of-exploitation group) cells, all published keys
    victims: int  # how many cases were counted (never shown when it is a small number)
    threshold: int

    @property
    def empty(self) -> bool:
        return self.tables is None


def protected_statistics(
    victims: Sequence[VictimStat],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    subset_of: Mapping[CellKey, int] | None = None,
) -> Statistics:
    """The Rapporteur tables plus the flow table, protected jointly (one suppression pattern).

    The flow table's rows add up to the nationality table and its columns to
    the country-of-exploitation table, so they are protected together: a cell
    hidden in one cannot be recovered from the other.

    ``subset_of``: the published cells of the tables of everyone, when ``victims`` is a subset
    of them (one form of exploitation). A cell whose difference from the same published cell
    would be a small count is then suppressed too (``small_cells.differencing_risks``).
    """
    if not victims:
        return Statistics(None, [], 0, threshold)
    minimum = 5 * threshold
    # Threshold 1 suppresses nothing: the true counts and constraints, with countries grouped as they will be.
    base = rapporteur_tables(victims, threshold=1, country_minimum=minimum)
    values = {k: c.value for k, c in base.protection.cells.items()}
    constraints: list[Constraint] = list(base.protection.constraints)
    groups: dict[str, dict[str, str]] = {}
    for dim in COUNTRY_DIMENSIONS:
        totals: dict[str, int] = {}
        for v in victims:
            for value in _values_of(v, dim):
                totals[value] = totals.get(value, 0) + 1
        groups[dim] = _country_groups(totals, minimum)
    cits = base.categories["citizenship"]
    coes = base.categories["country_of_exploitation"]
    flows = {(FLOW, c, d): 0 for c in cits for d in coes}
    for v in victims:
        c = groups["citizenship"][_values_of(v, "citizenship")[0]]
        d = groups["country_of_exploitation"][_values_of(v, "country_of_exploitation")[0]]
        flows[(FLOW, c, d)] += 1
    values.update(flows)
    for c in cits:
        constraints.append(Constraint(("citizenship", c), tuple((FLOW, c, d) for d in coes)))
    for d in coes:
        constraints.append(
            Constraint(("country_of_exploitation", d), tuple((FLOW, c, d) for c in cits))
        )
    risky = differencing_risks(values, subset_of or {}, threshold=threshold)
    protection = protect(values, constraints, threshold=threshold, also_primary=risky)
    tables = RapporteurTables(protection, base.years, base.categories)
    return Statistics(tables, [(c, d) for c in cits for d in coes], len(victims), threshold)


def rapporteur_statistics(
    *, year: int | None = None, form: str = "", threshold: int = DEFAULT_THRESHOLD
) -> Statistics:
    """Statistics over every case, optionally only cases with one form of exploitation.

    ``year`` selects the column shown by the caller; the tables are always built
    over all years so that one suppression pattern serves every year.
    """
    del year  # the caller selects the column; see the docstring
    if not form:
        return _protected_once(tuple(selectors.victim_stats()), threshold)
    # The form's tables are read beside the tables of every case: protect them against the
    # difference of the two (red-team finding: "all" − "forced labour" gave counts of 4).
    whole = _protected_once(tuple(selectors.victim_stats()), threshold)
    published = whole.tables.protection.published() if whole.tables is not None else {}
    return _protected_once(tuple(selectors.victim_stats(form=form)), threshold, published)


# The protection step (grouping countries, then choosing the cells to suppress) is a pure
# function of the counted cases, the threshold and the published tables it must not be
# subtracted from, and costs far more than reading the cases (0.26 s against 0.02 s for the
# demo's 80 cases): the dashboard, each table page, its CSV and its image would otherwise each
# redo it (a form's page twice). So the result is kept here, in this process only (never in a
# shared cache: its cells hold the true small counts before suppression), keyed by those inputs
# themselves: any change to a counted case is a new key, so nothing stale is ever served. A few
# entries: about two per form of exploitation being looked at.
_PROTECTED_KEEP = 8
_protected: dict[tuple[int, int, int, int], Statistics] = {}
_protected_lock = threading.Lock()


def _protected_once(
    victims: tuple[VictimStat, ...], threshold: int, subset_of: Mapping[CellKey, int] | None = None
) -> Statistics:
    # hash() of a tuple of frozen dataclasses hashes every field; the length rides along, and
    # the string hash is salted per process, so a collision cannot be arranged from outside.
    against = hash(frozenset(subset_of.items())) if subset_of is not None else 0
    key = (hash(victims), len(victims), threshold, against)
    with _protected_lock:
        found = _protected.get(key)
    if found is not None:
        return copy.deepcopy(found)  # callers may annotate what they get; the kept one stays
    made = protected_statistics(victims, threshold=threshold, subset_of=subset_of)
    with _protected_lock:
        while len(_protected) >= _PROTECTED_KEEP:
            del _protected[next(iter(_protected))]  # the oldest first (dicts keep order)
        _protected[key] = made
    return copy.deepcopy(made)


def online_recruitment_share(*, threshold: int = DEFAULT_THRESHOLD) -> online_share.OnlineShare:
    """The share of cases recruited online, by year, country and form, protected
    (``stats.online_share``); read from the case file through the case selectors."""
    return online_share.online_share(selectors.recruitment_facts(), threshold=threshold)


def supply_inspection_cases(
    *, threshold: int = DEFAULT_THRESHOLD, published: Mapping[CellKey, int] | None = None
) -> origins.OriginCounts:
    """Cases identified through a supply-chain labour inspection, by year, protected
    (``stats.origins``); read from the case file through the case selectors.

    Its "all cases" column shows the Rapporteur tables' year totals exactly as they are
    published (``published``: their published cells, computed here when not given), so the
    two tables never hide different year totals (red-team finding)."""
    if published is None:
        whole = protected_statistics(selectors.victim_stats(), threshold=threshold)
        published = whole.tables.protection.published() if whole.tables is not None else {}
    facts = selectors.origin_facts()
    all_cases: dict[int | None, int | None] | None = None
    if published:  # no case, no Rapporteur tables: nothing to align with
        all_cases = {None: published.get(("total",))}
        all_cases |= {year: published.get(("year", year)) for year, _origin in facts}
    return origins.origin_counts(
        facts, origin=origins.SUPPLY_INSPECTION, threshold=threshold, all_cases=all_cases
    )


def statistics_rows(stats: Statistics) -> list[dict[str, object]]:
    """Long format: the Rapporteur rows, then the flow cells (value None when suppressed)."""
    if stats.tables is None:
        return []
    rows = stats.tables.rows()
    cells = stats.tables.protection.cells
    for c, d in stats.flows:
        cell = cells[(FLOW, c, d)]
        rows.append(
            {
                "table": "flow_citizenship_to_country_of_exploitation",
                "category": f"{c} → {d}",
                "year": "All years",
                "value": cell.value,
                "status": cell.status,
            }
        )
    return rows


def write_statistics_csv(stats: Statistics, out: TextIO) -> int:
    """``table,category,year,value,status`` with ``x`` for a suppressed cell; returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["table", "category", "year", "value", "status"])
    rows = statistics_rows(stats)
    for r in rows:
        writer.writerow(
            safe_row(
                [
                    r["table"],
                    r["category"],
                    r["year"],
                    "x" if r["value"] is None else r["value"],
                    r["status"],
                ]
            )
        )
    return len(rows)


def statistics_export(
    *,
    actor: User | None,
    organisation: Organisation | None,
    out: TextIO,
    form: str = "",
    request: Any = None,
) -> int:
    """Write the protected tables as CSV (aggregates only); audited as an export."""
    _require(actor, organisation, Perm.EXPORT_DATA)
    stats = rapporteur_statistics(form=form)
    n = write_statistics_csv(stats, out)
    audit.record(
        action="export",
        actor=actor,
        organisation=organisation,
        object_type="rapporteur_statistics",
        purpose="Rapporteur statistics",
        request=request,
        actor_username=None if actor else CLI_ACTOR,
        details={"rows": n, "form": form},
    )
    return n


def csv_text(write: Any) -> str:
    buf = io.StringIO()
    write(buf)
    return buf.getvalue()
