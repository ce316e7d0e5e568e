"""Online-risk API: screen adverts (stores nothing), import them into leads, list leads and
record decisions, look a name up in the licence registry.

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator

from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest
from palermo.prevent import adverts, langid, selectors, services
from palermo.prevent.advert_input import AdvertIn

router = Router(tags=["prevent"])
MAX_ID = 2**63 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


def Text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)
    ]


class AdvertBody(Schema):
    text: Text(adverts.MAX_ADVERT_CHARS, 1)  # type: ignore[valid-type]
    ref: Text(300) = ""  # type: ignore[valid-type]


class PreventScreenIn(Schema):
    adverts: list[AdvertBody] = Field(..., min_length=1, max_length=1000)


class FlagOut(Schema):
    rule: str
    indicator: str
    strength: str
    start: int
    end: int
    text: str
    sources: list[str]


class ScreenedOut(Schema):
    ref: str
    language: str
    group: int
    flags: list[FlagOut]
    phones: list[str]
    emails: list[str]
    urls: list[str]
    agencies: list[str]


class PreventImportIn(PreventScreenIn):
    label: Text(200, 1)  # type: ignore[valid-type]


class PreventImportOut(Schema):
    batch: int
    adverts: int
    new_leads: int


class LeadOut(Schema):
    id: int
    adverts: int
    indicators: list[str]
    decision: str
    case_reference: str


class PreventDecisionIn(Schema):
    decision: Literal["dismissed", "monitor", "investigate", "platform"]
    note: Text(500) = ""  # type: ignore[valid-type]


class LicenceOut(Schema):
    name: str
    licence_number: str
    country: str
    status: str
    kind: str
    similarity: int
    stale: bool
    expired: bool


def _items(body: PreventScreenIn) -> list[AdvertIn]:
    return [AdvertIn(adverts.prepare(a.text), adverts.prepare(a.ref)[:300]) for a in body.adverts]


@router.post(
    "/adverts/screen",
    response=with_errors(list[ScreenedOut]),
    summary="Screen adverts: language, flags with spans, contacts, near-duplicate groups (stores nothing)",
)
@api_requires(Perm.PREVENT_SCREEN)
def advert_screen(request: AuthedRequest, payload: PreventScreenIn) -> Any:
    rules = adverts.load()
    items = _items(payload)
    groups = adverts.group_near_duplicates([i.text for i in items])
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    out = []
    for n, item in enumerate(items):
        lang, _score = langid.detect(item.text)
        s = adverts.screen(item.text, lang, rules)
        out.append(
            {
                "ref": item.ref,
                "language": lang,
                "group": group_of[n],
                "flags": [
                    {
                        "rule": f.rule_id,
                        "indicator": f.indicator,
                        "strength": f.strength,
                        "start": f.start,
                        "end": f.end,
                        "text": f.matched,
                        "sources": list(f.sources),
                    }
                    for f in s.flags
                ],
                "phones": list(s.entities.phones),
                "emails": list(s.entities.emails),
                "urls": list(s.entities.urls),
                "agencies": list(s.entities.agencies),
            }
        )
    return out


@router.post(
    "/adverts/import",
    response=with_errors({201: PreventImportOut}),
    summary="Import adverts into leads (a known template joins its lead; its decision stands)",
)
@api_requires(Perm.PREVENT_SCREEN)
def advert_import(request: AuthedRequest, payload: PreventImportIn) -> Any:
    batch = services.adverts_import(
        actor=request.user,
        organisation=request.organisation,
        label=payload.label,
        items=_items(payload),
    )
    return Status(201, {"batch": batch.pk, "adverts": batch.adverts, "new_leads": batch.new_leads})


@router.get("/leads", response=with_errors(list[LeadOut]), summary="Leads of your organisation")
@api_requires(Perm.PREVENT_SCREEN)
def lead_list(
    request: AuthedRequest,
    decision: Literal[
        "", "open", "dismissed", "monitor", "investigate", "platform", "referred"
    ] = "",
) -> Any:
    return [
        {
            "id": lead.pk,
            "adverts": getattr(lead, "n_adverts", 0),  # annotated by the selector
            "indicators": lead.indicators,
            "decision": lead.decision,
            "case_reference": lead.case_reference,
        }
        for lead in selectors.leads_for(request.user, request.organisation, decision)[:500]
    ]


@router.post(
    "/leads/{lead_id}/decision", response=with_errors(LeadOut), summary="Record a decision"
)
@api_requires(Perm.PREVENT_SCREEN)
def lead_decide(
    request: AuthedRequest,
    lead_id: Annotated[int, Field(ge=1, le=MAX_ID)],
    payload: PreventDecisionIn,
) -> Any:
    lead = selectors.access_lead(request.user, request.organisation, lead_id)
    services.lead_decide(
        actor=request.user,
        organisation=request.organisation,
        lead=lead,
        decision=payload.decision,
        note=payload.note,
    )
    return {
        "id": lead.pk,
        "adverts": lead.adverts.count(),
        "indicators": lead.indicators,
        "decision": lead.decision,
        "case_reference": lead.case_reference,
    }


class PreventEvidenceIn(Schema):
    target: Literal["investigation", "case"]
    reference: Text(30, 1)  # type: ignore[valid-type]
    note: Text(500) = ""  # type: ignore[valid-type]


class PreventEvidenceOut(Schema):
    id: int
    advert: int
    target: str
    reference: str


@router.post(
    "/leads/{lead_id}/adverts/{advert_id}/evidence",
    response=with_errors({201: PreventEvidenceOut}),
    summary="Attach an advert as evidence to an investigation or a case you may see",
)
@api_requires(Perm.PREVENT_SCREEN)
def advert_attach(
    request: AuthedRequest,
    lead_id: Annotated[int, Field(ge=1, le=MAX_ID)],
    advert_id: Annotated[int, Field(ge=1, le=MAX_ID)],
    payload: PreventEvidenceIn,
) -> Any:
    lead = selectors.access_lead(request.user, request.organisation, lead_id)
    advert = selectors.advert_of(lead, advert_id)
    e = services.advert_attach(
        actor=request.user,
        organisation=request.organisation,
        advert=advert,
        target=payload.target,
        reference=payload.reference,
        note=payload.note,
    )
    return Status(
        201, {"id": e.pk, "advert": advert.pk, "target": e.target, "reference": e.reference}
    )


class CellOut(Schema):
    category: str
    count: int | None  # None: suppressed (small cell)


class CountsOut(Schema):
    since: str
    threshold: int
    total: int | None
    by_week: list[CellOut]
    by_place: list[CellOut]  # country of a report, language of an advert ("" unknown)
    by_sign: list[CellOut]


class StatisticsOut(Schema):
    adverts: CountsOut
    reports: CountsOut


def _counts(c: Any) -> dict[str, Any]:
    return {
        "since": c.since.isoformat(),
        "threshold": c.threshold,
        "total": c.total,
        **{
            f"by_{dim}": [{"category": k, "count": v} for k, v in c.by(dim).items()]
            for dim in ("week", "place", "sign")
        },
    }


@router.get(
    "/statistics",
    response=with_errors(StatisticsOut),
    summary="Protected counts of adverts screened and worker reports, by week, place and sign",
)
@api_requires(Perm.PREVENT_STATS)
def statistics(request: AuthedRequest) -> Any:
    stats = selectors.online_statistics(request.user, request.organisation)
    return {"adverts": _counts(stats["adverts"]), "reports": _counts(stats["reports"])}


class LookupQuery(Schema):
    name: Text(200, 1)  # type: ignore[valid-type]


@router.get(
    "/licences/lookup",
    response=with_errors(list[LicenceOut]),
    summary="Registry entries whose names resemble NAME (any spelling or alphabet)",
)
@api_requires(Perm.PREVENT_LICENCES)
def licence_lookup(request: AuthedRequest, query: Query[LookupQuery]) -> Any:
    return [
        {
            "name": m["entry"].name,
            "licence_number": m["entry"].licence_number,
            "country": m["entry"].country,
            "status": m["entry"].status,
            "kind": m["kind"],
            "similarity": m["score"],
            "stale": m["stale"],
            "expired": m["expired"],
        }
        for m in services.licence_lookup(query.name)
    ]
