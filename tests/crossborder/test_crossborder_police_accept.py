"""Records of police channels (issue 17 item 6: page from the case page, API, timeline, audit,
refusals) and what accepting an incoming hand-over copies into the new case (item 2 of the
brief, item 7 of the issue: the return phase uses the partner's risk assessment)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from palermo.cases import selectors as case_selectors
from palermo.cases import services as case_services
from palermo.core.errors import InvalidInput
from palermo.core.models import AuditEntry
from palermo.crossborder import envelope as env
from palermo.crossborder import services
from palermo.crossborder.models import Handover, PoliceExchange
from palermo.crossborder.vocabulary import GROUPS
from tests.cases.cases_helpers import acting, open_case, refer_to_shelter, user
from tests.crossborder.conftest import A, B

GOOD = {
    "channel": "siena",
    "direction": "in",
    "reference": "SIENA 2026/000117",
    "handling": "H2",
    "country": "AL",
    "exchanged_on": "2026-11-30",
    "note": "Request for the address of the recruiter.",
}


def _web(name: str) -> Client:
    c = Client()
    c.force_login(user(name))
    return c


def _events(case, kind):
    return [e for e in case_selectors.timeline_entries(case, limit=50) if e.kind == kind]


def _police_events(case):
    return [
        e
        for e in case_selectors.timeline_entries(case, limit=50)
        if e.kind.startswith("police_exchange")
    ]


# --- police channels: page -------------------------------------------------------------------


def test_the_case_page_links_to_police_channels_only_for_the_permission(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        page = _web("caseworker").get(f"/cases/{case.reference}/").content.decode()
        assert f'href="/crossborder/police/{case.reference}/"' in page
        # The co-ordinator sees the case too and holds crossborder.send: the link is there.
        assert (
            'id="police-channels"'
            in _web("coordinator").get(f"/cases/{case.reference}/").content.decode()
        )


def test_a_police_exchange_is_recorded_on_the_page_with_timeline_and_audit(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        c = _web("caseworker")
        url = f"/crossborder/police/{case.reference}/"
        page = c.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "does not replace" in text and "Nothing recorded." in text
        r = c.post(url, GOOD)
        assert r.status_code == 302 and r["Location"] == url
        rec = PoliceExchange.objects.get()
        assert (rec.case_ref, rec.channel, rec.direction, rec.handling) == (
            case.reference,
            "siena",
            "in",
            "H2",
        )
        assert rec.note == GOOD["note"] and rec.exchanged_on == date(2026, 11, 30)
        shown = c.get(url).content.decode()
        assert "SIENA 2026/000117" in shown and "Europol SIENA" in shown
        assert "Request for the address" in shown
        # The timeline says an exchange happened, in standard words: no reference, no note.
        (event,) = _police_events(case)
        assert event.kind == "police_exchange_received"
        assert event.summary == "Exchange over a police channel recorded (received)"
        # The case page says it through the timeline's sentences (not marked as foreign text).
        case_page = c.get(f"/cases/{case.reference}/").content.decode()
        assert "Exchange over a police channel recorded (received)" in case_page
        assert '<span lang="en">Exchange over a police channel' not in case_page
        assert "SIENA 2026" not in event.summary and not event.text
        acts = list(
            AuditEntry.objects.filter(
                object_type="crossborder_police_exchange", object_ref=case.reference
            ).values_list("action", flat=True)
        )
        assert "create" in acts and "read" in acts
        assert AuditEntry.objects.filter(
            object_type="case", object_ref=case.reference, details__what="record_event_add"
        ).exists()


def test_wrong_role_is_403_and_changes_nothing(instances):
    with instances.as_(A):
        case = open_case("police")  # the police unit can see its own case but may not record here
        c = _web("police")
        assert 'id="police-channels"' not in c.get(f"/cases/{case.reference}/").content.decode()
        url = f"/crossborder/police/{case.reference}/"
        assert c.get(url).status_code == 403
        assert c.post(url, GOOD).status_code == 403
        api = "/api/v1/crossborder/police-exchanges"
        assert c.get(api, {"case": case.reference}).status_code == 403
        r = c.post(api, GOOD | {"case": case.reference}, content_type="application/json")
        assert r.status_code == 403
        assert not PoliceExchange.objects.exists()
        assert not _police_events(case)


def test_a_case_the_user_may_not_see_is_404_on_page_and_api(instances):
    with instances.as_(A):
        case = open_case("caseworker")  # Safe Harbour's case; Eastbay Outreach is not on it
        c = _web("outreach")
        assert c.get(f"/cases/{case.reference}/").status_code == 404  # the premise
        url = f"/crossborder/police/{case.reference}/"
        assert c.get(url).status_code == 404
        assert c.post(url, GOOD).status_code == 404
        assert c.get("/crossborder/police/NRM-NONE-0000/").status_code == 404
        api = "/api/v1/crossborder/police-exchanges"
        assert c.get(api, {"case": case.reference}).status_code == 404
        r = c.post(api, GOOD | {"case": case.reference}, content_type="application/json")
        assert r.status_code == 404
        assert not PoliceExchange.objects.exists()


def test_bad_input_on_the_page_is_422_with_messages_next_to_the_fields(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        c = _web("caseworker")
        url = f"/crossborder/police/{case.reference}/"
        future = (date.today() + timedelta(days=3)).isoformat()
        r = c.post(url, GOOD | {"country": "al", "exchanged_on": future, "reference": " "})
        assert r.status_code == 422
        form = r.context["form"]
        assert set(form.errors) == {"country", "exchanged_on", "reference"}
        assert "two-letter country code" in form.errors["country"][0]
        assert "future" in form.errors["exchanged_on"][0]
        r = c.post(url, GOOD | {"channel": "carrier_pigeon", "note": "x" * 2001})
        assert r.status_code == 422
        assert set(r.context["form"].errors) == {"channel", "note"}
        assert not PoliceExchange.objects.exists()
        assert not _police_events(case)


def test_the_service_refuses_bad_input_field_by_field(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        worker, shelter = acting("caseworker")
        with pytest.raises(InvalidInput) as exc:
            services.police_exchange_record(
                worker,
                shelter,
                case_ref=case.reference,
                channel="siena",
                direction="sideways",
                reference="R-1",
                handling="H9",
                country="AL",
                exchanged_on=date(1970, 1, 1),
                note="n" * 2001,
            )
        fields = {e.field for e in exc.value.errors}
        assert fields == {"direction", "handling", "exchanged_on", "note"}
        assert not PoliceExchange.objects.exists()


# --- police channels: API --------------------------------------------------------------------


def test_police_exchanges_over_the_api_list_and_422(instances):
    with instances.as_(A):
        case = open_case("caseworker")
        c = _web("caseworker")
        api = "/api/v1/crossborder/police-exchanges"
        r = c.post(api, GOOD | {"case": case.reference}, content_type="application/json")
        assert r.status_code == 201, r.content
        out = GOOD | {"case": case.reference, "channel": "mla", "direction": "out"}
        out.pop("note")
        r = c.post(api, out, content_type="application/json")
        assert r.status_code == 201, r.content
        rows = c.get(api, {"case": case.reference}).json()
        assert [(x["channel"], x["direction"]) for x in rows] == [("mla", "out"), ("siena", "in")]
        assert rows[1]["note"] == GOOD["note"] and rows[0]["note"] == ""
        bad = c.post(
            api,
            GOOD | {"case": case.reference, "exchanged_on": "30/11/2026", "direction": "up"},
            content_type="application/json",
        )
        assert bad.status_code == 422
        text = bad.content.decode()
        assert "exchanged_on" in text and "direction" in text
        future = (date.today() + timedelta(days=1)).isoformat()
        bad = c.post(
            api,
            GOOD | {"case": case.reference, "exchanged_on": future},
            content_type="application/json",
        )
        assert bad.status_code == 422 and "exchanged_on" in bad.content.decode()
        assert PoliceExchange.objects.count() == 2
        assert len(_police_events(case)) == 2


# --- accepting an incoming hand-over ---------------------------------------------------------

FULL_FIELDS = {
    "prs_FirstName": "Ana",
    "prs_SecondName": "Example",
    "prs_Citizenship": ["AL"],
    "vic_TypeOfExploitation": ["ForcedLabour"],
    "vic_MethodOfRecruitment": ["AtAPlaceOfBusiness"],
    "vic_MethodsOfControl": ["PhysicalThreats", "NotAControlMethodOfOurs"],
    "vic_ForcedLabourIndustry": "A_AgricultureForestryAndFishing",
    "vic_AgeWhenTrafficked": 19,
    "plm_ServicesReceived": ["shelter", "medical"],
    "plm_ServicesNeeded": ["legal_aid"],
    "plm_ReturnRiskCountry": "AL",
    "plm_ReturnRiskConclusion": "acceptable",
    "plm_ReturnRiskAnswers": {
        "risk_of_harm": "no",
        "authorities_can_protect": "yes",
        "risk_of_prosecution": "no",
        "services_support_inclusion": "yes",
    },
    "plm_ReturnRiskAssessedOn": (date.today() - timedelta(days=2)).isoformat(),
    "plm_DocumentsHeld": ["passport"],
    "plm_ProceedingsStage": "investigation",
    "plm_WitnessIn": "Regional court case 2026/117 (fictional)",
}


def _deliver_to_b(instances, fields, consented):
    """A hand-over from A as A's software seals it, delivered to B's inbox over the client."""
    instances.load_trust(instances.trust_token(version=2, allowed_groups=list(GROUPS)))
    with instances.as_(A):
        p = services.trust_list().find(B)
        body = env.handover_body(
            fields=fields,
            consented=frozenset(consented),
            allowed=p.allowed_groups,
            purpose="return",
            legal_basis=p.legal_basis,
            handling="H2",
            child=False,
            case_pseudonym="NRM-TEST-0001",
        )
        jti, envelope = env.seal(
            typ="handover",
            body=body,
            sender_id=A,
            sender_keys=services.signer_keys(),
            recipient=p,
            now=services.now_ts(),
        )
        r = env.verify_receipt(
            instances.transport(p, envelope),
            trust=services.trust_list(),
            own_id=A,
            now=services.now_ts(),
        )
        assert r.outcome == "received"
    # A holds no outgoing row for this sealed-by-hand message: B's "accepted" status about it
    # is answered "unknown hand-over"; give A the row its send would have made.
    with instances.as_(A):
        Handover.objects.create(
            local_entity=A,
            direction="out",
            jti=jti,
            partner=B,
            case_pseudonym="NRM-TEST-0001",
            groups=body["groups"],
            purpose="return",
            legal_basis=body["legal_basis"],
            handling="H2",
            state="received",
            digest=env.digest(envelope),
            at=timezone.now(),
        )
    return jti


def test_accepting_copies_every_consented_group_into_the_case(instances):
    jti = _deliver_to_b(instances, FULL_FIELDS, GROUPS)
    with instances.as_(B):
        incoming = Handover.objects.get(local_entity=B, direction="in", jti=jti)
        coordinator, office = acting("coordinator")
        case = services.incoming_accept(coordinator, office, incoming.pk)
        case.refresh_from_db()
        ctx = case.context
        assert ctx.methods_of_recruitment == ["AtAPlaceOfBusiness"]
        assert ctx.forced_labour_industry == "A_AgricultureForestryAndFishing"
        assert ctx.age_when_trafficked == 19
        # One value outside our picklist: that field is left out, named in the audit record.
        assert ctx.methods_of_control == []
        notes = [
            e.text for e in case_selectors.timeline_entries(case, limit=50) if e.kind == "note"
        ]
        joined = "\n".join(notes)
        assert "services received: shelter, medical" in joined
        assert "services needed: legal_aid" in joined
        assert "documents held: passport" in joined
        assert "witness in: Regional court case 2026/117 (fictional)" in joined
        assert "stage of the proceedings: investigation" in joined
        entry = AuditEntry.objects.get(
            object_ref=jti, action="create", actor_username="coordinator"
        )
        assert entry.details["copied_as_notes"] == ["needs_and_services", "documents", "legal"]
        assert entry.details["context_refused"] == ["vic_MethodsOfControl"]
        assert entry.details["risk_assessment"] == "recorded"
        # Item 7: the return phase uses the partner's assessment — a return to AL is recorded
        # without any override, bound to that assessment.
        ra = case_selectors.latest_return_assessment(case)
        assert ra is not None and ra.country == "AL" and "cross-border" in ra.notes
        rec = case_services.return_record(
            actor=coordinator,
            organisation=office,
            case=case,
            country="AL",
            returned_on=date.today() + timedelta(days=7),
        )
        assert rec.assessment_id == ra.pk and not rec.override_reason


def test_groups_not_consented_are_not_copied_and_a_return_still_needs_an_assessment(instances):
    jti = _deliver_to_b(instances, FULL_FIELDS, ["identity", "exploitation"])
    with instances.as_(B):
        incoming = Handover.objects.get(local_entity=B, direction="in", jti=jti)
        coordinator, office = acting("coordinator")
        case = services.incoming_accept(coordinator, office, incoming.pk)
        notes = [
            e.text for e in case_selectors.timeline_entries(case, limit=50) if e.kind == "note"
        ]
        assert not any("services received" in n or "documents held" in n for n in notes)
        assert case_selectors.latest_return_assessment(case) is None
        with pytest.raises(InvalidInput):
            case_services.return_record(
                actor=coordinator,
                organisation=office,
                case=case,
                country="AL",
                returned_on=date.today() + timedelta(days=7),
            )


def test_a_partner_assessment_the_case_file_refuses_leaves_the_return_blocked(instances):
    unsafe = FULL_FIELDS | {
        "plm_ReturnRiskAnswers": FULL_FIELDS["plm_ReturnRiskAnswers"] | {"risk_of_harm": "yes"}
    }  # "acceptable" with an unsafe answer: our case file refuses that conclusion
    jti = _deliver_to_b(instances, unsafe, GROUPS)
    with instances.as_(B):
        incoming = Handover.objects.get(local_entity=B, direction="in", jti=jti)
        coordinator, office = acting("coordinator")
        case = services.incoming_accept(coordinator, office, incoming.pk)
        assert case_selectors.latest_return_assessment(case) is None
        assert AuditEntry.objects.filter(
            object_type="case", object_ref=case.reference, outcome="refused"
        ).exists()
        with pytest.raises(InvalidInput):
            case_services.return_record(
                actor=coordinator,
                organisation=office,
                case=case,
                country="AL",
                returned_on=date.today() + timedelta(days=7),
            )


def test_the_sender_fills_needs_and_services_from_the_case_referrals(instances):
    with instances.as_(A):
        case = open_case("outreach")
        refer_to_shelter(case)
        fields = services.case_fields(case)
        assert fields["plm_ServicesNeeded"] == ["shelter"]  # sent, not yet delivered
        assert fields["plm_ServicesReceived"] == []
