"""Two instances talking to each other in one process: consent → send → receipt → accept →
status → close → revoke → deletion receipt, every refusal on the way, both audit trails."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from palermo.cases import workflow as wf
from palermo.core.errors import Conflict, InvalidInput, NotAllowed
from palermo.core.models import AuditEntry
from palermo.crossborder import envelope as env
from palermo.crossborder import services
from palermo.crossborder.models import Handover, InboundMessage
from tests.cases.cases_helpers import acting, open_case
from tests.crossborder.conftest import A, B

ALL = ["contact", "exploitation", "identity", "risk_assessment"]


def consent(case, *, groups=ALL, partner=B, purpose="assistance", guardian=False, by="caseworker"):
    actor, org = acting(by)
    return services.consent_give(
        actor,
        org,
        case_ref=case.reference,
        partner_id=partner,
        purpose=purpose,
        groups=list(groups),
        risks_explained=True,
        guardian_consent=guardian,
        expires_on=None,
    )


def send(case, *, by="caseworker", purpose="assistance"):
    actor, org = acting(by)
    return services.handover_send(
        actor, org, case_ref=case.reference, partner_id=B, purpose=purpose, handling="H2"
    )


def trail(eid_jti: str):
    return list(
        AuditEntry.objects.filter(object_ref=eid_jti).values_list("action", "outcome", "details")
    )


def test_the_whole_loop_between_two_instances(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        consent(case, groups=["identity", "exploitation", "documents"])
        h = send(case)
        assert h.state == "received"  # the signed receipt came back
        r = env.verify_receipt(
            h.receipt, trust=services.trust_list(), own_id=A, now=services.now_ts()
        )
        assert (r.issuer, r.ref, r.digest, r.outcome) == (B, h.jti, h.digest, "received")
    with instances.as_(B):
        incoming = Handover.objects.get(local_entity=B, direction="in", jti=h.jti)
        assert incoming.state == "quarantine"
        assert incoming.groups == ["exploitation", "identity"]  # documents not consented ∩ …
        assert set(incoming.payload) == {"exploitation", "identity"}
        assert incoming.payload["identity"]["prs_FirstName"] == "Ana"
        assert "contact" not in incoming.payload  # not consented: never left A
        coordinator, office = acting("coordinator")
        new_case = services.incoming_accept(coordinator, office, incoming.pk)
        assert new_case.source == "transnational" and new_case.referring_country == "RS"
        assert new_case.person.given_name == "Ana"
        from palermo.cases import selectors as case_selectors

        assert any(
            "cross-border hand-over from" in e.text and h.jti in e.text
            for e in case_selectors.timeline_entries(new_case, limit=20)
        )
        services.status_send(coordinator, office, incoming.pk, "assistance_started")
    with instances.as_(A):
        h.refresh_from_db()
        assert (h.state, h.last_status) == ("accepted", "assistance_started")
        assert [u.status for u in h.updates.all()] == ["accepted", "assistance_started"]
    with instances.as_(B):
        services.status_send(coordinator, office, incoming.pk, "closed")
    with instances.as_(A):
        h.refresh_from_db()
        assert h.state == "closed"
        worker, shelter = acting("caseworker")
        h = services.revoke(worker, shelter, h.pk, "consent_withdrawn")
        assert h.state == "revoked"
        d = env.verify_receipt(
            h.deletion_receipt, trust=services.trust_list(), own_id=A, now=services.now_ts()
        )
        assert d.outcome == "deleted"
        # Consent withdrawn with the revocation: no new hand-over goes.
        with pytest.raises(InvalidInput, match="consent"):
            send(case)
    with instances.as_(B):
        incoming.refresh_from_db()
        assert incoming.payload is None and incoming.state == "revoked"  # tombstone only
        assert incoming.revoke_reason == "consent_withdrawn" and incoming.revoked_at
    # Both audit trails: every step under the message id.
    actions = [a for a, _, _ in trail(h.jti)]
    assert actions.count("export") >= 1  # A sent
    assert "create" in actions and "delete" in actions  # B stored, A revoked / B deleted
    assert sum(1 for a, _, d in trail(h.jti) if d.get("status")) >= 2
    assert AuditEntry.objects.filter(object_type="crossborder_handover", action="read").exists()


def test_duplicate_is_idempotent_and_replay_is_refused(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        consent(case)
        h = send(case)
        first = h.receipt
    answer = instances.transport(services_partner(instances, B), h.envelope)
    assert answer == first  # the same signed receipt, nothing stored twice
    with instances.as_(B):
        assert Handover.objects.filter(local_entity=B, jti=h.jti).count() == 1
        assert InboundMessage.objects.filter(local_entity=B, jti=h.jti).count() == 1
    # Another envelope under the same message id: a replay, refused with a signed reason.
    with instances.as_(A):
        p = services.trust_list().find(B)
        body = env.handover_body(
            fields={"prs_FirstName": "Other"},
            consented=frozenset({"identity"}),
            allowed=p.allowed_groups,
            purpose="assistance",
            legal_basis=p.legal_basis,
            handling="H0",
            child=False,
            case_pseudonym="X",
        )
        _, replay = env.seal(
            typ="handover",
            body=body,
            sender_id=A,
            sender_keys=services.own_keys(),
            recipient=p,
            now=services.now_ts(),
            jti=h.jti,
        )
        token = instances.transport(p, replay)
        r = env.verify_receipt(token, trust=services.trust_list(), own_id=A, now=services.now_ts())
        assert (r.outcome, r.reason) == ("rejected", "replayed")
    with instances.as_(B):
        assert (
            Handover.objects.get(local_entity=B, jti=h.jti).payload["identity"]["prs_FirstName"]
            == "Ana"
        )
    assert instances.deliveries[-1] == (B, 422)


def services_partner(instances, eid):
    with instances.as_(A):
        return services.trust_list().find(eid)


def test_tampered_and_unknown_envelopes_are_refused_and_nothing_is_stored(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        consent(case)
        instances.offline.add(B)
        h = send(case)  # B unreachable: stays "awaiting receipt", envelope kept for a file
        assert h.state == "sent" and h.envelope
        instances.offline.clear()
    p = services_partner(instances, B)
    flipped = h.envelope[:-5] + ("A" if h.envelope[-5] != "A" else "B") + h.envelope[-4:]
    with pytest.raises(services.DeliveryFailed, match="400"):
        instances.transport(p, flipped)
    with pytest.raises(services.DeliveryFailed, match="400"):
        instances.transport(p, "garbage")
    with instances.as_(B):
        assert not Handover.objects.filter(local_entity=B).exists()
        refusals = AuditEntry.objects.filter(object_type="crossborder_handover", action="refused")
        assert {e.details["reason"] for e in refusals} >= {"tampered", "malformed"}
    # The file carried later is received, and the receipt imported at A closes the step.
    with instances.as_(B):
        status, receipt = services.receive(h.envelope)
        assert status == 200
    with instances.as_(A):
        worker, shelter = acting("caseworker")
        services.receipt_import(worker, shelter, receipt)
        h.refresh_from_db()
        assert h.state == "received"


def test_removed_or_expired_partner_gets_nothing_and_is_accepted_from_no_more(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        consent(case)
        h = send(case)
    # B's entry expires in the list A and B load next: A refuses to send, B's messages are refused.
    past = instances.trust_token(
        version=2, valid_until=instances.now - 1, valid_from=instances.now - 7200
    )
    instances.load_trust(past)
    with instances.as_(A), pytest.raises(InvalidInput, match="not valid now"):
        send(case)
    with instances.as_(B):
        coordinator, office = acting("coordinator")
        incoming = Handover.objects.get(local_entity=B, jti=h.jti)
        with pytest.raises(Conflict):  # B's status is refused by A: B is no longer trusted
            services.status_send(coordinator, office, incoming.pk, "accepted")
    # Removed altogether.
    instances.load_trust(instances.trust_token(version=3, partners=(A,)))
    with instances.as_(A), pytest.raises(InvalidInput, match="not in the trust list"):
        send(case)


def test_trust_list_rollback_and_forgery_are_refused(instances):
    with instances.as_(A):
        with pytest.raises(InvalidInput, match="version"):
            services.trust_list_load(instances.trust_token(version=1))
        from palermo.crossborder import trust as tr

        forged = tr.sign(
            tr.unverified_payload(instances.trust_token(version=5)) | {}, tr.new_anchor_key("x")
        )
        with pytest.raises(InvalidInput, match="signature"):
            services.trust_list_load(forged)


def test_key_rotation_without_downtime_between_instances(instances):
    import json

    from palermo.crossborder import keys as k

    with instances.as_(B):
        rotated = k.rotate(instances.keys[B], instances.now)
        instances._keyfile(B).write_text(json.dumps(rotated))
    with instances.as_(A):
        case = open_case("caseworker")
        consent(case)
        assert send(case).state == "received"  # old list: to B's old key, B still opens it
    instances.keys[B] = rotated
    instances.load_trust(instances.trust_token(version=2))
    with instances.as_(A):
        h = send(case)
        assert h.state == "received"  # new list: to B's new key


def test_child_needs_guardian_consent_and_assessments(instances):
    with instances.as_(A):
        worker, shelter = acting("caseworker")
        case = open_case("caseworker", child=True)
        with pytest.raises(InvalidInput, match="guardian"):
            consent(case)
        consent(case, guardian=True)
        with pytest.raises(InvalidInput) as exc:
            send(case)
        messages = " ".join(e.message for e in exc.value.errors)
        assert "return risk assessment" in messages and "best-interests" in messages
        from palermo.cases import services as cs

        cs.return_assessment_record(
            actor=worker,
            organisation=shelter,
            case=case,
            country="AL",
            answers={q: "no" for q in wf.RETURN_QUESTIONS}
            | {"authorities_can_protect": "yes", "services_support_inclusion": "yes"},
            conclusion="acceptable",
            assessed_on=date.today(),
        )
        cs.bid_record(
            actor=worker,
            organisation=shelter,
            case=case,
            factors={f: "Assessed with the child and the guardian." for f in wf.BID_FACTORS},
            durable_solution="integration",
            decided_on=date.today(),
        )
        h = send(case)
        assert h.state == "received" and h.child
    with instances.as_(B):
        incoming = Handover.objects.get(local_entity=B, jti=h.jti)
        assert (
            incoming.child and incoming.payload["risk_assessment"]["plm_ReturnRiskCountry"] == "AL"
        )
        # Accepted into a case: the partner's return risk assessment is on it for the return phase.
        coordinator, office = acting("coordinator")
        new_case = services.incoming_accept(coordinator, office, incoming.pk)
        from palermo.cases import selectors as case_selectors

        ra = case_selectors.latest_return_assessment(new_case)
        assert ra is not None and ra.country == "AL" and ra.conclusion == "acceptable"
        assert new_case.is_child


def test_withdrawn_or_expired_consent_blocks_at_once_and_roles_are_checked(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        c = consent(case)
        worker, shelter = acting("caseworker")
        services.consent_withdraw(worker, shelter, c.pk)
        with pytest.raises(InvalidInput, match="consent"):
            send(case)
        c2 = consent(case)
        type(c2).objects.filter(pk=c2.pk).update(expires_on=date.today() - timedelta(days=1))
        with pytest.raises(InvalidInput, match="consent"):
            send(case)
        police, station = acting("inspector")
        with pytest.raises(NotAllowed):
            services.handover_send(
                police,
                station,
                case_ref=case.reference,
                partner_id=B,
                purpose="assistance",
                handling="H0",
            )
        with pytest.raises(InvalidInput, match="Explain the risks"):
            services.consent_give(
                worker,
                shelter,
                case_ref=case.reference,
                partner_id=B,
                purpose="assistance",
                groups=["identity"],
                risks_explained=False,
                guardian_consent=False,
                expires_on=None,
            )
    assert (
        AuditEntry.objects.filter(
            object_type="crossborder_handover", action="refused", object_ref=case.reference
        ).count()
        == 2
    )
