"""Cross-border hand-over: the use cases (send, receive, status, revoke, consent, trust list).

Every step is audited on this instance's trail (object type ``crossborder_handover`` and
the message id as reference: never a name). Deliveries go through ``transport`` (HTTPS POST
to the partner's inbox; tests and the demo swap in an in-process one).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from palermo.cases import selectors as case_selectors
from palermo.core import audit
from palermo.core.errors import Conflict, FieldError, InvalidInput, NotAllowed, NotFound
from palermo.core.policy import Perm, has_perm
from palermo.crossborder import envelope as env
from palermo.crossborder import inbox_limits
from palermo.crossborder import keys as k
from palermo.crossborder import trust as tr
from palermo.crossborder import vocabulary as v
from palermo.crossborder.models import (
    Direction,
    Handover,
    HandoverState,
    InboundMessage,
    PoliceExchange,
    StatusUpdate,
    TransferConsent,
    TrustListRecord,
)

OBJ = "crossborder_handover"
Transport = Callable[[tr.PartnerEntry, str], str]


class DeliveryFailed(Exception):
    pass


def http_transport(partner: tr.PartnerEntry, envelope: str) -> str:
    """POST the envelope to the partner's inbox; its answer is a signed receipt. An exercise
    instance (``PALERMO_EXERCISE``) sends nothing: its fictional data must never reach a
    partner's real database, even when it was given this instance's keys and trust list."""
    if getattr(settings, "PALERMO_EXERCISE", ""):
        raise DeliveryFailed("an exercise instance sends nothing to partners")
    try:
        resp = requests.post(
            partner.inbox,
            data=envelope.encode("ascii"),
            headers={"Content-Type": "application/jose"},
            timeout=15,
        )
    except requests.RequestException as exc:
        raise DeliveryFailed(str(exc)) from None
    if resp.headers.get("Content-Type", "").startswith("application/jose"):
        return resp.text
    raise DeliveryFailed(f"the partner answered {resp.status_code} without a signed receipt")


transport: Transport = http_transport


# --- this instance -----------------------------------------------------------------------------


def entity_id() -> str:
    return str(settings.CROSSBORDER_ENTITY_ID)


def now_ts() -> int:
    return int(time.time())


def own_keys() -> k.JWKS:
    path = Path(settings.CROSSBORDER_KEYS_FILE)
    if not path.exists():
        raise Conflict(
            "This instance has no cross-border keys yet (palermo crossborder keys init)."
        )
    data: k.JWKS = json.loads(path.read_text())
    return data


def _write_keys(data: k.JWKS) -> None:
    path = Path(settings.CROSSBORDER_KEYS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.chmod(0o600)
    tmp.replace(path)


def signer_keys() -> k.JWKS:
    """Our key set, signing with the newest key the trust list in force publishes for us."""
    keyset = own_keys()
    rec = _record_in_force()
    if rec is None:
        return keyset
    mine = trust_list().find(entity_id())
    return k.for_signing(keyset, mine.jwks if mine else None)


def keys_init() -> k.JWKS:
    if Path(settings.CROSSBORDER_KEYS_FILE).exists():
        raise Conflict("The key file exists already: rotate it instead.")
    data = k.new_keyset(now_ts())
    _write_keys(data)
    audit.record(action="create", object_type="crossborder_keys", actor_username="cli")
    return k.public_jwks(data)


def keys_rotate() -> k.JWKS:
    data = k.rotate(own_keys(), now_ts())
    _write_keys(data)
    audit.record(action="update", object_type="crossborder_keys", actor_username="cli")
    return k.public_jwks(data)


def keys_retire(kid: str) -> k.JWKS:
    try:
        data = k.retire(own_keys(), kid)
    except k.KeySetError as exc:
        raise InvalidInput(FieldError("kid", str(exc))) from None
    _write_keys(data)
    audit.record(
        action="delete", object_type="crossborder_keys", object_ref=kid[:80], actor_username="cli"
    )
    return k.public_jwks(data)


def anchors() -> k.JWKS:
    path = Path(settings.CROSSBORDER_ANCHORS_FILE)
    if not path.exists():
        raise Conflict("No trust anchor is configured (PALERMO_CROSSBORDER_ANCHORS_FILE).")
    data: k.JWKS = json.loads(path.read_text())
    return data


# --- trust list ----------------------------------------------------------------------------------

_trust_cache: dict[tuple[str, int], tr.TrustList] = {}


def _record_in_force() -> TrustListRecord | None:
    return TrustListRecord.objects.filter(local_entity=entity_id()).order_by("-version").first()


def trust_list() -> tr.TrustList:
    """The trust list in force (verified again, once per version and process)."""
    rec = _record_in_force()
    if rec is None:
        raise Conflict("No trust list is loaded: nothing can be sent or received.")
    key = (rec.local_entity, rec.version)
    if key not in _trust_cache:
        _trust_cache[key] = tr.read(rec.token, anchors(), now_ts())
    found = _trust_cache[key]
    if now_ts() >= found.expires_at:
        raise Conflict("The trust list in force has expired: load a new one.")
    return found


def trust_list_load(token: str, *, actor: Any = None, request: Any = None) -> tr.TrustList:
    """Verify and put a signed trust list in force (a newer version than the one in use)."""
    current = _record_in_force()
    try:
        found = tr.read(
            token, anchors(), now_ts(), min_version=(current.version + 1) if current else 0
        )
    except tr.TrustError as exc:
        audit.record(
            action="refused",
            actor=actor,
            object_type="crossborder_trust_list",
            outcome="refused",
            details={"reason": exc.reason},
            request=request,
        )
        raise InvalidInput(FieldError("trust_list", str(exc))) from None
    with transaction.atomic():
        TrustListRecord.objects.create(
            local_entity=entity_id(),
            version=found.version,
            issuer=found.issuer,
            token=token.strip(),
            expires_at=datetime.fromtimestamp(found.expires_at, tz=UTC),
            loaded_at=timezone.now(),
            loaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(
            action="update",
            actor=actor,
            object_type="crossborder_trust_list",
            object_ref=str(found.version),
            details={"partners": len(found.partners)},
            request=request,
            actor_username=None if actor else "cli",
        )
    return found


def partner(entity: str) -> tr.PartnerEntry:
    try:
        return trust_list().require(entity, now_ts())
    except tr.TrustError as exc:
        raise InvalidInput(FieldError("partner", str(exc))) from None


# --- consent ------------------------------------------------------------------------------------


def consent_give(
    actor: Any,
    organisation: Any,
    *,
    case_ref: str,
    partner_id: str,
    purpose: str,
    groups: list[str],
    risks_explained: bool,
    guardian_consent: bool,
    expires_on: date | None,
    request: Any = None,
) -> TransferConsent:
    if not has_perm(actor, Perm.CROSSBORDER_SEND, organisation):
        raise NotAllowed(perm=Perm.CROSSBORDER_SEND)
    case = _case(actor, organisation, case_ref, request)
    errors: list[FieldError] = []
    if purpose not in v.PURPOSES:
        errors.append(FieldError("purpose", "Choose a purpose."))
    if not groups or set(groups) - set(v.GROUPS):
        errors.append(FieldError("groups", "Choose at least one group of information."))
    if not risks_explained:
        errors.append(
            FieldError("risks_explained", "Explain the risks of the transfer before consent.")
        )
    if case.is_child and not guardian_consent:
        errors.append(FieldError("guardian_consent", "A child's transfer needs the guardian."))
    if expires_on is not None and expires_on <= timezone.localdate():
        errors.append(FieldError("expires_on", "The expiry must be in the future."))
    try:
        partner(partner_id)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        c = TransferConsent.objects.create(
            local_entity=entity_id(),
            case_ref=case.reference,
            partner=partner_id,
            purpose=purpose,
            groups=sorted(set(groups)),
            risks_explained=True,
            guardian_consent=guardian_consent,
            given_on=timezone.localdate(),
            expires_on=expires_on,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        audit.record(
            action="create",
            actor=actor,
            organisation=organisation,
            object_type="crossborder_consent",
            object_ref=case.reference,
            details={"consent": c.pk, "groups": c.groups, "purpose": purpose},
            request=request,
        )
    return c


def consent_withdraw(actor: Any, organisation: Any, consent_id: int, request: Any = None) -> None:
    if not has_perm(actor, Perm.CROSSBORDER_SEND, organisation):
        raise NotAllowed(perm=Perm.CROSSBORDER_SEND)
    c = TransferConsent.objects.filter(pk=consent_id, local_entity=entity_id()).first()
    if c is None:
        raise NotFound()
    _case(actor, organisation, c.case_ref, request)
    with transaction.atomic():
        TransferConsent.objects.filter(pk=c.pk, withdrawn_on__isnull=True).update(
            withdrawn_on=timezone.localdate()
        )
        audit.record(
            action="update",
            actor=actor,
            organisation=organisation,
            object_type="crossborder_consent",
            object_ref=c.case_ref,
            details={"consent": c.pk, "withdrawn": True},
            request=request,
        )


def active_consent(case_ref: str, partner_id: str, purpose: str) -> TransferConsent | None:
    today = timezone.localdate()
    for c in TransferConsent.objects.filter(
        local_entity=entity_id(),
        case_ref=case_ref,
        partner=partner_id,
        purpose=purpose,
        withdrawn_on__isnull=True,
    ).order_by("-recorded_at"):
        if c.expires_on is None or c.expires_on > today:
            return c
    return None


# --- sending -----------------------------------------------------------------------------------


def _case(actor: Any, organisation: Any, case_ref: str, request: Any) -> Any:
    from django.http import Http404

    try:
        return case_selectors.access_case(
            actor, organisation, case_ref, request=request, purpose="cross-border hand-over"
        )
    except Http404:
        raise NotFound() from None


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def case_fields(case: Any) -> dict[str, Any]:
    """The case's data under hand-over field names (all groups; minimisation comes next)."""
    out: dict[str, Any] = {
        "vic_TypeOfExploitation": list(case.exploitation_types or []),
        "vic_TraffickingStatus": case.identification_status,
    }
    person = getattr(case, "person", None)
    if person is not None:
        for name, attr in (
            ("prs_FirstName", "given_name"),
            ("prs_SecondName", "family_name"),
            ("prs_Birthdate", "birthdate"),
            ("prs_Gender", "gender"),
            ("prs_Citizenship", "citizenship"),
            ("prs_PrimaryLanguage", "primary_language"),
            ("prs_SecondaryLanguage", "secondary_language"),
            ("prs_IdentityNumber", "identity_number"),
            ("prs_MobilePhone", "phone"),
            ("prs_Email", "email"),
            ("prs_MailingStreet", "street"),
            ("prs_MailingCity", "city"),
            ("prs_MailingPostalCode", "postal_code"),
            ("prs_MailingCountry", "country"),
        ):
            out[name] = _iso(getattr(person, attr, None))
    context = getattr(case, "context", None)
    if context is not None:
        out["vic_MethodOfRecruitment"] = list(context.methods_of_recruitment or [])
        out["vic_MethodsOfControl"] = list(context.methods_of_control or [])
        out["vic_ForcedLabourIndustry"] = context.forced_labour_industry
        out["vic_TypeOfSexExploitation"] = list(context.sex_exploitation_types or [])
        out["vic_AgeWhenTrafficked"] = context.age_when_trafficked
    # Needs and services: the case's referrals to services, by type (delivered or closed =
    # received; sent or accepted = still needed). Declined ones say nothing either way.
    referrals = list(case.service_referrals.values_list("service_type", "status"))
    out["plm_ServicesReceived"] = sorted(
        {t for t, st in referrals if st in ("delivered", "closed")}
    )
    out["plm_ServicesNeeded"] = sorted({t for t, st in referrals if st in ("sent", "accepted")})
    ra = case_selectors.latest_return_assessment(case)
    if ra is not None:
        out["plm_ReturnRiskCountry"] = ra.country
        out["plm_ReturnRiskConclusion"] = ra.conclusion
        out["plm_ReturnRiskAnswers"] = {str(a): str(b) for a, b in dict(ra.answers).items()}
        out["plm_ReturnRiskAssessedOn"] = _iso(ra.assessed_on)
    out.update(_documents_fields(case))
    out.update(_legal_fields(case))
    return out


def _record(**values: Any) -> dict[str, Any]:
    """One record of a list field: dates in ISO 8601, empty values left out."""
    return {k: _iso(x) for k, x in values.items() if x not in (None, "", [])}


def _documents_fields(case: Any) -> dict[str, Any]:
    """The documents group, read through the case file's selector (its identity group). The
    numbers are dropped by ``envelope.handover_body`` unless the identity group travels too."""
    docs = case_selectors.case_documents(case)
    return {
        "plm_Documents": [
            _record(
                type=d.doc_type,
                issuing_country=d.issuing_country,
                status=d.status,
                expires_on=d.expires_on,
                number=d.number,
            )
            for d in docs
        ],
        "plm_DocumentsHeld": sorted({d.doc_type for d in docs if d.status == "held_by_person"}),
    }


_FINAL_STAGES = frozenset({"concluded", "discontinued"})
_WITNESS_ROLES = frozenset({"witness", "protected_witness"})


def _legal_fields(case: Any) -> dict[str, Any]:
    """The legal proceedings group, read through the case file's selectors (its safeguards
    group): criminal proceedings with the person's role, non-punishment, compensation claims.
    The two summary fields are for partners that do not read the records: the stage of the
    latest proceedings still running (else of the latest), and where the person is a witness."""
    proceedings = case_selectors.case_proceedings(case)
    running = [p for p in proceedings if p.stage not in _FINAL_STAGES] or proceedings
    return {
        "plm_Proceedings": [
            _record(
                country=p.country,
                stage=p.stage,
                roles=list(p.roles),
                authority=p.authority,
                stage_on=p.stage_on,
            )
            for p in proceedings
        ],
        "plm_ProceedingsStage": running[-1].stage if running else None,
        "plm_WitnessIn": sorted({p.country for p in proceedings if _WITNESS_ROLES & set(p.roles)}),
        # The offence and the decision; how the person was compelled (free text) stays here.
        "plm_NonPunishment": [
            _record(offence=n.offence, decision=n.decision, decided_on=n.decided_on)
            for n in case_selectors.case_non_punishment(case)
        ],
        "plm_CompensationClaims": [
            _record(
                source=c.source,
                status=c.status,
                amount=str(c.amount),
                currency=c.currency,
                filed_on=c.filed_on,
                decided_on=c.decided_on,
                amount_awarded=None if c.amount_awarded is None else str(c.amount_awarded),
            )
            for c in case_selectors.case_compensation_claims(case)
        ],
    }


def _child_ready(case: Any, consent: TransferConsent) -> list[FieldError]:
    errors = []
    if not consent.guardian_consent:
        errors.append(FieldError("consent", "A child's hand-over needs the guardian's consent."))
    if case_selectors.latest_return_assessment(case) is None:
        errors.append(FieldError("case", "Record the return risk assessment first."))
    if not case.bids.exists():
        errors.append(FieldError("case", "Record the best-interests determination first."))
    return errors


def handover_send(
    actor: Any,
    organisation: Any,
    *,
    case_ref: str,
    partner_id: str,
    purpose: str,
    handling: str,
    request: Any = None,
) -> Handover:
    """Seal the case's consented and allowed data for the partner and deliver it."""
    if not has_perm(actor, Perm.CROSSBORDER_SEND, organisation):
        raise NotAllowed(perm=Perm.CROSSBORDER_SEND)
    case = _case(actor, organisation, case_ref, request)
    p = partner(partner_id)
    errors: list[FieldError] = []
    if purpose not in v.PURPOSES:
        errors.append(FieldError("purpose", "Choose a purpose."))
    if handling not in v.HANDLING:
        errors.append(FieldError("handling", "Choose a handling code."))
    consent = active_consent(case.reference, p.entity_id, purpose)
    if consent is None:
        errors.append(
            FieldError("consent", "No valid transfer consent for this partner and purpose.")
        )
    elif case.is_child:
        errors.extend(_child_ready(case, consent))
    # Only what the sender may see on the case file goes into the envelope: a hand-over must
    # not be a second door that carries abroad what the sender cannot read here.
    readable = frozenset(g for g, cg in v.CASE_GROUP.items() if cg in case.visibility.groups)
    if consent is not None and not (frozenset(consent.groups) & p.allowed_groups):
        errors.append(
            FieldError("consent", "Nothing the person consented to is allowed for this partner.")
        )
    elif consent is not None and not (frozenset(consent.groups) & p.allowed_groups & readable):
        errors.append(
            FieldError("consent", "You may not see any of the consented information on this case.")
        )
    if errors:
        audit.record(
            action="refused",
            actor=actor,
            organisation=organisation,
            object_type=OBJ,
            object_ref=case.reference,
            outcome="refused",
            details={"reasons": [e.message for e in errors]},
            request=request,
        )
        raise InvalidInput(errors)
    assert consent is not None
    body = env.handover_body(
        fields=case_fields(case),
        consented=frozenset(consent.groups) & readable,
        allowed=p.allowed_groups,
        purpose=purpose,
        legal_basis=p.legal_basis,
        handling=handling,
        child=bool(case.is_child),
        case_pseudonym=f"{case.reference}",
    )
    jti, envelope = env.seal(
        typ="handover",
        body=body,
        sender_id=entity_id(),
        sender_keys=signer_keys(),
        recipient=p,
        now=now_ts(),
    )
    with transaction.atomic():
        h = Handover.objects.create(
            local_entity=entity_id(),
            direction=Direction.OUT,
            jti=jti,
            partner=p.entity_id,
            case_ref=case.reference,
            case_pseudonym=body["case_pseudonym"],
            groups=body["groups"],
            purpose=purpose,
            legal_basis=p.legal_basis,
            handling=handling,
            child=bool(case.is_child),
            state=HandoverState.SENT,
            digest=env.digest(envelope),
            envelope=envelope,
            at=timezone.now(),
            due_by=timezone.localdate() + timedelta(days=settings.CROSSBORDER_LOOP_DAYS),
            created_by=actor,
        )
        audit.record(
            action="export",
            actor=actor,
            organisation=organisation,
            object_type=OBJ,
            object_ref=jti,
            purpose=purpose,
            details={
                "case": case.reference,
                "partner": p.entity_id,
                "groups": body["groups"],
                "legal_basis": p.legal_basis,
                "handling": handling,
            },
            request=request,
        )
    deliver(h, envelope, actor=actor, organisation=organisation, request=request)
    return h


def _receipt_for(h: Handover, token: str) -> env.Receipt:
    r = env.verify_receipt(token, trust=trust_list(), own_id=entity_id(), now=now_ts())
    if r.issuer != h.partner or r.ref != h.jti:
        raise env.Rejected("misaddressed", "the receipt is for another message")
    return r


def deliver(
    h: Handover, envelope: str, *, actor: Any = None, organisation: Any = None, request: Any = None
) -> bool:
    """Send a sealed hand-over and record the signed receipt; False when it did not arrive
    (the hand-over stays "awaiting receipt" and can be carried as a file)."""
    try:
        p = trust_list().require(h.partner, now_ts())
    except tr.TrustError as exc:
        raise Conflict("Nothing goes to this partner now: {reason}", reason=str(exc)) from None
    try:
        token = transport(p, envelope)
        r = _receipt_for(h, token)
    except (DeliveryFailed, env.Rejected) as exc:
        audit.record(
            action="export",
            actor=actor,
            organisation=organisation,
            object_type=OBJ,
            object_ref=h.jti,
            outcome="failed",
            details={"delivery": str(exc)[:200]},
            request=request,
        )
        return False
    return record_receipt(h, token, r, actor=actor, organisation=organisation, request=request)


def record_receipt(
    h: Handover,
    token: str,
    r: env.Receipt,
    *,
    actor: Any = None,
    organisation: Any = None,
    request: Any = None,
) -> bool:
    if r.digest != h.digest:
        raise InvalidInput(FieldError("receipt", "The receipt is for a different envelope."))
    with transaction.atomic():
        h.receipt = token
        h.receipt_reason = r.reason
        h.state = HandoverState.RECEIVED if r.outcome == "received" else HandoverState.REFUSED
        h.save(update_fields=["receipt", "receipt_reason", "state"])
        audit.record(
            action="update",
            actor=actor,
            organisation=organisation,
            object_type=OBJ,
            object_ref=h.jti,
            details={"receipt": r.outcome, "reason": r.reason, "sha256": r.digest},
            request=request,
        )
    return r.outcome == "received"


def receipt_import(actor: Any, organisation: Any, token: str, request: Any = None) -> Handover:
    """A receipt that came back by another way (offline carriage)."""
    try:
        claimed = tr.unverified_payload(token.strip())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(FieldError("receipt", "This is not a receipt.")) from None
    h = Handover.objects.filter(
        local_entity=entity_id(), direction=Direction.OUT, jti=str(claimed.get("ref", ""))
    ).first()
    if h is None:
        raise NotFound()
    try:
        r = _receipt_for(h, token.strip())
    except env.Rejected as exc:
        raise InvalidInput(FieldError("receipt", str(exc))) from None
    record_receipt(h, token.strip(), r, actor=actor, organisation=organisation, request=request)
    return h


# --- receiving ----------------------------------------------------------------------------------


def receive(
    envelope: str | bytes, *, request: Any = None, limit_partner: bool = False
) -> tuple[int, str]:
    """Handle one envelope from a partner: (HTTP status, signed receipt or reason code).

    With ``limit_partner`` (the public inbox), a partner over its rate limit raises
    ``inbox_limits.Throttled`` before anything about the envelope is audited or stored; a
    carried file (`palermo crossborder receive`) is not limited.

    Never partly stored: the message row and its effect are written in one transaction."""
    me, keys_, now = entity_id(), own_keys(), now_ts()
    try:
        opened = env.open_envelope(envelope, own_id=me, own_keys=keys_, trust=trust_list(), now=now)
    except env.Rejected as exc:
        if limit_partner and exc.sender is not None:
            inbox_limits.check_sender(exc.sender.entity_id, request)
        audit.record(
            action="refused",
            object_type=OBJ,
            outcome="refused",
            details={"reason": exc.reason, "sender": exc.sender.entity_id if exc.sender else ""},
            request=request,
            actor_username="partner",
        )
        if exc.sender is None:
            return 400, exc.reason
        token = env.sign_receipt(
            issuer=me,
            audience=exc.sender.entity_id,
            ref="",
            envelope_digest=env.digest(envelope),
            outcome="rejected",
            reason=exc.reason,
            keys=signer_keys(),
            now=now,
        )
        return 422, token
    if limit_partner:
        inbox_limits.check_sender(opened.sender.entity_id, request)
    seen = InboundMessage.objects.filter(
        local_entity=me, sender=opened.sender.entity_id, jti=opened.jti
    ).first()
    if seen is not None:
        if seen.digest == opened.digest:
            return (200 if seen.outcome != "rejected" else 422), seen.receipt  # idempotent
        return _refuse(opened, "replayed", request)
    outcome, reason = "received", ""
    try:
        with transaction.atomic():
            if opened.typ == "handover":
                _store_incoming(opened)
            elif opened.typ == "status":
                reason = _apply_status(opened)
            else:
                outcome, reason = _apply_revoke(opened)
            if reason:
                raise _Undo(reason)
            token = _store_message(opened, outcome, "")
            audit.record(
                action="delete" if outcome == "deleted" else "create",
                object_type=OBJ,
                object_ref=opened.body.get("ref", opened.jti),
                details={"message": opened.typ, "sender": opened.sender.entity_id},
                request=request,
                actor_username="partner",
            )
    except _Undo as undo:
        return _refuse(opened, undo.reason, request)
    except IntegrityError:  # the same message arriving twice at once: answer as a duplicate
        seen = InboundMessage.objects.get(
            local_entity=me, sender=opened.sender.entity_id, jti=opened.jti
        )
        if seen.digest != opened.digest:
            return _refuse(opened, "replayed", request)
        return 200, seen.receipt
    return 200, token


class _Undo(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _store_message(opened: env.Opened, outcome: str, reason: str) -> str:
    token = env.sign_receipt(
        issuer=entity_id(),
        audience=opened.sender.entity_id,
        ref=opened.jti,
        envelope_digest=opened.digest,
        outcome=outcome,
        reason=reason,
        keys=signer_keys(),
        now=now_ts(),
    )
    InboundMessage.objects.create(
        local_entity=entity_id(),
        sender=opened.sender.entity_id,
        jti=opened.jti,
        typ=opened.typ,
        digest=opened.digest,
        outcome=outcome,
        reason=reason,
        receipt=token,
        at=timezone.now(),
    )
    return token


def _refuse(opened: env.Opened, reason: str, request: Any) -> tuple[int, str]:
    audit.record(
        action="refused",
        object_type=OBJ,
        object_ref=opened.jti,
        outcome="refused",
        details={"reason": reason, "sender": opened.sender.entity_id},
        request=request,
        actor_username="partner",
    )
    token = env.sign_receipt(
        issuer=entity_id(),
        audience=opened.sender.entity_id,
        ref=opened.jti,
        envelope_digest=opened.digest,
        outcome="rejected",
        reason=reason,
        keys=signer_keys(),
        now=now_ts(),
    )
    return 422, token


def _store_incoming(opened: env.Opened) -> None:
    b = opened.body
    Handover.objects.create(
        local_entity=entity_id(),
        direction=Direction.IN,
        jti=opened.jti,
        partner=opened.sender.entity_id,
        case_pseudonym=b["case_pseudonym"],
        groups=b["groups"],
        purpose=b["purpose"],
        legal_basis=b["legal_basis"],
        handling=b["handling"],
        child=b["child"],
        state=HandoverState.QUARANTINE,
        digest=opened.digest,
        payload=b["data"],
        at=timezone.now(),
    )


def _about(opened: env.Opened) -> Handover | None:
    return Handover.objects.filter(
        local_entity=entity_id(), partner=opened.sender.entity_id, jti=opened.body["ref"]
    ).first()


def _apply_status(opened: env.Opened) -> str:
    h = _about(opened)
    if h is None or h.state == HandoverState.REVOKED:
        return "unknown_handover"
    status = opened.body["status"]
    StatusUpdate.objects.create(
        handover=h, direction=Direction.IN, status=status, jti=opened.jti, at=timezone.now()
    )
    h.last_status, h.status_at = status, timezone.now()
    if status in v.FINAL_STATUSES:
        h.state = HandoverState.CLOSED if status == "closed" else HandoverState.DECLINED
    elif status == "accepted" and h.direction == Direction.OUT:
        h.state = HandoverState.ACCEPTED
    h.save(update_fields=["last_status", "status_at", "state"])
    return ""


def _apply_revoke(opened: env.Opened) -> tuple[str, str]:
    h = _about(opened)
    if h is None or h.direction != Direction.IN:
        return "rejected", "unknown_handover"
    # The tombstone: the row stays with its id, dates and reason; the data goes.
    h.payload = None
    h.state = HandoverState.REVOKED
    h.revoked_at = timezone.now()
    h.revoke_reason = opened.body["reason"]
    h.save(update_fields=["payload", "state", "revoked_at", "revoke_reason"])
    return "deleted", ""


# --- status updates and revocation (outgoing messages about a hand-over) -------------------------


def handover_of(actor: Any, organisation: Any, pk: int, request: Any = None) -> Handover:
    """A hand-over of this instance the actor may see (incoming: co-ordinators; outgoing:
    whoever may see the case). Audited as a read."""
    h = Handover.objects.filter(pk=pk, local_entity=entity_id()).first()
    if h is None:
        raise NotFound()
    # A hand-over the actor may not handle answers as one that does not exist (404, the
    # refusal audited), so that its id does not tell a reader which way it went.
    perm = Perm.CROSSBORDER_RECEIVE if h.direction == Direction.IN else Perm.CROSSBORDER_SEND
    if not has_perm(actor, perm, organisation):
        if request is not None:
            audit.record_refusal(request, perm=perm, object_type=OBJ)
        raise NotFound()
    if h.direction != Direction.IN:
        _case(actor, organisation, h.case_ref, request)
    audit.record(
        action="read",
        actor=actor,
        organisation=organisation,
        object_type=OBJ,
        object_ref=h.jti,
        details={"direction": h.direction, "data": h.payload is not None},
        request=request,
    )
    return h


def _send_message(h: Handover, typ: str, body: dict[str, Any]) -> tuple[str, str, str]:
    try:
        p = trust_list().require(h.partner, now_ts())
    except tr.TrustError as exc:
        raise Conflict("Nothing goes to this partner now: {reason}", reason=str(exc)) from None
    jti, envelope = env.seal(
        typ=typ,
        body=body,
        sender_id=entity_id(),
        sender_keys=signer_keys(),
        recipient=p,
        now=now_ts(),
    )
    try:
        token = transport(p, envelope)
        r = env.verify_receipt(token, trust=trust_list(), own_id=entity_id(), now=now_ts())
    except (DeliveryFailed, env.Rejected) as exc:
        raise Conflict(
            "The partner could not be reached or refused the message ({reason}).", reason=str(exc)
        ) from None
    if r.issuer != h.partner or r.ref != jti or r.digest != env.digest(envelope):
        raise Conflict("The partner's receipt does not match the message.")
    if r.outcome == "rejected":
        raise Conflict("The partner refused the message ({reason}).", reason=r.reason)
    return jti, token, r.outcome


def status_send(
    actor: Any, organisation: Any, pk: int, status: str, request: Any = None
) -> Handover:
    h = handover_of(actor, organisation, pk, request)
    if status not in v.STATUSES:
        raise InvalidInput(FieldError("status", "Choose a status."))
    if h.state in (HandoverState.REVOKED, HandoverState.CLOSED, HandoverState.DECLINED):
        raise Conflict("This hand-over is finished.")
    if (
        h.direction == Direction.IN
        and h.state == HandoverState.QUARANTINE
        and status
        not in (
            "accepted",
            "declined",
        )
    ):
        raise InvalidInput(FieldError("status", "Accept or decline the hand-over first."))
    jti, token, _ = _send_message(h, "status", {"ref": h.jti, "status": status})
    with transaction.atomic():
        StatusUpdate.objects.create(
            handover=h,
            direction=Direction.OUT,
            status=status,
            jti=jti,
            at=timezone.now(),
            receipt=token,
        )
        h.last_status, h.status_at = status, timezone.now()
        if status == "accepted":
            h.state = HandoverState.ACCEPTED
        elif status == "declined":
            h.state = HandoverState.DECLINED
        elif status == "closed":
            h.state = HandoverState.CLOSED
        h.save(update_fields=["last_status", "status_at", "state"])
        audit.record(
            action="update",
            actor=actor,
            organisation=organisation,
            object_type=OBJ,
            object_ref=h.jti,
            details={"status": status, "message": jti},
            request=request,
        )
    return h


def revoke(actor: Any, organisation: Any, pk: int, reason: str, request: Any = None) -> Handover:
    h = handover_of(actor, organisation, pk, request)
    if h.direction != Direction.OUT:
        raise Conflict("Only the sender revokes a hand-over.")
    if reason not in v.REVOKE_REASONS:
        raise InvalidInput(FieldError("reason", "Choose a reason."))
    if h.revoked_at is not None:
        raise Conflict("This hand-over is revoked already.")
    jti, token, outcome = _send_message(h, "revoke", {"ref": h.jti, "reason": reason})
    if outcome != "deleted":
        raise Conflict("The partner did not confirm the deletion.")
    with transaction.atomic():
        h.revoked_at = timezone.now()
        h.revoke_reason = reason
        h.deletion_receipt = token
        h.state = HandoverState.REVOKED
        h.save(update_fields=["revoked_at", "revoke_reason", "deletion_receipt", "state"])
        if reason == "consent_withdrawn":
            TransferConsent.objects.filter(
                local_entity=entity_id(),
                case_ref=h.case_ref,
                partner=h.partner,
                withdrawn_on__isnull=True,
            ).update(withdrawn_on=timezone.localdate())
        audit.record(
            action="delete",
            actor=actor,
            organisation=organisation,
            object_type=OBJ,
            object_ref=h.jti,
            details={"revoked": reason, "message": jti},
            request=request,
        )
    return h


POLICE_NOTE_MAX = 2_000
POLICE_EARLIEST = date(1990, 1, 1)  # before any of these channels existed: a typing error


def police_exchange_record(  # noqa: PLR0913 – one keyword per field of the record
    actor: Any,
    organisation: Any,
    *,
    case_ref: str,
    channel: str,
    reference: str,
    handling: str,
    country: str,
    exchanged_on: date | None,
    direction: str = Direction.OUT,
    note: str = "",
    request: Any = None,
) -> PoliceExchange:
    """Record that information went over a police channel (Palermo carries nothing). The case
    timeline shows that an exchange happened (channel and direction, standard wording); the
    reference, handling code and note stay on the record, behind ``crossborder.send``."""
    from palermo.cases import services as case_services

    if not has_perm(actor, Perm.CROSSBORDER_SEND, organisation):
        raise NotAllowed(perm=Perm.CROSSBORDER_SEND)
    case = _case(actor, organisation, case_ref, request)
    errors = []
    if channel not in v.POLICE_CHANNELS:
        errors.append(FieldError("channel", "Choose a channel."))
    if direction not in (Direction.OUT, Direction.IN):
        errors.append(FieldError("direction", "Choose sent or received."))
    if handling not in v.HANDLING:
        errors.append(FieldError("handling", "Choose a handling code."))
    if not reference.strip() or len(reference) > 100:
        errors.append(
            FieldError("reference", "Give the channel's reference (up to 100 characters).")
        )
    if len(country) != 2 or not country.isalpha() or not country.isupper():
        errors.append(FieldError("country", "Use the two-letter country code."))
    if exchanged_on is None:
        errors.append(FieldError("exchanged_on", "Use an ISO 8601 date, YYYY-MM-DD."))
    elif exchanged_on > timezone.localdate():
        errors.append(FieldError("exchanged_on", "This date is in the future."))
    elif exchanged_on < POLICE_EARLIEST:
        errors.append(FieldError("exchanged_on", "Use an ISO 8601 date, YYYY-MM-DD."))
    if len(note) > POLICE_NOTE_MAX:
        errors.append(FieldError("note", "At most 2,000 characters."))
    if errors:
        raise InvalidInput(errors)
    assert exchanged_on is not None
    with transaction.atomic():
        rec = PoliceExchange.objects.create(
            local_entity=entity_id(),
            case_ref=case.reference,
            channel=channel,
            direction=direction,
            reference=reference.strip(),
            handling=handling,
            country=country,
            exchanged_on=exchanged_on,
            note=note.strip(),
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        # Standard wording only (the timeline is read by the whole case team and shows the
        # summary translated); reference, handling and note stay behind the permission.
        case_services.record_event_add(
            actor=actor,
            organisation=organisation,
            case=case,
            sentence=f"police_exchange_{'sent' if direction == Direction.OUT else 'received'}",
        )
        audit.record(
            action="create",
            actor=actor,
            organisation=organisation,
            object_type="crossborder_police_exchange",
            object_ref=case.reference,
            details={
                "record": rec.pk,
                "channel": channel,
                "direction": direction,
                "handling": handling,
            },
            request=request,
        )
    return rec


# --- accepting an incoming hand-over into a case --------------------------------------------

_PERSON_FIELDS = {
    "prs_FirstName": "given_name",
    "prs_SecondName": "family_name",
    "prs_Birthdate": "birthdate",
    "prs_Gender": "gender",
    "prs_Citizenship": "citizenship",
    "prs_PrimaryLanguage": "primary_language",
    "prs_SecondaryLanguage": "secondary_language",
    "prs_IdentityNumber": "identity_number",
    "prs_MobilePhone": "phone",
    "prs_Email": "email",
    "prs_MailingStreet": "street",
    "prs_MailingCity": "city",
    "prs_MailingPostalCode": "postal_code",
    "prs_MailingCountry": "country",
}


def incoming_accept(actor: Any, organisation: Any, pk: int, request: Any = None) -> Any:
    """Open a case from a quarantined hand-over (a transnational referral naming the sender
    on its timeline) and tell the sender it was accepted. Returns the new case."""
    from palermo.cases import services as case_services

    h = handover_of(actor, organisation, pk, request)
    if h.direction != Direction.IN or h.state != HandoverState.QUARANTINE:
        raise Conflict("Only a hand-over waiting in quarantine can be accepted.")
    p = trust_list().find(h.partner)
    data: dict[str, dict[str, Any]] = h.payload or {}
    person = {
        _PERSON_FIELDS[f]: value
        for group in ("identity", "contact")
        for f, value in data.get(group, {}).items()
        if f in _PERSON_FIELDS
    }
    forms = list(data.get("exploitation", {}).get("vic_TypeOfExploitation", []))
    context, context_refused = _victim_context(data.get("exploitation", {}))
    with transaction.atomic():
        case = case_services.case_open(
            actor=actor,
            organisation=organisation,
            source="transnational",
            source_ref=f"XB-{h.jti[:16]}",
            person=person,
            exploitation_forms=forms,
            is_child_or_presumed_child=h.child,
            summary=(
                f"Cross-border hand-over from {p.organisation if p else h.partner} "
                f"({p.country if p else '?'}), message {h.jti}."
            ),
            referring_country=p.country if p else "",
            victim_context=context,
        )
        h.case_ref = case.reference
        h.save(update_fields=["case_ref"])
        # The case's own timeline entry naming the sender (organisation, country, message id).
        case_services.note_add(
            actor=actor,
            organisation=organisation,
            case=case,
            text=(
                f"Received in a cross-border hand-over from {p.organisation if p else h.partner} "
                f"({p.country if p else '?'}; {h.partner}), message {h.jti}; "
                f"purpose: {h.purpose}, handling {h.handling}."
            ),
        )
        imported_ra = _import_risk_assessment(actor, organisation, case, data, p)
        records, refused_records = _import_records(actor, organisation, case, data, p)
        copied = _copy_as_notes(actor, organisation, case, data, p, landed=records)
        audit.record(
            action="create",
            actor=actor,
            organisation=organisation,
            object_type=OBJ,
            object_ref=h.jti,
            details={
                "accepted_into": case.reference,
                "risk_assessment": imported_ra,
                "copied_as_notes": copied,
                "records": {f: len(n) for f, n in records.items()},
                "records_refused": refused_records,
                "context_fields": sorted(context),
                "context_refused": context_refused,
            },
            request=request,
        )
        # In the same transaction: a partner that cannot be told leaves no half-accepted case.
        status_send(actor, organisation, pk, "accepted", request=request)
    return case


def _import_risk_assessment(
    actor: Any, organisation: Any, case: Any, data: dict[str, Any], p: tr.PartnerEntry | None
) -> str:
    """The partner's return risk assessment, recorded on the new case so the return phase uses
    it. One the case file refuses (another question set) stays on the hand-over page and the
    reason is audited: it is not dropped silently. Returns "recorded", "refused" or ""."""
    from palermo.cases import services as case_services

    ra = data.get("risk_assessment") or {}
    if not ra:
        return ""
    try:
        with transaction.atomic():
            case_services.return_assessment_record(
                actor=actor,
                organisation=organisation,
                case=case,
                country=str(ra.get("plm_ReturnRiskCountry", "")),
                answers=dict(ra.get("plm_ReturnRiskAnswers") or {}),
                conclusion=str(ra.get("plm_ReturnRiskConclusion", "")),
                assessed_on=date.fromisoformat(str(ra.get("plm_ReturnRiskAssessedOn", ""))),
                notes=f"Received from {p.organisation if p else 'the partner'} "
                f"({p.country if p else '?'}) in a cross-border hand-over.",
            )
    except (InvalidInput, ValueError) as exc:
        audit.record(
            action="refused",
            actor=actor,
            organisation=organisation,
            object_type="case",
            object_ref=case.reference,
            outcome="refused",
            details={"risk_assessment_from_partner": str(exc)[:200]},
        )
        return "refused"
    return "recorded"


# Exploitation fields of the hand-over → the case's victim context (HTCDS names both sides).
_CONTEXT_FIELDS = {
    "vic_MethodOfRecruitment": "methods_of_recruitment",
    "vic_MethodsOfControl": "methods_of_control",
    "vic_ForcedLabourIndustry": "forced_labour_industry",
    "vic_TypeOfSexExploitation": "sex_exploitation_types",
    "vic_AgeWhenTrafficked": "age_when_trafficked",
}


def _victim_context(exploitation: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The partner's exploitation fields the case file accepts, one by one: a value outside
    our picklists (another HTCDS version, a typing error) is left out, not a refused
    acceptance; it stays readable on the hand-over page and is named in the audit record."""
    from palermo.cases import services as case_services

    kept: dict[str, Any] = {}
    refused: list[str] = []
    for name, attr in _CONTEXT_FIELDS.items():
        value = exploitation.get(name)
        if value in (None, "", []):
            continue
        errors: list[FieldError] = []
        case_services.clean_context({attr: value}, errors)
        if errors:
            refused.append(name)
        else:
            kept[attr] = value
    return kept, refused


def _import_records(
    actor: Any, organisation: Any, case: Any, data: dict[str, Any], p: tr.PartnerEntry | None
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Documents and criminal proceedings land as the new case's own records, through the case
    file's services (validated, audited, on the timeline), one at a time: a record our case
    file refuses (an unknown code, a bad date) is not recorded, goes into the group's note
    instead and is named in the audit record. Returns (field → records landed, refused)."""
    from palermo.cases import services as case_services

    landed: dict[str, list[dict[str, Any]]] = {}
    refused: list[str] = []

    def attempt(
        field: str, i: int, rec: dict[str, Any], write: Callable[[dict[str, Any]], Any]
    ) -> None:
        try:
            with transaction.atomic():
                write(rec)
        except (InvalidInput, ValueError, TypeError, AttributeError):
            refused.append(f"{field}[{i}]")
        else:
            landed.setdefault(field, []).append(rec)

    def day(value: Any) -> date | None:
        return date.fromisoformat(str(value)) if value else None

    def document(d: dict[str, Any]) -> Any:
        return case_services.document_record(
            actor=actor,
            organisation=organisation,
            case=case,
            doc_type=str(d.get("type", "")),
            status=str(d.get("status", "")),
            issuing_country=str(d.get("issuing_country") or ""),
            number=str(d.get("number") or ""),
            expires_on=day(d.get("expires_on")),
        )

    def proceeding(r: dict[str, Any]) -> Any:
        return case_services.proceedings_record(
            actor=actor,
            organisation=organisation,
            case=case,
            country=str(r.get("country", "")),
            stage=str(r.get("stage", "")),
            roles=[str(x) for x in r.get("roles") or []],
            authority=str(r.get("authority") or ""),
            stage_on=day(r.get("stage_on")),
        )

    for i, d in enumerate((data.get("documents") or {}).get("plm_Documents") or []):
        attempt("plm_Documents", i, d, document)
    for i, r in enumerate((data.get("legal") or {}).get("plm_Proceedings") or []):
        attempt("plm_Proceedings", i, r, proceeding)
    if refused:
        audit.record(
            action="refused",
            actor=actor,
            organisation=organisation,
            object_type="case",
            object_ref=case.reference,
            outcome="refused",
            details={"records_from_partner": refused},
        )
    return landed, refused


# What stays a timeline note (the case's own record, encrypted, readable by whoever may read
# the timeline), one per group: needs and services (a referral needs a provider and a consent
# of our own); the partner's non-punishment decisions and compensation claims (they belong to
# the partner's proceedings: as our own records they would count twice in the statistics);
# any document or proceedings record our case file refused; and the summary fields when no
# records came (a sender that fills only those).
_NOTE_GROUPS = ("needs_and_services", "documents", "legal")
# Summaries of the records: left out of the note when the records themselves were copied.
_SUMMARY_OF = {
    "plm_DocumentsHeld": "plm_Documents",
    "plm_ProceedingsStage": "plm_Proceedings",
    "plm_WitnessIn": "plm_Proceedings",
}


def _copy_as_notes(
    actor: Any,
    organisation: Any,
    case: Any,
    data: dict[str, Any],
    p: tr.PartnerEntry | None,
    *,
    landed: dict[str, list[dict[str, Any]]] | None = None,
) -> list[str]:
    from palermo.cases import services as case_services

    landed = landed or {}
    sender = f"{p.organisation} ({p.country})" if p else "the partner"
    copied = []
    for group in _NOTE_GROUPS:
        values: dict[str, Any] = {}
        for f, val in (data.get(group) or {}).items():
            if f in landed and isinstance(val, list):
                val = [r for r in val if r not in landed[f]]
            if val in (None, "", [], {}) or _SUMMARY_OF.get(f, "") in landed:
                continue
            values[f] = val
        if not values:
            continue
        lines = [f"{v.GROUP_LABELS[group]}, received from {sender} in a cross-border hand-over:"]
        for name in v.GROUP_FIELDS[group]:
            if name in values:
                lines.append(
                    f"- {_FIELD_WORDS.get(name, name)}: {field_text(values[name], name)}"[:2000]
                )
        case_services.note_add(
            actor=actor, organisation=organisation, case=case, text="\n".join(lines)
        )
        copied.append(group)
    return copied


def field_text(value: Any, name: str = "") -> str:
    """A received field's value as one line of text: records separated by semicolons, their
    keys in the order the schema lists them for field ``name``."""
    if isinstance(value, list):
        if any(isinstance(x, dict) for x in value):
            return "; ".join(field_text(x, name) for x in value)
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        order = {k: i for i, k in enumerate(v.RECORD_KEYS.get(name, ()))}
        keys = sorted(value, key=lambda k: (order.get(k, len(order)), k))
        return ", ".join(f"{k}: {field_text(value[k], name)}" for k in keys)
    return str(value)


_FIELD_WORDS = {
    "plm_ServicesReceived": "services received",
    "plm_ServicesNeeded": "services needed",
    "plm_Documents": "documents",
    "plm_DocumentsHeld": "documents held",
    "plm_Proceedings": "criminal proceedings",
    "plm_ProceedingsStage": "stage of the proceedings",
    "plm_WitnessIn": "witness in",
    "plm_NonPunishment": "non-punishment",
    "plm_CompensationClaims": "compensation claims",
}
