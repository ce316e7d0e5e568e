"""Palermo's case file ⇄ HTCDS flat records, and cases → CTDC source rows and ``VictimStat``.

An HTCDS record is a ``dict`` from HTCDS field name to its normalised text
value (``htcds_rows``); empty fields are absent. Export writes only the field
groups the reader may see (``cases.access``): identity, contacts and victim
context are left out of a record whose group is hidden from the exporter.

What has no HTCDS field stays in Palermo (phase, child flag, team, timeline,
safeguards …), and what has no place in Palermo's case file is reported on
import, never silently taken for stored (:data:`UNSTORED_FIELDS`).

Takes model instances but makes no queries of its own beyond the related
objects the caller prefetched (``person``, ``context``, organisations,
decisions, service referrals).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from palermo.cases import access
from palermo.cases import workflow as wf
from palermo.stats.small_cells import VictimStat

# --- HTCDS ---------------------------------------------------------------------------------------

# Person field → HTCDS field, and the access group that must be visible to export it.
PERSON_MAP: tuple[tuple[str, str, str], ...] = (
    ("given_name", "prs_FirstName", access.IDENTITY),
    ("family_name", "prs_SecondName", access.IDENTITY),
    ("birthdate", "prs_Birthdate", access.IDENTITY),
    ("gender", "prs_Gender", access.IDENTITY),
    ("citizenship", "prs_Citizenship", access.IDENTITY),
    ("primary_language", "prs_PrimaryLanguage", access.IDENTITY),
    ("secondary_language", "prs_SecondaryLanguage", access.IDENTITY),
    ("identity_number", "prs_IdentityNumber", access.IDENTITY),
    ("phone", "prs_MobilePhone", access.CONTACT),
    ("email", "prs_Email", access.CONTACT),
    ("street", "prs_MailingStreet", access.CONTACT),
    ("city", "prs_MailingCity", access.CONTACT),
    ("postal_code", "prs_MailingPostalCode", access.CONTACT),
    ("country", "prs_MailingCountry", access.CONTACT),
)
CONTEXT_MAP: tuple[tuple[str, str], ...] = (
    ("methods_of_recruitment", "vic_MethodOfRecruitment"),
    ("methods_of_control", "vic_MethodsOfControl"),
    ("exploitation_types", "vic_TypeOfExploitation"),
    ("forced_labour_industry", "vic_ForcedLabourIndustry"),
    ("sex_exploitation_types", "vic_TypeOfSexExploitation"),
    ("relationship_to_trafficker", "vic_RelationshipToTrafficker"),
    ("age_when_trafficked", "vic_AgeWhenTrafficked"),
)
# HTCDS fields of the flat layout that the case file has no place for: an import names them in its notes.
STORED_FIELDS = frozenset(
    [h for _, h, _ in PERSON_MAP]
    + [h for _, h in CONTEXT_MAP]
    + [
        "vic_TraffickingStatus",
        "vic_TraffickingStatusDecisionMakingOrg",
        "cas_Status",
        "cas_ReferringOrganisation",
        "cas_IncomingReferralDate",
        "cas_ReasonForIncomingReferral",
        "cas_IncomingReferralDetails",
        "cas_ReasonForCaseClosure",
    ]
)

# Field names in the case services' errors → the HTCDS field the value came from.
SERVICE_FIELD_TO_HTCDS: dict[str, str] = {
    **{f"person.{attr}": name for attr, name, _ in PERSON_MAP},
    **{attr: name for attr, name, _ in PERSON_MAP},
    **dict(CONTEXT_MAP),
    "exploitation_forms": "vic_TypeOfExploitation",
    "referral_date": "cas_IncomingReferralDate",
    "reason_for_referral": "cas_ReasonForIncomingReferral",
    "summary": "cas_IncomingReferralDetails",
    "status": "cas_Status",
    "outcome": "vic_TraffickingStatus",
    "target": "cas_Status",
}

# Organisation type of the deciding body → HTCDS vic_TraffickingStatusDecisionMakingOrg.
DECISION_ORG = {
    "law_enforcement": "Police",
    "immigration": "NonPoliceGovernmentalOrganization",
    "ngo": "NGO",
    "prosecution": "CourtOrProsecution",
    "central_government": "NonPoliceGovernmentalOrganization",
    "local_government": "NonPoliceGovernmentalOrganization",
    "labour_inspectorate": "NonPoliceGovernmentalOrganization",
    "fiu": "NonPoliceGovernmentalOrganization",
    "health_service": "NonPoliceGovernmentalOrganization",
}
# HTCDS vic_TraffickingStatus → Palermo's identification outcome (Possible: no decision recorded).
TRAFFICKING_STATUS_OUTCOME = {
    "PossibleVictimOfTrafficking": None,
    "ActualVictimOfTrafficking": wf.IDENTIFIED,
    "NotAVictimOfTrafficking": wf.NOT_IDENTIFIED,
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value if str(v))
    return str(value).strip()


def case_to_htcds(
    case: Any, *, groups: frozenset[str] | set[str], referring_organisation: str = ""
) -> dict[str, str]:
    """One case as an HTCDS flat record, limited to the ``groups`` its reader may see.

    ``referring_organisation`` overrides the case's referring organisation's
    name: for an imported case, the organisation the file named.
    """
    record: dict[str, str] = {}

    def put(name: str, value: Any) -> None:
        text = _text(value)
        if text:
            record[name] = text

    person = getattr(case, "person", None)
    if person is not None:
        for attr, name, group in PERSON_MAP:
            if group in groups:
                put(name, getattr(person, attr))
    if access.OVERVIEW in groups:
        put("vic_TypeOfExploitation", case.exploitation_types)
        put("vic_TraffickingStatus", case.htcds_trafficking_status)
        if case.decision_organisation_id and case.identification_status in (
            wf.IDENTIFIED,
            wf.NOT_IDENTIFIED,
        ):
            put(
                "vic_TraffickingStatusDecisionMakingOrg",
                DECISION_ORG.get(case.decision_organisation.org_type, "Other"),
            )
        put("cas_Status", case.status)
        put("cas_ReferringOrganisation", referring_organisation or case.referring_organisation.name)
        put("cas_IncomingReferralDate", case.incoming_referral_date)
        put("cas_ReasonForIncomingReferral", case.reason_for_incoming_referral)
        if case.status in (wf.STATUS_CLOSED, wf.STATUS_CLOSED_REFERRED):
            put(
                "cas_ReasonForCaseClosure",
                case.closure_details
                or wf.CLOSURE_REASONS.get(case.closure_reason, case.closure_reason),
            )
    context = getattr(case, "context", None)
    if access.VICTIM_CONTEXT in groups:
        put("cas_IncomingReferralDetails", case.summary)
        if context is not None:
            for attr, name in CONTEXT_MAP:
                put(name, getattr(context, attr))
    return record


@dataclass
class CaseInput:
    """What the case services need from one HTCDS record (see :func:`htcds_to_case_input`)."""

    person: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    exploitation_forms: list[str] = field(default_factory=list)
    referral_date: date | None = None
    reason_for_referral: str = ""
    summary: str = ""
    status: str = ""  # cas_Status as written
    outcome: str | None = None  # identification outcome to record, if any
    decision_org_type: str = ""  # HTCDS decision-making organisation, for the decision's reasons
    closure_details: str = ""
    referring_organisation: str = ""
    is_child: bool = False
    unstored: tuple[str, ...] = ()  # fields with a value that the case file has no place for


def _split(value: str) -> list[str]:
    return [v for v in value.split(";") if v]


def _age_on(birthdate: date, day: date) -> int:
    return day.year - birthdate.year - ((day.month, day.day) < (birthdate.month, birthdate.day))


def htcds_to_case_input(record: Mapping[str, str], *, today: date) -> CaseInput:
    """A validated HTCDS record (``htcds_rows`` normal form) as case-service arguments.

    A person is a child when the birthdate says so on the referral date (or
    today); HTCDS has no field for a presumed child.
    """
    out = CaseInput()
    for attr, name, _group in PERSON_MAP:
        if name in record:
            value: Any = record[name]
            if attr == "citizenship":
                value = _split(value)
            out.person[attr] = value
    for attr, name in CONTEXT_MAP:
        if name in record:
            raw = record[name]
            if attr in ("forced_labour_industry", "relationship_to_trafficker"):
                out.context[attr] = raw
            elif attr == "age_when_trafficked":
                out.context[attr] = int(raw)
            else:
                out.context[attr] = _split(raw)
    out.exploitation_forms = _split(record.get("vic_TypeOfExploitation", ""))
    out.context.pop("exploitation_types", None)  # set by the case itself (exploitation_forms)
    if record.get("cas_IncomingReferralDate"):
        out.referral_date = date.fromisoformat(record["cas_IncomingReferralDate"])
    out.reason_for_referral = record.get("cas_ReasonForIncomingReferral", "")
    out.summary = record.get("cas_IncomingReferralDetails", "")
    out.status = record.get("cas_Status", "")
    out.outcome = TRAFFICKING_STATUS_OUTCOME.get(record.get("vic_TraffickingStatus", ""))
    out.decision_org_type = record.get("vic_TraffickingStatusDecisionMakingOrg", "")
    out.closure_details = record.get("cas_ReasonForCaseClosure", "")
    out.referring_organisation = record.get("cas_ReferringOrganisation", "")
    if record.get("prs_Birthdate"):
        born = date.fromisoformat(record["prs_Birthdate"])
        out.is_child = _age_on(born, out.referral_date or today) < 18
    out.unstored = tuple(sorted(k for k in record if k not in STORED_FIELDS))
    return out


# --- CTDC ------------------------------------------------------------------------------------------

CTDC_GENDER = {
    "Feminine": "Female",
    "Masculine": "Male",
    "TransgenderFeminine": "Transgender/NonConforming",
    "TransgenderMasculine": "Transgender/NonConforming",
    "NonConforming": "Transgender/NonConforming",
}
# HTCDS vic_MethodsOfControl → CTDC meansOfControl… column suffix.
CTDC_CONTROL = {
    "PhysicalThreats": "Threats",
    "ThreatsLawEnforcement": "ThreatOfLawEnforcement",
    "ThreatensChildrenFamily": "Threats",
    "DebtBondage": "DebtBondage",
    "FalsePromises": "FalsePromises",
    "PhysicalAbuse": "PhysicalAbuse",
    "SexualAbuse": "SexualAbuse",
    "TakesEarnings": "TakesEarnings",
    "RestrictsFinancialAccess": "RestrictsFinancialAccess",
    "RestrictsMedicalCare": "RestrictsMedicalCare",
    "WithholdsNecessities": "WithholdsNecessities",
    "PsychologicalAbuse": "PsychologicalAbuse",
    "PsychoactiveSubstance": "PsychoactiveSubstances",
    "ExcessiveWorkingHours": "ExcessiveWorkingHours",
    "WithholdsDocuments": "WithholdsDocuments",
    "Other": "Other",
}
CONTROL_COLUMNS = (
    "DebtBondage",
    "TakesEarnings",
    "RestrictsFinancialAccess",
    "Threats",
    "PsychologicalAbuse",
    "PhysicalAbuse",
    "SexualAbuse",
    "FalsePromises",
    "PsychoactiveSubstances",
    "RestrictsMovement",
    "RestrictsMedicalCare",
    "ExcessiveWorkingHours",
    "UsesChildren",
    "ThreatOfLawEnforcement",
    "WithholdsNecessities",
    "WithholdsDocuments",
    "Other",
)
# HTCDS vic_TypeOfExploitation → CTDC is… flag and the label CTDC concatenates.
CTDC_EXPLOITATION = {
    "ForcedLabour": ("isForcedLabour", "Forced labour"),
    "ForcedBegging": ("isForcedLabour", "Forced labour"),
    "SexualExploitation": ("isSexualExploit", "Sexual exploitation"),
    "ForcedMarriage": ("isForcedMarriage", "Forced marriage"),
    "ForcedMilitaryByNonStateActors": ("isForcedMilitary", "Forced military"),
    "OrganRemoval": ("isOrganRemoval", "Organ removal"),
    "Servitude": ("isSlaveryAndPractices", "Slavery and similar practices"),
}
EXPLOIT_FLAGS = (
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isSexAndLabour",
    "isForcedMarriage",
    "isForcedMilitary",
    "isOrganRemoval",
    "isSlaveryAndPractices",
)
# ISIC section of vic_ForcedLabourIndustry → CTDC typeOfLabour… suffix.
CTDC_LABOUR = {
    "A": "Agriculture",
    "B": "MiningOrDrilling",
    "C": "Manufacturing",
    "F": "Construction",
    "H": "Transportation",
    "I": "Hospitality",
    "T": "DomesticWork",
}
LABOUR_COLUMNS = (
    "Agriculture",
    "Aquafarming",
    "Begging",
    "Construction",
    "DomesticWork",
    "Hospitality",
    "IllicitActivities",
    "Manufacturing",
    "MiningOrDrilling",
    "Peddling",
    "Transportation",
    "Other",
    "NotSpecified",
)
SEX_COLUMNS = ("Prostitution", "Pornography", "RemoteInteractiveServices", "PrivateSexualServices")
RECRUITER = {
    "Familial": ("Family", "Family/Relative"),
    "Acquainted": ("Friend", "Friend/Acquaintance"),
    "Unaquainted": ("Other", "Other"),
}


def _age_at_registration(case: Any) -> int | None:
    person = getattr(case, "person", None)
    if person is None or person.birthdate is None:
        return None
    age = _age_on(person.birthdate, case.incoming_referral_date)
    return age if 0 <= age <= 120 else None


def case_to_ctdc(case: Any) -> dict[str, object]:
    """One case as a CTDC source row (``ctdc.SOURCE_COLUMNS``; exact ``age``). No identifying value.

    Flags are 1/0 when the case records the matter, None (written -99) when it does not.
    """
    person = getattr(case, "person", None)
    context = getattr(case, "context", None)
    row: dict[str, object] = {
        "yearOfRegistration": case.incoming_referral_date.year,
        "Datasource": "Case Management",
        "gender": CTDC_GENDER.get(person.gender if person else ""),
        "age": _age_at_registration(case),
        "citizenship": (
            person.citizenship[0] if person and person.citizenship else case.nationality
        )
        or None,
    }
    age_then = context.age_when_trafficked if context is not None else None
    row["majorityStatusAtExploit"] = (
        None if age_then is None else ("Minor" if age_then < 18 else "Adult")
    )
    row["majorityEntry"] = None
    controls = list(context.methods_of_control) if context is not None else []
    names = [CTDC_CONTROL[c] for c in controls if c in CTDC_CONTROL]
    for col in CONTROL_COLUMNS:
        row[f"meansOfControl{col}"] = (1 if col in names else 0) if names else None
    row["meansOfControlNotSpecified"] = 0 if names else 1
    row["meansOfControlConcatenated"] = ";".join(dict.fromkeys(names)) or None
    forms = list(case.exploitation_types or [])
    flags = {f: 0 for f in EXPLOIT_FLAGS}
    labels: list[str] = []
    for form in forms:
        flag, label = CTDC_EXPLOITATION.get(form, ("isOtherExploit", "Other"))
        flags[flag] = 1
        labels.append(label)
    flags["isSexAndLabour"] = int(flags["isForcedLabour"] == 1 and flags["isSexualExploit"] == 1)
    for f in EXPLOIT_FLAGS:
        row[f] = flags[f] if forms else None
    row["typeOfExploitConcatenated"] = ";".join(dict.fromkeys(labels)) or None
    labour: list[str] = []
    if flags["isForcedLabour"]:
        industry = context.forced_labour_industry if context is not None else ""
        if "ForcedBegging" in forms:
            labour.append("Begging")
        if industry:
            labour.append(CTDC_LABOUR.get(industry[:1], "Other"))
        for col in LABOUR_COLUMNS:
            row[f"typeOfLabour{col}"] = 1 if col in labour else 0
        row["typeOfLabourNotSpecified"] = 0 if labour else 1
    else:
        for col in LABOUR_COLUMNS:
            row[f"typeOfLabour{col}"] = None
    row["typeOfLabourConcatenated"] = ";".join(dict.fromkeys(labour)) or None
    sex = list(context.sex_exploitation_types) if context is not None else []
    for col in SEX_COLUMNS:
        row[f"typeOfSex{col}"] = (1 if col in sex else 0) if flags["isSexualExploit"] else None
    row["typeOfSexConcatenated"] = ";".join(s for s in sex if s in SEX_COLUMNS) or None
    row["isAbduction"] = None
    relation = context.relationship_to_trafficker if context is not None else ""
    which, label = RECRUITER.get(relation) or ("Unknown", "")
    row["RecruiterRelationship"] = label or None
    for col in ("IntimatePartner", "Friend", "Family", "Other", "Unknown"):
        row[f"recruiterRelation{col}"] = 1 if col == which else 0
    exploitation_countries = list(context.countries_of_exploitation) if context is not None else []
    row["CountryOfExploitation"] = exploitation_countries[0] if exploitation_countries else None
    return row


# --- Rapporteur statistics -------------------------------------------------------------------------

SEX = {
    "Feminine": "Female",
    "Masculine": "Male",
    "TransgenderFeminine": "Transgender or non-conforming",
    "TransgenderMasculine": "Transgender or non-conforming",
    "NonConforming": "Transgender or non-conforming",
}


def referral_outcome(referrals: Sequence[Any]) -> str | None:
    """The outcome of the case's latest service referral, in words (None: no referral)."""
    if not referrals:
        return None
    latest = max(referrals, key=lambda r: (r.sent_at, r.pk))
    if latest.outcome:
        return str(wf.REFERRAL_OUTCOMES.get(latest.outcome, latest.outcome))
    return f"Referral {latest.status}"


def case_to_victim_stat(
    case: Any, referrals: Sequence[Any] = (), decisions: Iterable[Any] = ()
) -> VictimStat:
    """One case as the Rapporteur tables count it: year of registration, no identifying value.

    The decision date is that of the first identification decision; one dated
    before the referral (data entered late) counts as no decision.
    """
    person = getattr(case, "person", None)
    context = getattr(case, "context", None)
    first = min((d.decided_at for d in decisions), default=None)
    decided = first.date() if first is not None else None
    if decided is not None and decided < case.incoming_referral_date:
        decided = None
    countries = list(context.countries_of_exploitation) if context is not None else []
    return VictimStat(
        year=case.incoming_referral_date.year,
        sex=SEX.get(person.gender) if person is not None and person.gender else None,
        age=_age_at_registration(case),
        citizenship=(
            person.citizenship[0] if person is not None and person.citizenship else case.nationality
        )
        or None,
        country_of_exploitation=countries[0] if countries else None,
        forms_of_exploitation=tuple(case.exploitation_types or ()),
        referral_outcome=referral_outcome(referrals),
        referral_date=case.incoming_referral_date,
        decision_date=decided,
    )
