"""Web forms of the screening interview, built from the indicator sets in use.

The form's only job is to collect answers into the engine's input mapping; the
engine validates them (one validation for UI, API and CLI) and its messages are
put back next to the field they concern.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from palermo.screening.catalogue import (
    PALERMO_ACTS,
    PALERMO_MEANS,
    PALERMO_PURPOSES,
    IndicatorCatalogue,
    IndicatorSet,
)
from palermo.screening.engine import ADULT_AGE, INDICATOR_SOURCES, MAX_AGE, MAX_NOTE_LENGTH
from palermo.web.display import CODE_WORDS, data_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def human_label(code: str) -> StrOrPromise:
    """The word for a code, still lazy: for choices built at import, before any request has
    chosen a language."""
    known = CODE_WORDS.get(code)
    return known if known is not None else code.replace("_", " ").capitalize()


def human(code: str) -> str:
    """The word for a code in the reader's language, as a plain string (joinable)."""
    return str(human_label(code))


_GRADES = CODE_WORDS


FORM_LABELS = {
    "labour": _("Labour exploitation"),
    "sexual": _("Sexual exploitation"),
    "domestic_servitude": _("Domestic servitude"),
}
SOURCE_CHOICES = [("", _("— source —")), *[(s, human_label(s)) for s in INDICATOR_SOURCES]]


class StartForm(forms.Form):
    age = forms.IntegerField(
        label=_("Age (years)"),
        required=False,
        min_value=0,
        max_value=MAX_AGE,
        help_text=_("Leave empty if unknown."),
    )
    age_uncertain_may_be_child = forms.BooleanField(
        label=_("Age uncertain and the person may be a child"),
        required=False,
        help_text=_("The person is then presumed a child and every child safeguard applies."),
    )
    forms = forms.MultipleChoiceField(
        label=_("Suspected form(s) of exploitation"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose every form that may apply; each selects its list of indicators."),
    )

    def __init__(self, *args: Any, catalogue: IndicatorCatalogue, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forms"].choices = [(f, FORM_LABELS.get(f, human(f))) for f in catalogue.forms]

    def answers(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "age": d.get("age"),
            "age_uncertain_may_be_child": bool(d.get("age_uncertain_may_be_child")),
            "forms": list(d.get("forms") or []),
        }


@dataclass
class IndicatorRow:
    key: str
    label: str
    guidance: str
    grades: list[str]  # grade in each list that uses it, e.g. ["strong (adults–labour)"]
    tick: forms.BoundField
    source: forms.BoundField
    note: forms.BoundField


@dataclass
class Section:
    title: str
    subtitle: str
    rows: list[IndicatorRow] = field(default_factory=list)


def age_group(age: int | None, uncertain: bool) -> str:
    return "child" if uncertain or (age is not None and age < ADULT_AGE) else "adult"


class InterviewForm(StartForm):
    """The start fields plus one tick, source and note per indicator of the lists in use."""

    act = forms.MultipleChoiceField(
        label=_("Act"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(a, human_label(a)) for a in PALERMO_ACTS],
    )
    means = forms.MultipleChoiceField(
        label=_("Means"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(m, human_label(m)) for m in PALERMO_MEANS],
        help_text=_("Not required for a child."),
    )
    purpose = forms.MultipleChoiceField(
        label=_("Purpose"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(p, human_label(p)) for p in PALERMO_PURPOSES],
    )
    self_identifies_as_victim = forms.BooleanField(
        label=_("The person says they are a victim of trafficking or exploitation"),
        required=False,
        help_text=_("Benefit of the doubt: this alone makes them a presumed victim."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        catalogue: IndicatorCatalogue,
        selected_forms: list[str],
        group: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, catalogue=catalogue, **kwargs)
        selection = catalogue.select(group, tuple(sorted(set(selected_forms))))  # type: ignore[arg-type]
        self.sets: tuple[IndicatorSet, ...] = selection.sets
        self.indicator_keys: list[str] = []
        grades: dict[str, list[str]] = {}
        for s in self.sets:
            for ind in s.indicators:
                if ind.grade:
                    grades.setdefault(ind.key, []).append(
                        f"{_GRADES.get(ind.grade, ind.grade)} "
                        f"({data_text(s.title).split(':')[-1].strip()})"
                    )
                if ind.key in self.indicator_keys:
                    continue
                self.indicator_keys.append(ind.key)
                self.fields[f"ind_{ind.key}"] = forms.BooleanField(
                    label=data_text(ind.label), required=False
                )
                self.fields[f"src_{ind.key}"] = forms.ChoiceField(
                    label=_("Source"), required=False, choices=SOURCE_CHOICES
                )
                self.fields[f"note_{ind.key}"] = forms.CharField(
                    label=_("Note"),
                    required=False,
                    max_length=MAX_NOTE_LENGTH,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
        self._grades = grades

    def sections(self) -> list[Section]:
        shown: set[str] = set()
        out: list[Section] = []
        for s in self.sets:
            if s.kind == "criteria":
                groups = [
                    (f"{c.number}. {data_text(c.label)}", data_text(c.description), c.key)
                    for c in s.criteria
                ]
                member = {i.key: i.criterion for i in s.indicators}
            else:
                groups = [
                    (f"{d.number}. {data_text(d.label)}", human(d.palermo_element), d.key)
                    for d in s.dimensions
                ]
                member = {i.key: i.dimension for i in s.indicators}
            for title, subtitle, group_key in groups:
                section = Section(title=title, subtitle=f"{data_text(s.title)} — {subtitle}")
                for ind in s.indicators:
                    if member.get(ind.key) != group_key or ind.key in shown:
                        continue
                    shown.add(ind.key)
                    section.rows.append(
                        IndicatorRow(
                            key=ind.key,
                            label=data_text(ind.label),
                            guidance=data_text(ind.guidance),
                            grades=self._grades.get(ind.key, []),
                            tick=self[f"ind_{ind.key}"],
                            source=self[f"src_{ind.key}"],
                            note=self[f"note_{ind.key}"],
                        )
                    )
                if section.rows:
                    out.append(section)
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in self.indicator_keys:
            typed = data.get(f"note_{key}") or data.get(f"src_{key}")
            if typed and not data.get(f"ind_{key}"):
                # Never drop what the screener typed: ask instead.
                self.add_error(
                    f"note_{key}",
                    _(
                        "You gave a source or note but did not tick this indicator. "
                        "Tick it, or clear the note and source."
                    ),
                )
        return data

    def answers(self) -> dict[str, Any]:
        d = self.cleaned_data
        indicators = []
        for key in self.indicator_keys:
            if d.get(f"ind_{key}"):
                item: dict[str, Any] = {"key": key}
                if d.get(f"src_{key}"):
                    item["source"] = d[f"src_{key}"]
                if d.get(f"note_{key}"):
                    item["note"] = d[f"note_{key}"]
                indicators.append(item)
        return {
            **super().answers(),
            "indicators": indicators,
            "act": list(d.get("act") or []),
            "means": list(d.get("means") or []),
            "purpose": list(d.get("purpose") or []),
            "self_identifies_as_victim": bool(d.get("self_identifies_as_victim")),
        }

    @staticmethod
    def initial_from(answers: dict[str, Any], version: int) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "age": answers.get("age"),
            "age_uncertain_may_be_child": answers.get("age_uncertain_may_be_child", False),
            "forms": answers.get("forms", []),
            "act": answers.get("act", []),
            "means": answers.get("means", []),
            "purpose": answers.get("purpose", []),
            "self_identifies_as_victim": answers.get("self_identifies_as_victim", False),
            "version": version,
        }
        for item in answers.get("indicators", []):
            item = {"key": item} if isinstance(item, str) else item
            initial[f"ind_{item['key']}"] = True
            initial[f"src_{item['key']}"] = item.get("source") or ""
            initial[f"note_{item['key']}"] = item.get("note") or ""
        return initial

    def add_engine_errors(self, errors: list[Any]) -> None:
        """Place each engine message next to its field (``indicators.<key>`` next to the indicator)."""
        for e in errors:
            name = e.field
            if name.startswith("indicators."):
                name = f"ind_{name.split('.', 1)[1]}"
            if name not in self.fields:
                name = ""
            self.add_error(name or None, e.message)


def referral_form_class() -> type[forms.Form]:
    """The referral form: the case file's own opening form, minus what the screening
    already knows (source, reference, date). Imported late so that the screening
    context keeps working, and its tests keep running, without the case file."""
    from palermo.cases.forms import OpenCaseForm

    class ReferralForm(OpenCaseForm):
        reference_known = True  # the screening's reference finds the person again
        consent = forms.BooleanField(
            label=_("The person agrees to be referred"),
            required=False,
            help_text=_(
                "Referral to the identification body does not depend on consent; "
                "record here whether the person was asked and agreed."
            ),
        )

        def __init__(self, *args: Any, child_locked: bool = False, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for name in ("source", "source_ref", "referral_date", "referring_country"):
                del self.fields[name]
            if child_locked:
                # The engine presumed a child: the safeguards cannot be switched off here.
                self.fields["is_child"].disabled = True
                self.fields["is_child"].initial = True
                self.fields["is_child"].help_text = _(
                    "The screening presumed a child: every child safeguard applies."
                )

    return ReferralForm
