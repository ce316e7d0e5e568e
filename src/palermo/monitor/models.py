"""Monitoring commitments: the national action plan and the recommendations register.

No personal data lives here: plans, measures, recommendations and evidence are about
the State's commitments. A link to a case holds only its pseudonymous reference, and
is shown to nobody who may not open that case.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ThematicArea(models.TextChoices):  # vocabulary.THEMATIC_AREAS
    LABOUR = "labour_exploitation", _("Labour exploitation")
    CHILDREN = "child_trafficking", _("Child trafficking")
    ORGANS = "organ_removal", _("Trafficking for organ removal")
    IDENTIFICATION = "victim_identification", _("Victim identification")
    SUPPORT = "victim_support", _("Victim support")
    JUSTICE = "criminal_justice_support", _("Support in criminal justice")
    ASSETS = "traffickers_assets", _("Targeting traffickers' assets")
    FINANCIAL = "financial_investigations", _("Financial investigations")


class SourceBody(models.TextChoices):  # vocabulary.SOURCE_BODIES
    OSCE = "osce", _("OSCE Special Representative")
    GRETA = "greta", _("Council of Europe GRETA")
    UN = "un_treaty_body", _("UN treaty body")
    US_TIP = "us_tip", _("US Trafficking in Persons Report")
    NATIONAL = "national", _("National rapporteur")
    OTHER = "other", _("Other monitoring body")


class RecommendationStatus(models.TextChoices):  # vocabulary.RECOMMENDATION_STATUSES
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    IMPLEMENTED = "implemented", _("Implemented")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")


class MeasureStatus(models.TextChoices):  # vocabulary.MEASURE_STATUSES
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    DELAYED = "delayed", _("Delayed")
    DROPPED = "dropped", _("Dropped")


class ActionPlan(models.Model):
    title = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)  # optimistic locking of edits and removal

    class Meta:
        ordering = ["-starts_on", "id"]

    def __str__(self) -> str:
        return self.title


class Objective(models.Model):
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="objectives")
    code = models.CharField(max_length=20)  # "1", "2.a" — as the plan numbers them
    title = models.CharField(max_length=300)
    area = models.CharField(max_length=40, choices=ThematicArea.choices, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="monitor_objective_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"


class Measure(models.Model):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="measures")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    responsible = models.ManyToManyField("core.Organisation", related_name="+")
    deadline = models.DateField()
    budget_line = models.CharField(max_length=120, blank=True)
    budget_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    budget_currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(
        max_length=20, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["objective", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "code"], name="monitor_measure_code_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class PlanIndicator(models.Model):
    """A target the plan sets for a measure, with its baseline; optionally tied to a computed indicator."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="indicators")
    title = models.CharField(max_length=300)
    baseline = models.CharField(max_length=60)
    target = models.CharField(max_length=60)
    computed = models.CharField(max_length=60, blank=True)  # an id of data/indicators.yaml

    def __str__(self) -> str:
        return self.title


class ProgressNote(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="notes")
    noted_on = models.DateField()
    status = models.CharField(max_length=20, choices=MeasureStatus.choices)
    text = models.TextField()
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-noted_on", "-id"]

    def __str__(self) -> str:
        return f"{self.noted_on} {self.status}"


class EvidenceKind(models.TextChoices):
    FILE = "file", _("File")
    CASE = "case", _("Case record")
    INDICATOR = "indicator", _("Indicator")
    STATISTICS = "statistics", _("Published statistics")


class Evidence(models.Model):
    """Evidence that a measure is carried out: a file (kept with its SHA-256) or a link to a
    Palermo record (a case reference, an indicator id, the statistics of a year)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="evidence")
    note = models.ForeignKey(
        ProgressNote, null=True, blank=True, on_delete=models.SET_NULL, related_name="evidence"
    )
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    title = models.CharField(max_length=200)
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    target = models.CharField(max_length=80, blank=True)  # case reference, indicator id, or year
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["-added_at", "-id"]

    def __str__(self) -> str:
        return self.title


class NationalResponse(models.Model):
    """One answer of the State to one or more recommendations (from one or several monitors)."""

    key = models.CharField(max_length=60, unique=True)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key


class Recommendation(models.Model):
    source_body = models.CharField(max_length=40, choices=SourceBody.choices)
    report = models.CharField(max_length=200)
    paragraph = models.CharField(max_length=40)
    issued_on = models.DateField()
    area = models.CharField(max_length=40, choices=ThematicArea.choices)
    addressee = models.CharField(max_length=200)
    text = models.TextField()
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=RecommendationStatus.choices,
        default=RecommendationStatus.NOT_STARTED,
    )
    reason = models.TextField(blank=True)  # why it was not accepted
    response = models.ForeignKey(
        NationalResponse,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recommendations",
    )
    measures = models.ManyToManyField(Measure, blank=True, related_name="recommendations")
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)
    reminded_at = models.DateTimeField(null=True, blank=True)  # last overdue reminder (once a day)

    class Meta:
        ordering = ["source_body", "report", "paragraph"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_body", "report", "paragraph"], name="monitor_recommendation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_body} {self.report} § {self.paragraph}"


class FollowUp(models.Model):
    """The recommendation's history, for a follow-up visit to review: who changed what, when, why."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="follow_ups"
    )
    at = models.DateTimeField()
    status_before = models.CharField(max_length=20, blank=True)
    status_after = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.status_after}"


# --- the implementation survey ------------------------------------------------------------------


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for answers")
    CLOSED = "closed", _("Closed")


class Survey(models.Model):
    """A questionnaire sent to organisations; its questions are data (``survey.parse_definition``)
    and are frozen once it is open, so every answer refers to the questions it was given."""

    title = models.CharField(max_length=200)
    definition = models.JSONField()
    status = models.CharField(
        max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class SurveyAssignment(models.Model):
    """One organisation asked to answer, as an organisation, by a date."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="assignments")
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminders = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["survey", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "organisation"], name="monitor_assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} → {self.organisation_id}"


class SurveyResponse(models.Model):
    assignment = models.OneToOneField(
        SurveyAssignment, on_delete=models.CASCADE, related_name="response"
    )
    answers = models.JSONField(default=dict)
    submitted = models.BooleanField(default=False)
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"response {self.pk}"


class SurveyAttachment(models.Model):
    """A file answering a ``file`` question, kept with its SHA-256."""

    response = models.ForeignKey(
        SurveyResponse, on_delete=models.CASCADE, related_name="attachments"
    )
    question = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["question", "-added_at"]

    def __str__(self) -> str:
        return self.file_name


# --- country visits -----------------------------------------------------------------------------


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    REPORTED = "reported", _("Report published")


class CountryVisit(models.Model):
    """A monitoring body's visit to the State: plan, meetings, report; a follow-up visit
    names the visit it follows so the two can be compared."""

    title = models.CharField(max_length=200)
    source_body = models.CharField(max_length=40, choices=SourceBody.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()
    purpose = models.TextField(blank=True)
    follows = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up_visits"
    )
    status = models.CharField(
        max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title


class VisitMeeting(models.Model):
    """A meeting of the visit's agenda, with an authority or an NGO, and its notes."""

    visit = models.ForeignKey(CountryVisit, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField()
    counterpart = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        "core.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agenda = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.counterpart}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("With the State for comments")
    PUBLISHED = "published", _("Published")


class VisitReport(models.Model):
    """One version of a visit's report. ``snapshot`` holds what the draft was assembled from
    (register, indicators, survey) as it stood; a published version never changes — a
    correction is a new version that names the one it corrects."""

    visit = models.ForeignKey(CountryVisit, on_delete=models.CASCADE, related_name="reports")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    findings = models.TextField(blank=True)
    snapshot = models.JSONField(default=dict)
    proposed = models.JSONField(default=list)  # recommendations to issue on publication
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    issued = models.ManyToManyField(Recommendation, blank=True, related_name="visit_reports")
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)  # of the published content
    lock_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["visit", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "version"], name="monitor_report_version")
        ]

    def __str__(self) -> str:
        return f"{self.visit_id} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The last line of defence: whatever path a change takes, a published version stays
        # as it was published (its SHA-256 is in the audit trail).
        if self.pk is not None:
            stored = VisitReport.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == ReportStatus.PUBLISHED:
                raise ValueError("A published report never changes; make a correction instead.")
        super().save(*args, **kwargs)


class ReportComment(models.Model):
    """A comment of the visited State's authorities on a report under review."""

    report = models.ForeignKey(VisitReport, on_delete=models.CASCADE, related_name="comments")
    section = models.CharField(max_length=80, blank=True)
    text = models.TextField()
    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk}"
