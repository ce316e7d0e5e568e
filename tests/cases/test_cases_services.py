"""The case-file services: opening, deciding, moving, referring, safeguarding — and refusing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from unittest import mock

import pytest
from django.http import Http404
from tests.cases.cases_helpers import (
    REASONS,
    acting,
    consent_for,
    decide,
    open_case,
    org,
    refer_to_shelter,
    shelter_provider,
)

from palermo.cases import access, selectors, services
from palermo.cases import workflow as wf
from palermo.cases.models import (
    BreakGlassAccess,
    Case,
    CaseEvent,
    CaseTeamMember,
    Person,
    ServiceReferral,
    Task,
)
from palermo.core.errors import InvalidInput
from palermo.core.models import AuditEntry

pytestmark = pytest.mark.django_db

BID = {k: "Assessed with the child and the guardian." for k in wf.BID_FACTORS}


def test_referral_receive_opens_a_case_with_team_deadlines_timeline_and_audit(demo_world):
    case = open_case()
    assert wf.is_reference(case.reference)
    assert (
        case.phase == wf.IDENTIFICATION
        and case.identification_status == wf.POTENTIAL
        and case.status == "Active"
    )
    assert case.exploitation_types == ["ForcedLabour"] and case.nationality == "RO"
    assert Person.objects.get(case=case).given_name == "Ana"
    team = list(CaseTeamMember.objects.filter(case=case).values_list("organisation__name", "role"))
    assert team == [("Eastbay Outreach NGO (fictional)", "referrer")]
    rules = set(case.tasks.values_list("rule_key", flat=True))
    assert rules == {"identification_decision", "rights_information"}
    assert case.next_deadline == date.today() + timedelta(days=2)
    assert case.events.get().kind == "opened"
    entry = AuditEntry.objects.filter(
        object_type="case", object_ref=case.reference, action="create"
    ).get()
    assert entry.details["what"] == "case_open"


def test_child_case_gets_safeguards_and_child_deadlines(demo_world):
    case = open_case(child=True)
    assert case.child.guardian_name == ""
    rules = set(case.tasks.values_list("rule_key", flat=True))
    assert {
        "guardian_appointment",
        "child_protection_notification",
        "best_interests_determination",
    } <= rules
    guardian = case.tasks.get(rule_key="guardian_appointment")
    assert guardian.due_on == date.today() + timedelta(days=3)
    assert case.next_deadline == date.today() + timedelta(days=1)  # child protection, the earliest


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"exploitation_forms": ["tourism"]}, "exploitation_forms"),
        ({"source": "rumour"}, "source"),
        ({"source": "transnational"}, "referring_country"),
        ({"referring_country": "QQ", "source": "transnational"}, "referring_country"),
        ({"person": {"citizenship": ["Romania"]}}, "person.citizenship"),
        ({"person": {"phone": "12"}}, "person.phone"),
        ({"person": {"email": "not-an-address"}}, "person.email"),
        ({"person": {"birthdate": "2999-01-01"}}, "person.birthdate"),
        ({"person": {"gender": "Other"}}, "person.gender"),
        ({"person": {"favourite_colour": "blue"}}, "person.favourite_colour"),
        ({"reason_for_referral": "Boredom"}, "reason_for_referral"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_is_written(demo_world, kw, field):
    with pytest.raises(InvalidInput) as exc:
        open_case(**kw)
    assert field in [e.field for e in exc.value.errors]
    assert Case.objects.count() == 0 and Person.objects.count() == 0 and Task.objects.count() == 0


def test_screening_form_names_map_to_htcds_values(demo_world):
    case = open_case(exploitation_forms=["sexual", "domestic_servitude", "ForcedBegging"])
    assert case.exploitation_types == ["SexualExploitation", "Servitude", "ForcedBegging"]


def test_those_who_may_not_refer_cannot_open_cases(demo_world):
    with pytest.raises(services.NotAllowed):
        open_case(by="analyst")


def test_identification_decision_starts_the_reflection_period(demo_world):
    case = open_case()
    decide(case, "presumed")
    case.refresh_from_db()
    assert case.identification_status == wf.PRESUMED and case.decision_organisation == org(
        "National Referral"
    )
    assert case.htcds_trafficking_status == "PossibleVictimOfTrafficking"
    reflection = case.tasks.get(rule_key="reflection_recovery_period")
    assert (
        reflection.due_on == date.today() + timedelta(days=30) and reflection.kind == "entitlement"
    )
    assert case.tasks.get(rule_key="identification_decision").done_at is not None
    # Romanian citizen, deployment country XK: residence-permit information applies.
    assert case.tasks.filter(rule_key="residence_permit_information").exists()


def test_reflection_period_length_is_a_deployment_setting(demo_world, monkeypatch):
    monkeypatch.setenv("PALERMO_REFLECTION_DAYS", "60")
    case = open_case()
    decide(case)
    assert case.tasks.get(rule_key="reflection_recovery_period").due_on == date.today() + timedelta(
        days=60
    )


def test_only_the_identification_body_decides(demo_world):
    case = open_case()
    actor, organisation = acting("outreach")
    with pytest.raises(services.NotAllowed):
        services.identification_decide(
            actor=actor,
            organisation=organisation,
            case=case,
            expected_version=case.version,
            outcome="presumed",
            reasons=REASONS,
        )


def test_invalid_decision_is_refused_with_the_reason(demo_world):
    case = open_case()
    decide(case, "identified")
    case.refresh_from_db()
    with pytest.raises(InvalidInput) as exc:
        decide(case, "not_identified")
    assert "final" in exc.value.errors[0].message


def test_appeal_recorded_and_upheld_changes_the_decision(demo_world):
    case = open_case()
    decide(case, "not_identified")
    actor, organisation = acting("outreach")
    appeal = services.appeal_lodge(
        actor=actor,
        organisation=organisation,
        case=case,
        grounds="New evidence of debt bondage was found.",
        lodged_on=date.today(),
    )
    case.refresh_from_db()
    with pytest.raises(InvalidInput):  # cannot close "not identified" while an appeal is pending
        services.case_transition(
            actor=acting("coordinator")[0],
            organisation=acting("coordinator")[1],
            case=case,
            expected_version=case.version,
            target="closed",
            closure_reason="not_identified",
        )
    c_actor, c_org = acting("coordinator")
    services.appeal_decide(
        actor=c_actor,
        organisation=c_org,
        case=case,
        expected_version=case.version,
        appeal_id=appeal.pk,
        upheld=True,
        reasons="The new evidence meets the threshold.",
        new_outcome="presumed",
    )
    case.refresh_from_db()
    appeal.refresh_from_db()
    assert appeal.status == "upheld" and case.identification_status == wf.PRESUMED
    assert case.decisions.first().basis == "appeal"


def test_transitions_follow_the_table_and_refusals_say_why(demo_world):
    case = open_case()
    actor, organisation = acting("outreach")
    with pytest.raises(InvalidInput) as exc:
        services.case_transition(
            actor=actor,
            organisation=organisation,
            case=case,
            expected_version=case.version,
            target="first_line",
        )
    assert "presumed or identified" in exc.value.errors[0].message
    decide(case)
    case.refresh_from_db()
    services.case_transition(
        actor=actor,
        organisation=organisation,
        case=case,
        expected_version=case.version,
        target="first_line",
    )
    with pytest.raises(InvalidInput) as exc:
        services.case_transition(
            actor=actor,
            organisation=organisation,
            case=case,
            expected_version=case.version,
            target="identification",
        )
    assert "cannot move" in exc.value.errors[0].message
    services.case_transition(
        actor=actor,
        organisation=organisation,
        case=case,
        expected_version=case.version,
        target="closed",
        closure_reason="referred_elsewhere",
    )
    case.refresh_from_db()
    assert case.phase == "closed" and case.status == "ClosedReferred" and case.closed_at is not None


def test_second_save_on_a_stale_version_is_refused_and_the_first_is_kept(demo_world):
    case = open_case()
    stale = case.version
    actor, organisation = acting("outreach")
    services.person_update(
        actor=actor,
        organisation=organisation,
        case=Case.objects.get(pk=case.pk),
        expected_version=stale,
        changes={"given_name": "Bea"},
    )
    with pytest.raises(services.StaleVersion) as exc:
        services.person_update(
            actor=actor,
            organisation=organisation,
            case=Case.objects.get(pk=case.pk),
            expected_version=stale,
            changes={"given_name": "Cleo"},
        )
    assert "Someone else changed this case" in exc.value.errors[0].message
    assert Person.objects.get(case=case).given_name == "Bea"
    assert Case.objects.get(pk=case.pk).version == stale + 1


def test_notes_are_append_only_and_corrections_are_new_entries(demo_world):
    case = open_case()
    actor, organisation = acting("outreach")
    note = services.note_add(
        actor=actor, organisation=organisation, case=case, text="Met at the bus station."
    )
    fix = services.note_add(
        actor=actor,
        organisation=organisation,
        case=case,
        text="Met at the train station.",
        corrects_id=note.pk,
    )
    assert fix.kind == "correction" and fix.corrects_id == note.pk
    note.text = "rewritten"
    with pytest.raises(PermissionError):
        note.save()
    with pytest.raises(PermissionError):
        note.delete()
    assert CaseEvent.objects.get(pk=note.pk).text == "Met at the bus station."
    with pytest.raises(InvalidInput):
        services.note_add(actor=actor, organisation=organisation, case=case, text="   ")


def test_referral_lifecycle_and_receiver_view_limited_by_consent(demo_world):
    case = open_case()
    decide(case)
    ref = refer_to_shelter(case, scopes=("identity",))
    assert ref.status == "sent"
    worker, shelter = acting("caseworker")
    vis = selectors.case_visibility(worker, shelter, case)
    assert vis.groups == {access.OVERVIEW, access.IDENTITY}
    ref = services.service_referral_accept(actor=worker, organisation=shelter, referral=ref)
    with pytest.raises(InvalidInput):  # accepted twice
        services.service_referral_accept(actor=worker, organisation=shelter, referral=ref)
    ref = services.service_referral_deliver(actor=worker, organisation=shelter, referral=ref)
    with pytest.raises(InvalidInput) as exc:
        services.service_referral_close(
            actor=worker, organisation=shelter, referral=ref, outcome=""
        )
    assert exc.value.errors[0].field == "outcome"
    ref = services.service_referral_close(
        actor=worker, organisation=shelter, referral=ref, outcome="service_completed"
    )
    assert ref.status == "closed"
    # Once closed, the shelter no longer sees the case at all.
    assert not selectors.case_visibility(worker, shelter, case).visible


def test_only_the_receiver_accepts_and_a_decline_needs_a_reason(demo_world):
    case = open_case()
    ref = refer_to_shelter(case)
    actor, organisation = acting("outreach")
    with pytest.raises(services.NotAllowed):
        services.service_referral_accept(actor=actor, organisation=organisation, referral=ref)
    worker, shelter = acting("caseworker")
    with pytest.raises(InvalidInput):
        services.service_referral_decline(
            actor=worker, organisation=shelter, referral=ref, reason=" "
        )
    ref = services.service_referral_decline(
        actor=worker, organisation=shelter, referral=ref, reason="No places left."
    )
    assert ref.status == "declined"


def test_two_answers_to_one_referral_the_second_is_refused(demo_world):
    case = open_case()
    ref = refer_to_shelter(case)
    worker, shelter = acting("caseworker")
    first = ServiceReferral.objects.get(pk=ref.pk)
    second = ServiceReferral.objects.get(pk=ref.pk)
    services.service_referral_accept(actor=worker, organisation=shelter, referral=first)
    with pytest.raises(InvalidInput) as exc:
        services.service_referral_decline(
            actor=worker, organisation=shelter, referral=second, reason="Full"
        )
    assert exc.value.detail == "Conflict."
    assert ServiceReferral.objects.get(pk=ref.pk).status == "accepted"


def test_referral_needs_a_consent_that_names_the_receiver_and_covers_the_purpose(demo_world):
    case = open_case()
    provider = shelter_provider()
    actor, organisation = acting("outreach")
    wrong_recipient = consent_for(
        case, recipient_prefix="Riverside Police", purpose="investigation"
    )
    with pytest.raises(InvalidInput) as exc:
        services.service_referral_send(
            actor=actor,
            organisation=organisation,
            case=case,
            provider=provider,
            service_type="shelter",
            consent=wrong_recipient,
        )
    messages = " ".join(e.message for e in exc.value.errors)
    assert "does not name the receiving organisation" in messages and "another purpose" in messages
    consent = consent_for(case)
    services.consent_withdraw(
        actor=actor, organisation=organisation, case=case, consent_id=consent.pk
    )
    consent.refresh_from_db()
    with pytest.raises(InvalidInput, match="withdrawn"):
        services.service_referral_send(
            actor=actor,
            organisation=organisation,
            case=case,
            provider=provider,
            service_type="shelter",
            consent=consent,
        )


def test_withdrawing_consent_stops_sharing_at_once(demo_world):
    case = open_case()
    ref = refer_to_shelter(case, scopes=("identity", "victim_context"))
    worker, shelter = acting("caseworker")
    assert access.VICTIM_CONTEXT in selectors.case_visibility(worker, shelter, case)
    actor, organisation = acting("outreach")
    services.consent_withdraw(
        actor=actor, organisation=organisation, case=case, consent_id=ref.consent_id
    )
    assert not selectors.case_visibility(worker, shelter, case).visible
    with pytest.raises(Http404):
        selectors.access_case(worker, shelter, case.reference)


def test_no_child_in_a_closed_facility(demo_world):
    case = open_case(child=True)
    provider = shelter_provider(is_closed_facility=True, accepts_children=False)
    consent = consent_for(case, given_by="guardian")
    actor, organisation = acting("outreach")
    with pytest.raises(InvalidInput, match="closed facility"):
        services.service_referral_send(
            actor=actor,
            organisation=organisation,
            case=case,
            provider=provider,
            service_type="shelter",
            consent=consent,
        )


def test_guardian_appointment_and_bid_complete_their_deadlines(demo_world):
    case = open_case(child=True)
    actor, organisation = acting("outreach")
    services.guardian_appoint(
        actor=actor,
        organisation=organisation,
        case=case,
        guardian_name="G. Placeholder",
        appointed_on=date.today(),
    )
    assert case.tasks.get(rule_key="guardian_appointment").done_at is not None
    with pytest.raises(InvalidInput) as exc:
        services.bid_record(
            actor=actor,
            organisation=organisation,
            case=case,
            factors={**BID, "health": ""},
            durable_solution="integration",
            decided_on=date.today(),
        )
    assert [e.field for e in exc.value.errors] == ["health"]
    services.bid_record(
        actor=actor,
        organisation=organisation,
        case=case,
        factors=BID,
        durable_solution="integration",
        decided_on=date.today(),
    )
    assert case.tasks.get(rule_key="best_interests_determination").done_at is not None
    adult = open_case()
    with pytest.raises(InvalidInput, match="not a child"):
        services.guardian_appoint(
            actor=actor,
            organisation=organisation,
            case=adult,
            guardian_name="X",
            appointed_on=date.today(),
        )


def test_return_refused_until_an_acceptable_assessment_or_a_coordinator_override(demo_world):
    case = open_case()
    actor, organisation = acting("outreach")
    with pytest.raises(InvalidInput, match="risk assessment"):
        services.return_record(
            actor=actor,
            organisation=organisation,
            case=case,
            country="RO",
            returned_on=date.today(),
        )
    unsafe = {
        "risk_of_harm": "yes",
        "authorities_can_protect": "no",
        "risk_of_prosecution": "no",
        "services_support_inclusion": "yes",
    }
    with pytest.raises(InvalidInput):  # an unsafe answer cannot conclude "acceptable"
        services.return_assessment_record(
            actor=actor,
            organisation=organisation,
            case=case,
            country="RO",
            answers=unsafe,
            conclusion="acceptable",
            assessed_on=date.today(),
        )
    services.return_assessment_record(
        actor=actor,
        organisation=organisation,
        case=case,
        country="RO",
        answers=unsafe,
        conclusion="not_acceptable",
        assessed_on=date.today(),
    )
    with pytest.raises(InvalidInput, match="co-ordinator"):
        services.return_record(
            actor=actor,
            organisation=organisation,
            case=case,
            country="RO",
            returned_on=date.today(),
            override_reason="The person insists on going home now.",
        )
    c_actor, c_org = acting("coordinator")
    rec = services.return_record(
        actor=c_actor,
        organisation=c_org,
        case=case,
        country="RO",
        returned_on=date.today(),
        override_reason="The person insists on going home; escort arranged.",
    )
    assert rec.overridden_by == c_actor and rec.assessment is None
    safe = {q: s for q, s in wf.SAFE_ANSWER.items()}
    services.return_assessment_record(
        actor=actor,
        organisation=organisation,
        case=case,
        country="MD",
        answers=safe,
        conclusion="acceptable",
        assessed_on=date.today(),
    )
    rec = services.return_record(
        actor=actor, organisation=organisation, case=case, country="MD", returned_on=date.today()
    )
    assert rec.assessment is not None and rec.override_reason == ""


def test_child_returns_only_when_the_bid_chose_return(demo_world):
    case = open_case(child=True)
    actor, organisation = acting("outreach")
    services.return_assessment_record(
        actor=actor,
        organisation=organisation,
        case=case,
        country="RO",
        answers=dict(wf.SAFE_ANSWER),
        conclusion="acceptable",
        assessed_on=date.today(),
    )
    services.bid_record(
        actor=actor,
        organisation=organisation,
        case=case,
        factors=BID,
        durable_solution="integration",
        decided_on=date.today(),
    )
    with pytest.raises(InvalidInput, match="best-interests"):
        services.return_record(
            actor=actor,
            organisation=organisation,
            case=case,
            country="RO",
            returned_on=date.today(),
        )


def test_proceedings_non_punishment_and_compensation(demo_world):
    case = open_case()
    actor, organisation = acting("outreach")
    np = services.non_punishment_record(
        actor=actor,
        organisation=organisation,
        case=case,
        offence="Use of a false document",
        compulsion="The trafficker supplied the passport and forced its use.",
    )
    services.non_punishment_decide(
        actor=actor,
        organisation=organisation,
        case=case,
        record_id=np.pk,
        decision="not_prosecuted",
        decided_by_body="Prosecutor",
        decided_on=date.today(),
    )
    claim = services.compensation_claim_record(
        actor=actor,
        organisation=organisation,
        case=case,
        amount="2500.00",
        currency="eur",
        source="state_fund",
    )
    assert claim.status == "planned" and claim.currency == "EUR"
    with pytest.raises(InvalidInput) as refused:
        services.compensation_claim_update(
            actor=actor, organisation=organisation, case=case, claim_id=claim.pk, status="paid"
        )
    # The statuses are said as words in the reader's language, never as codes.
    from django.utils import translation

    with translation.override("fr"):
        message = refused.value.errors[0].message
        words = translation.gettext("planned"), translation.gettext("paid")
    assert words != ("planned", "paid")
    assert all(word in message for word in words), message
    assert "planned" not in message and "paid" not in message, message
    for status in ("filed", "awarded", "paid"):
        claim = services.compensation_claim_update(
            actor=actor,
            organisation=organisation,
            case=case,
            claim_id=claim.pk,
            status=status,
            amount_awarded="2000",
        )
    assert claim.status == "paid" and str(claim.amount_awarded) == "2000.00"
    for bad in ({"amount": "-1"}, {"amount": "1.234"}, {"currency": "XXX1"}, {"source": "lottery"}):
        kw = {"amount": "10", "currency": "EUR", "source": "offender", **bad}
        with pytest.raises(InvalidInput):
            services.compensation_claim_record(
                actor=actor, organisation=organisation, case=case, **kw
            )


def test_break_glass_needs_reason_is_audited_flagged_and_opens_contacts(demo_world):
    case = open_case()
    c_actor, c_org = acting("coordinator")
    assert access.CONTACT not in selectors.case_visibility(c_actor, c_org, case)
    with pytest.raises(InvalidInput):
        services.break_glass_open(
            actor=c_actor, organisation=c_org, case_ref=case.reference, reason="need"
        )
    services.break_glass_open(
        actor=c_actor,
        organisation=c_org,
        case_ref=case.reference,
        reason="Person missing from the shelter; police need the last known address.",
    )
    assert access.CONTACT in selectors.case_visibility(c_actor, c_org, case)
    assert AuditEntry.objects.filter(action="break_glass", object_ref=case.reference).count() == 1
    assert list(selectors.break_glass_flags(c_actor, c_org)) == list(BreakGlassAccess.objects.all())
    worker, ngo = acting("outreach")
    with pytest.raises(services.NotAllowed):
        services.break_glass_open(
            actor=worker, organisation=ngo, case_ref=case.reference, reason="x" * 20
        )
    # It expires on its own.
    later = selectors.clock.now() + timedelta(hours=services.BREAK_GLASS_HOURS + 1)
    with mock.patch("palermo.cases.clock.now", return_value=later):
        assert access.CONTACT not in selectors.case_visibility(c_actor, c_org, case)


def test_overdue_deadlines_for_coordinator_and_team(demo_world):
    case = open_case(child=True)
    other = open_case(by="police")
    c_actor, c_org = acting("coordinator")
    assert list(selectors.overdue_deadlines_for(c_actor, c_org)) == []
    later = date.today() + timedelta(days=4)
    overdue = selectors.overdue_deadlines_for(c_actor, c_org, today=later)
    assert {t.case_id for t in overdue} == {case.pk, other.pk}
    assert "guardian_appointment" in {t.rule_key for t in overdue if t.case_id == case.pk}
    worker, ngo = acting("outreach")
    assert {t.case_id for t in selectors.overdue_deadlines_for(worker, ngo, today=later)} == {
        case.pk
    }
    analyst, ministry = acting("analyst")
    assert list(selectors.overdue_deadlines_for(analyst, ministry, today=later)) == []


def test_reads_are_audited_by_reference_and_no_personal_data_enters_the_trail(demo_world):
    case = open_case()
    actor, organisation = acting("outreach")
    selectors.access_case(actor, organisation, case.reference.lower())
    read = AuditEntry.objects.get(action="read", object_ref=case.reference)
    assert read.object_type == "case" and "identity" in read.details["groups"]
    trail = json.dumps(
        list(AuditEntry.objects.values("object_ref", "details", "purpose")), default=str
    )
    for personal in ("Ana", "Example", "Fictional Street", "4567"):
        assert personal not in trail


def test_not_found_alike_for_missing_and_invisible_cases(demo_world):
    case = open_case()
    worker, shelter = acting("caseworker")  # no team membership, no referral
    with pytest.raises(Http404):
        selectors.access_case(worker, shelter, case.reference)
    with pytest.raises(Http404):
        selectors.access_case(worker, shelter, "NRM-AAAA-AAAA")
    with pytest.raises(Http404):
        selectors.access_case(worker, shelter, "../../etc")


def test_reminders_mail_reference_and_date_only_once(
    demo_world, mailoutbox, django_capture_on_commit_callbacks
):
    case = open_case()
    due_day = case.tasks.get(rule_key="rights_information").due_on
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = services.reminders_send(today=due_day)
    assert sent >= 1 and len(callbacks) == sent  # mailed on commit only
    body = mailoutbox[0].subject + mailoutbox[0].body
    assert case.reference in body and "Ana" not in body
    assert services.reminders_send(today=due_day) == 0


def test_reminder_rolled_back_sends_no_mail(demo_world, mailoutbox, monkeypatch):
    case = open_case()
    due_day = case.tasks.get(rule_key="rights_information").due_on

    def fail(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    from palermo.core import audit

    monkeypatch.setattr(audit, "record", fail)
    with pytest.raises(RuntimeError):
        services.reminders_send(today=due_day)
    assert mailoutbox == []
    assert case.tasks.filter(reminded_at__isnull=False).count() == 0


def test_database_refuses_to_rewrite_a_timeline_entry_on_postgresql(demo_world):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip(
            "the trigger exists on PostgreSQL only; SQLite relies on the model guard (tested above)"
        )
    case = open_case()
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(case=case).update(text="rewritten")
