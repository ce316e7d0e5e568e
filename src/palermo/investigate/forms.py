"""Forms of the investigation pages (the services validate again)."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from palermo.core.models import Organisation
from palermo.core.selectors import organisations_to_choose
from palermo.investigate.models import ClosureReason, InvestigationStatus
from palermo.investigate.services import PARTY_ROLES, STATEMENT_KINDS
from palermo.web.display import code_words, data_text

_data_text_lazy = lazy(data_text, str)
_code_words_lazy = lazy(code_words, str)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Reference or title"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and closed")), *InvestigationStatus.choices],
    )


class CreateForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=200, help_text=_("A working title; avoid names of victims.")
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Other organisations with access"),
        required=False,
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    cases = forms.CharField(
        label=_("Linked cases"),
        required=False,
        max_length=500,
        help_text=_("NRM case references, separated by spaces or commas."),
    )

    def __init__(
        self,
        *args: object,
        actor: object,
        organisation: Organisation | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        from palermo.investigate.models import INVESTIGATING_TYPES

        # Only organisations the reader may name (an exercise trainee: their own team's).
        qs = organisations_to_choose(actor).filter(org_type__in=INVESTIGATING_TYPES)  # type: ignore[arg-type]
        if organisation is not None:
            qs = qs.exclude(pk=organisation.pk)
        self.fields["members"].queryset = qs  # type: ignore[attr-defined]


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Statement file"))
    kind = forms.ChoiceField(
        label=_("Format"), choices=[(k, _data_text_lazy(v)) for k, v in STATEMENT_KINDS.items()]
    )
    profile = forms.ChoiceField(label=_("CSV mapping profile"), required=False, choices=[])
    account = forms.CharField(
        label=_("Statement account (IBAN)"),
        required=False,
        max_length=42,
        help_text=_("For CSV exports that do not name their own account."),
    )
    account_name = forms.CharField(label=_("Account holder"), required=False, max_length=200)

    def __init__(
        self, *args: object, profiles: list[tuple[str, str]] = (), **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["profile"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(key, data_text(label)) for key, label in profiles],
        ]
        from palermo.core.limits import human_size
        from palermo.core.upload_limits import import_limits

        limits = import_limits("statement")
        self.fields["file"].help_text = _("At most %(size)s and %(rows)s transactions.") % {
            "size": human_size(limits.max_bytes),
            "rows": f"{limits.max_rows:,}",
        }


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason for closing"), choices=[("", "—"), *ClosureReason.choices]
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that nothing in the investigation can be changed once it is closed, "
            "until it is reopened."
        ),
    )


class DecisionForm(forms.Form):
    alert_key = forms.CharField(max_length=64, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("confirmed", _("Confirm")), ("dismissed", _("Dismiss"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class JudgeForm(forms.Form):
    left = forms.CharField(max_length=300, widget=forms.HiddenInput)
    right = forms.CharField(max_length=300, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("same", _("Same")), ("different", _("Different"))])


class PartyForm(forms.Form):
    schema = forms.ChoiceField(
        label=_("Kind"), choices=[("Person", _("Person")), ("Company", _("Company"))]
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.ChoiceField(
        label=_("Role"), choices=[(r, _code_words_lazy(r)) for r in PARTY_ROLES]
    )
    iban = forms.CharField(label=_("IBAN"), required=False, max_length=42)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=200)
    address = forms.CharField(label=_("Address"), required=False, max_length=300)


class MemberForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )

    def __init__(
        self,
        *args: object,
        actor: object,
        organisation: Organisation | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        from palermo.investigate.models import INVESTIGATING_TYPES

        # Only organisations the reader may name (an exercise trainee: their own team's).
        qs = organisations_to_choose(actor).filter(org_type__in=INVESTIGATING_TYPES)  # type: ignore[arg-type]
        if organisation is not None:
            qs = qs.exclude(pk=organisation.pk)
        self.fields["organisation"].queryset = qs  # type: ignore[attr-defined]


class CaseLinkForm(forms.Form):
    case = forms.CharField(label=_("Case reference"), max_length=40)


class ProceedsForm(forms.Form):
    offenders = forms.MultipleChoiceField(
        label=_("Offenders' accounts"), choices=[], widget=forms.CheckboxSelectMultiple
    )
    victims = forms.MultipleChoiceField(
        label=_("Victims' accounts"),
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
    )
    reference_wage = forms.DecimalField(
        label=_("Reference monthly wage"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("For the shortfall of wages received against it."),
    )

    def __init__(
        self, *args: object, accounts: list[tuple[str, str]] = (), **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["offenders"].choices = accounts  # type: ignore[attr-defined]
        self.fields["victims"].choices = accounts  # type: ignore[attr-defined]


class AttachForm(forms.Form):
    case = forms.ChoiceField(label=_("Linked case"), choices=[])
    total = forms.ChoiceField(
        label=_("Total"),
        choices=[
            ("confiscation", _("Confiscation total (claim source: confiscated assets)")),
            ("compensation", _("Victims' compensation total (claim source: the offender)")),
        ],
    )

    def __init__(self, *args: object, cases: list[str] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["case"].choices = [(c, c) for c in cases]  # type: ignore[attr-defined]


class ProfileForm(forms.Form):
    slug = forms.SlugField(label=_("Identifier"), max_length=80)
    label = forms.CharField(label=_("Label"), max_length=200)
    definition = forms.CharField(
        label=_("Mapping (YAML)"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "Same keys as the packaged profiles: columns, date_format, "
            "amount_mode, delimiter, decimal …"
        ),
    )

    def clean_definition(self) -> str:
        """The YAML text within the profile size limit, before it is parsed."""
        from palermo.core.errors import InvalidInput
        from palermo.core.upload_limits import check_bytes, import_limits

        text: str = self.cleaned_data["definition"]
        try:
            check_bytes(
                text.encode("utf-8", "surrogatepass"), import_limits("profile"), field="definition"
            )
        except InvalidInput as exc:
            raise forms.ValidationError([e.message for e in exc.errors]) from exc
        return text


class AlertFilterForm(forms.Form):
    """Filters and order of the red-flag alerts (GET; an account is chosen by position, not number)."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("open", _("Open (to decide)")),
            ("confirmed", _("Confirmed")),
            ("dismissed", _("Dismissed")),
            ("all", _("All")),
        ],
    )
    rule = forms.ChoiceField(label=_("Rule"), required=False, choices=[])
    typology = forms.ChoiceField(label=_("Typology"), required=False, choices=[])
    account = forms.TypedChoiceField(
        label=_("Account"), required=False, choices=[], coerce=int, empty_value=None
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[
            ("score", _("Highest score first")),
            ("-score", _("Lowest score first")),
            ("size", _("Most transactions first")),
            ("rule", _("By rule")),
            ("subject", _("By account")),
        ],
    )

    def __init__(
        self,
        *args: object,
        rules: Sequence[tuple[str, str]] = (),
        typologies: Sequence[tuple[str, str]] = (),
        subjects: Sequence[str] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["rule"].choices = [("", _("Every rule")), *rules]  # type: ignore[attr-defined]
        self.fields["typology"].choices = [("", _("Every typology")), *typologies]  # type: ignore[attr-defined]
        self.fields["account"].choices = [  # type: ignore[attr-defined]
            ("", _("Every account")),
            *((str(i), s) for i, s in enumerate(subjects)),
        ]


class NetworkFilterForm(forms.Form):
    """What the network shows (GET; fixed words only, never account data)."""

    scope = forms.ChoiceField(
        label=_("Accounts"),
        required=False,
        choices=[
            ("", _("Those the alerts are about, and their counterparties")),
            ("all", _("The busiest payments of the whole statement set")),
        ],
    )
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[])
    typology = forms.ChoiceField(label=_("Typology of the alerts"), required=False, choices=[])

    def __init__(
        self,
        *args: object,
        roles: Sequence[tuple[str, str]] = (),
        typologies: Sequence[tuple[str, str]] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = [("", _("Every role")), *roles]  # type: ignore[attr-defined]
        self.fields["typology"].choices = [("", _("Every typology")), *typologies]  # type: ignore[attr-defined]
