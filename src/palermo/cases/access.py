"""Need-to-know: which parts of a case file an organisation's user may see.

A case file is split into field groups. Who sees which is decided here from a
handful of facts that the selectors gather (``AccessFacts``); nothing else in
Palermo decides it. An empty answer means the case is not visible at all, and
the selectors then answer "not found".

Pure: no Django imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

OVERVIEW: Final = (
    "overview"  # reference, phase, status, identification status, child, nationality, forms
)
IDENTITY: Final = (
    "identity"  # names, date of birth, gender, citizenship, languages, identity number
)
CONTACT: Final = "contact"  # current address, phone, e-mail
VICTIM_CONTEXT: Final = (
    "victim_context"  # recruitment, control, exploitation, locations, trafficking events
)
SUSPECTS: Final = "suspects"  # persons linked as suspected perpetrators
TIMELINE: Final = "timeline"  # events, decisions, notes
SAFEGUARDS: Final = "safeguards"  # children, return, proceedings
CONSENTS: Final = "consents"
REFERRALS: Final = "referrals"
TASKS: Final = "tasks"

ALL_GROUPS: Final = frozenset(
    {
        OVERVIEW,
        IDENTITY,
        CONTACT,
        VICTIM_CONTEXT,
        SUSPECTS,
        TIMELINE,
        SAFEGUARDS,
        CONSENTS,
        REFERRALS,
        TASKS,
    }
)
GROUP_LABELS: Final = {
    OVERVIEW: "Overview",
    IDENTITY: "Identity",
    CONTACT: "Current address and contacts",
    VICTIM_CONTEXT: "Victim context and trafficking events",
    SUSPECTS: "Suspected perpetrators",
    TIMELINE: "Timeline and notes",
    SAFEGUARDS: "Safeguards: children, return, proceedings",
    CONSENTS: "Consents",
    REFERRALS: "Referrals to services",
    TASKS: "Tasks and deadlines",
}
# What the receiving organisation of a service referral can be given by consent.
# Contacts stay with the case team whatever a consent says.
REFERRAL_SHAREABLE: Final = frozenset({IDENTITY, VICTIM_CONTEXT, SAFEGUARDS})
PERSONAL_GROUPS: Final = frozenset({IDENTITY, CONTACT})


@dataclass(frozen=True)
class AccessFacts:
    can_view_cases: bool  # the user holds the "see cases" permission where they act
    on_case_team: bool  # the organisation is assigned to the case
    identification_body: bool  # the organisation is the competent identification body
    law_enforcement: bool  # police, prosecution, financial intelligence, immigration
    law_enforcement_identity: bool = (
        False  # consent (identity) or a recorded legal basis for this organisation
    )
    law_enforcement_contact: bool = (
        False  # consent (contact) or a recorded legal basis for this organisation
    )
    referral_scopes: frozenset[str] = (
        frozenset()
    )  # consented scopes of open referrals to this organisation
    break_glass: bool = False  # an active, audited break-glass access
    # The case belongs to the organisations the user's data is scoped to (always true in
    # production; in an exercise instance, the trainee's team: palermo.core.scope). Outside
    # the scope no rule above grants anything, break-glass and identification body included.
    in_scope: bool = True


@dataclass(frozen=True)
class Visibility:
    groups: frozenset[str]
    basis: tuple[str, ...]  # why: "case team", "identification body", "referral", "break-glass"

    @property
    def visible(self) -> bool:
        return bool(self.groups)

    def __contains__(self, group: object) -> bool:
        return group in self.groups


def visible_groups(facts: AccessFacts) -> Visibility:
    if not facts.can_view_cases or not facts.in_scope:
        return Visibility(frozenset(), ())
    groups: set[str] = set()
    basis: list[str] = []
    if facts.on_case_team:
        basis.append("case team")
        if facts.law_enforcement:
            # Law enforcement on the team works the case but meets the person's
            # identity only with consent or a legal basis (victim safety first).
            groups |= ALL_GROUPS - PERSONAL_GROUPS
            if facts.law_enforcement_identity:
                groups.add(IDENTITY)
            if facts.law_enforcement_contact:
                groups.add(CONTACT)
        else:
            groups |= ALL_GROUPS
    if facts.identification_body:
        basis.append("identification body")
        groups |= ALL_GROUPS - {CONTACT}
    if facts.referral_scopes:
        basis.append("referral")
        groups |= {OVERVIEW} | (facts.referral_scopes & REFERRAL_SHAREABLE)
    if facts.break_glass:
        basis.append("break-glass")
        groups |= ALL_GROUPS
    return Visibility(frozenset(groups), tuple(basis))
