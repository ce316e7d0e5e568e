"""Vocabularies of the supply-chain context, as stable codes with readable labels.

Pure: no Django imports. Labels go through the local ``_`` marker and are translated by
the shell (``gettext``) when shown.
"""

from __future__ import annotations

from typing import Final


def _(text: str) -> str:
    """Marks a label for translation (the shell translates it with ``gettext``)."""
    return text


# The 11 ILO indicators of forced labour (ILO Special Action Programme to Combat Forced
# Labour, "ILO Indicators of Forced Labour", 2012).
ILO_INDICATORS: Final[dict[str, str]] = {
    "abuse_of_vulnerability": _("Abuse of vulnerability"),
    "deception": _("Deception"),
    "restriction_of_movement": _("Restriction of movement"),
    "isolation": _("Isolation"),
    "violence": _("Physical and sexual violence"),
    "intimidation": _("Intimidation and threats"),
    "retention_of_documents": _("Retention of identity documents"),
    "withholding_of_wages": _("Withholding of wages"),
    "debt_bondage": _("Debt bondage"),
    "abusive_conditions": _("Abusive working and living conditions"),
    "excessive_overtime": _("Excessive overtime"),
}

# What a self-assessment question informs when it is not one of the ILO indicators: due-
# diligence measures (supply/questionnaire.py). A red flag on one becomes a corrective action
# tied to it, as a finding on an ILO indicator is.
SAQ_MEASURES: Final[dict[str, str]] = {
    "recruitment_fees": _("Recruitment fees charged to workers"),
    "site_disclosure": _("Disclosure of sites"),
    "recruiter_disclosure": _("Disclosure of labour recruiters"),
    "grievance_mechanism": _("Grievance mechanism"),
    "social_audits": _("Social audits"),
}

# The procurement measures (a)–(g) recommended to governments in the OSCE Special
# Representative's 2016–17 report ("Recommendations for Governments on identifying and
# addressing THB/LE", seeds 000:2539–2571).
MEASURES: Final[dict[str, str]] = {
    "a": _("(a) Review blacklists (exclusion lists) of potential suppliers"),
    "b": _("(b) Require access to audit reports"),
    "c": _("(c) Require the names and addresses of the factories in the supply chain"),
    "d": _(
        "(d) Award criteria requiring human-rights standards, especially the ILO core conventions"
    ),
    "e": _("(e) Contractor's due diligence and risk-mitigation policy"),
    "f": _("(f) A preventive policy against trafficking adopted by the contractor"),
    "g": _("(g) A mechanism to monitor compliance"),
}

# The procurement lifecycle (OSCE procurement training; UK PPN 009).
STAGES: Final[dict[str, str]] = {
    "need": _("Need"),
    "specification": _("Specification"),
    "selection": _("Selection"),
    "award": _("Award"),
    "contract": _("Contract"),
    "management": _("Contract management"),
    "termination": _("Termination"),
}

# The stage at which each measure is taken.
MEASURE_STAGE: Final[dict[str, str]] = {
    "a": "selection",
    "b": "selection",
    "c": "selection",
    "d": "award",
    "e": "contract",
    "f": "contract",
    "g": "management",
}

# The six risk characteristics of public-procurement guidance (UK PPN 009 risk table).
CHARACTERISTICS: Final[dict[str, str]] = {
    "industry": _("High-risk industry"),
    "workforce": _("Vulnerable or low-skilled workforce (migrant, agency, seasonal)"),
    "location": _("High-risk location"),
    "operating_context": _("High-risk operating context (conflict, weak rule of law)"),
    "commodity": _("High-risk commodity or raw material"),
    "business_model": _("Business model with many tiers, subcontracting or short lead times"),
}

# Supplier evidence that mitigates risk.
EVIDENCE: Final[dict[str, str]] = {
    "policy": _("Anti-trafficking policy in place"),
    "audit": _("Audit reports made available"),
    "sites": _("Sites in the supply chain disclosed"),
}

LEVELS: Final[tuple[str, ...]] = ("low", "medium", "high")
LEVEL_LABELS: Final[dict[str, str]] = {
    "low": _("Low"),
    "medium": _("Medium"),
    "high": _("High"),
}

EXPLOITATION_KINDS: Final[dict[str, str]] = {
    "cl": _("child labour"),
    "fl": _("forced labour"),
    "fcl": _("forced child labour"),
}

# The fields whose provenance is kept (``models.FieldProvenance``), with their labels.
SUPPLIER_FIELDS: Final[dict[str, str]] = {
    "name": _("Name"),
    "company_id": _("National company id"),
    "lei": _("LEI"),
    "parent": _("Parent company"),
    "country": _("Country"),
    "has_policy": _("Anti-trafficking policy in place"),
    "audit_access": _("Audit reports made available"),
    "sites_disclosed": _("Sites in the supply chain disclosed"),
    "is_recruiter": _("Labour recruiter or agency"),
}
SITE_FIELDS: Final[dict[str, str]] = {
    "os_id": _("OS ID"),
    "name": _("Name"),
    "address": _("Address"),
    "country": _("Country"),
    "lat": _("Latitude"),
    "lng": _("Longitude"),
    "workers": _("Number of workers"),
    "sector": _("Sector"),
    "product_type": _("Product type"),
    "processing_type": _("Processing type"),
    "facility_type": _("Facility type"),
    "parent_company": _("Parent company"),
    "is_closed": _("Closed"),
    "supplier": _("Supplier"),
}
