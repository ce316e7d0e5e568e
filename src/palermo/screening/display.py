"""Labels for showing a stored screening result.

A result (``ScreeningResult.to_dict()``) carries keys and codes only; the labels live in
the indicator sets. This pure helper joins the two at display time, so a result stored
years ago is shown with the wording of the set it names, and the shell can pass every
label through gettext before rendering. Nothing here changes the result's meaning.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from palermo.screening.catalogue import IndicatorCatalogue, IndicatorSet


def _set_or_none(catalogue: IndicatorCatalogue, set_id: str) -> IndicatorSet | None:
    try:
        return catalogue.get(set_id)
    except KeyError:
        return None


def result_for_display(result: Mapping[str, Any], catalogue: IndicatorCatalogue) -> dict[str, Any]:
    """A deep copy of ``result`` with, for each set: ``title``, ``kind``, ``rule_id``,
    ``child_rule_id`` (the children's combination of a list for children, else None),
    ``set_version_loaded`` (to spot a set changed since the screening); for each
    dimension: ``number``, ``label``, ``clause_label``; for each indicator: ``label``
    and ``guidance``; for each criterion: ``number``, ``label``. A set no longer loaded
    keeps its keys as labels."""
    shown: dict[str, Any] = copy.deepcopy(dict(result))
    for finding in shown.get("sets", ()):
        s = _set_or_none(catalogue, finding.get("set_id", ""))
        finding["title"] = s.title if s else finding.get("set_id", "")
        finding["kind"] = s.kind if s else None
        finding["set_version_loaded"] = s.version if s else None
        rule_id = None
        if s is not None:
            rule_id = (
                s.indicator_rule.id
                if s.indicator_rule
                else (s.criteria_rule.id if s.criteria_rule else None)
            )
        finding["rule_id"] = rule_id
        # The children's combination (Palermo Art. 3(c)) of a list for children, if any.
        child_rule = s.indicator_rule.child_act_rule if s and s.indicator_rule else None
        finding["child_rule_id"] = child_rule.id if child_rule else None
        dimensions = {d.key: d for d in s.dimensions} if s else {}
        clauses = (
            {c.id: c.label for c in s.indicator_rule.clauses} if s and s.indicator_rule else {}
        )
        criteria = {c.key: c for c in s.criteria} if s else {}
        for d in finding.get("dimensions", ()):
            dim = dimensions.get(d.get("key", ""))
            d["number"] = dim.number if dim else None
            d["label"] = dim.label if dim else d.get("key")
            d["clause_label"] = clauses.get(d.get("clause") or "")
            _label_indicators(d.get("indicators", ()), s, catalogue)
        for c in finding.get("criteria", ()):
            criterion = criteria.get(c.get("key", ""))
            c["number"] = criterion.number if criterion else None
            c["label"] = criterion.label if criterion else c.get("key")
            _label_indicators(c.get("indicators", ()), s, catalogue)
    return shown


def _label_indicators(items: Any, s: IndicatorSet | None, catalogue: IndicatorCatalogue) -> None:
    for item in items:
        key = item.get("key", "")
        # Criteria may be met by indicators of the graded list screened alongside.
        indicator = s.indicator(key) if s else None
        if indicator is None:
            owners = catalogue.owners(key)
            indicator = owners[0].indicator(key) if owners else None
        item["label"] = indicator.label if indicator else key
        item["guidance"] = indicator.guidance if indicator else None
