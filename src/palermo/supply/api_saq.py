"""Supply-chain API, questionnaires and product classifications (``/api/v1/supply/…``):
send a self-assessment questionnaire, enter or import the supplier's answers (``dry_run``
checks only), turn its red flags into corrective actions; the CPV/UNSPSC → HS map and the
shipped goods → HS crosswalk. Mounted at ``/supply`` beside ``supply.api``.

(No `from __future__ import annotations`: django-ninja reads the annotations at runtime.)
"""

import datetime as dt
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from palermo.core.apiutil import with_errors
from palermo.core.policy import Perm, api_requires
from palermo.core.request import AuthedRequest
from palermo.supply import questionnaire as saq
from palermo.supply import selectors, services
from palermo.supply.api import SupplyImportOut
from palermo.supply.models import Questionnaire, RecruiterLink, Site, Supplier

router = Router(tags=["supply"])
MAX_ID = 2**63 - 1


class SaqQuestionOut(Schema):
    id: str
    indicator: str
    type: str
    text: str
    choices: list[str]
    red_flags: list[str]
    red_flag_above: int | None


class SaqTemplateOut(Schema):
    id: str
    version: int
    title: str
    rule: str
    questions: list[SaqQuestionOut]


class SaqFindingOut(Schema):
    question: str
    indicator: str
    severity: str
    answer: str


class SaqQuestionnaireOut(Schema):
    id: int
    supplier_id: int
    template: str
    version: int
    sent_on: dt.date
    answered: bool
    answers: dict[str, str]
    comments: dict[str, str]
    score: int | None
    level: str | None
    red_flags: list[SaqFindingOut]
    missing: list[str]
    actions_created: bool


class SaqSendIn(Schema):
    supplier_id: int = Field(ge=1, le=MAX_ID)
    sent_on: dt.date | None = None


class SaqAnswersIn(Schema):
    answers: dict[str, str] = Field(description="question id → answer (code, number or text)")
    comments: dict[str, str] = Field(default_factory=dict)


class SaqActionsIn(Schema):
    owner: str = Field(max_length=200)
    due_on: dt.date


class SaqActionsOut(Schema):
    created: int


class SupplyCodeMapIn(Schema):
    code: str = Field(max_length=24, description="cpv:18100000-0 or unspsc:53100000")
    hs: str = Field(max_length=14, description="an HS code, e.g. 6109")


class SupplyCodeMapOut(Schema):
    code: str
    given: str
    hs: str


class SupplyCrosswalkDefaultsOut(Schema):
    added: int


def _out(q: Questionnaire) -> dict[str, Any]:
    template = services.questionnaire_template(q)
    scored = saq.score(template, q.answers) if q.answered_at else None
    return {
        "id": q.pk,
        "supplier_id": q.supplier_id,
        "template": q.template,
        "version": q.version,
        "sent_on": q.sent_on,
        "answered": q.answered_at is not None,
        "answers": q.answers,
        "comments": q.comments,
        "score": scored.score if scored else None,
        "level": scored.level if scored else None,
        "red_flags": [
            {
                "question": f.question,
                "indicator": f.indicator,
                "severity": f.severity,
                "answer": f.answer,
            }
            for f in (scored.findings if scored else ())
        ],
        "missing": list(scored.missing) if scored else [],
        "actions_created": q.actions_at is not None,
    }


def _mine(request: AuthedRequest, questionnaire_id: int) -> Questionnaire:
    return get_object_or_404(
        Questionnaire, pk=min(questionnaire_id, MAX_ID), organisation=request.organisation
    )


@router.get(
    "/questionnaire-template",
    response=with_errors(SaqTemplateOut),
    summary="The current self-assessment questionnaire: questions, types, red flags",
)
@api_requires(Perm.SUPPLY_VIEW)
def template_get(request: AuthedRequest) -> Any:
    t = saq.latest()
    return {
        "id": t.id,
        "version": t.version,
        "title": t.title,
        "rule": saq.RULE,
        "questions": [
            {
                "id": q.id,
                "indicator": q.indicator,
                "type": q.type,
                "text": q.text,
                "choices": [c for c, _label in q.choices()],
                "red_flags": sorted(q.red_flags),
                "red_flag_above": q.red_flag_above,
            }
            for q in t.questions
        ],
    }


@router.get(
    "/questionnaires",
    response=with_errors(list[SaqQuestionnaireOut]),
    summary="Questionnaires sent to your suppliers, with their answers and red flags",
)
@api_requires(Perm.SUPPLY_VIEW)
def questionnaire_list(request: AuthedRequest) -> Any:
    return [_out(q) for q in Questionnaire.objects.filter(organisation=request.organisation)]


@router.post(
    "/questionnaires",
    response=with_errors({201: SaqQuestionnaireOut}),
    summary="Record that the questionnaire was sent to a supplier",
)
@api_requires(Perm.SUPPLY_MANAGE)
def questionnaire_send(request: AuthedRequest, payload: SaqSendIn) -> Any:
    supplier = get_object_or_404(
        Supplier, pk=payload.supplier_id, organisation=request.organisation
    )
    q = services.questionnaire_send(
        actor=request.user,
        organisation=request.organisation,
        supplier=supplier,
        sent_on=payload.sent_on,
    )
    return Status(201, _out(q))


@router.get(
    "/questionnaires/{questionnaire_id}",
    response=with_errors(SaqQuestionnaireOut),
    summary="One questionnaire",
)
@api_requires(Perm.SUPPLY_VIEW)
def questionnaire_get(request: AuthedRequest, questionnaire_id: int) -> Any:
    return _out(_mine(request, questionnaire_id))


@router.post(
    "/questionnaires/{questionnaire_id}/answers",
    response=with_errors(SaqQuestionnaireOut),
    summary="Enter the supplier's answers: every answer checked, one error and nothing saved",
)
@api_requires(Perm.SUPPLY_MANAGE)
def questionnaire_answer(
    request: AuthedRequest, questionnaire_id: int, payload: SaqAnswersIn
) -> Any:
    q = services.questionnaire_answer(
        actor=request.user,
        organisation=request.organisation,
        questionnaire=_mine(request, questionnaire_id),
        answers=payload.answers,
        comments=payload.comments,
    )
    return _out(q)


@router.post(
    "/questionnaires/{questionnaire_id}/import",
    response=with_errors(SaqQuestionnaireOut),
    summary="Import the answers from a CSV/XLSX (question, answer[, comment]): all or nothing",
)
@api_requires(Perm.SUPPLY_MANAGE)
def questionnaire_import(
    request: AuthedRequest,
    questionnaire_id: int,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
) -> Any:
    from palermo.supply.api import _file, _refused

    data, name = _file(file)
    q = _mine(request, questionnaire_id)
    result = services.questionnaire_import(
        actor=request.user,
        organisation=request.organisation,
        questionnaire=q,
        data=data,
        name=name,
        commit=not dry_run,
    )
    if not result.preview.ok:
        return _refused(result.preview.errors)
    out = _out(q)
    if dry_run and result.scored is not None:  # what the answers would give; nothing saved
        s = result.scored
        out.update(
            score=s.score,
            level=s.level,
            red_flags=[
                {
                    "question": f.question,
                    "indicator": f.indicator,
                    "severity": f.severity,
                    "answer": f.answer,
                }
                for f in s.findings
            ],
            missing=list(s.missing),
        )
    return out


@router.post(
    "/questionnaires/{questionnaire_id}/actions",
    response=with_errors({201: SaqActionsOut}),
    summary="Turn every red flag into a corrective action tied to its indicator",
)
@api_requires(Perm.SUPPLY_MANAGE)
def questionnaire_actions(
    request: AuthedRequest, questionnaire_id: int, payload: SaqActionsIn
) -> Any:
    created = services.questionnaire_actions(
        actor=request.user,
        organisation=request.organisation,
        questionnaire=_mine(request, questionnaire_id),
        owner=payload.owner,
        due_on=payload.due_on,
    )
    return Status(201, {"created": len(created)})


@router.get(
    "/code-map",
    response=with_errors(list[SupplyCodeMapOut]),
    summary="Your CPV and UNSPSC codes mapped to HS",
)
@api_requires(Perm.SUPPLY_VIEW)
def code_map_list(request: AuthedRequest) -> Any:
    return [
        {"code": c.code, "given": c.given, "hs": c.hs}
        for c in selectors.code_map(request.organisation)
    ]


@router.post(
    "/code-map",
    response=with_errors(SupplyCodeMapOut),
    summary="Map a CPV (8 digits, dash, check digit) or UNSPSC (8 digits) code to an HS code",
)
@api_requires(Perm.SUPPLY_MANAGE)
def code_map_set(request: AuthedRequest, payload: SupplyCodeMapIn) -> Any:
    c = services.code_map_set(
        actor=request.user, organisation=request.organisation, code=payload.code, hs=payload.hs
    )
    return {"code": c.code, "given": c.given, "hs": c.hs}


@router.post(
    "/crosswalk/defaults",
    response=with_errors(SupplyCrosswalkDefaultsOut),
    summary="Add the shipped goods → HS crosswalk (never changes your own entries)",
)
@api_requires(Perm.SUPPLY_MANAGE)
def crosswalk_defaults(request: AuthedRequest) -> Any:
    return {
        "added": services.crosswalk_load_defaults(
            actor=request.user, organisation=request.organisation
        )
    }


class SupplyRecruiterLinkOut(Schema):
    id: int
    recruiter_id: int
    recruiter_company_id: str
    site_id: int
    os_id: str
    workers: int | None
    evidence: str
    source: str
    file: str | None = Field(description="the imported file's name, when imported")
    file_sha256: str | None
    row: int | None
    recorded_by: str | None = Field(description="username; null at the command line")
    recorded_at: dt.datetime


class SupplyRecruiterLinkIn(Schema):
    recruiter_id: int = Field(ge=1, le=MAX_ID)
    site_id: int = Field(ge=1, le=MAX_ID)
    workers: int | None = Field(default=None, ge=0, le=10_000_000)
    evidence: str = Field(max_length=300)


def _link_out(link: RecruiterLink) -> dict[str, Any]:
    return {
        "id": link.pk,
        "recruiter_id": link.recruiter_id,
        "recruiter_company_id": link.recruiter.company_id,
        "site_id": link.site_id,
        "os_id": link.site.os_id,
        "workers": link.workers,
        "evidence": link.evidence,
        "source": link.source,
        "file": link.batch.name if link.batch else None,
        "file_sha256": link.batch.sha256 if link.batch else None,
        "row": link.row,
        "recorded_by": link.recorded_by.username if link.recorded_by else None,
        "recorded_at": link.recorded_at,
    }


@router.get(
    "/recruiter-links",
    response=with_errors(list[SupplyRecruiterLinkOut]),
    summary="Labour recruiters and the sites they supply workers to, with provenance",
)
@api_requires(Perm.SUPPLY_VIEW)
def recruiter_link_list(request: AuthedRequest) -> Any:
    links = RecruiterLink.objects.filter(organisation=request.organisation).select_related(
        "recruiter", "site", "batch", "recorded_by"
    )
    return [_link_out(link) for link in links]


@router.post(
    "/recruiter-links",
    response=with_errors({201: SupplyRecruiterLinkOut}),
    summary="Record that a labour recruiter supplies workers to a site, and what says so",
)
@api_requires(Perm.SUPPLY_MANAGE)
def recruiter_link_set(request: AuthedRequest, payload: SupplyRecruiterLinkIn) -> Any:
    org = request.organisation
    link = services.recruiter_link_set(
        actor=request.user,
        organisation=org,
        recruiter=get_object_or_404(Supplier, pk=payload.recruiter_id, organisation=org),
        site=get_object_or_404(Site, pk=payload.site_id, organisation=org),
        workers=payload.workers,
        evidence=payload.evidence,
    )
    return Status(201, _link_out(link))


@router.post(
    "/recruiter-links/import",
    response=with_errors(SupplyImportOut),
    summary="Import recruiter ↔ site links (recruiter_company_id, os_id, evidence[, workers])",
)
@api_requires(Perm.SUPPLY_MANAGE)
def recruiter_links_import(
    request: AuthedRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Any:
    from palermo.supply.api import _file, _refused

    data, name = _file(file)
    preview = services.recruiter_links_import(
        actor=request.user,
        organisation=request.organisation,
        data=data,
        name=name,
        commit=not dry_run,
    )
    if not preview.ok:
        return _refused(preview.errors)
    return {
        "ok": True,
        "rows": preview.total_rows,
        "imported": 0 if dry_run else len(preview.rows),
    }
