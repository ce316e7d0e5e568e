"""Vocabularies of cross-border hand-over (stable codes, with the words people read).

Pure: no Django imports. ``_`` is a no-op marker so ``makemessages`` finds the words; the
Django shell translates them with ``gettext`` when it shows them.
"""

from __future__ import annotations

from typing import Final


def _(text: str) -> str:
    return text


# Field groups a transfer consent names and a partner's legal basis allows. Each group
# carries a fixed set of field names: HTCDS names where HTCDS has the field, ``plm_`` names
# (Palermo extensions, listed in the JSON Schema) where it has none.
GROUP_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "identity": (
        "prs_FirstName",
        "prs_SecondName",
        "prs_Birthdate",
        "prs_Gender",
        "prs_Citizenship",
        "prs_PrimaryLanguage",
        "prs_SecondaryLanguage",
        "prs_IdentityNumber",
    ),
    "contact": (
        "prs_MobilePhone",
        "prs_Email",
        "prs_MailingStreet",
        "prs_MailingCity",
        "prs_MailingPostalCode",
        "prs_MailingCountry",
    ),
    "exploitation": (
        "vic_TypeOfExploitation",
        "vic_MethodOfRecruitment",
        "vic_MethodsOfControl",
        "vic_ForcedLabourIndustry",
        "vic_TypeOfSexExploitation",
        "vic_AgeWhenTrafficked",
        "vic_TraffickingStatus",
    ),
    "needs_and_services": ("plm_ServicesReceived", "plm_ServicesNeeded"),
    "risk_assessment": (
        "plm_ReturnRiskCountry",
        "plm_ReturnRiskConclusion",
        "plm_ReturnRiskAnswers",
        "plm_ReturnRiskAssessedOn",
    ),
    "documents": ("plm_Documents", "plm_DocumentsHeld"),
    "legal": (
        "plm_Proceedings",
        "plm_ProceedingsStage",
        "plm_WitnessIn",
        "plm_NonPunishment",
        "plm_CompensationClaims",
    ),
}
# Fields that carry a list of records (objects of short values), and the keys each record may
# have. HTCDS 2.0 has no fields for documents or criminal proceedings: these are Palermo's.
RECORD_KEYS: Final[dict[str, tuple[str, ...]]] = {
    # type, issuing country (ISO 3166-1), status, validity; the number only when the identity
    # group travels too (a document number identifies the person).
    "plm_Documents": ("type", "issuing_country", "status", "expires_on", "number"),
    # country (ISO 3166-1), stage, the person's roles (witness, injured party …), court or
    # prosecution office, since when at this stage.
    "plm_Proceedings": ("country", "stage", "roles", "authority", "stage_on"),
    "plm_NonPunishment": ("offence", "decision", "decided_on"),
    "plm_CompensationClaims": (
        "source",
        "status",
        "amount",
        "currency",
        "filed_on",
        "decided_on",
        "amount_awarded",
    ),
}
# Record keys whose value is a short list of codes (all others are one short value).
RECORD_LIST_KEYS: Final[frozenset[str]] = frozenset({"roles"})
MAX_RECORDS: Final = 50
DOCUMENT_NUMBER: Final = "number"
GROUPS: Final[tuple[str, ...]] = tuple(GROUP_FIELDS)
# The case file's field group (palermo.cases.access) each hand-over group is read from: a
# sender sends only what they may see on the case itself (no second door abroad).
CASE_GROUP: Final[dict[str, str]] = {
    "identity": "identity",
    "contact": "contact",
    "exploitation": "victim_context",
    "needs_and_services": "referrals",
    "risk_assessment": "safeguards",
    "documents": "identity",
    "legal": "safeguards",
}
GROUP_LABELS: Final[dict[str, str]] = {
    "identity": _("Identity"),
    "contact": _("Contact details"),
    "exploitation": _("Exploitation"),
    "needs_and_services": _("Needs and services"),
    "risk_assessment": _("Return risk assessment"),
    "documents": _("Documents"),
    "legal": _("Legal proceedings"),
}
FIELD_GROUP: Final[dict[str, str]] = {f: g for g, fs in GROUP_FIELDS.items() for f in fs}

# Why the case is handed over (TRM-EU phases the receiving side acts in).
PURPOSES: Final[dict[str, str]] = {
    "assistance": _("Assistance and protection in the receiving country"),
    "return": _("Safe return and social inclusion"),
    "proceedings": _("Criminal or civil proceedings (the person as witness or party)"),
    "family_tracing": _("Family tracing for a child"),
}

# The legal basis for the transfer, recorded per partner (GDPR Chapter V). A public
# authority cannot rely on the person's consent alone (Art. 49(3)).
LEGAL_BASES: Final[dict[str, str]] = {
    "adequacy": _("Adequacy decision (GDPR Art. 45)"),
    "authority_agreement": _("Agreement between public authorities (GDPR Art. 46(2)(a))"),
    "safeguards": _("Other appropriate safeguards (GDPR Art. 46)"),
    "public_interest": _("Important reasons of public interest (GDPR Art. 49(1)(d))"),
    "ngo_explicit_consent": _("Explicit consent, non-public body only (GDPR Art. 49(1)(a))"),
}

# Handling codes (after the EU law-enforcement handling codes H0–H3).
HANDLING: Final[dict[str, str]] = {
    "H0": _("Use only for the stated purpose"),
    "H1": _("Not in judicial proceedings without the sender's permission"),
    "H2": _("No onward transfer without the sender's permission"),
    "H3": _("Other restrictions: see the agreement"),
}

PARTNER_ROLES: Final[dict[str, str]] = {
    "coordinator": _("National co-ordinator"),
    "authority": _("Public authority"),
    "ngo": _("Non-governmental organisation"),
    "international": _("International organisation"),
}

# Status updates both ways (after Primero's referral states and the OpenFn decision callback).
STATUSES: Final[dict[str, str]] = {
    "accepted": _("Accepted"),
    "declined": _("Declined"),
    "assistance_started": _("Assistance started"),
    "return_completed": _("Return completed"),
    "closed": _("Closed"),
}
# Statuses that close the loop: the sender stops waiting.
FINAL_STATUSES: Final[frozenset[str]] = frozenset({"declined", "closed"})

REVOKE_REASONS: Final[dict[str, str]] = {
    "consent_withdrawn": _("Consent withdrawn"),
    "sent_in_error": _("Sent in error"),
}

# Why an envelope was refused. Stable codes: they travel in signed receipts.
REJECT_REASONS: Final[dict[str, str]] = {
    "oversized": _("The envelope is larger than the limit."),
    "malformed": _("The envelope is not a compact JWE."),
    "unknown_key": _("The envelope is not encrypted to one of our keys."),
    "tampered": _("The envelope or its signature does not verify."),
    "unknown_sender": _("The sender is not in the trust list."),
    "partner_expired": _("The sender's entry in the trust list is not valid now."),
    "misaddressed": _("The message is addressed to another instance."),
    "expired": _("The message has expired."),
    "not_yet_valid": _("The message is dated in the future."),
    "schema_invalid": _("The message does not follow the hand-over schema."),
    "undeclared_groups": _("The message carries data outside its declared groups."),
    "replayed": _("A different message with the same identifier was already received."),
    "unknown_handover": _("The message refers to a hand-over we do not hold."),
}

# Other channels a police exchange may go over; Palermo records them, it does not replace them.
POLICE_CHANNELS: Final[dict[str, str]] = {
    "liaison_officer": _("Liaison officer"),
    "siena": _("Europol SIENA"),
    "interpol": _("Interpol I-24/7"),
    "mla": _("Mutual legal assistance request"),
}
