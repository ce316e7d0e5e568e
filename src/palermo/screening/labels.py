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

from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from palermo.screening.phrases import Code, Count, Data, Join, Msg, lower_first

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

# An outcome named inside one of the engine's sentences, where its label would repeat what
# the sentence says ("{act} is not established: {outcome}"): the engine's own English words.
OUTCOME_IN_A_SENTENCE = {
    # Translators: an outcome named inside a sentence that already says the act is not established.
    "exploitation_of_a_child": _("exploitation of a child"),
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


# --- the engine's reasons in the reader's language --------------------------------------

_GRADE_COUNT = {
    # Translators: a number of indicators of one grade, e.g. "2 strong" (indicators).
    "strong": lambda n: ngettext("{n} strong", "{n} strong", n),
    "medium": lambda n: ngettext("{n} medium", "{n} medium", n),
    "weak": lambda n: ngettext("{n} weak", "{n} weak", n),
}


def _code_words(part: Code) -> str:
    from palermo.web.display import CODE_WORDS, status_rule_name

    if part.kind == "outcome":
        in_sentence = OUTCOME_IN_A_SENTENCE.get(part.code)
        if in_sentence is not None:
            return str(in_sentence)
        return lower_first(outcome_label(part.code))
    if part.kind == "status_rule":
        # English quotes the rule by its name in the engine (the reference wording, as
        # stored); other languages name it in words.
        english = (get_language() or "en").split("-")[0] == "en"
        return str(part) if english else lower_first(status_rule_name(part.code))
    known = CODE_WORDS.get(part.code)
    return lower_first(str(known)) if known is not None else str(part)


def say(part: object) -> str:
    """One of the engine's phrases (palermo.screening.phrases) in the active language. A
    translation whose fields do not match its template falls back to the English one."""
    from palermo.web.display import data_text

    if isinstance(part, Msg):
        params = {k: say(v) for k, v in part.params.items()}
        try:
            return gettext(part.template).format(**params)
        except (KeyError, IndexError, ValueError):
            return part.template.format(**params)
    if isinstance(part, Data):
        text = data_text(part.text)
        return lower_first(text) if part.mid_sentence else text
    if isinstance(part, Code):
        return _code_words(part)
    if isinstance(part, Count):
        counted = _GRADE_COUNT.get(part.grade)
        return counted(part.n).format(n=part.n) if counted else str(part)
    if isinstance(part, Join):
        words = [say(p) for p in part.parts]
        if len(words) <= 1:
            text = "".join(words)
        elif part.last == " and ":
            # Translators: a list's last item joined to the others, as in "a, b and c".
            text = gettext("{items} and {last}").format(
                items=part.sep.join(words[:-1]), last=words[-1]
            )
        else:
            text = part.sep.join(words[:-1]) + part.last + words[-1]
        return text[:1].upper() + text[1:] if part.capitalise else text
    return str(part)


def reasons_for_reader(
    answers: Any, stored: Any, catalogue: Any
) -> tuple[list[str], dict[str, str], bool]:
    """The stored result's explanation (and the wording of its person-specific next step)
    in the reader's language: the engine is run again on the saved answers, and its
    sentences are said in translation only when their English is exactly the stored one
    (same engine, same lists); otherwise the stored English is returned, with ``False``."""
    lines = [str(x) for x in stored.get("explanation") or ()]
    language = (get_language() or "en").split("-")[0]
    if language == "en" or not lines:
        return lines, {}, language == "en"
    from palermo.screening.engine import ScreeningInputError, screen_mapping

    try:
        again = screen_mapping(answers, catalogue)
    except (ScreeningInputError, ValueError, TypeError, KeyError):
        return lines, {}, False
    if [str(x) for x in again.explanation] != lines:
        return lines, {}, False
    steps = {step.code: say(step.text) for step in again.next_steps if isinstance(step.text, Msg)}
    return [say(x) for x in again.explanation], steps, True
