"""Organisation types and user roles.

Organisation types are the HTCDS 2.0 organisation types (Org_Type picklist)
plus the bodies an NRM needs that HTCDS does not name. Values are stable keys
stored in the database; labels are translatable."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationType(models.TextChoices):
    # HTCDS 2.0 organisation types
    NGO = "ngo", _("Non-governmental organisation")
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
    HEALTH_SERVICE = "health_service", _("Health service")
    CENTRAL_GOVERNMENT = "central_government", _("Central government")
    LOCAL_GOVERNMENT = "local_government", _("Local government")
    IMMIGRATION = "immigration", _("Immigration")
    LEGAL_SERVICE = "legal_service", _("Legal service")
    CORPORATE_BUSINESS = "corporate_business", _("Corporate business")
    # Added for NRM practice (OSCE seeds): not in HTCDS 2.0
    LABOUR_INSPECTORATE = "labour_inspectorate", _("Labour inspectorate")
    PROSECUTION = "prosecution", _("Prosecution service")
    FINANCIAL_INTELLIGENCE_UNIT = "fiu", _("Financial intelligence unit")
    INTERNATIONAL_ORGANISATION = "international_organisation", _("International organisation")


class Role(models.TextChoices):
    SCREENER = "screener", _("Screener")
    CASE_WORKER = "case_worker", _("Case worker")
    COORDINATOR = "coordinator", _("Co-ordinator (identification body)")
    INVESTIGATOR = "investigator", _("Investigator")
    ANALYST = "analyst", _("Analyst")
    ADMINISTRATOR = "administrator", _("Administrator")
    # supply chains (palermo.supply): a contracting authority's staff
    PROCUREMENT_OFFICER = "procurement_officer", _("Procurement officer")
    DILIGENCE_ANALYST = "diligence_analyst", _("Due-diligence analyst")
    # online risk (palermo.prevent): screens job adverts, keeps the licence registry
    ONLINE_ANALYST = "online_analyst", _("Online analyst")
    # Exercise instances only (palermo.exercise): the simulation's direction, actors and trainees.
    CHIEF_CONTROLLER = "chief_controller", _("Chief controller (exercise)")
    CONTROLLER = "controller", _("Controller (exercise)")
    ROLE_PLAYER = "role_player", _("Role-player (exercise)")
    ANTENNA = "antenna", _("Antenna, observer (exercise)")
    TRAINEE = "trainee", _("Trainee (exercise)")
