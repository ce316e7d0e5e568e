"""Translated words for the codes a screening result carries (Django shell).

The engine's result keeps codes (``trafficking_of_a_child_for_labour_exploitation``,
``no_detention``) and an English reference rendering; the web pages show these words,
through gettext, instead. A code not listed here (a national set's own outcome) falls
back to the code made readable, and a next step falls back to the engine's text (the
``gather_information`` step, whose text depends on the person, always does).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from django.utils.translation import gettext_lazy as _

OUTCOME_LABELS = {
    "trafficking_for_labour_exploitation": _("Trafficking for labour exploitation"),
    "trafficking_for_sexual_exploitation": _("Trafficking for sexual exploitation"),
    "domestic_servitude": _("Domestic servitude"),
    "exploitation_with_partial_means": _("Exploitation with partial means"),
    "exploitation_without_means": _("Exploitation without means"),
    "means_without_exploitation": _("Means without exploitation"),
    "insufficient_to_assess": _("Insufficient to assess"),
    # Children (Palermo Protocol Art. 3(c); Council of Europe Convention Art. 4(c)).
    "trafficking_of_a_child_for_labour_exploitation": _(
        "Trafficking of a child for labour exploitation"
    ),
    "trafficking_of_a_child_for_sexual_exploitation": _(
        "Trafficking of a child for sexual exploitation"
    ),
    "exploitation_of_a_child": _("Exploitation of a child (act not established)"),
    "child_at_risk_of_trafficking": _("Child at risk of trafficking"),
}

NEXT_STEP_LABELS = {
    "refer_to_identification_body": _(
        "Refer the person, with their informed consent, to the competent identification "
        "body; identification must not depend on their willingness to testify."
    ),
    "offer_assistance_and_reflection_period": _(
        "As a presumed victim the person is entitled at once to assistance and to the "
        "reflection and recovery period."
    ),
    "notify_child_protection": _(
        "Notify child protection services now: for a child every protection duty applies "
        "at the slightest indication."
    ),
    "request_guardian": _("Request the appointment of a temporary guardian without delay."),
    "no_detention": _(
        "Do not detain the child: place them in safe accommodation suited to children "
        "(detention only ever as a last resort), and do not punish them for what they were "
        "made to do."
    ),
    "establish_age": _(
        "Treat the person as a child until their age is established; any age assessment "
        "follows child-protection safeguards."
    ),
    "refer_labour_rights": _(
        "With the person's consent, inform the labour inspectorate or a support "
        "organisation of the exploitative conditions."
    ),
    "follow_up_risk": _("Keep in contact and follow up: the person is at risk of exploitation."),
    "follow_up_with_child_protection": _(
        "Follow up together with child protection services: the child is at risk of "
        "trafficking or exploitation."
    ),
}


def outcome_label(code: str | None) -> str:
    if not code:
        return "—"
    label = OUTCOME_LABELS.get(code)
    if label is not None:
        return str(label)
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


def with_labels(shown: dict[str, Any]) -> dict[str, Any]:
    """Add ``assessment_label``, each set's ``outcome_label`` and each next step's
    ``label`` to a result prepared by :func:`display.result_for_display` (in place)."""
    from palermo.web.display import data_text

    shown["assessment_label"] = outcome_label(shown.get("assessment"))
    for finding in shown.get("sets", ()):
        finding["outcome_label"] = outcome_label(finding.get("outcome"))
        # The sets' English text (titles, labels, guidance) in the reader's language.
        finding["title"] = data_text(finding.get("title"))
        for group in (*finding.get("dimensions", ()), *finding.get("criteria", ())):
            group["label"] = data_text(group.get("label"))
            if group.get("clause_label"):
                group["clause_label"] = data_text(group["clause_label"])
            for item in group.get("indicators", ()):
                item["label"] = data_text(item.get("label"))
                if item.get("guidance"):
                    item["guidance"] = data_text(item["guidance"])
    for step in shown.get("next_steps", ()):
        if isinstance(step, MutableMapping):
            label = NEXT_STEP_LABELS.get(step.get("code", ""))
            step["label"] = str(label) if label is not None else step.get("text", "")
    return shown
