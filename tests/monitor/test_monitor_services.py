"""Services of the monitoring context: validation first, audit in the transaction, nothing partial."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from django.utils import timezone
from tests.monitor.monitor_helpers import GOOD_ROWS, acting, csv_file

from palermo.core.errors import InvalidInput
from palermo.core.models import AuditEntry
from palermo.monitor import selectors, services
from palermo.monitor.models import Evidence, FollowUp, Measure, Recommendation


def test_demo_holds_a_plan_and_two_monitors_sharing_one_response(monitor_demo):
    recs = Recommendation.objects.all()
    assert {r.source_body for r in recs} == {"osce", "greta"}
    shared = [r for r in recs if r.response is not None]
    assert len(shared) == 2 and {r.source_body for r in shared} == {"osce", "greta"}
    assert len({r.response_id for r in shared}) == 1
    assert all(r.measures.exists() for r in shared)
    assert Measure.objects.count() == 2


def test_import_is_all_or_nothing_and_audited(monitor_demo):
    actor, org = acting("coordinator")
    before = Recommendation.objects.count()
    bad = csv_file(*GOOD_ROWS, 'osce,R,1,2025-13-01,victim_support,Gov,"t",,')
    p = services.recommendations_import(actor=actor, organisation=org, data=bad, name="r.csv")
    assert not p.ok and Recommendation.objects.count() == before
    assert AuditEntry.objects.filter(
        object_type="monitor.recommendation_import", object_ref="rejected"
    ).exists()
    p = services.recommendations_import(
        actor=actor, organisation=org, data=csv_file(*GOOD_ROWS), name="r.csv"
    )
    assert p.ok and Recommendation.objects.count() == before + 3
    # The two rows sharing "shelters" — a UN treaty body and the US TIP report — get one response.
    shared = Recommendation.objects.filter(response__key="shelters")
    assert {r.source_body for r in shared} == {"un_treaty_body", "us_tip"}
    # Importing the same file again is refused row by row: the register holds them already.
    again = services.recommendations_import(
        actor=actor, organisation=org, data=csv_file(*GOOD_ROWS), name="r.csv"
    )
    assert not again.ok and len(again.errors) == 3 and Recommendation.objects.count() == before + 3


def test_not_accepted_needs_a_reason_and_every_change_is_in_the_history(monitor_demo):
    actor, org = acting("coordinator")
    rec = Recommendation.objects.filter(response__isnull=True).first()
    with pytest.raises(InvalidInput) as exc:
        services.recommendation_set_status(
            actor=actor, organisation=org, recommendation=rec, status="not_accepted"
        )
    assert exc.value.errors[0].field == "reason"
    rec.refresh_from_db()
    assert rec.status == "not_started"
    services.recommendation_set_status(
        actor=actor,
        organisation=org,
        recommendation=rec,
        status="not_accepted",
        reason="Contrary to the Constitution's allocation of powers.",
    )
    rec.refresh_from_db()
    assert rec.status == "not_accepted" and rec.reason
    last = FollowUp.objects.filter(recommendation=rec).first()
    assert (last.status_before, last.status_after) == ("not_started", "not_accepted")
    stale = rec.version - 1
    with pytest.raises(InvalidInput):
        services.recommendation_set_status(
            actor=actor,
            organisation=org,
            recommendation=rec,
            status="implemented",
            expected_version=stale,
        )


def test_overdue_only_while_open_and_past_due(monitor_demo):
    rec = Recommendation.objects.first()
    rec.due_on = timezone.localdate() - timedelta(days=1)
    rec.status = "in_progress"
    assert selectors.is_overdue(rec)
    rec.status = "implemented"
    assert not selectors.is_overdue(rec)
    rec.status, rec.due_on = "not_started", None
    assert not selectors.is_overdue(rec)


def test_progress_only_by_the_coordinator_or_a_responsible_organisation(monitor_demo):
    fiu_measure = Measure.objects.get(objective__code="2")  # police and FIU carry it
    police, police_org = acting("police")
    services.progress_note_add(
        actor=police,
        organisation=police_org,
        measure=fiu_measure,
        noted_on=date(2025, 10, 1),
        status="in_progress",
        text="Guidance issued.",
    )
    fiu_measure.refresh_from_db()
    assert fiu_measure.status == "in_progress"
    child_measure = Measure.objects.get(
        objective__code="1"
    )  # the shelter NGO and the office carry it
    with pytest.raises(services.NotAllowed):
        services.progress_note_add(
            actor=police,
            organisation=police_org,
            measure=child_measure,
            noted_on=date(2025, 10, 1),
            status="completed",
            text="Not ours.",
        )
    analyst, office = acting("analyst")  # the rapporteur reads and reports; does not write
    with pytest.raises(services.NotAllowed):
        services.progress_note_add(
            actor=analyst,
            organisation=office,
            measure=child_measure,
            noted_on=date(2025, 10, 1),
            status="completed",
            text="x",
        )
    with pytest.raises(InvalidInput):
        services.progress_note_add(
            actor=police,
            organisation=police_org,
            measure=fiu_measure,
            noted_on=timezone.localdate() + timedelta(days=2),
            status="completed",
            text="x",
        )


def test_evidence_file_keeps_its_sha256_and_case_links_need_a_case_one_may_open(
    monitor_demo, demo_cases
):
    actor, org = acting("coordinator")
    m = Measure.objects.get(objective__code="1")
    data = b"%PDF-1.4 minutes of the guardianship working group (fictional)"
    ev = services.evidence_add(
        actor=actor,
        organisation=org,
        measure=m,
        kind="file",
        title="Minutes",
        data=data,
        file_name="../minutes.pdf",
        content_type="application/pdf",
    )
    assert ev.sha256 == hashlib.sha256(data).hexdigest() and ev.size == len(data)
    assert "/" not in ev.file_name
    assert AuditEntry.objects.filter(object_type="monitor.evidence", object_ref=str(ev.pk)).exists()
    # The shelter NGO carries the measure but may not cite a case it does not work on.
    from palermo.cases import selectors as case_selectors

    worker, shelter = acting("caseworker")
    theirs = set(
        case_selectors.cases_visible_to(worker, shelter).values_list("reference", flat=True)
    )
    other = next(
        r
        for r in case_selectors.cases_visible_to(actor, org).values_list("reference", flat=True)
        if r not in theirs
    )
    with pytest.raises(InvalidInput) as exc:
        services.evidence_add(
            actor=worker, organisation=shelter, measure=m, kind="case", title="A case", target=other
        )
    assert exc.value.errors[0].field == "target"
    mine = sorted(theirs)[0]
    ok = services.evidence_add(
        actor=worker,
        organisation=shelter,
        measure=m,
        kind="case",
        title="A case",
        target=mine.lower(),
    )
    assert ok.target == mine
    # Whoever reads the measure sees the link only if they may open the case.
    police, police_org = acting("police")
    hidden = {e.pk: e.hidden for e in selectors.measure_evidence(police, police_org, m)}
    visible_to_police = (
        case_selectors.cases_visible_to(police, police_org).filter(reference=mine).exists()
    )
    assert hidden[ok.pk] is (not visible_to_police)
    with pytest.raises(InvalidInput):
        services.evidence_add(
            actor=actor, organisation=org, measure=m, kind="indicator", title="x", target="nope"
        )
    with pytest.raises(InvalidInput):
        services.evidence_add(
            actor=actor,
            organisation=org,
            measure=m,
            kind="file",
            title="big",
            data=b"x" * (services.MAX_EVIDENCE_BYTES + 1),
            file_name="big.bin",
        )
    assert Evidence.objects.filter(title="big").count() == 0
