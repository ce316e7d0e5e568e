"""Forms of the statistics pages: dashboard filters, the CTDC release, the import upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from palermo.core.errors import InvalidInput
from palermo.core.limits import human_size
from palermo.core.upload_limits import check_upload
from palermo.stats.anonymise import DEFAULT_K
from palermo.stats.services import upload_limits
from palermo.web.display import htcds_choices


class FilterForm(forms.Form):
    year = forms.TypedChoiceField(
        label=_("Year of registration"), required=False, coerce=int, empty_value=None
    )
    form = forms.ChoiceField(label=_("Form of exploitation"), required=False)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years"))] + [(y, str(y)) for y in years]
        self.fields["form"].choices = [("", _("All forms"))] + htcds_choices(
            "vic_TypeOfExploitation"
        )


class CtdcForm(forms.Form):
    k = forms.IntegerField(
        label=_("k (smallest group released)"),
        min_value=2,
        max_value=1000,
        initial=DEFAULT_K,
        help_text=_(
            "CTDC publishes with k = 11. Every group of released records that share "
            "year, sex, age band, citizenship and country of exploitation has at least "
            "k records."
        ),
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("File type"),
        choices=[
            ("htcds", _("HTCDS 2.0 file (CSV or XLSX)")),
            ("kobo", _("ODK Collect / KoboToolbox export of IOM's HTCDS form (CSV, XLSX or JSON)")),
        ],
        widget=forms.RadioSelect,
        initial="htcds",
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limits = upload_limits("htcds")
        self.fields["file"].help_text = _(
            "At most %(size)s and %(rows)s rows. Nothing is imported before you confirm."
        ) % {"size": human_size(limits.max_bytes), "rows": f"{limits.max_rows:,}"}

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        name = f.name.lower()
        if not name.endswith((".csv", ".txt", ".xlsx", ".xlsm", ".json")):
            raise forms.ValidationError(_("Use a .csv, .xlsx or .json file."))
        # Size and, for a workbook, its zip directory (zip bombs) before anything is stored.
        try:
            check_upload(f, upload_limits(self.cleaned_data.get("kind") or "htcds"))
        except InvalidInput as exc:
            raise forms.ValidationError([e.message for e in exc.errors]) from exc
        return f
