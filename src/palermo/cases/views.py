"""Case pages: list and search, open, the case page with its timeline, one form per action,
the referral inbox, the co-ordinator's oversight and the service directory.

Views do three things: read through ``selectors`` (the one door), call one
service, and show its refusal next to the field while keeping the user's input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms as djforms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palermo.cases import access, clock, forms, selectors, services, vocabulary
from palermo.cases import wf_words as wf
from palermo.cases.models import Case
from palermo.core import audit, scope
from palermo.core.errors import InvalidInput
from palermo.core.middleware import refused
from palermo.core.models import Organisation, User
from palermo.core.policy import Perm, has_perm, requires
from palermo.core.request import AuthedRequest
from palermo.web import once
from palermo.web.display import htcds_choices

PAGE_SIZE = 25


class CappedPaginator(Paginator):
    """Counts at most ``selectors.COUNT_CAP`` matches (the page says "more than …")."""

    capped = False

    @cached_property
    def count(self) -> int:
        n, self.capped = selectors.capped_count(self.object_list)
        return n


# Escaped <option> lists of the filter selects whose choices depend on the language only
# (countries, forms of exploitation, phases…): built once per language, not per request.
# Choices read from the database (organisations) are never kept here.
_OPTIONS_CACHE: dict[tuple[str, str, str], str] = {}


def _empty_word(label: Any) -> Any:
    # As web/templates/django/forms/widgets/select_option.html: a word, not Django's dashes.
    return _("— choose —") if label == "---------" else label


def _options_html(form: djforms.Form, bf: Any) -> str:
    def build() -> str:
        return "".join(
            f'<option value="{escape(str(v))}">{escape(str(_empty_word(label)))}</option>'
            for v, label in bf.field.choices
        )

    if isinstance(bf.field, djforms.ModelChoiceField):
        return build()
    key = (type(form).__qualname__, bf.name, get_language() or "")
    if key not in _OPTIONS_CACHE:
        _OPTIONS_CACHE[key] = build()
    return _OPTIONS_CACHE[key]


def _fast_fields(form: djforms.Form) -> list[tuple[Any, str]]:
    """(bound field, widget HTML) for a filter form. Selects are written here in one pass:
    Django renders each <option> through a template, which for the country list took most
    of the list page's time (benchmarks/cases_latency.py)."""
    out = []
    for bf in form:
        if isinstance(bf.field.widget, djforms.Select) and not isinstance(
            bf.field.widget, djforms.SelectMultiple
        ):
            current = "" if bf.value() is None else str(bf.value())
            mark = f'<option value="{escape(current)}">'
            # Values are unique: mark the chosen one (its escaped form, as written above).
            options = _options_html(form, bf).replace(
                mark, f'<option value="{escape(current)}" selected>', 1
            )
            out.append(
                (
                    bf,
                    mark_safe(  # noqa: S308 – every value escaped above
                        f'<select name="{bf.html_name}" id="{bf.id_for_label}">{options}</select>'
                    ),
                )
            )
        else:
            out.append((bf, str(bf)))
    return out


def _who(request: AuthedRequest) -> tuple[User, Organisation]:
    """Who acts, for which organisation (every caller is behind ``@requires``)."""
    return request.user, request.organisation


def _apply_errors(
    form: djforms.Form, exc: InvalidInput, field_map: dict[str, str] | None = None
) -> None:
    for e in exc.errors:
        name = (field_map or {}).get(e.field, e.field)
        if name.startswith("person."):
            name = name[len("person.") :]
        form.add_error(name if name in form.fields else None, e.message)


# --- list, search, open -------------------------------------------------------------------------------


@requires(Perm.VIEW_CASES)
def case_list(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = forms.CaseSearchForm(request.GET or None, actor=actor)
    page = None
    capped = False
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        child = {"yes": True, "no": False}.get(data.get("child") or "")
        f = selectors.CaseFilter(
            q=data.get("q", ""),
            status=data.get("status", ""),
            phase=data.get("phase", ""),
            identification_status=data.get("identification_status", ""),
            deadline=data.get("deadline", ""),
            organisation=data["organisation"].pk if data.get("organisation") else None,
            nationality=data.get("nationality", ""),
            exploitation=data.get("exploitation", ""),
            child=child,
            sort=data.get("sort") or "newest",
        )
        paginator = CappedPaginator(selectors.case_list(actor, org, f), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        capped = paginator.capped
        audit.record_request(
            request, action="read", object_type="case_list", details={"filters": f.as_details()}
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/list.html",
        {
            "form": form,
            "fields": _fast_fields(form),
            "page": page,
            "query": query.urlencode(),
            "capped": capped,
            "cap": selectors.COUNT_CAP,
            "today": clock.today(),
            "can_open": has_perm(actor, Perm.REFER, org),
            "can_oversee": has_perm(actor, Perm.OVERSEE_CASES, org),
            # One reverse for the page, not one per row: a case's URL is this and its reference.
            "cases_url": reverse("cases:list"),
        },
    )


@requires(Perm.REFER)
def case_open(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    form = forms.OpenCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        person = {
            k: d[k]
            for k in ("given_name", "family_name", "primary_language", "phone", "street", "city")
            if d.get(k)
        }
        if d.get("citizenship"):
            person["citizenship"] = [d["citizenship"]]
        try:
            # One case per referral form, however often it is sent (issue 15, item 6).
            with once.claim(request, "case_open") as claim:
                case = services.case_open(
                    actor=actor,
                    organisation=org,
                    source=d["source"],
                    source_ref=d["source_ref"],
                    person=person,
                    exploitation_forms=d["exploitation_forms"],
                    is_child_or_presumed_child=d["is_child"],
                    summary=d["summary"],
                    referral_date=d["referral_date"],
                    referring_country=d["referring_country"],
                )
                visible = selectors.case_visibility(actor, org, case).visible
                claim.done(reverse("cases:detail", args=[case.reference]) if visible else "")
        except once.Duplicate as dup:
            return once.duplicate_response(request, dup, fallback=reverse("dashboard"))
        except once.TokenProblem as problem:
            form.add_error(None, problem.message)
        except InvalidInput as exc:
            _apply_errors(
                form, exc, {"person.citizenship": "citizenship", "referral_date": "referral_date"}
            )
        except services.NotAllowed as exc:
            return refused(request, reason=_(str(exc)))
        else:
            if visible:
                messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
                return redirect("cases:detail", reference=case.reference)
            return render(request, "cases/opened.html", {"case": case})
    return render(request, "cases/open.html", {"form": form})


# --- the case page -----------------------------------------------------------------------------------------


@requires(Perm.VIEW_CASES)
def case_detail(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    case = selectors.access_case(actor, org, reference, request=request)
    vis: access.Visibility = case.visibility
    file = selectors.case_file(case, vis)
    timeline = None
    if access.TIMELINE in vis:
        timeline = Paginator(selectors.case_timeline(case), 50).get_page(request.GET.get("page"))
        # Plain entries: the template reads values, it never follows a relation (no query).
        timeline.object_list = cast(
            Any, [selectors.timeline_entry(e) for e in timeline.object_list]
        )
    can_edit = selectors.can_edit_case(actor, org, vis)
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "file": file,
            "vis": vis.groups,
            "basis": vis.basis,
            "timeline": timeline,
            **_action_menu(actor, org, case, vis, file, can_edit),
            "can_edit": can_edit,
            # Also an investigating organisation on the team (issue 15, item 8).
            "can_record_proceedings": ACTIONS_BY_SLUG["proceedings-update"].shown(
                actor, org, case, vis, can_edit
            ),
            "today": clock.today(),
            "labels": _labels(),
            "can_break_glass": has_perm(actor, Perm.BREAK_GLASS, org) and access.CONTACT not in vis,
            # Records of exchanges over police channels live in crossborder (same permission).
            "can_police_records": has_perm(actor, Perm.CROSSBORDER_SEND, org),
            "consent_ids": {c.id for c in file.consents or [] if c.active},
        },
    )


GROUP_TITLES = {
    "identification": gettext_lazy("Identification"),
    "support": gettext_lazy("Support and protection"),
    "return": gettext_lazy("Return and inclusion"),
    "proceedings": gettext_lazy("Proceedings and compensation"),
    "record": gettext_lazy("Case record"),
    "team": gettext_lazy("Case team and phase"),
}
NEXT_STEP_REASONS = {
    "decide": gettext_lazy("The case awaits the identification decision."),
    "lead": gettext_lazy(
        "The decision is taken: name the lead organisation that will work with the person."
    ),
    "guardian": gettext_lazy("A child's case: a guardian must be appointed."),
    "overdue": gettext_lazy("A deadline has passed: %(title)s."),
    "consent": gettext_lazy(
        "No active consent: record what the person agrees to share, and with whom, before any referral."
    ),
    "refer": gettext_lazy("Consent is recorded: refer the person to the services they need."),
    "reopen": gettext_lazy("The case is closed. Reopen it if the work must continue."),
    "note": gettext_lazy("Keep the case record up to date."),
    "compensation": gettext_lazy("Record a compensation claim sought in the proceedings."),
}


def _action_menu(
    actor: Any,
    org: Organisation | None,
    case: Case,
    vis: access.Visibility,
    file: Any,
    can_edit: bool,
) -> dict[str, Any]:
    """The case page's actions grouped by phase, the one next step, and for an organisation on
    the team that may change nothing (a referring police unit) what it may do (issue 15, item 8)."""
    from palermo.cases import nextstep

    by_slug = {a.slug: a for a in ACTIONS if a.in_menu and a.shown(actor, org, case, vis, can_edit)}
    today = clock.today()
    tasks = file.tasks
    facts = nextstep.Facts(
        phase=case.phase,
        identification_status=case.identification_status,
        is_open=case.is_open,
        is_child=case.is_child,
        has_lead=file.overview.lead_organisation is not None,
        guardian_appointed=(
            None
            if access.SAFEGUARDS not in vis
            else bool(file.child and file.child.guardian_appointed_on)
        ),
        overdue_task_id=nextstep.first_overdue(
            None if tasks is None else [(t.id, t.due_on, t.done_at is not None) for t in tasks],
            today,
        ),
        active_consent=None if file.consents is None else any(c.active for c in file.consents),
        referrals=None if file.referrals is None else len(file.referrals),
    )
    step = nextstep.next_step(facts, set(by_slug), can_mark_tasks=can_edit and tasks is not None)
    primary = None
    if step is not None:
        if step.slug == "task-done":
            task = next(t for t in tasks if t.id == step.item_id)
            title, reason = (
                _("Mark the task done"),
                NEXT_STEP_REASONS["overdue"] % {"title": task.title},
            )
        else:
            title, reason = by_slug[step.slug].title, str(NEXT_STEP_REASONS[step.reason])
        primary = {"slug": step.slug, "item_id": step.item_id, "title": title, "reason": reason}
    groups = [
        {
            "key": key,
            "title": GROUP_TITLES[key],
            "current": i == 0,
            "actions": [by_slug[s] for s in slugs if not primary or s != primary["slug"]],
        }
        for i, (key, slugs) in enumerate(nextstep.grouped(list(by_slug), case.phase))
    ]
    mine = [m for m in file.overview.team if org is not None and m.organisation.id == org.pk]
    return {
        "actions": list(by_slug.values()),
        "action_groups": [g for g in groups if g["actions"]],
        "primary": primary,
        "referred_it": org is not None and file.overview.referring_organisation.id == org.pk,
        "read_only_member": bool(mine) and not can_edit,
        "can_refer": has_perm(actor, Perm.REFER, org),
    }


def _labels() -> dict[str, Any]:
    return {
        "phase": wf.PHASE_LABELS,
        "identification": wf.IDENTIFICATION_LABELS,
        "closure": wf.CLOSURE_REASONS,
        "service": wf.SERVICE_TYPES,
        "purpose": wf.CONSENT_PURPOSES,
        "giver": wf.CONSENT_GIVERS,
        "scope": wf.CONSENT_SCOPES,
        "bid": wf.BID_FACTORS,
        "solution": wf.DURABLE_SOLUTIONS,
        "question": wf.RETURN_QUESTIONS,
        "compensation": wf.COMPENSATION_SOURCES,
        "non_punishment": wf.NON_PUNISHMENT_DECISIONS,
        "stage": wf.PROCEEDINGS_STAGES,
        "role": wf.PROCEEDINGS_ROLES,
        "doc_type": wf.DOCUMENT_TYPES,
        "doc_status": wf.DOCUMENT_STATUSES,
        "outcome": wf.REFERRAL_OUTCOMES,
        "groups": wf.translated(access.GROUP_LABELS),
        "countries": vocabulary.countries(),
        "exploitation": dict(htcds_choices("vic_TypeOfExploitation")),
    }


# --- one form per action -------------------------------------------------------------------------------------

Runner = Callable[[Any, Organisation, Case, dict[str, Any], int | None], str]


@dataclass(frozen=True)
class Action:
    slug: str
    title: str
    perm: str
    form: type[djforms.Form]
    run: Runner
    groups: tuple[str, ...] = ()
    with_item: bool = False
    edit: bool = True  # needs the case team or the identification body
    when: Callable[[Case], bool] = lambda case: True
    initial: Callable[[Case], dict[str, Any]] = lambda case: {}
    # For an action on one record of the case (``with_item``): the record's values as they are,
    # so an update form starts from them rather than empty (a role left unticked would be lost).
    item_initial: Callable[[Case, int], dict[str, Any]] = lambda case, item: {}
    form_kwargs: Callable[[Case], dict[str, Any]] = lambda case: {}
    field_map: dict[str, str] = field(default_factory=dict)
    intro: str = ""
    in_menu: bool = True
    # A one-time token guards the form (``palermo.web.once``): sent twice, it acts once.
    once: str = ""
    # A review step before saving: what the page restates (``cases/confirm.html``).
    review: Callable[[Case, dict[str, Any]], dict[str, Any]] | None = None

    @property
    def reviewed(self) -> bool:
        """For templates (which would call ``review`` itself)."""
        return self.review is not None

    # Also for an investigating organisation on the case team (police, prosecution): it seeks
    # compensation in the proceedings (services._require_proceedings; issue 15, item 8).
    proceedings: bool = False

    @property
    def gate(self) -> str:
        """The permission the URL is gated on (the policy middleware); ``shown`` decides the rest."""
        return Perm.VIEW_CASES if self.proceedings else self.perm

    def shown(
        self,
        actor: Any,
        org: Organisation | None,
        case: Case,
        vis: access.Visibility,
        can_edit: bool,
    ) -> bool:
        if not self.when(case):
            return False
        if (
            self.proceedings
            and not can_edit
            and has_perm(actor, Perm.RECORD_PROCEEDINGS, org)
            and "case team" in vis.basis
        ):
            return all(g in vis for g in self.groups)
        if not has_perm(actor, self.perm, org):
            return False
        if self.edit and not can_edit:
            return False
        return all(g in vis for g in self.groups)


def _version(case: Case) -> dict[str, Any]:
    return {"version": case.version}


def _run_decide(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.identification_decide(
        actor=actor,
        organisation=org,
        case=case,
        expected_version=d["version"],
        outcome=d["outcome"],
        reasons=d["reasons"],
        basis=d["basis"],
    )
    return _("Decision recorded.")


def _decision_review(case: Case, d: dict[str, Any]) -> dict[str, Any]:
    """The review page of an identification decision: the decision restated, and what it does."""
    outcome = d["outcome"]
    consequences = {
        wf.PRESUMED: [
            _(
                "The person is treated as a presumed victim from today: assistance and the reflection and "
                "recovery period start now, whether or not they co-operate with the authorities."
            ),
            _("A final decision (identified or not identified) is still to be taken."),
        ],
        wf.IDENTIFIED: [
            _(
                "The person is identified as a victim of trafficking. This decision is final: no other "
                "identification decision can be recorded on this case afterwards."
            ),
        ],
        wf.NOT_IDENTIFIED: [
            _(
                "The person is not identified as a victim of trafficking. The decision can be changed "
                "later only on appeal or on new facts."
            ),
            _("The person must be told of the decision, its reasons and how to appeal."),
        ],
    }[outcome]
    consequences.append(
        _(
            "The decision and its reasons go into the case timeline, are seen by the case team and are "
            "recorded in the audit trail. It cannot be deleted."
        )
    )
    basis = dict(forms.DecisionForm.base_fields["basis"].choices).get(d.get("basis") or "", "")
    return {
        "heading": _("Check the decision before you save it"),
        "facts": [
            (_("Case"), case.reference),
            (
                _("Identification status now"),
                _(wf.IDENTIFICATION_LABELS.get(case.identification_status, "")),
            ),
            (_("Decision"), _(wf.IDENTIFICATION_LABELS[outcome])),
            *([(_("On what grounds"), basis)] if d.get("basis") else []),
            (_("Reasons"), d["reasons"]),
        ],
        "consequences": consequences,
        "starts": services.identification_decision_plan(case, outcome),
        "confirm": _("Confirm and record the decision"),
    }


def _run_transition(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.case_transition(
        actor=actor,
        organisation=org,
        case=case,
        expected_version=d["version"],
        target=d["target"],
        closure_reason=d["closure_reason"],
        closure_details=d["closure_details"],
    )
    return _("The case is now in the phase: %(p)s.") % {"p": wf.PHASE_LABELS[d["target"]]}


def _run_note(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], item: int | None
) -> str:
    services.note_add(
        actor=actor,
        organisation=org,
        case=case,
        text=d["text"],
        corrects_id=item or d.get("corrects_id"),
    )
    return _("Note added.")


PERSON_STR = (
    "given_name",
    "family_name",
    "identity_number",
    "phone",
    "email",
    "street",
    "city",
    "postal_code",
)


def _person_initial(case: Case) -> dict[str, Any]:
    p = case.person
    return {
        "version": case.version,
        **{f: getattr(p, f) for f in p.IDENTITY_FIELDS + p.CONTACT_FIELDS},
    }


def _run_person(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    changes = {k: v for k, v in d.items() if k != "version"}
    services.person_update(
        actor=actor, organisation=org, case=case, expected_version=d["version"], changes=changes
    )
    return _("Personal details saved.")


def _context_initial(case: Case) -> dict[str, Any]:
    c = case.context
    return {"version": case.version, **{f: getattr(c, f) for f in c.FIELDS}}


def _run_context(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    changes = {k: v for k, v in d.items() if k != "version"}
    services.context_update(
        actor=actor, organisation=org, case=case, expected_version=d["version"], changes=changes
    )
    return _("Victim context saved.")


def _details_initial(case: Case) -> dict[str, Any]:
    coop = {True: "yes", False: "no", None: ""}[case.cooperates_with_authorities]
    return {
        "version": case.version,
        "status": case.status,
        "is_child": case.is_child,
        "cooperates": coop,
        "lead_organisation": case.lead_organisation_id,
    }


def _run_details(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    coop = {"yes": True, "no": False}.get(d["cooperates"])
    services.case_update(
        actor=actor,
        organisation=org,
        case=case,
        expected_version=d["version"],
        is_child=d["is_child"],
        cooperates_with_authorities=coop,
        clear_cooperation=coop is None,
        status=d["status"] if case.is_open else None,
        lead_organisation=d["lead_organisation"],
    )
    return _("Case details saved.")


def _run_consent(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.consent_give(
        actor=actor,
        organisation=org,
        case=case,
        scopes=d["scopes"],
        recipient=d["recipient"],
        purpose=d["purpose"],
        given_by=d["given_by"],
        given_on=d["given_on"],
        notes=d["notes"],
    )
    return _("Consent recorded.")


def _run_withdraw(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], item: int | None
) -> str:
    services.consent_withdraw(
        actor=actor,
        organisation=org,
        case=case,
        consent_id=item or 0,
        withdrawn_on=d["withdrawn_on"],
    )
    return _("Consent withdrawn: sharing under it stops now.")


def _referral_kwargs(case: Case) -> dict[str, Any]:
    return {"consents": selectors.active_consents_for_case(case)}


def _run_refer(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    consent = selectors.consent_of(case, int(d["consent"] or 0))
    if consent is None:
        from palermo.core.errors import FieldError

        raise InvalidInput(
            FieldError("consent", _("Choose the consent that covers this referral."))
        )
    services.service_referral_send(
        actor=actor,
        organisation=org,
        case=case,
        provider=d["provider"],
        service_type=d["service_type"],
        consent=consent,
        details=d["details"],
    )
    return _("Referral sent.")


def _run_team(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.team_add(
        actor=actor, organisation=org, case=case, member=d["organisation"], role=d["role"]
    )
    return _("Organisation added to the case team.")


def _run_task(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.task_add(
        actor=actor,
        organisation=org,
        case=case,
        title=d["title"],
        due_on=d["due_on"],
        remind_days_before=d["remind_days_before"],
    )
    return _("Task added.")


def _run_task_done(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], item: int | None
) -> str:
    services.task_complete(
        actor=actor, organisation=org, case=case, task_id=item or 0, note=d["note"]
    )
    return _("Task done.")


def _run_event(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.trafficking_event_add(
        actor=actor,
        organisation=org,
        case=case,
        event_type=d["event_type"],
        date_=d["date"],
        country=d["country"],
        city=d["city"],
        description=d["description"],
    )
    return _("Event recorded.")


def _run_suspect(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.suspect_link(
        actor=actor,
        organisation=org,
        case=case,
        name_or_alias=d["name_or_alias"],
        roles=d["roles"],
        organisation_name=d["organisation"],
        details=d["details"],
    )
    return _("Suspect linked.")


def _run_guardian(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.guardian_appoint(
        actor=actor,
        organisation=org,
        case=case,
        guardian_name=d["guardian_name"],
        appointed_on=d["appointed_on"],
    )
    return _("Guardian appointment recorded.")


def _run_interpreter(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.interpreter_request(actor=actor, organisation=org, case=case, language=d["language"])
    return _("Interpreter request recorded.")


def _run_child_protection(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.child_protection_notify(
        actor=actor,
        organisation=org,
        case=case,
        authority=d["authority"],
        notified_on=d["notified_on"],
    )
    return _("Notification recorded.")


def _run_bid(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    factors = {k: d.get(f"factor_{k}", "") for k in wf.BID_FACTORS}
    services.bid_record(
        actor=actor,
        organisation=org,
        case=case,
        factors=factors,
        durable_solution=d["durable_solution"],
        decided_on=d["decided_on"],
        participants=d["participants"],
    )
    return _("Best-interests determination recorded.")


def _run_return_assessment(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    answers = {q: d[q] for q in wf.RETURN_QUESTIONS}
    services.return_assessment_record(
        actor=actor,
        organisation=org,
        case=case,
        country=d["country"],
        answers=answers,
        conclusion=d["conclusion"],
        assessed_on=d["assessed_on"],
        notes=d["notes"],
    )
    return _("Risk assessment recorded.")


def _run_return(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.return_record(
        actor=actor,
        organisation=org,
        case=case,
        country=d["country"],
        returned_on=d["returned_on"],
        override_reason=d["override_reason"],
        notes=d["notes"],
    )
    return _("Return recorded.")


def _run_non_punishment(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.non_punishment_record(
        actor=actor,
        organisation=org,
        case=case,
        offence=d["offence"],
        compulsion=d["compulsion"],
        decision=d["decision"],
        decided_by_body=d["decided_by_body"],
        decided_on=d["decided_on"],
    )
    return _("Recorded.")


def _run_non_punishment_decide(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], item: int | None
) -> str:
    services.non_punishment_decide(
        actor=actor,
        organisation=org,
        case=case,
        record_id=item or 0,
        decision=d["decision"],
        decided_by_body=d["decided_by_body"],
        decided_on=d["decided_on"],
    )
    return _("Decision recorded.")


def _run_team_remove(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], item: int | None
) -> str:
    member = selectors.team_of(case).filter(organisation_id=item or 0).first()
    if member is None:
        from palermo.core.errors import FieldError

        raise InvalidInput(FieldError("", _("That organisation is not on the case team.")))
    services.team_remove(actor=actor, organisation=org, case=case, member=member.organisation)
    return _("Organisation removed from the case team.")


def _run_compensation(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.compensation_claim_record(
        actor=actor,
        organisation=org,
        case=case,
        amount=d["amount"],
        currency=d["currency"],
        source=d["source"],
        filed_on=d["filed_on"],
    )
    return _("Compensation claim recorded.")


def _run_compensation_status(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], item: int | None
) -> str:
    services.compensation_claim_update(
        actor=actor,
        organisation=org,
        case=case,
        claim_id=item or 0,
        status=d["status"],
        on=d["on"],
        amount_awarded=d["amount_awarded"],
    )
    return _("Claim updated.")


def _run_proceedings(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.proceedings_record(
        actor=actor,
        organisation=org,
        case=case,
        country=d["country"],
        stage=d["stage"],
        roles=d["roles"],
        authority=d["authority"],
        stage_on=d["stage_on"],
    )
    return _("Proceedings recorded.")


def _run_proceedings_update(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], item: int | None
) -> str:
    services.proceedings_update(
        actor=actor,
        organisation=org,
        case=case,
        record_id=item or 0,
        stage=d["stage"],
        roles=d["roles"],
        stage_on=d["stage_on"],
    )
    return _("Proceedings updated.")


def _run_document(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.document_record(
        actor=actor,
        organisation=org,
        case=case,
        doc_type=d["doc_type"],
        status=d["status"],
        issuing_country=d["issuing_country"],
        number=d["number"],
        expires_on=d["expires_on"],
    )
    return _("Document recorded.")


def _run_document_status(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], item: int | None
) -> str:
    services.document_update(
        actor=actor, organisation=org, case=case, document_id=item or 0, status=d["status"]
    )
    return _("Document updated.")


def _run_appeal(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.appeal_lodge(
        actor=actor, organisation=org, case=case, grounds=d["grounds"], lodged_on=d["lodged_on"]
    )
    return _("Appeal recorded.")


def _run_appeal_outcome(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], item: int | None
) -> str:
    services.appeal_decide(
        actor=actor,
        organisation=org,
        case=case,
        expected_version=d["version"],
        appeal_id=item or 0,
        upheld=d["upheld"] == "yes",
        reasons=d["reasons"],
        new_outcome=d["new_outcome"],
    )
    return _("Appeal outcome recorded.")


def _run_legal_basis(
    actor: Any, org: Organisation, case: Case, d: dict[str, Any], _item: int | None
) -> str:
    services.legal_basis_record(
        actor=actor,
        organisation=org,
        case=case,
        member=d["organisation"],
        basis=d["basis"],
        valid_until=d["valid_until"],
    )
    return _("Legal basis recorded.")


def _today(case: Case) -> dict[str, Any]:
    return {
        "given_on": clock.today(),
        "appointed_on": clock.today(),
        "notified_on": clock.today(),
        "decided_on": clock.today(),
        "assessed_on": clock.today(),
        "lodged_on": clock.today(),
        "withdrawn_on": clock.today(),
    }


E = Perm.EDIT_CASES
ACTIONS: list[Action] = [
    Action(
        "decide",
        gettext_lazy("Identification decision"),
        Perm.DECIDE_IDENTIFICATION,
        forms.DecisionForm,
        _run_decide,
        edit=False,
        initial=_version,
        when=lambda c: c.identification_status != wf.IDENTIFIED,
        once="identification_decision",
        review=_decision_review,
        intro=gettext_lazy(
            "The competent body decides, with reasons. A presumed or identified decision starts the "
            "reflection and recovery period, which never depends on co-operation with the authorities."
        ),
    ),
    Action(
        "transition",
        gettext_lazy("Change phase"),
        E,
        forms.TransitionForm,
        _run_transition,
        initial=_version,
    ),
    Action(
        "details",
        gettext_lazy("Case details"),
        E,
        forms.CaseDetailsForm,
        _run_details,
        (access.OVERVIEW,),
        initial=_details_initial,
    ),
    Action(
        "person",
        gettext_lazy("Personal details"),
        E,
        forms.PersonForm,
        _run_person,
        (access.IDENTITY,),
        initial=_person_initial,
    ),
    Action(
        "context",
        gettext_lazy("Victim context"),
        E,
        forms.ContextForm,
        _run_context,
        (access.VICTIM_CONTEXT,),
        initial=_context_initial,
    ),
    Action(
        "note",
        gettext_lazy("Add a note"),
        E,
        forms.NoteForm,
        _run_note,
        (access.TIMELINE,),
        intro=gettext_lazy("Notes are never edited or deleted. To correct one, add a correction."),
    ),
    Action(
        "correct",
        gettext_lazy("Correct a note"),
        E,
        forms.NoteForm,
        _run_note,
        (access.TIMELINE,),
        with_item=True,
        in_menu=False,
        intro=gettext_lazy(
            "The correction is added to the timeline; the original stays as it was."
        ),
    ),
    Action(
        "consent",
        gettext_lazy("Record consent"),
        E,
        forms.ConsentForm,
        _run_consent,
        (access.CONSENTS,),
        initial=_today,
        intro=gettext_lazy(
            "Say what may be shared, with whom and for what. A referral names the consent that covers it."
        ),
    ),
    Action(
        "withdraw",
        gettext_lazy("Withdraw consent"),
        E,
        forms.WithdrawForm,
        _run_withdraw,
        (access.CONSENTS,),
        with_item=True,
        in_menu=False,
        initial=_today,
    ),
    Action(
        "refer",
        gettext_lazy("Refer to a service"),
        E,
        forms.ReferralForm,
        _run_refer,
        (access.REFERRALS,),
        form_kwargs=_referral_kwargs,
        when=lambda c: c.is_open,
        once="service_referral",
    ),
    Action(
        "team",
        gettext_lazy("Add to the case team"),
        E,
        forms.TeamForm,
        _run_team,
        (access.OVERVIEW,),
    ),
    Action("task", gettext_lazy("Add a task"), E, forms.TaskForm, _run_task, (access.TASKS,)),
    Action(
        "task-done",
        gettext_lazy("Mark a task done"),
        E,
        forms.TaskDoneForm,
        _run_task_done,
        (access.TASKS,),
        with_item=True,
        in_menu=False,
    ),
    Action(
        "event",
        gettext_lazy("Trafficking event"),
        E,
        forms.TraffickingEventForm,
        _run_event,
        (access.VICTIM_CONTEXT,),
    ),
    Action(
        "suspect",
        gettext_lazy("Link a suspect"),
        E,
        forms.SuspectForm,
        _run_suspect,
        (access.SUSPECTS,),
    ),
    Action(
        "interpreter",
        gettext_lazy("Interpreter requested"),
        E,
        forms.InterpreterRequestForm,
        _run_interpreter,
        (access.TIMELINE,),
        intro=gettext_lazy(
            "Interview the person in a language they understand: record the request before "
            "the interview."
        ),
    ),
    Action(
        "guardian",
        gettext_lazy("Guardian appointed"),
        E,
        forms.GuardianForm,
        _run_guardian,
        (access.SAFEGUARDS,),
        when=lambda c: c.is_child,
        initial=_today,
    ),
    Action(
        "child-protection",
        gettext_lazy("Child protection notified"),
        E,
        forms.ChildProtectionForm,
        _run_child_protection,
        (access.SAFEGUARDS,),
        when=lambda c: c.is_child,
        initial=_today,
    ),
    Action(
        "bid",
        gettext_lazy("Best-interests determination"),
        E,
        forms.BidForm,
        _run_bid,
        (access.SAFEGUARDS,),
        when=lambda c: c.is_child,
        initial=_today,
        field_map={k: f"factor_{k}" for k in wf.BID_FACTORS},
        intro=gettext_lazy(
            "Weigh all seven factors with the child and the guardian, then choose one durable solution."
        ),
    ),
    Action(
        "return-assessment",
        gettext_lazy("Return risk assessment"),
        E,
        forms.ReturnAssessmentForm,
        _run_return_assessment,
        (access.SAFEGUARDS,),
        initial=_today,
        intro=gettext_lazy(
            "Not simply whether there are organisations in the country of origin: answer all four questions. "
            "'Acceptable' needs every answer to speak for a safe return."
        ),
    ),
    Action(
        "return",
        gettext_lazy("Record a return"),
        E,
        forms.ReturnForm,
        _run_return,
        (access.SAFEGUARDS,),
    ),
    Action(
        "non-punishment",
        gettext_lazy("Non-punishment"),
        E,
        forms.NonPunishmentForm,
        _run_non_punishment,
        (access.SAFEGUARDS,),
    ),
    Action(
        "non-punishment-decide",
        gettext_lazy("Non-punishment decision"),
        E,
        forms.NonPunishmentDecisionForm,
        _run_non_punishment_decide,
        (access.SAFEGUARDS,),
        with_item=True,
        in_menu=False,
        initial=_today,
    ),
    Action(
        "team-remove",
        gettext_lazy("Remove from the case team"),
        E,
        forms.TeamRemoveForm,
        _run_team_remove,
        (access.OVERVIEW,),
        with_item=True,
        in_menu=False,
    ),
    Action(
        "compensation",
        gettext_lazy("Compensation claim"),
        E,
        forms.CompensationForm,
        _run_compensation,
        (access.SAFEGUARDS,),
        proceedings=True,
    ),
    Action(
        "compensation-status",
        gettext_lazy("Update a compensation claim"),
        E,
        forms.CompensationStatusForm,
        _run_compensation_status,
        (access.SAFEGUARDS,),
        with_item=True,
        in_menu=False,
        proceedings=True,
    ),
    Action(
        "proceedings",
        gettext_lazy("Criminal proceedings"),
        E,
        forms.ProceedingsForm,
        _run_proceedings,
        (access.SAFEGUARDS,),
        proceedings=True,
        intro=gettext_lazy(
            "Proceedings the person takes part in, in this or another country, and in what role."
        ),
    ),
    Action(
        "proceedings-update",
        gettext_lazy("Update criminal proceedings"),
        E,
        forms.ProceedingsUpdateForm,
        _run_proceedings_update,
        (access.SAFEGUARDS,),
        with_item=True,
        item_initial=lambda case, item: (
            case.proceedings.filter(pk=item).values("stage", "roles", "stage_on").first() or {}
        ),
        in_menu=False,
        proceedings=True,
    ),
    Action(
        "document",
        gettext_lazy("Identity document"),
        E,
        forms.DocumentForm,
        _run_document,
        (access.IDENTITY,),
        intro=gettext_lazy(
            "A document the person holds or is missing: withheld, lost, expired or never issued."
        ),
    ),
    Action(
        "document-status",
        gettext_lazy("Where the document is now"),
        E,
        forms.DocumentStatusForm,
        _run_document_status,
        (access.IDENTITY,),
        with_item=True,
        in_menu=False,
    ),
    Action(
        "appeal",
        gettext_lazy("Record an appeal"),
        E,
        forms.AppealForm,
        _run_appeal,
        (access.TIMELINE,),
        initial=_today,
        when=lambda c: c.identification_status != wf.POTENTIAL,
    ),
    Action(
        "appeal-outcome",
        gettext_lazy("Appeal outcome"),
        Perm.DECIDE_IDENTIFICATION,
        forms.AppealOutcomeForm,
        _run_appeal_outcome,
        edit=False,
        with_item=True,
        in_menu=False,
        initial=_version,
        once="appeal_outcome",
    ),
    Action(
        "legal-basis",
        gettext_lazy("Legal basis for law enforcement"),
        Perm.OVERSEE_CASES,
        forms.LegalBasisForm,
        _run_legal_basis,
        edit=False,
    ),
]
ACTIONS_BY_SLUG = {a.slug: a for a in ACTIONS}


def _save_action(
    request: AuthedRequest,
    spec: Action,
    case: Case,
    form: djforms.Form,
    item_id: int | None,
    kwargs: dict[str, Any],
) -> HttpResponse | djforms.Form:
    """Run the action's service on a valid form: the answer, or the form with the refusal beside
    its fields (to show again, input kept)."""
    actor, org = _who(request)
    detail_url = reverse("cases:detail", args=[case.reference])
    try:
        if spec.once:
            with once.claim(request, spec.once) as claim:
                msg = spec.run(actor, org, case, form.cleaned_data, item_id)
                claim.done(detail_url)
        else:
            msg = spec.run(actor, org, case, form.cleaned_data, item_id)
    except once.Duplicate as dup:
        return once.duplicate_response(request, dup, fallback=detail_url)
    except once.TokenProblem as problem:
        form.add_error(None, problem.message)
    except services.StaleVersion as exc:
        # Keep what they typed; point the hidden version at the saved case so that
        # saving again (after checking) is a deliberate second decision.
        data = request.POST.copy()
        data["version"] = str(selectors.current_version(case))
        form = spec.form(data, **kwargs)
        form.is_valid()
        _apply_errors(form, exc)
    except InvalidInput as exc:
        _apply_errors(form, exc, spec.field_map)
    except services.NotAllowed as exc:
        audit.record_refusal(request, perm=spec.perm, object_type="case", object_ref=case.reference)
        return refused(request, reason=_(str(exc)))
    else:
        messages.success(request, msg)
        return redirect(detail_url)
    return form


def _make_action_view(spec: Action) -> Callable[..., HttpResponse]:
    @requires(spec.gate)
    def view(request: AuthedRequest, reference: str, item_id: int | None = None) -> HttpResponse:
        actor, org = _who(request)
        # Edit forms that show personal data (pre-filled) are reads of the case file too.
        shows_data = request.method == "GET" and spec.slug in ("person", "context")
        case = selectors.access_case(
            actor,
            org,
            reference,
            request=request,
            record_read=shows_data,
            purpose="edit form" if shows_data else "",
        )
        vis: access.Visibility = case.visibility
        if spec.once and (dup := once.previous(request, spec.once)) is not None:
            # The same form sent again: the first submit was acted on (and may have changed what
            # is allowed now, e.g. a decision exists). Lead to it rather than refuse.
            return once.duplicate_response(
                request, dup, fallback=reverse("cases:detail", args=[case.reference])
            )
        if spec.in_menu and not spec.shown(
            actor, org, case, vis, selectors.can_edit_case(actor, org, vis)
        ):
            audit.record_refusal(
                request, perm=spec.perm, object_type="case", object_ref=case.reference
            )
            return refused(request, reason=_refusal_reason(spec, actor, org, case, vis))
        kwargs = spec.form_kwargs(case)
        if issubclass(spec.form, forms.OrganisationChoices):
            kwargs["actor"] = actor  # its drop-downs list what this reader may name
        if request.method == "POST":
            form = spec.form(request.POST, **kwargs)
            if form.is_valid():
                reviewing = spec.review is not None and request.POST.get("step") != "confirm"
                if reviewing and request.POST.get("step") != "change":
                    # Review before saving (issue 15, item 6): nothing is written yet.
                    return render(
                        request,
                        "cases/confirm.html",
                        {
                            "case": case,
                            "form": form,
                            "action": spec,
                            "item_id": item_id,
                            "review": spec.review(case, form.cleaned_data),  # type: ignore[misc]
                        },
                    )
                if not reviewing:
                    saved = _save_action(request, spec, case, form, item_id, kwargs)
                    if isinstance(saved, HttpResponse):
                        return saved
                    form = saved
        else:
            initial = spec.initial(case)
            if spec.with_item and item_id:
                initial |= spec.item_initial(case, item_id)
            form = spec.form(initial=initial, **kwargs)
        if spec.slug == "person":
            for name in list(form.fields):
                if (name in case.person.IDENTITY_FIELDS and access.IDENTITY not in vis) or (
                    name in case.person.CONTACT_FIELDS and access.CONTACT not in vis
                ):
                    del form.fields[name]
        return render(
            request,
            "cases/action.html",
            {"case": case, "form": form, "action": spec, "item_id": item_id},
        )

    view.__name__ = f"action_{spec.slug.replace('-', '_')}"
    return view


ACTION_VIEWS = {a.slug: _make_action_view(a) for a in ACTIONS}


def _refusal_reason(
    spec: Action, actor: Any, org: Organisation | None, case: Case, vis: access.Visibility
) -> str:
    """Why a case action is refused, in words, when the role allows it (issue 15, item 9).

    Says nothing the person could not already see: they can open the case."""
    if not has_perm(actor, spec.perm, org):
        return ""  # the role: the page's default text says so
    if not spec.when(case):
        if spec.slug == "decide" and case.identification_status == wf.IDENTIFIED:
            return str(
                _(
                    "The person has already been identified as a victim of trafficking: that decision is final "
                    "and cannot be taken again here. The decision and its reasons are on the case page."
                )
            )
        if not case.is_open:
            return str(
                _(
                    "The case is closed, so “%(action)s” is not available. Reopen the case first if the "
                    "work must continue."
                )
                % {"action": spec.title}
            )
        return str(
            _(
                "“%(action)s” does not apply to this case as it stands (phase: %(phase)s; identification: "
                "%(status)s)."
            )
            % {
                "action": spec.title,
                "phase": str(wf.PHASE_LABELS.get(case.phase, case.phase)),
                "status": str(
                    wf.IDENTIFICATION_LABELS.get(
                        case.identification_status, case.identification_status
                    )
                ),
            }
        )
    if spec.edit and not selectors.can_edit_case(actor, org, vis):
        return str(
            _(
                "Only the organisations on the case team (and the identification body) may change this case, "
                "and yours is not on its team. Ask the lead organisation or the co-ordinator to add it."
            )
        )
    return str(
        _(
            "This needs parts of the case file that your organisation may not see (they are shared only "
            "with the case team or under the person's consent)."
        )
    )


@requires(Perm.BREAK_GLASS)
def break_glass(request: AuthedRequest, reference: str) -> HttpResponse:
    actor, org = _who(request)
    form = forms.BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.break_glass_open(
                actor=actor,
                organisation=org,
                case_ref=reference,
                reason=form.cleaned_data["reason"],
            )
        except InvalidInput as exc:
            _apply_errors(form, exc)
        except services.NotAllowed as exc:
            return refused(request, reason=_(str(exc)))
        else:
            messages.warning(
                request,
                _(
                    "Break-glass access opened for %(h)s hours. It is audited and shown to the "
                    "co-ordinators."
                )
                % {"h": services.BREAK_GLASS_HOURS},
            )
            return redirect("cases:detail", reference=wf.normalise_reference(reference))
    return render(
        request,
        "cases/break_glass.html",
        {"form": form, "reference": wf.normalise_reference(reference)[:20]},
    )


# --- referrals: the receiving organisation's inbox ---------------------------------------------------------


@requires(Perm.VIEW_CASES)
def referral_inbox(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    status = request.GET.get("status", "")
    status = status if status in wf.REFERRAL_STATUSES else ""
    page = Paginator(
        selectors.incoming_referrals_for(actor, org, status=status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # The inbox names cases and children: a read of personal data (a status filter is no personal data).
    audit.record_request(
        request,
        action="read",
        object_type="referral_list",
        details={"status": status} if status else {},
    )
    return render(
        request,
        "cases/referrals.html",
        {
            "page": page,
            "status": status,
            "statuses": wf.REFERRAL_STATUSES,
            "query": f"status={status}" if status else "",
            "services": wf.SERVICE_TYPES,
        },
    )


@requires(Perm.VIEW_CASES)
def referral_detail(request: AuthedRequest, referral_id: int) -> HttpResponse:
    actor, org = _who(request)
    ref, data = selectors.read_referral(actor, org, referral_id, request=request)
    assert org is not None
    is_receiver = ref.receiving_organisation_id == org.pk
    can_answer = is_receiver and has_perm(actor, Perm.EDIT_CASES, org)
    return render(
        request,
        "cases/referral.html",
        {
            "ref": ref,
            "r": data,
            "can_answer": can_answer,
            "labels": _labels(),
            "is_receiver": is_receiver,
            "decline_form": forms.DeclineForm(),
            "close_form": forms.CloseReferralForm(),
            "can_close": has_perm(actor, Perm.EDIT_CASES, org)
            and ref.status in (wf.REFERRAL_SENT, wf.REFERRAL_ACCEPTED, wf.REFERRAL_DELIVERED),
        },
    )


@requires(Perm.EDIT_CASES)
@require_POST
def referral_answer(request: AuthedRequest, referral_id: int, answer: str) -> HttpResponse:
    actor, org = _who(request)
    ref = selectors.access_referral(actor, org, referral_id)
    form: djforms.Form | None = None
    try:
        if answer == "accept":
            services.service_referral_accept(actor=actor, organisation=org, referral=ref)
        elif answer == "deliver":
            services.service_referral_deliver(actor=actor, organisation=org, referral=ref)
        elif answer == "decline":
            form = forms.DeclineForm(request.POST)
            if not form.is_valid():
                raise InvalidInput([])
            services.service_referral_decline(
                actor=actor, organisation=org, referral=ref, reason=form.cleaned_data["reason"]
            )
        elif answer == "close":
            form = forms.CloseReferralForm(request.POST)
            if not form.is_valid():
                raise InvalidInput([])
            services.service_referral_close(
                actor=actor,
                organisation=org,
                referral=ref,
                outcome=form.cleaned_data["outcome"],
                details=form.cleaned_data["details"],
            )
        else:
            raise Http404("not found")
    except services.NotAllowed as exc:
        audit.record_refusal(
            request, perm=Perm.EDIT_CASES, object_type="case", object_ref=ref.case.reference
        )
        return refused(request, reason=_(str(exc)))  # the real reason (issue 15, item 9)
    except InvalidInput as exc:
        assert org is not None
        is_receiver = ref.receiving_organisation_id == org.pk
        data = selectors.referral_view(
            ref, selectors.referral_visibility(actor, org, ref), receiver=is_receiver
        )
        decline = form if answer == "decline" and form is not None else forms.DeclineForm()
        close = form if answer == "close" and form is not None else forms.CloseReferralForm()
        for e in exc.errors:
            target = decline if answer == "decline" else close if answer == "close" else None
            if target is not None:
                target.add_error(e.field if e.field in target.fields else None, e.message)
            else:
                messages.error(request, e.message)
        return render(
            request,
            "cases/referral.html",
            {
                "ref": ref,
                "r": data,
                "can_answer": is_receiver,
                "labels": _labels(),
                "is_receiver": is_receiver,
                "decline_form": decline,
                "close_form": close,
                "can_close": True,
            },
            status=422,
        )
    messages.success(
        request,
        _("Referral %(s)s.")
        % {
            "s": {
                "accept": _("accepted"),
                "deliver": _("marked delivered"),
                "decline": _("declined"),
                "close": _("closed"),
            }[answer]
        },
    )
    return redirect("cases:referral", referral_id=ref.pk)


# --- oversight and directory ---------------------------------------------------------------------------------------


@requires(Perm.OVERSEE_CASES)
def oversight(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    today = clock.today()
    page = CappedPaginator(selectors.overdue_deadlines_for(actor, org, today=today), 50).get_page(
        request.GET.get("page")
    )
    audit.record_request(request, action="read", object_type="overdue_deadlines")
    flags = selectors.break_glass_flags(actor, org)[:50]
    return render(
        request, "cases/oversight.html", {"page": page, "today": today, "flags": flags, "query": ""}
    )


@requires(Perm.OVERSEE_CASES)
@require_POST
def break_glass_review(request: AuthedRequest, access_id: int) -> HttpResponse:
    actor, org = _who(request)
    try:
        services.break_glass_review(actor=actor, organisation=org, access_id=access_id)
    except InvalidInput as exc:
        for e in exc.errors:
            messages.error(request, e.message)
    else:
        messages.success(request, _("Break-glass access marked as reviewed."))
    return redirect("cases:oversight")


@requires(Perm.VIEW_CASES)
def directory(request: AuthedRequest) -> HttpResponse:
    actor, org = _who(request)
    service_type = request.GET.get("service_type", "")
    service_type = service_type if service_type in wf.SERVICE_TYPES else ""
    can_manage = has_perm(actor, Perm.OVERSEE_CASES, org)
    form = forms.ServiceProviderForm(request.POST or None, actor=actor) if can_manage else None
    if request.method == "POST":
        if form is None:
            return refused(request)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.service_provider_save(
                    actor=actor,
                    organisation=org,
                    provider_organisation=d["organisation"],
                    service_types=d["service_types"],
                    capacity=d["capacity"],
                    languages=d["languages"],
                    area_served=d["area_served"],
                    is_closed_facility=d["is_closed_facility"],
                    accepts_children=d["accepts_children"],
                )
            except InvalidInput as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Directory entry saved."))
                return redirect("cases:directory")
    counts = selectors.active_referral_counts()
    providers = list(
        selectors.service_directory(
            service_type=service_type, within=scope.organisations_in_scope(actor)
        )
    )
    for p in providers:
        p.in_use = counts.get(p.pk, 0)
    return render(
        request,
        "cases/directory.html",
        {
            "providers": providers,
            "service_type": service_type,
            "services": wf.SERVICE_TYPES,
            "form": form,
            "languages": vocabulary.languages(),
        },
    )
