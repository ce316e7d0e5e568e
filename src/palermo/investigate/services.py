"""Writes (and audited reads) of investigations: one function per action.

Each function is keyword-only; it checks who may act (``NotAllowed``), validates
before writing (``InvalidInput``), then changes the workspace and the database
and records an audit entry. The workspace (``workspace.Workspace``, one DuckDB
file per investigation) is opened for the call and closed after it.
"""

from __future__ import annotations

import io
import re
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import IO, Any

import duckdb
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone

from palermo.core import audit, errors, scope
from palermo.core.errors import FieldError, InvalidInput
from palermo.core.limits import ImportLimits, LimitExceeded, check_size, check_structure
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm
from palermo.core.upload_limits import import_limits, refusal
from palermo.investigate import selectors
from palermo.investigate.classify import CategoryTable, load_category_table
from palermo.investigate.ingest import ImportReport
from palermo.investigate.models import (
    INVESTIGATING_TYPES,
    AlertDecision,
    ClosureReason,
    Investigation,
    InvestigationCase,
    InvestigationMember,
    InvestigationParty,
    InvestigationStatus,
    MappingProfile,
    MatchJudgement,
    StatementFile,
    workspace_root,
)
from palermo.investigate.normalise import NormalisationError
from palermo.investigate.proceeds import ProceedsEstimate
from palermo.investigate.profiles import (
    CsvProfile,
    ProfileError,
    load_profile,
    packaged_profiles,
    profile_from_dict,
)
from palermo.investigate.redflags import RulePack, RuleRunReport, load_rule_pack
from palermo.investigate.resolve import Judgement, MatchProposal
from palermo.investigate.workspace import PartyError, Workspace

STATEMENT_KINDS = {
    "csv": "CSV (mapping profile)",
    "camt053": "ISO 20022 camt.053 XML",
    "amlsim": "AMLSim transactions",
}
MEMORY_LIMIT = "2GB"


NotAllowed = errors.NotAllowed  # the actor may not do this (403 with the message)


class InvestigationClosed(errors.Conflict):
    """A change to a closed investigation (answered 409 with the message): it is
    read-only until its owner reopens it."""

    def __init__(self, investigation: Investigation) -> None:
        super().__init__(
            f"{investigation.reference} is closed, so nothing in it can be changed; "
            "the owning organisation can reopen it."
        )


class WorkspaceBusy(errors.Busy):
    """Another process holds the investigation's workspace file (answered 503: try again)."""

    def __init__(self) -> None:
        super().__init__(
            "The investigation's workspace is in use by another process; try again in a moment."
        )


# --- the workspace ---------------------------------------------------------------------------


@cache
def _rule_pack() -> RulePack:
    return load_rule_pack()


@cache
def _categories() -> CategoryTable:
    return load_category_table()


class DjangoJudgementStore:
    """The ``JudgementStore`` of ``resolve.py`` backed by ``MatchJudgement``: judgements persist and re-apply."""

    def __init__(self, investigation: Investigation) -> None:
        self.investigation = investigation

    @staticmethod
    def _judgement(m: MatchJudgement) -> Judgement:
        return Judgement(
            pair_key=m.pair_key,
            left=m.left,
            right=m.right,
            decision=m.decision,
            decided_by=m.decided_by,
            decided_at=m.decided_at,
            note=m.note or None,
        )

    def get(self, pair_key: str) -> Judgement | None:
        m = MatchJudgement.objects.filter(
            investigation=self.investigation, pair_key=pair_key
        ).first()
        return self._judgement(m) if m else None

    def put(self, judgement: Judgement) -> None:
        at = (
            judgement.decided_at
            if judgement.decided_at.tzinfo
            else judgement.decided_at.replace(tzinfo=UTC)
        )
        MatchJudgement.objects.update_or_create(
            investigation=self.investigation,
            pair_key=judgement.pair_key,
            defaults={
                "left": judgement.left,
                "right": judgement.right,
                "decision": judgement.decision,
                "decided_by": judgement.decided_by[:150],
                "decided_at": at,
                "note": judgement.note or "",
            },
        )

    def all(self) -> list[Judgement]:
        return [
            self._judgement(m)
            for m in MatchJudgement.objects.filter(investigation=self.investigation)
        ]


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(path), threading.Lock())


@contextmanager
def open_workspace(investigation: Investigation) -> Iterator[Workspace]:
    """The investigation's workspace, opened for one call (one thread at a time per file)."""
    path = investigation.workspace_path
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock(path):
        try:
            ws = Workspace(
                path,
                memory_limit=MEMORY_LIMIT,
                judgements=DjangoJudgementStore(investigation),
                rule_pack=_rule_pack(),
                categories=_categories(),
            )
        except (
            duckdb.IOException
        ) as exc:  # DuckDB lets one process at a time open a file for writing
            raise WorkspaceBusy() from exc
        try:
            yield ws
        finally:
            ws.close()


# --- helpers -------------------------------------------------------------------------------------


def _require(actor: User, organisation: Organisation | None) -> Organisation:
    if organisation is None or not has_perm(actor, Perm.INVESTIGATE, organisation):
        raise NotAllowed("You do not have permission to investigate.")
    return organisation


def _require_access(
    actor: User, organisation: Organisation | None, inv: Investigation
) -> Organisation:
    org = _require(actor, organisation)
    if not selectors.can_see(actor, org, inv):
        raise NotAllowed("You may not work on this investigation.")
    return org


def _require_open(
    actor: User, organisation: Organisation | None, inv: Investigation
) -> Organisation:
    """Access, and the investigation open: every service that changes an investigation
    starts here (reading, downloading the evidence pack and exporting stay possible)."""
    org = _require_access(actor, organisation, inv)
    if inv.is_closed:
        raise InvestigationClosed(inv)
    return org


def _audit(
    inv: Investigation,
    actor: User | None,
    organisation: Organisation | None,
    what: str,
    action: str = "update",
    outcome: str = "ok",
    **details: Any,
) -> None:
    audit.record(
        action=action,
        actor=actor,
        organisation=organisation,
        object_type="investigation",
        object_ref=inv.reference,
        outcome=outcome,
        details={"what": what, **details},
    )


def _text(
    value: Any, field: str, errors: list[FieldError], *, max_length: int, required: bool = False
) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        errors.append(FieldError(field, "Text may not contain NUL characters."))
        return ""
    if required and not text:
        errors.append(FieldError(field, "This field is required."))
    if len(text) > max_length:
        errors.append(FieldError(field, "At most {limit} characters.", limit=max_length))
    return text


def _next_reference(year: int) -> str:
    prefix = f"INV-{year}-"
    last = (
        Investigation.objects.filter(reference__startswith=prefix)
        .order_by(Length("reference").desc(), "-reference")  # INV-2026-10000 after INV-2026-9999
        .values_list("reference", flat=True)
        .first()
    )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


# --- investigations ------------------------------------------------------------------------------


def investigation_create(
    *,
    actor: User,
    organisation: Organisation | None,
    title: Any,
    members: Sequence[Organisation] = (),
    case_refs: Sequence[str] = (),
) -> Investigation:
    """Open an investigation owned by the actor's (investigating) organisation."""
    org = _require(actor, organisation)
    if org.org_type not in INVESTIGATING_TYPES:
        raise NotAllowed(
            "Only police, financial intelligence units, prosecution services and labour "
            "inspectorates own investigations."
        )
    # An exercise trainee may share only with their own team (core.scope), as member_add.
    if any(not scope.reaches(actor, m.pk) for m in members):
        raise NotAllowed("That organisation belongs to another exercise team.")
    errors: list[FieldError] = []
    title_s = _text(title, "title", errors, max_length=200, required=True)
    if any(m.org_type not in INVESTIGATING_TYPES for m in members):
        errors.append(
            FieldError(
                "members",
                "Only investigating organisations (police, FIU, prosecution, labour "
                "inspectorate) may be given access.",
            )
        )
    cases = [_case_for_link(actor, org, ref, errors) for ref in case_refs if str(ref).strip()]
    if errors:
        raise InvalidInput(errors)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                now = timezone.now()
                ref = _next_reference(now.year)
                inv = Investigation.objects.create(
                    reference=ref,
                    title=title_s,
                    organisation=org,
                    workspace_file=f"{ref}.duckdb",
                    created_by=actor,
                    created_at=now,
                )
                for m in members:
                    if m.pk != org.pk:
                        InvestigationMember.objects.get_or_create(
                            investigation=inv,
                            organisation=m,
                            defaults={"added_by": actor, "added_at": now},
                        )
                for case in cases:
                    if case is not None:
                        InvestigationCase.objects.get_or_create(
                            investigation=inv,
                            case=case,
                            defaults={"linked_by": actor, "linked_at": now},
                        )
                _audit(
                    inv,
                    actor,
                    org,
                    "investigation_create",
                    action="create",
                    members=[m.pk for m in members],
                    cases=[c.reference for c in cases if c is not None],
                )
            return inv
        except IntegrityError:  # two investigations took the same number: take the next one
            continue
    raise InvalidInput(FieldError("", "Could not allocate a reference; try again."))


def investigation_close(
    *, actor: User, organisation: Organisation | None, investigation: Investigation, reason: Any
) -> Investigation:
    """Close an investigation (its owner only): from then on it is read-only for every
    member organisation, and the evidence pack and exports stay available."""
    org = _require_access(actor, organisation, investigation)
    if not selectors.is_owner(org, investigation):
        raise NotAllowed("Only the owning organisation closes an investigation.")
    if reason not in ClosureReason.values:
        raise InvalidInput(FieldError("reason", "Choose why the investigation is closed."))
    with transaction.atomic():
        # Conditional update: two people closing at once record one closure.
        closed = Investigation.objects.filter(
            pk=investigation.pk, status=InvestigationStatus.OPEN
        ).update(
            status=InvestigationStatus.CLOSED,
            closure_reason=reason,
            closed_at=timezone.now(),
            closed_by=actor,
        )
        if not closed:  # closed already (perhaps a moment ago, by a colleague)
            raise InvestigationClosed(investigation)
        _audit(investigation, actor, org, "close", reason=reason)
    investigation.refresh_from_db()
    return investigation


def investigation_reopen(
    *, actor: User, organisation: Organisation | None, investigation: Investigation
) -> Investigation:
    """Reopen a closed investigation (its owner only)."""
    org = _require_access(actor, organisation, investigation)
    if not selectors.is_owner(org, investigation):
        raise NotAllowed("Only the owning organisation reopens an investigation.")
    with transaction.atomic():
        reopened = Investigation.objects.filter(
            pk=investigation.pk, status=InvestigationStatus.CLOSED
        ).update(status=InvestigationStatus.OPEN, closure_reason="", closed_at=None, closed_by=None)
        if not reopened:
            raise InvalidInput(
                FieldError("", "{reference} is open already.", reference=investigation.reference)
            )
        _audit(investigation, actor, org, "reopen")
    investigation.refresh_from_db()
    return investigation


def _case_for_link(
    actor: User,
    organisation: Organisation,
    ref: Any,
    errors: list[FieldError],
    field: str = "cases",
) -> Any:
    from django.http import Http404

    from palermo.cases import selectors as case_selectors

    try:
        return case_selectors.access_case(actor, organisation, str(ref), record_read=False)
    except Http404:
        errors.append(FieldError(field, "No case with that reference that you may see."))
        return None


def member_add(
    *,
    actor: User,
    organisation: Organisation | None,
    investigation: Investigation,
    member: Organisation,
) -> InvestigationMember:
    """Give another organisation access (the owning organisation decides)."""
    org = _require_open(actor, organisation, investigation)
    if not selectors.is_owner(org, investigation):
        raise NotAllowed("Only the owning organisation adds members.")
    if not scope.reaches(actor, member.pk):  # an exercise trainee: their own team (core.scope)
        raise NotAllowed("That organisation belongs to another exercise team.")
    if member.pk == investigation.organisation_id:
        raise InvalidInput(
            FieldError("organisation", "The owning organisation has access already.")
        )
    if member.org_type not in INVESTIGATING_TYPES:
        raise InvalidInput(
            FieldError("organisation", "Only investigating organisations may be given access.")
        )
    hidden = _parties_hidden_from(member, investigation)
    if hidden:
        raise InvalidInput(
            FieldError(
                "organisation",
                "This investigation holds people taken from case(s) {cases} that this organisation "
                "may not see in the case file (no consent or legal basis), so it cannot be given "
                "access.",
                cases=", ".join(hidden),
            )
        )
    with transaction.atomic():
        row, _ = InvestigationMember.objects.get_or_create(
            investigation=investigation,
            organisation=member,
            defaults={"added_by": actor, "added_at": timezone.now()},
        )
        _audit(investigation, actor, org, "member_add", member=member.pk)
    return row


def case_link(
    *, actor: User, organisation: Organisation | None, investigation: Investigation, case_ref: Any
) -> InvestigationCase:
    """Link an NRM case the actor may see."""
    org = _require_open(actor, organisation, investigation)
    errors: list[FieldError] = []
    case = _case_for_link(actor, org, case_ref, errors, field="case")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        row, _ = InvestigationCase.objects.get_or_create(
            investigation=investigation,
            case=case,
            defaults={"linked_by": actor, "linked_at": timezone.now()},
        )
        _audit(investigation, actor, org, "case_link", case=case.reference)
    return row


# --- statements --------------------------------------------------------------------------------


def profile_choices(organisation: Organisation | None) -> list[tuple[str, str]]:
    """Packaged profiles (``pkg:<id>``) and the organisation's saved ones (``org:<slug>``)."""
    out = [(f"pkg:{p.id}", p.label) for p in packaged_profiles()]
    if organisation is not None:
        out += [
            (f"org:{m.slug}", f"{m.label} (saved)")
            for m in MappingProfile.objects.filter(organisation=organisation)
        ]
    return out


def resolve_profile(organisation: Organisation | None, value: str) -> CsvProfile:
    kind, _, ident = (value or "").partition(":")
    try:
        if kind == "pkg" and ident in {p.id for p in packaged_profiles()}:
            return load_profile(ident)
        if kind == "org" and organisation is not None:
            m = MappingProfile.objects.filter(organisation=organisation, slug=ident).first()
            if m is not None:
                return profile_from_dict({**m.definition, "id": f"org-{m.slug}", "label": m.label})
    except ProfileError as exc:
        raise InvalidInput(
            FieldError("profile", "The profile is not usable: {reason}", reason=str(exc))
        ) from exc
    raise InvalidInput(FieldError("profile", "Choose one of the mapping profiles."))


def _profile_over_limits(definition: dict[str, Any]) -> FieldError | None:
    """A profile definition over the ``profile`` import limits (values, nesting, length, size)."""
    import json

    limits = import_limits("profile")
    try:
        check_structure(definition, limits)
        check_size(len(json.dumps(definition, default=str).encode("utf-8")), limits)
    except LimitExceeded as exc:
        return refusal(exc, "definition").errors[0]
    return None


def mapping_profile_save(
    *, actor: User, organisation: Organisation | None, slug: Any, label: Any, definition: Any
) -> MappingProfile:
    """Save (or replace) a CSV mapping profile for the organisation; it is validated first."""
    org = _require(actor, organisation)
    errors: list[FieldError] = []
    slug_s = _text(slug, "slug", errors, max_length=80, required=True)
    if slug_s and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug_s):
        errors.append(FieldError("slug", "Lower-case letters, digits and hyphens."))
    label_s = _text(label, "label", errors, max_length=200, required=True)
    if not isinstance(definition, dict):
        errors.append(FieldError("definition", "A mapping (columns, date_format, amount_mode …)."))
    elif (too_big := _profile_over_limits(definition)) is not None:
        errors.append(too_big)
    else:
        try:
            profile_from_dict({**definition, "id": f"org-{slug_s or 'x'}", "label": label_s or "x"})
        except (ProfileError, TypeError, ValueError) as exc:
            errors.append(FieldError("definition", str(exc)))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        row, created = MappingProfile.objects.update_or_create(
            organisation=org,
            slug=slug_s,
            defaults={
                "label": label_s,
                "definition": definition,
                "created_by": actor,
                "created_at": timezone.now(),
            },
        )
        audit.record(
            action="create" if created else "update",
            actor=actor,
            organisation=org,
            object_type="mapping_profile",
            object_ref=slug_s,
        )
    return row


def _safe_name(name: str) -> str:
    base = Path(str(name or "statement")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "statement"
    return base[:120]


def _copy_bounded(upload: IO[bytes], path: Path, max_bytes: int) -> None:
    """Copy an upload to disk in chunks, stopping as soon as it passes ``max_bytes``."""
    written = 0
    with path.open("wb") as fh:
        for chunk in iter(lambda: upload.read(1024 * 1024), b""):
            written += len(chunk)
            if (
                written > max_bytes
            ):  # the real size is unknown (not read further): at least this much
                check_size(written, ImportLimits(max_bytes=max_bytes))
            fh.write(chunk)


def _statement_params(
    org: Organisation, kind: str, profile: str, account: Any, account_name: Any
) -> tuple[CsvProfile | None, str, str]:
    errors: list[FieldError] = []
    if kind not in STATEMENT_KINDS:
        errors.append(FieldError("kind", "CSV, camt.053 or AMLSim."))
    account_s = _text(account, "account", errors, max_length=42)
    holder = _text(account_name, "account_name", errors, max_length=200)
    prof: CsvProfile | None = None
    if kind == "csv":
        try:
            prof = resolve_profile(org, profile)
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return prof, account_s, holder


def statement_import_check(
    *,
    actor: User,
    organisation: Organisation | None,
    investigation: Investigation,
    kind: str,
    profile: str = "",
    account: str = "",
    account_name: str = "",
    size: int | None = None,
) -> None:
    """What ``statement_import`` refuses at once, checked in the request before the import is
    handed to a background job (NotAllowed, InvestigationClosed, InvalidInput); reads no file."""
    org = _require_open(actor, organisation, investigation)
    _statement_params(org, kind, profile, account, account_name)
    if size == 0:
        raise InvalidInput(FieldError("file", "The file is empty."))
    try:  # an upload over the size limit is refused in the request, before a job is queued
        check_size(size, import_limits("statement"))
    except LimitExceeded as exc:
        raise refusal(exc) from exc


def rules_run_check(
    *, actor: User, organisation: Organisation | None, investigation: Investigation
) -> None:
    """What ``rules_run`` refuses at once, checked in the request before the run is handed to a job."""
    _require_open(actor, organisation, investigation)


def statement_import(
    *,
    actor: User,
    organisation: Organisation | None,
    investigation: Investigation,
    upload: IO[bytes],
    file_name: str,
    kind: str,
    profile: str = "",
    account: str = "",
    account_name: str = "",
) -> ImportReport:
    """Import one statement file: all or nothing, idempotent, with provenance.

    ``upload`` is read in chunks to a file on disk (big statements never sit in memory).
    A rejected file changes nothing and its report lists every row error.
    """
    org = _require_open(actor, organisation, investigation)
    prof, account_s, holder = _statement_params(org, kind, profile, account, account_name)
    name = _safe_name(file_name)
    if kind == "camt053" and not name.lower().endswith(".xml"):
        name += ".xml"
    limits = import_limits("statement")
    root = workspace_root()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix="upload-") as tmp:
        path = Path(tmp) / name
        try:
            check_size(getattr(upload, "size", None), limits)
            _copy_bounded(upload, path, limits.max_bytes)
        except LimitExceeded as exc:
            raise refusal(exc) from exc
        if path.stat().st_size == 0:
            raise InvalidInput(FieldError("file", "The file is empty."))
        try:
            with open_workspace(investigation) as ws:
                report = ws.ingest(
                    path,
                    kind=kind,
                    profile=prof,
                    account=account_s or None,
                    account_name=holder or None,
                    limits=limits,
                )
        except LimitExceeded as exc:
            # over the rows or cell-length limit: refused whole, nothing was written
            _audit(
                investigation,
                actor,
                org,
                "statement_import",
                action="create",
                outcome="rejected",
                kind=kind,
                limit=exc.code,
            )
            raise refusal(exc) from exc
        except (NormalisationError, ProfileError, ValueError, duckdb.Error) as exc:
            # a file of the wrong kind (no Parquet footer, no AMLSim columns …): nothing was written
            first = str(exc).splitlines()[0].replace(str(path.parent) + "/", "")[:300]
            raise InvalidInput(
                FieldError(
                    "file",
                    "The file could not be read as {kind}: {reason}",
                    kind=kind,
                    reason=first,
                )
            ) from exc
    with transaction.atomic():
        if report.ok and not report.already_imported:
            StatementFile.objects.get_or_create(
                investigation=investigation,
                sha256=report.source_id,
                defaults={
                    "name": report.file_name,
                    "kind": kind,
                    "profile": prof.id if prof else "",
                    "rows": report.rows_read,
                    "rows_inserted": report.rows_inserted,
                    "imported_by": actor,
                    "imported_at": timezone.now(),
                },
            )
        _audit(
            investigation,
            actor,
            org,
            "statement_import",
            action="create",
            outcome="ok" if report.ok else "rejected",
            sha256=report.source_id,
            kind=kind,
            rows_read=report.rows_read,
            rows_inserted=report.rows_inserted,
            already_imported=report.already_imported,
            errors=report.error_count,
        )
    return report


# --- red flags ---------------------------------------------------------------------------------


def rules_run(
    *, actor: User, organisation: Organisation | None, investigation: Investigation
) -> RuleRunReport:
    """Run the red-flag rule pack; decided alerts are not raised again, skipped rules are reported."""
    org = _require_open(actor, organisation, investigation)
    with open_workspace(investigation) as ws:
        report = ws.run_rules()
    _audit(
        investigation,
        actor,
        org,
        "rules_run",
        run=report.run_id,
        alerts=len(report.alerts),
        skipped=[s.rule_id for s in report.skipped],
        suppressed=report.suppressed,
    )
    return report


@dataclass(frozen=True)
class AlertView:
    alert_key: str
    rule_id: str
    rule_title: str
    rule_version: int
    sources: list[dict[str, str]]
    exploitation: tuple[str, ...]
    typology: str
    subject: str
    score: float
    summary: str
    tx_ids: tuple[str, ...]
    transactions: list[dict[str, Any]]
    decision: str = ""
    note: str = ""


def alert_views(
    investigation: Investigation,
    *,
    include_decided: bool = False,
    with_transactions: bool = True,
    max_tx: int = 200,
) -> list[AlertView]:
    """Alerts with their rule, source and transactions (callers audit the read)."""
    rules = {r.id: r for r in _rule_pack().rules}
    decided = {d.alert_key: d for d in AlertDecision.objects.filter(investigation=investigation)}
    with open_workspace(investigation) as ws:
        alerts = ws.alerts(include_decided=include_decided)
        txs: dict[str, dict[str, Any]] = {}
        if with_transactions:
            wanted = {t for a in alerts for t in a.tx_ids[:max_tx]}
            txs = {t["tx_id"]: t for t in ws.transactions(wanted)}
    out = []
    for a in alerts:
        rule = rules.get(a.rule_id)
        d = decided.get(a.alert_key)
        out.append(
            AlertView(
                alert_key=a.alert_key,
                rule_id=a.rule_id,
                rule_title=rule.title if rule else a.rule_id,
                rule_version=a.rule_version,
                sources=[
                    {"id": s.id, "indicator": getattr(s, "indicator", "")}
                    for s in (rule.sources if rule else ())
                ],
                exploitation=a.exploitation,
                typology=a.typology,
                subject=a.subject,
                score=a.score,
                summary=a.summary,
                tx_ids=a.tx_ids,
                transactions=[txs[t] for t in a.tx_ids[:max_tx] if t in txs],
                decision=d.decision if d else "",
                note=d.note if d else "",
            )
        )
    return out


def alert_transactions(
    investigation: Investigation, views: Sequence[AlertView], *, max_tx: int = 200
) -> list[AlertView]:
    """The given alerts with their transactions (the page's alerts only, not every alert)."""
    wanted = {t for a in views for t in a.tx_ids[:max_tx]}
    if not wanted:
        return list(views)
    with open_workspace(investigation) as ws:
        txs = {t["tx_id"]: t for t in ws.transactions(wanted)}
    return [replace(a, transactions=[txs[t] for t in a.tx_ids[:max_tx] if t in txs]) for a in views]


def last_skipped(investigation: Investigation) -> list[dict[str, Any]]:
    with open_workspace(investigation) as ws:
        return [
            {"rule_id": s.rule_id, "missing_fields": list(s.missing_fields)}
            for s in ws.last_skipped()
        ]


def alert_decide(
    *,
    actor: User,
    organisation: Organisation | None,
    investigation: Investigation,
    alert_key: str,
    decision: str,
    note: Any = "",
) -> AlertDecision:
    """Confirm or dismiss an alert; it is not raised again on a re-run (unless new transactions join it)."""
    org = _require_open(actor, organisation, investigation)
    errors: list[FieldError] = []
    if decision not in {"confirmed", "dismissed"}:
        errors.append(FieldError("decision", "Confirm or dismiss."))
    note_s = _text(note, "note", errors, max_length=2000)
    if AlertDecision.objects.filter(investigation=investigation, alert_key=str(alert_key)).exists():
        errors.append(FieldError("alert_key", "This alert has been decided already."))
    if errors:
        raise InvalidInput(errors)
    with open_workspace(investigation) as ws:
        alert = next((a for a in ws.alerts(include_decided=True) if a.alert_key == alert_key), None)
        if alert is None:
            raise InvalidInput(FieldError("alert_key", "No such alert in this investigation."))
        with transaction.atomic():
            row = AlertDecision.objects.create(
                investigation=investigation,
                alert_key=alert.alert_key,
                rule_id=alert.rule_id,
                subject=alert.subject[:200],
                tx_count=len(alert.tx_ids),
                decision=decision,
                note=note_s,
                decided_by=actor,
                decided_at=timezone.now(),
            )
            _audit(
                investigation,
                actor,
                org,
                "alert_decide",
                alert=alert.alert_key,
                rule=alert.rule_id,
                decision=decision,
            )
            ws.decide_alert(
                alert.alert_key, decision, decided_by=actor.get_username(), note=note_s or None
            )
    return row


# --- case records and entity resolution ---------------------------------------------------------------


PARTY_ROLES = ("victim", "suspect", "witness", "other")


def _party_dict(p: InvestigationParty) -> dict[str, Any]:
    return {
        "party_id": p.party_id,
        "schema": p.schema,
        "name": p.name,
        "iban": p.iban or None,
        "phone": p.phone or None,
        "email": p.email or None,
        "address": p.address or None,
        "role": p.role,
        "record_ref": p.record_ref or None,
    }


def party_add(
    *,
    actor: User,
    organisation: Organisation | None,
    investigation: Investigation,
    schema: str = "Person",
    name: Any,
    iban: Any = "",
    phone: Any = "",
    email: Any = "",
    address: Any = "",
    role: str = "other",
    record_ref: str = "",
) -> InvestigationParty:
    """Add a person or company known from case work, to be matched against the statements."""
    org = _require_open(actor, organisation, investigation)
    errors: list[FieldError] = []
    if schema not in {"Person", "Company"}:
        errors.append(FieldError("schema", "Person or company."))
    if role not in PARTY_ROLES:
        errors.append(FieldError("role", "Victim, suspect, witness or other."))
    fields = {
        "name": _text(name, "name", errors, max_length=200, required=True),
        "iban": _text(iban, "iban", errors, max_length=42),
        "phone": _text(phone, "phone", errors, max_length=40),
        "email": _text(email, "email", errors, max_length=200),
        "address": _text(address, "address", errors, max_length=300),
    }
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        n = InvestigationParty.objects.filter(investigation=investigation).count() + 1
        party = InvestigationParty(
            investigation=investigation,
            party_id=f"P{n}",
            schema=schema,
            role=role,
            record_ref=record_ref[:40],
            created_by=actor,
            created_at=timezone.now(),
            **fields,
        )
        with open_workspace(investigation) as ws:
            try:
                ws.add_parties([_party_dict(party)])
            except PartyError as exc:
                msg = str(exc).split(": ", 1)[-1]
                field = next((f for f in ("iban", "phone", "email") if f in msg.lower()), "")
                raise InvalidInput(FieldError(field, msg)) from exc
        party.save()
        _audit(
            investigation, actor, org, "party_add", action="create", party=party.party_id, role=role
        )
    return party


@dataclass(frozen=True)
class CaseImport:
    added: int
    withheld: list[
        str
    ]  # cases whose person the actor, or another organisation sharing the investigation, may not see


def _sharing_organisations(investigation: Investigation) -> list[Organisation]:
    return [
        investigation.organisation,
        *(m.organisation for m in investigation.members.select_related("organisation")),
    ]


def _shared_visibility(case: Any, actor_visibility: Any, investigation: Investigation) -> Any:
    """The actor's view of the case, cut to what every organisation sharing the investigation may see."""
    from palermo.cases import access
    from palermo.cases import selectors as case_selectors

    groups = set(actor_visibility.groups)
    for org in _sharing_organisations(investigation):
        groups &= case_selectors.organisation_visibility(org, case).groups
    return access.Visibility(frozenset(groups), actor_visibility.basis)


def _parties_hidden_from(member: Organisation, investigation: Investigation) -> list[str]:
    """References of cases whose people, already in the investigation, ``member`` may not see."""
    from palermo.cases import access
    from palermo.cases import selectors as case_selectors

    hidden: list[str] = []
    parties = list(investigation.parties.exclude(record_ref=""))
    for case in case_selectors.cases_by_reference(p.record_ref for p in parties):
        groups = case_selectors.organisation_visibility(member, case).groups
        for p in parties:
            if p.record_ref != case.reference:
                continue
            needs = {access.SUSPECTS} if p.role == "suspect" else {access.IDENTITY}
            if p.phone or p.email or p.address:
                needs.add(access.CONTACT)
            if not needs <= groups:
                hidden.append(case.reference)
                break
    return sorted(hidden)


def parties_from_cases(
    *, actor: User, organisation: Organisation | None, investigation: Investigation
) -> CaseImport:
    """Add the person of each linked case (as victim) and its recorded suspects, as far as the
    actor may see them in the case file (need-to-know of the case file applies; reads are audited).
    Already added records are not added twice."""
    from palermo.cases import selectors as case_selectors

    org = _require_open(actor, organisation, investigation)
    have = {(p.record_ref, p.name, p.role) for p in investigation.parties.all()}
    added = 0
    withheld: list[str] = []
    for link in investigation.case_links.select_related("case"):
        try:
            case = case_selectors.access_case(
                actor, org, link.case.reference, purpose="financial investigation"
            )
        except Exception:
            withheld.append(link.case.reference)
            continue
        # Every organisation sharing the investigation will see what is added: take over
        # only what each of them may see in the case file itself.
        file = case_selectors.case_file(
            case, _shared_visibility(case, case.visibility, investigation)
        )
        found: list[dict[str, Any]] = []
        ident = file.identity
        if ident and (ident.given_name or ident.family_name):
            contact = file.contact
            address = ", ".join(x for x in (contact.street, contact.city) if x) if contact else ""
            found.append(
                {
                    "name": f"{ident.given_name} {ident.family_name}".strip(),
                    "role": "victim",
                    "phone": contact.phone if contact else "",
                    "email": contact.email if contact else "",
                    "address": address,
                }
            )
        else:
            withheld.append(case.reference)
        for s in file.suspects or []:
            if s.name_or_alias:
                found.append({"name": s.name_or_alias, "role": "suspect"})
        for f in found:
            if (case.reference, f["name"], f["role"]) in have:
                continue
            try:
                party_add(
                    actor=actor,
                    organisation=org,
                    investigation=investigation,
                    record_ref=case.reference,
                    **f,
                )
            except InvalidInput:
                # a malformed phone or e-mail in the case file: keep the name only
                party_add(
                    actor=actor,
                    organisation=org,
                    investigation=investigation,
                    record_ref=case.reference,
                    name=f["name"],
                    role=f["role"],
                )
            have.add((case.reference, f["name"], f["role"]))
            added += 1
    return CaseImport(added=added, withheld=withheld)


def match_proposals(investigation: Investigation) -> list[MatchProposal]:
    with open_workspace(investigation) as ws:
        return ws.propose_matches()


def match_judge(
    *,
    actor: User,
    organisation: Organisation | None,
    investigation: Investigation,
    left: str,
    right: str,
    decision: str,
    note: Any = "",
) -> Judgement:
    """Record 'same' or 'different' for a proposed pair; it is never proposed again and re-applies."""
    org = _require_open(actor, organisation, investigation)
    errors: list[FieldError] = []
    if decision not in {"same", "different"}:
        errors.append(FieldError("decision", "Same or different."))
    note_s = _text(note, "note", errors, max_length=2000)
    left_s = _text(left, "left", errors, max_length=300, required=True)
    right_s = _text(right, "right", errors, max_length=300, required=True)
    if left_s and left_s == right_s:
        errors.append(FieldError("right", "A record cannot be matched with itself."))
    if errors:
        raise InvalidInput(errors)
    with open_workspace(investigation) as ws:
        known = {r.record_id for r in ws.er_records()}
        if left_s not in known or right_s not in known:
            raise InvalidInput(FieldError("", "No such records in this investigation."))
        with transaction.atomic():
            j = ws.judge_match(
                left_s, right_s, decision, decided_by=actor.get_username(), note=note_s or None
            )
            _audit(investigation, actor, org, "match_judge", decision=decision)
    return j


def judgements(investigation: Investigation) -> list[MatchJudgement]:
    return list(MatchJudgement.objects.filter(investigation=investigation))


# --- network and proceeds -------------------------------------------------------------------------


def accounts(investigation: Investigation, limit: int = 500) -> list[dict[str, Any]]:
    """Accounts of the workspace (key, holder, kind, number of payments), busiest first."""
    with open_workspace(investigation) as ws:
        rows = ws.con.execute(
            """
            SELECT a.account_key, a.holder_name, a.holder_kind, coalesce(c.n, 0) AS n
            FROM account a
            LEFT JOIN (SELECT k, count(*) AS n FROM (SELECT payer_key AS k FROM tx UNION ALL
                                                    SELECT payee_key FROM tx) GROUP BY k) c
                   ON c.k = a.account_key
            ORDER BY n DESC, a.account_key LIMIT ?
            """,
            [limit],
        ).fetchall()
    return [
        {"key": r[0], "holder": r[1] or "", "kind": r[2] or "", "payments": int(r[3])} for r in rows
    ]


def holders(investigation: Investigation, keys: Sequence[str]) -> dict[str, str]:
    """Account key -> holder name, for the given keys (those that exist)."""
    with open_workspace(investigation) as ws:
        rows = ws.con.execute(
            "SELECT account_key, holder_name FROM account WHERE account_key IN (SELECT unnest(?::VARCHAR[]))",
            [list(keys)],
        ).fetchall()
    return {r[0]: r[1] or "" for r in rows}


def network(investigation: Investigation, *, whole: bool = False, typology: str = "") -> Any:
    """The network around the accounts the standing alerts are about (the whole graph's
    busiest payments when ``whole`` or when there is no alert yet). ``typology`` keeps the
    accounts of the standing alerts of that typology only (none: an empty network)."""
    from palermo.investigate.network import NetworkReport

    with open_workspace(investigation) as ws:
        if typology:
            chosen = [a for a in ws.standing_alerts() if a.typology == typology]
            focus: list[str] | None = ws.alert_accounts(chosen)
            if not focus:
                return NetworkReport(hubs=(), roles=(), cycles=(), paths=())
        else:
            focus = None if whole else (ws.alert_accounts() or None)
        return ws.network(
            focus=focus, victim_accounts=investigation.proceeds_settings.get("victims", [])
        )


def alert_typologies(investigation: Investigation) -> list[str]:
    """The typologies of the standing (open or confirmed) alerts: the network's filter choices."""
    with open_workspace(investigation) as ws:
        return sorted({a.typology for a in ws.standing_alerts() if a.typology})


def _wage(value: Any, errors: list[FieldError]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        d = Decimal(-1)
    if not d.is_finite() or d <= 0 or d > Decimal("1e9"):
        errors.append(FieldError("reference_wage", "A positive amount, e.g. 650."))
        return None
    return d


def proceeds_estimate(
    *,
    actor: User,
    organisation: Organisation | None,
    investigation: Investigation,
    offenders: Sequence[str],
    victims: Sequence[str] = (),
    reference_wage: Any = None,
    save: bool = True,
) -> ProceedsEstimate:
    """The two totals (confiscation, compensation) with their methods; the choice is kept for the pack."""
    org = _require_open(actor, organisation, investigation)
    errors: list[FieldError] = []
    wage = _wage(reference_wage, errors)
    offenders = [str(o) for o in offenders]
    victims = [str(v) for v in victims]
    known = set(holders(investigation, [*offenders, *victims]))
    if not offenders:
        errors.append(FieldError("offenders", "Choose at least one offender account."))
    if any(o not in known for o in offenders):
        errors.append(FieldError("offenders", "Unknown account."))
    if any(v not in known for v in victims):
        errors.append(FieldError("victims", "Unknown account."))
    if errors:
        raise InvalidInput(errors)
    try:
        with open_workspace(investigation) as ws:
            est = ws.proceeds(
                offender_accounts=offenders, victim_accounts=victims, reference_monthly_wage=wage
            )
    except ValueError as exc:
        raise InvalidInput(FieldError("", str(exc))) from exc
    if save:
        investigation.proceeds_settings = {
            "offenders": offenders,
            "victims": victims,
            "reference_wage": str(wage) if wage else "",
        }
        investigation.save(update_fields=["proceeds_settings"])
    _audit(
        investigation,
        actor,
        org,
        "proceeds_estimate",
        action="read",
        confiscation=str(est.confiscation_total),
        compensation=str(est.compensation_total),
    )
    return est


def saved_proceeds(investigation: Investigation) -> ProceedsEstimate | None:
    """The estimate for the saved choice of accounts (for the evidence pack), or None."""
    s = investigation.proceeds_settings or {}
    if not s.get("offenders"):
        return None
    wage = Decimal(s["reference_wage"]) if s.get("reference_wage") else None
    try:
        with open_workspace(investigation) as ws:
            return ws.proceeds(
                offender_accounts=s["offenders"],
                victim_accounts=s.get("victims", []),
                reference_monthly_wage=wage,
            )
    except ValueError:
        return None


def proceeds_attach(
    *,
    actor: User,
    organisation: Organisation | None,
    investigation: Investigation,
    case_ref: Any,
    total: str,
) -> Any:
    """Attach a proceeds total to a compensation claim of a linked case (via the case file's services).

    ``total`` is ``confiscation`` (source: confiscated assets) or ``compensation`` (source: the offender).
    The amount is recomputed here from the saved choice of accounts, never taken from the client.
    """
    from django.http import Http404

    from palermo.cases import selectors as case_selectors
    from palermo.cases import services as case_services

    org = _require_open(actor, organisation, investigation)
    if total not in {"confiscation", "compensation"}:
        raise InvalidInput(FieldError("total", "The confiscation or the compensation total."))
    link = (
        InvestigationCase.objects.filter(
            investigation=investigation, case__reference=str(case_ref or "").strip().upper()
        )
        .select_related("case")
        .first()
    )
    if link is None:
        raise InvalidInput(FieldError("case", "Choose a case linked to this investigation."))
    try:
        case = case_selectors.access_case(actor, org, link.case.reference, record_read=False)
    except Http404 as exc:
        raise NotAllowed("You may not act on this case.") from exc
    est = saved_proceeds(investigation)
    if est is None:
        raise InvalidInput(
            FieldError("total", "Estimate the proceeds first (choose the offenders' accounts).")
        )
    amount = est.confiscation_total if total == "confiscation" else est.compensation_total
    source = "confiscated_assets" if total == "confiscation" else "offender"
    if amount <= 0:
        raise InvalidInput(FieldError("total", "This total is zero: there is nothing to attach."))
    try:
        claim = case_services.compensation_claim_from_investigation(
            actor=actor,
            organisation=org,
            case=case,
            amount=amount,
            currency=est.currency,
            source=source,
            investigation_ref=investigation.reference,
            method=est.confiscation_method if total == "confiscation" else est.compensation_method,
        )
    except case_services.NotAllowed as exc:
        audit.record(
            action="refused",
            actor=actor,
            organisation=org,
            object_type="case",
            object_ref=case.reference,
            outcome="refused",
            details={"what": "proceeds_attach"},
        )
        raise NotAllowed(
            "You may not record a compensation claim on case {case}: {reason}",
            case=case.reference,
            reason=str(exc),
        ) from exc
    _audit(
        investigation,
        actor,
        org,
        "proceeds_attach",
        case=case.reference,
        total=total,
        claim=claim.pk,
    )
    return claim


# --- exports --------------------------------------------------------------------------------------


def _pack_kwargs(
    investigation: Investigation, actor: User, organisation: Organisation | None
) -> dict[str, Any]:
    linked = selectors.linked_cases_for(
        actor, organisation, investigation
    )  # only cases this reader may open
    return {
        "title": f"{investigation.reference}: {investigation.title}",
        "case_ref": linked[0].reference if linked else "-",
        "prepared_by": f"{actor.get_username()} ({investigation.organisation.name})",
        "victim_accounts": (investigation.proceeds_settings or {}).get("victims", []),
        "proceeds": saved_proceeds(investigation),
    }


def evidence_pack(
    *, actor: User, organisation: Organisation | None, investigation: Investigation, fmt: str
) -> tuple[bytes, str]:
    """The evidence pack as HTML or PDF bytes and its digest; the export is audited."""
    from palermo.investigate.evidence import render_html, render_pdf

    org = _require_access(actor, organisation, investigation)
    if fmt not in {"html", "pdf"}:
        raise InvalidInput(FieldError("format", "html or pdf"))
    kwargs = _pack_kwargs(investigation, actor, org)
    with open_workspace(investigation) as ws:
        pack = ws.evidence_pack(**kwargs)  # open and confirmed alerts; dismissed ones left out
    if fmt == "html":
        data = render_html(pack).encode("utf-8")
    else:
        root = workspace_root()
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix="pack-") as tmp:
            target = Path(tmp) / "pack.pdf"
            render_pdf(pack, target)
            data = target.read_bytes()
    _audit(
        investigation, actor, org, "evidence_pack", action="export", format=fmt, digest=pack.digest
    )
    return data, pack.digest


def ftm_export(
    *, actor: User, organisation: Organisation | None, investigation: Investigation
) -> bytes:
    """FollowTheMoney JSON lines (for Aleph / OpenAleph); the export is audited."""
    org = _require_access(actor, organisation, investigation)
    buf = io.StringIO()
    with open_workspace(investigation) as ws:
        n = ws.export_ftm(buf)
    _audit(investigation, actor, org, "ftm_export", action="export", entities=n)
    return buf.getvalue().encode("utf-8")


__all__ = [
    "NotAllowed",
    "alert_decide",
    "case_link",
    "evidence_pack",
    "ftm_export",
    "investigation_create",
    "mapping_profile_save",
    "match_judge",
    "member_add",
    "party_add",
    "proceeds_attach",
    "proceeds_estimate",
    "rules_run",
    "statement_import",
]
