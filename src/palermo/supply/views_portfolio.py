"""Pages of the risk of suppliers and contracts as a whole (``portfolio.py``): the
prioritised supplier list (sortable, paginated) and the "Risk as a whole" block of the
supplier and contract pages. Every read is audited (object ids only, no names). Paths and
query strings carry numbers and sort keys only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from palermo.core import audit
from palermo.core.policy import Perm, requires
from palermo.core.request import AuthedRequest
from palermo.supply import portfolio, portfolio_selectors, vocabulary
from palermo.supply.models import Contract, Supplier

PAGE_SIZE = 25

# sort key → (label, key function on (supplier, assessment), descending first?)
SORTS: dict[str, str] = {
    "priority": "Priority",
    "name": "Name",
    "spend": "Spend",
    "exposure": "Exposure at risk",
}


def reason_text(reason: dict[str, Any]) -> str:
    """A reason in the reader's language: the template translated, then filled in (a level
    and a characteristic or evidence named in words)."""
    params: dict[str, str] = {str(k): str(v) for k, v in reason["params"].items()}
    if "level" in params:
        level = str(params["level"])
        params["level"] = _(vocabulary.LEVEL_LABELS.get(level, level)).lower()
    if "what" in params:
        params["what"] = _(params["what"])
    return _(reason["template"]) % params if params else _(reason["template"])


def _source_url(reason: portfolio.Reason) -> str:
    """Where the reader checks a reason's source: the supplier, questionnaire or actions page."""
    if reason.source_kind == "supplier" and reason.source.isdigit():
        return reverse("supply:supplier", args=[int(reason.source)])
    if reason.source_kind == "questionnaire" and reason.source.isdigit():
        return reverse("supply:questionnaire", args=[int(reason.source)])
    if reason.source_kind == "actions":
        return reverse("supply:actions")
    return ""


def whole(assessment: portfolio.Assessment) -> dict[str, Any]:
    """What the "Risk as a whole" block shows."""
    return {
        "level": assessment.level,
        "level_label": _(vocabulary.LEVEL_LABELS[assessment.level]),
        "score": assessment.score,
        "spend": assessment.spend,
        "exposure": assessment.exposure,
        "shares": [
            {"label": _(vocabulary.LEVEL_LABELS[lv]), "level": lv, "pct": share * 100}
            for lv, share in assessment.shares
        ],
        "reasons": [
            {
                "text": reason_text(r.to_dict()),
                "points": r.points,
                "source_kind": _(portfolio.SOURCE_KINDS[r.source_kind]) if r.source_kind else "",
                # a supplier is named by its page, not by its id
                "source": "" if r.source_kind == "supplier" else r.source,
                "url": _source_url(r),
            }
            for r in assessment.reasons
        ],
        "rule": assessment.rule,
    }


def supplier_block(request: HttpRequest, supplier: Supplier) -> dict[str, Any]:
    """The supplier page's "Risk as a whole" (the read audited)."""
    assessment = portfolio_selectors.supplier_risk(supplier)
    audit.record_request(
        request, action="read", object_type="supply.supplier_risk", object_ref=str(supplier.pk)
    )
    return whole(assessment)


def contract_block(request: HttpRequest, contract: Contract) -> dict[str, Any]:
    """The contract page's "Risk as a whole", its suppliers' levels and the officer's choice."""
    assessment, suppliers = portfolio_selectors.contract_risk(contract)
    audit.record_request(
        request, action="read", object_type="supply.contract_risk", object_ref=str(contract.pk)
    )
    out = whole(assessment)
    out["chosen"] = contract.risk_level
    out["chosen_label"] = _(vocabulary.LEVEL_LABELS.get(contract.risk_level, "Low"))
    out["below"] = vocabulary.LEVELS.index(contract.risk_level) < vocabulary.LEVELS.index(
        assessment.level
    )
    return out


def _sorted(
    rows: list[tuple[Supplier, portfolio.Assessment]], sort: str
) -> list[tuple[Supplier, portfolio.Assessment]]:
    if sort == "name":
        return sorted(rows, key=lambda r: (r[0].name.casefold(), r[0].pk))
    if sort == "spend":
        return sorted(rows, key=lambda r: (-r[1].spend, r[0].name.casefold(), r[0].pk))
    if sort == "exposure":
        return sorted(rows, key=lambda r: (-r[1].exposure, r[0].name.casefold(), r[0].pk))
    return rows  # already by priority


@requires(Perm.SUPPLY_VIEW)
def supplier_ranking(request: AuthedRequest) -> HttpResponse:
    """Suppliers by priority (level, score, exposure at risk, spend), or sorted by the
    reader's choice; 25 a page."""
    org = request.organisation
    sort = request.GET.get("sort", "priority")
    if sort not in SORTS:
        sort = "priority"
    rows = _sorted(portfolio_selectors.supplier_risks(org), sort)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record_request(
        request,
        action="read",
        object_type="supply.supplier_risk",
        details={"suppliers": len(rows), "page": page.number, "sort": sort},
    )
    items = [
        {
            "supplier": s,
            "position": page.start_index() + i,
            "level": a.level,
            "level_label": _(vocabulary.LEVEL_LABELS[a.level]),
            "score": a.score,
            "spend": a.spend,
            "exposure": a.exposure,
            "first_reason": reason_text(a.reasons[0].to_dict()) if a.reasons else "",
        }
        for i, (s, a) in enumerate(page.object_list)
    ]
    return render(
        request,
        "supply/suppliers_risk.html",
        {
            "page": page,
            "items": items,
            "sort": sort,
            "sorts": [(k, _(v)) for k, v in SORTS.items()],
            "query": urlencode({"sort": sort}) if sort != "priority" else "",
        },
    )
