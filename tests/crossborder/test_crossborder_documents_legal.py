"""The hand-over's "documents" and "legal proceedings" groups carry the case file's records
(identity documents; criminal proceedings, non-punishment, compensation), travel only when
consented (a document number only with identity), and land in the receiving case as its own
records (issue 17)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import palermo.crossborder
from palermo.cases import selectors as case_selectors
from palermo.cases import services as case_services
from palermo.core.models import AuditEntry
from palermo.crossborder import envelope as env
from palermo.crossborder import services
from palermo.crossborder.models import Handover
from palermo.crossborder.vocabulary import GROUPS
from tests.cases.cases_helpers import acting, open_case
from tests.crossborder.conftest import A, B
from tests.crossborder.test_crossborder_exchange import consent, send
from tests.crossborder.test_crossborder_police_accept import _deliver_to_b

SCHEMA = json.loads(
    (Path(palermo.crossborder.__file__).parent / "data" / "handover.schema.json").read_text()
)
HANDOVER = jsonschema.Draft202012Validator({"$ref": "#/$defs/handover", "$defs": SCHEMA["$defs"]})

DOCS = [
    {
        "type": "passport",
        "issuing_country": "RS",
        "status": "withheld_by_exploiter",
        "number": "P12345",
    },
    {"type": "birth_certificate", "status": "lost"},
]
PROCEEDINGS = [
    {"country": "RS", "stage": "trial", "roles": ["witness", "injured_party"], "authority": "Court"}
]


def _body(groups, data):
    return {
        "schema": env.SCHEMA,
        "child": False,
        "groups": sorted(groups),
        "purpose": "proceedings",
        "legal_basis": "authority_agreement",
        "handling": "H1",
        "case_pseudonym": "NRM-TEST-0001",
        "data": data,
    }


def _python_accepts(body) -> bool:
    try:
        env.validate_body("handover", body)
    except env.Rejected:
        return False
    return True


# --- pure core: minimisation and the schema -------------------------------------------------------


def test_a_document_number_travels_only_with_the_identity_group():
    fields = {"plm_Documents": DOCS, "plm_DocumentsHeld": [], "prs_FirstName": "Ana"}
    args = dict(
        fields=fields,
        allowed=frozenset(GROUPS),
        purpose="return",
        legal_basis="authority_agreement",
        handling="H0",
        child=False,
        case_pseudonym="NRM-TEST-0001",
    )
    without = env.handover_body(consented=frozenset({"documents"}), **args)
    assert without["data"]["documents"]["plm_Documents"][0] == {
        "type": "passport",
        "issuing_country": "RS",
        "status": "withheld_by_exploiter",
    }
    with_identity = env.handover_body(consented=frozenset({"documents", "identity"}), **args)
    assert with_identity["data"]["documents"]["plm_Documents"][0]["number"] == "P12345"
    # A receiver refuses a number that came without identity (as the JSON Schema's text says).
    forged = _body(["documents"], {"documents": {"plm_Documents": DOCS}})
    with pytest.raises(env.Rejected) as exc:
        env.validate_body("handover", forged)
    assert exc.value.reason == "undeclared_groups"


@pytest.mark.parametrize(
    "records",
    [
        [{"type": "passport", "colour": "red"}],  # a key the schema does not list
        [{"type": ["passport"]}],  # a list where one value belongs
        [{"type": 7}],  # not text
        [{"type": "x" * 301}],  # too long
        ["passport"],  # not a record
        [{"type": "passport"}] * 51,  # too many
    ],
)
def test_records_outside_the_schema_are_refused_by_both_validators(records):
    body = _body(["documents"], {"documents": {"plm_Documents": records}})
    assert not _python_accepts(body)
    assert not HANDOVER.is_valid(body)


_key = st.sampled_from(["country", "stage", "roles", "authority", "stage_on", "judge"])
_val = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.text(max_size=4),
    st.lists(st.text(max_size=3), max_size=3),
    st.lists(st.integers(0, 2), max_size=2),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(_key, _val, max_size=4), max_size=3))
def test_python_validator_and_json_schema_agree_on_proceedings_records(records):
    body = _body(["legal"], {"legal": {"plm_Proceedings": records}})
    assert _python_accepts(body) == HANDOVER.is_valid(body)


# --- two instances: send, receive, accept ---------------------------------------------------------


def _allow_everything(instances):
    instances.load_trust(instances.trust_token(version=2, allowed_groups=list(GROUPS)))


def _fill(case):
    actor, org = acting("caseworker")
    case_services.document_record(
        actor=actor,
        organisation=org,
        case=case,
        doc_type="passport",
        status="withheld_by_exploiter",
        issuing_country="RO",
        number="RO 7654321",
        expires_on=date.today() + timedelta(days=300),
    )
    case_services.document_record(
        actor=actor, organisation=org, case=case, doc_type="national_id", status="held_by_person"
    )
    case_services.proceedings_record(
        actor=actor,
        organisation=org,
        case=case,
        country="RS",
        stage="prosecution",
        roles=["witness", "injured_party"],
        authority="Higher public prosecutor, Belgrade (fictional)",
    )
    case_services.non_punishment_record(
        actor=actor,
        organisation=org,
        case=case,
        offence="Use of a false document",
        compulsion="The trafficker supplied the passport and forced its use.",
    )
    case_services.compensation_claim_record(
        actor=actor, organisation=org, case=case, amount="2500", currency="EUR", source="offender"
    )


def _accept(jti):
    incoming = Handover.objects.get(local_entity=B, direction="in", jti=jti)
    coordinator, office = acting("coordinator")
    return incoming, services.incoming_accept(coordinator, office, incoming.pk)


def _notes(case):
    return "\n".join(
        e.text for e in case_selectors.timeline_entries(case, limit=50) if e.kind == "note"
    )


def test_documents_and_proceedings_arrive_and_land_as_case_records(instances):
    _allow_everything(instances)
    with instances.as_(A):
        case = open_case("caseworker")
        _fill(case)
        consent(case, groups=["identity", "documents", "legal"], purpose="proceedings")
        h = send(case, purpose="proceedings")
        assert h.state == "received"
        assert h.groups == ["documents", "identity", "legal"]
    with instances.as_(B):
        incoming, new = _accept(h.jti)
        docs = incoming.payload["documents"]
        assert docs["plm_DocumentsHeld"] == ["national_id"]
        assert docs["plm_Documents"][0] == {
            "type": "passport",
            "issuing_country": "RO",
            "status": "withheld_by_exploiter",
            "number": "RO 7654321",
            "expires_on": (date.today() + timedelta(days=300)).isoformat(),
        }
        legal = incoming.payload["legal"]
        assert legal["plm_ProceedingsStage"] == "prosecution" and legal["plm_WitnessIn"] == ["RS"]
        assert legal["plm_NonPunishment"] == [
            {"offence": "Use of a false document", "decision": "pending"}
        ]
        assert legal["plm_CompensationClaims"][0]["amount"] == "2500.00"
        # How the person was compelled (free text) stays with the sender.
        assert "trafficker supplied" not in json.dumps(incoming.payload)
        # Landed as the new case's own records, through the case file's services.
        got_docs = case_selectors.case_documents(new)
        assert [(d.doc_type, d.status, d.issuing_country, d.number) for d in got_docs] == [
            ("passport", "withheld_by_exploiter", "RO", "RO 7654321"),
            ("national_id", "held_by_person", "", ""),
        ]
        got = case_selectors.case_proceedings(new)
        assert [(p.country, p.stage, p.roles, p.authority) for p in got] == [
            (
                "RS",
                "prosecution",
                ["witness", "injured_party"],
                "Higher public prosecutor, Belgrade (fictional)",
            )
        ]
        # Non-punishment and compensation belong to the sender's proceedings: a note, not our
        # own claims (they would count twice in the statistics).
        assert not case_selectors.case_compensation_claims(new)
        notes = _notes(new)
        assert "non-punishment: offence: Use of a false document, decision: pending" in notes
        assert "compensation claims: source: offender" in notes
        assert "documents held" not in notes and "stage of the proceedings" not in notes
        entry = AuditEntry.objects.get(
            object_ref=h.jti, action="create", actor_username="coordinator"
        )
        assert entry.details["records"] == {"plm_Documents": 2, "plm_Proceedings": 1}
        assert entry.details["records_refused"] == []
        assert entry.details["copied_as_notes"] == ["legal"]
        # Each record written is audited on the new case too.
        whats = set(
            AuditEntry.objects.filter(object_ref=new.reference).values_list(
                "details__what", flat=True
            )
        )
        assert {"document_record", "proceedings_record"} <= whats


def test_documents_and_proceedings_stay_home_when_not_consented(instances):
    _allow_everything(instances)
    with instances.as_(A):
        case = open_case("caseworker")
        _fill(case)
        consent(case, groups=["identity", "exploitation"])
        h = send(case)
        sent = AuditEntry.objects.get(object_ref=h.jti, action="export")
        assert sent.details["groups"] == ["exploitation", "identity"]
    with instances.as_(B):
        incoming, new = _accept(h.jti)
        assert set(incoming.payload) == {"exploitation", "identity"}
        assert "RO 7654321" not in json.dumps(incoming.payload)
        assert case_selectors.case_documents(new) == []
        assert case_selectors.case_proceedings(new) == []
        notes = _notes(new)
        assert "Documents, received from" not in notes
        assert "Legal proceedings, received from" not in notes


def test_documents_without_identity_travel_without_numbers(instances):
    _allow_everything(instances)
    with instances.as_(A):
        case = open_case("caseworker")
        _fill(case)
        consent(case, groups=["documents"])
        h = send(case)
    with instances.as_(B):
        incoming, new = _accept(h.jti)
        assert set(incoming.payload) == {"documents"}
        assert "RO 7654321" not in json.dumps(incoming.payload)
        assert [d.number for d in case_selectors.case_documents(new)] == ["", ""]


def test_a_partner_whose_legal_basis_excludes_the_groups_gets_nothing_of_them(instances):
    """B's basis in the default trust list allows neither documents nor legal proceedings."""
    with instances.as_(A):
        case = open_case("caseworker")
        _fill(case)
        consent(case, groups=["identity", "documents", "legal"])
        h = send(case)
        assert h.groups == ["identity"]
    with instances.as_(B):
        incoming = Handover.objects.get(local_entity=B, direction="in", jti=h.jti)
        assert set(incoming.payload) == {"identity"}


def test_a_record_our_case_file_refuses_is_kept_as_a_note_and_audited(instances):
    fields = {
        "prs_FirstName": "Ana",
        "plm_Documents": [
            {"type": "passport", "status": "lost", "issuing_country": "AL"},
            {"type": "library_card", "status": "lost"},
        ],
        "plm_Proceedings": [
            {"country": "AL", "stage": "hearing", "roles": ["witness"]},
            {"country": "AL", "stage": "investigation", "roles": ["complainant"]},
        ],
        "plm_ProceedingsStage": "investigation",
    }
    jti = _deliver_to_b(instances, fields, {"identity", "documents", "legal"})
    with instances.as_(B):
        _, new = _accept(jti)
        assert [d.doc_type for d in case_selectors.case_documents(new)] == ["passport"]
        assert [p.stage for p in case_selectors.case_proceedings(new)] == ["investigation"]
        notes = _notes(new)
        assert "documents: type: library_card, status: lost" in notes
        assert "criminal proceedings: country: AL, stage: hearing" in notes
        entry = AuditEntry.objects.get(
            object_ref=jti, action="create", actor_username="coordinator"
        )
        assert entry.details["records_refused"] == ["plm_Documents[1]", "plm_Proceedings[0]"]
        refused = AuditEntry.objects.get(object_ref=new.reference, action="refused")
        assert refused.details["records_from_partner"] == entry.details["records_refused"]
