"""Writes of the NRM case file: one function per action.

Each function is keyword-only and typed; it checks who may act (``NotAllowed``),
validates everything before writing (``InvalidInput``, with the reason per
field), then writes, adds a timeline entry and an audit entry in one
transaction. Edits of the case itself name the version they were based on;
when someone else saved in between, ``StaleVersion`` refuses the save and the
caller keeps the user's input (optimistic locking).

The public entry point for other contexts (screening, hotline imports) is
``referral_receive``.

One module per aggregate (issue 14): ``opening``, ``editing``, ``identification``, ``phases``,
``notes``, ``team``, ``consent``, ``referrals``, ``tasks``, ``history``, ``children``, ``returns``,
``proceedings``, ``break_glass``, ``directory``, ``interpreting``; what they share is in ``_common``. Callers keep
importing from ``palermo.cases.services``.
"""

from __future__ import annotations

from palermo.cases.services._common import (
    BREAK_GLASS_HOURS,
    CONTEXT_COUNTRIES,
    CONTEXT_LISTS,
    PERSON_FIELDS,
    NotAllowed,
    StaleVersion,
    clean_context,
    clean_person,
    deployment_country,
    rule_settings,
)
from palermo.cases.services.break_glass import break_glass_open, break_glass_review
from palermo.cases.services.children import bid_record, child_protection_notify, guardian_appoint
from palermo.cases.services.consent import consent_give, consent_withdraw, legal_basis_record
from palermo.cases.services.directory import (
    compensation_claim_from_investigation,
    service_provider_save,
)
from palermo.cases.services.editing import case_update, context_update, person_update
from palermo.cases.services.history import suspect_link, trafficking_event_add
from palermo.cases.services.identification import (
    appeal_decide,
    appeal_lodge,
    identification_decide,
    identification_decision_plan,
)
from palermo.cases.services.interpreting import interpreter_request
from palermo.cases.services.notes import note_add, record_event_add
from palermo.cases.services.opening import case_open, referral_receive
from palermo.cases.services.phases import case_transition
from palermo.cases.services.proceedings import (
    compensation_claim_record,
    compensation_claim_update,
    non_punishment_decide,
    non_punishment_record,
)
from palermo.cases.services.referrals import (
    service_referral_accept,
    service_referral_close,
    service_referral_decline,
    service_referral_deliver,
    service_referral_send,
)
from palermo.cases.services.returns import return_assessment_record, return_record
from palermo.cases.services.tasks import reminders_send, task_add, task_complete
from palermo.cases.services.team import team_add, team_remove

__all__ = [
    "BREAK_GLASS_HOURS",
    "CONTEXT_COUNTRIES",
    "CONTEXT_LISTS",
    "NotAllowed",
    "PERSON_FIELDS",
    "StaleVersion",
    "appeal_decide",
    "appeal_lodge",
    "bid_record",
    "break_glass_open",
    "break_glass_review",
    "case_open",
    "case_transition",
    "case_update",
    "child_protection_notify",
    "clean_context",
    "clean_person",
    "compensation_claim_from_investigation",
    "compensation_claim_record",
    "compensation_claim_update",
    "consent_give",
    "consent_withdraw",
    "context_update",
    "deployment_country",
    "guardian_appoint",
    "identification_decide",
    "identification_decision_plan",
    "interpreter_request",
    "legal_basis_record",
    "non_punishment_decide",
    "non_punishment_record",
    "note_add",
    "record_event_add",
    "person_update",
    "referral_receive",
    "reminders_send",
    "return_assessment_record",
    "return_record",
    "rule_settings",
    "service_provider_save",
    "service_referral_accept",
    "service_referral_close",
    "service_referral_decline",
    "service_referral_deliver",
    "service_referral_send",
    "suspect_link",
    "task_add",
    "task_complete",
    "team_add",
    "team_remove",
    "trafficking_event_add",
]
