"""Vocabularies of the exercise context, as stable codes with readable labels.

Pure: no Django imports. Labels go through the local ``_`` marker so that the message
extractor finds them; views translate them with gettext when they show them.
"""

from __future__ import annotations

from typing import Final


def _(text: str) -> str:  # translation marker: extracted, translated where shown
    return text


# The three criteria the OSCE exercises' antennas observe (research/simulation.md).
CRITERIA: Final[dict[str, str]] = {
    "victim_centred": _("Victim-centred approach"),
    "multi_agency": _("Multi-agency co-ordination"),
    "sop": _("Application of standard operating procedures"),
}
# HSEEP's four evaluation ratings (Exercise Evaluation Guides): P / S / M / U.
RATINGS: Final[dict[str, str]] = {
    "performed": _("Performed without challenges"),
    "some_challenges": _("Performed with some challenges"),
    "major_challenges": _("Performed with major challenges"),
    "not_performed": _("Unable to be performed"),
}
PATHS: Final[dict[str, str]] = {
    "social": _("Social path"),
    "investigative": _("Investigative path"),
    "both": _("Both paths"),
}
CHANNELS: Final[dict[str, str]] = {
    "phone_call": _("Phone call"),
    "email": _("E-mail"),
    "walk_in": _("Walk-in"),
    "document": _("Document"),
    "news_item": _("News item"),
    "hotline_call": _("Hotline call"),
}
INJECT_KINDS: Final[dict[str, str]] = {
    "scheduled": _("Scheduled"),
    "manual": _("Manual"),
    "conditional": _("Contingency"),
    "adhoc": _("Ad hoc"),
}
ROLE_KINDS: Final[dict[str, str]] = {
    "trainee": _("Trainee"),
    "role_player": _("Role-player"),
    "observer": _("Antenna (observer)"),
    "controller": _("Controller"),
}
# The Palermo roles a trainee may act in (the real screens): core.roles.Role values.
PALERMO_ROLES: Final[tuple[str, ...]] = ("screener", "case_worker", "coordinator", "investigator")
# Organisation types a scenario may use: core.roles.OrganisationType values.
ORGANISATION_TYPES: Final[tuple[str, ...]] = (
    "ngo",
    "law_enforcement",
    "health_service",
    "central_government",
    "local_government",
    "immigration",
    "legal_service",
    "corporate_business",
    "labour_inspectorate",
    "prosecution",
    "fiu",
    "international_organisation",
)
# Professions of the trainees an international exercise selects (issue 16; research/simulation.md).
PROFESSIONS: Final[dict[str, str]] = {
    "criminal_investigator": _("Criminal investigator"),
    "financial_investigator": _("Financial investigator"),
    "labour_inspector": _("Labour inspector"),
    "prosecutor": _("Prosecutor"),
    "ngo_case_worker": _("NGO case worker"),
    "social_worker": _("Social worker"),
    "cultural_mediator": _("Cultural mediator"),
    "judge": _("Judge"),
    "border_guard": _("Border guard"),
}
# An applicant's gender as they state it; the balance target counts women against the others.
GENDERS: Final[dict[str, str]] = {
    "female": _("Woman"),
    "male": _("Man"),
    "other": _("Another gender or not stated"),
}
