"""Field types of the case-file API's bodies and paths.

Each text type is an ``Annotated`` alias, so the type checker sees ``str`` and django-ninja
reads the length limits and the NUL check at run time. The names say what a field holds; the
limits are those the case pages have always had (a change here changes the published schema).
"""

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from ninja import Field, Path
from pydantic import AfterValidator, BeforeValidator, StrictInt

from palermo.cases import workflow as wf
from palermo.cases.models import TeamRole

MAX_ID = 2**63 - 1
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it as bad input rather than fail on save.
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


NoNul = AfterValidator(_no_nul)

# --- text, by what it holds (optional unless the name says Required) ---------------------------
CountryCode = Annotated[str, Field(min_length=0, max_length=2), NoNul]  # ISO 3166-1 alpha-2
LanguageCode = Annotated[str, Field(min_length=0, max_length=3), NoNul]  # ISO 639
CurrencyCode = Annotated[str, Field(min_length=0, max_length=3), NoNul]  # ISO 4217
PostalCode = Annotated[str, Field(min_length=0, max_length=20), NoNul]
Phone = Annotated[str, Field(min_length=0, max_length=30), NoNul]
SearchText = Annotated[str, Field(min_length=0, max_length=40), NoNul]
Code = Annotated[str, Field(min_length=0, max_length=60), NoNul]  # a vocabulary value
IdentityNumber = Annotated[str, Field(min_length=0, max_length=60), NoNul]
SourceRef = Annotated[str, Field(min_length=0, max_length=80), NoNul]
Name = Annotated[str, Field(min_length=0, max_length=100), NoNul]  # of a person or a place
Label = Annotated[str, Field(min_length=0, max_length=200), NoNul]  # a street, a body, a group
RequiredLabel = Annotated[str, Field(min_length=1, max_length=200), NoNul]
Email = Annotated[str, Field(min_length=0, max_length=254), NoNul]
Line = Annotated[str, Field(min_length=0, max_length=300), NoNul]  # one line of text
RequiredLine = Annotated[str, Field(min_length=1, max_length=300), NoNul]
Reason = Annotated[str, Field(min_length=0, max_length=2000), NoNul]
RequiredReason = Annotated[str, Field(min_length=1, max_length=2000), NoNul]
Details = Annotated[str, Field(min_length=0, max_length=5000), NoNul]
LongText = Annotated[str, Field(min_length=0, max_length=10_000), NoNul]

# Bodies are strict: "yes" is not a boolean and "5" is not a number (lax parsing would
# accept input the schema documents as invalid).
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


def _iso_date(value: Any) -> Any:
    # Lax parsing would read 0 as 1970-01-01; a date in a body is an ISO 8601 string.
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise ValueError("Use an ISO 8601 date, YYYY-MM-DD.")


Day = Annotated[dt.date, BeforeValidator(_iso_date)]

# --- path parameters -----------------------------------------------------------------------------
Ref = Annotated[str, Path(max_length=40, description="Case reference, e.g. NRM-7K2Q-9F3D")]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

# --- vocabularies ----------------------------------------------------------------------------------
# The allowed values are data (palermo.cases.workflow), so the schema lists them as enums; a type
# checker cannot read a Literal built at run time and sees plain text.
if TYPE_CHECKING:
    ServiceType: TypeAlias = str
    ServiceTypeOrAll: TypeAlias = str
    ReferralStatusOrAll: TypeAlias = str
    ReferralOutcome: TypeAlias = str
    Phase: TypeAlias = str
    ClosureReasonOrNone: TypeAlias = str
    TeamRoleName: TypeAlias = str
    ConsentScope: TypeAlias = str
    ConsentPurpose: TypeAlias = str
    ConsentGiver: TypeAlias = str
    BidFactor: TypeAlias = str
    DurableSolution: TypeAlias = str
    NonPunishmentDecision: TypeAlias = str
    CompensationSource: TypeAlias = str
    ProceedingsStage: TypeAlias = str
    ProceedingsRole: TypeAlias = str
    DocumentType: TypeAlias = str
    DocumentStatus: TypeAlias = str
else:
    ServiceType = Literal[tuple(wf.SERVICE_TYPES)]
    ServiceTypeOrAll = Literal[("", *wf.SERVICE_TYPES)]
    ReferralStatusOrAll = Literal[("", *wf.REFERRAL_STATUSES)]
    ReferralOutcome = Literal[tuple(wf.REFERRAL_OUTCOMES)]
    Phase = Literal[tuple(wf.PHASES)]
    ClosureReasonOrNone = Literal[("", *wf.CLOSURE_REASONS)]
    TeamRoleName = Literal[tuple(TeamRole.values)]
    ConsentScope = Literal[tuple(wf.CONSENT_SCOPES)]
    ConsentPurpose = Literal[tuple(wf.CONSENT_PURPOSES)]
    ConsentGiver = Literal[tuple(wf.CONSENT_GIVERS)]
    BidFactor = Literal[tuple(wf.BID_FACTORS)]
    DurableSolution = Literal[tuple(wf.DURABLE_SOLUTIONS)]
    NonPunishmentDecision = Literal[tuple(wf.NON_PUNISHMENT_DECISIONS)]
    CompensationSource = Literal[tuple(wf.COMPENSATION_SOURCES)]
    ProceedingsStage = Literal[tuple(wf.PROCEEDINGS_STAGES)]
    ProceedingsRole = Literal[tuple(wf.PROCEEDINGS_ROLES)]
    DocumentType = Literal[tuple(wf.DOCUMENT_TYPES)]
    DocumentStatus = Literal[tuple(wf.DOCUMENT_STATUSES)]
