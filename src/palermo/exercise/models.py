"""Exercise data. Every model is a ``GuardedModel``: written only inside an exercise instance.

An exercise instance's database holds exactly one ``Exercise`` (its scenario, clock and state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palermo.exercise.isolation import GuardedModel
from palermo.exercise.vocabulary import (
    CHANNELS,
    CRITERIA,
    GENDERS,
    INJECT_KINDS,
    PATHS,
    PROFESSIONS,
    RATINGS,
    ROLE_KINDS,
)

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


def _choices(d: dict[str, str]) -> list[tuple[str, Any]]:
    return [(k, _(v)) for k, v in d.items()]


class Exercise(GuardedModel):
    name = models.CharField(max_length=60, unique=True)
    scenario_id = models.CharField(max_length=40)
    scenario_version = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    days = models.PositiveSmallIntegerField(default=1)
    day_start_minutes = models.PositiveIntegerField(default=540)
    # The package's files as loaded (the exercise keeps the version it was built from).
    package = models.JSONField(default=dict)
    country = models.JSONField(default=dict)
    personas = models.JSONField(default=list)
    sop_steps = models.JSONField(default=list)
    # The clock (palermo.exercise.clock.Clock's fields).
    clock_started = models.BooleanField(default=False)
    clock_running = models.BooleanField(default=False)
    clock_anchor_wall = models.FloatField(default=0.0)
    clock_anchor_sim = models.FloatField(default=0.0)
    clock_speed = models.FloatField(default=1.0)
    created_at = models.DateTimeField(auto_now_add=True)

    if TYPE_CHECKING:
        teams: RelatedManager[Team]
        injects: RelatedManager[Inject]
        participants: RelatedManager[Participant]
        observations: RelatedManager[Observation]
        day_ends: RelatedManager[DayEnd]
        improvements: RelatedManager[ImprovementItem]
        applications: RelatedManager[Application]
        selections: RelatedManager[SelectionRun]

    class Meta:
        verbose_name = _("exercise")

    def __str__(self) -> str:
        return self.name


class Team(GuardedModel):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="teams")
    key = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    # The team's copies of the scenario's organisations (core organisation ids): all a trainee
    # of the team may reach through national powers (palermo.exercise.scope).
    organisation_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["exercise", "key"], name="uniq_ex_team")]

    def __str__(self) -> str:
        return self.name


class Participant(GuardedModel):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="participants")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_participant"
    )
    role_key = models.CharField(max_length=40)
    role_title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=_choices(ROLE_KINDS))
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        ordering = ["team__key", "role_key", "user__username"]


class Inject(GuardedModel):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="injects")
    key = models.CharField(max_length=20)
    kind = models.CharField(max_length=20, choices=_choices(INJECT_KINDS))
    path = models.CharField(max_length=20, choices=_choices(PATHS))
    sender = models.CharField(max_length=40)
    receivers = models.JSONField(default=list)
    channel = models.CharField(max_length=20, choices=_choices(CHANNELS))
    title = models.CharField(max_length=300)
    content = models.TextField(blank=True)
    cue = models.TextField(blank=True)
    at_seconds = models.IntegerField(null=True, blank=True)
    persona = models.CharField(max_length=40, blank=True)
    organisation = models.CharField(max_length=40, blank=True)
    condition = models.JSONField(null=True, blank=True)
    # Discussion questions of the tabletop variant (list of text).
    questions = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    if TYPE_CHECKING:
        expected_actions: RelatedManager[ExpectedAction]

    class Meta:
        ordering = ["at_seconds", "key"]
        constraints = [models.UniqueConstraint(fields=["exercise", "key"], name="uniq_ex_inject")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class ExpectedAction(GuardedModel):
    inject = models.ForeignKey(Inject, on_delete=models.CASCADE, related_name="expected_actions")
    key = models.CharField(max_length=30)
    text = models.TextField()
    criterion = models.CharField(max_length=20, choices=_choices(CRITERIA))
    sop_step = models.CharField(max_length=40, blank=True)
    deadline_minutes = models.PositiveIntegerField()
    evidence = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["key"]


class Delivery(GuardedModel):
    """One inject reaching one team (once: the unique constraint makes concurrent ticks safe)."""

    FIRED_BY = [
        ("clock", _("Exercise clock")),
        ("controller", _("Controller")),
        ("condition", _("Condition")),
    ]
    inject = models.ForeignKey(Inject, on_delete=models.CASCADE, related_name="deliveries")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="deliveries")
    delivered_at = models.DateTimeField()
    delivered_sim = models.FloatField()
    day = models.PositiveSmallIntegerField(default=1)
    fired_by = models.CharField(max_length=20, choices=FIRED_BY)

    class Meta:
        ordering = ["delivered_sim", "id"]
        constraints = [models.UniqueConstraint(fields=["inject", "team"], name="uniq_ex_delivery")]


class Receipt(GuardedModel):
    """A delivery in one participant's inbox (trainee) or cue cards (role-player)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="receipts")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="receipts")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-delivery__delivered_sim", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "participant"], name="uniq_ex_receipt")
        ]


class Observation(GuardedModel):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="observations")
    # Set by the antenna's page when it is drawn: a resend of the same form is the same row.
    client_id = models.UUIDField(unique=True)
    antenna = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="observations")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    inject = models.ForeignKey(Inject, null=True, blank=True, on_delete=models.SET_NULL)
    expected_action = models.ForeignKey(
        ExpectedAction, null=True, blank=True, on_delete=models.SET_NULL
    )
    criterion = models.CharField(max_length=20, choices=_choices(CRITERIA))
    path = models.CharField(max_length=20, choices=_choices(PATHS), blank=True)
    rating = models.CharField(max_length=20, choices=_choices(RATINGS), blank=True)
    deviation = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    received_at = models.DateTimeField()
    sim_seconds = models.FloatField()
    day = models.PositiveSmallIntegerField(default=1)
    deviation_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sim_seconds", "-id"]


class DayEnd(GuardedModel):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="day_ends")
    day = models.PositiveSmallIntegerField()
    ended_at = models.DateTimeField()
    sim_seconds = models.FloatField()

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["exercise", "day"], name="uniq_ex_dayend")]


class TabletopAnswer(GuardedModel):
    """A team's decision on one question of a delivered inject, written by the facilitator in a
    tabletop exercise (the latest text counts; each change is audited)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="answers")
    question = models.PositiveSmallIntegerField()  # index into the inject's questions
    text = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField()
    sim_seconds = models.FloatField()

    class Meta:
        ordering = ["delivery__delivered_sim", "delivery__team__key", "question"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "question"], name="uniq_ex_tt_answer")
        ]


class ImprovementItem(GuardedModel):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="improvements")
    criterion = models.CharField(max_length=20, choices=_choices(CRITERIA))
    issue = models.TextField()
    corrective_action = models.TextField()
    owner = models.CharField(max_length=200)
    due_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]


class Application(GuardedModel):
    """An application to an international exercise (personal data: reads and writes audited)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="applications")
    ref = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    organisation = models.CharField(max_length=200)
    profession = models.CharField(max_length=30, choices=_choices(PROFESSIONS))
    gender = models.CharField(max_length=10, choices=_choices(GENDERS))
    languages = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ref"]
        constraints = [models.UniqueConstraint(fields=["exercise", "ref"], name="uniq_ex_app_ref")]


class SelectionRun(GuardedModel):
    """One run of the selection: its rules, seed and every applicant's decision (the latest counts)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="selections")
    seed = models.BigIntegerField()
    places = models.PositiveIntegerField()
    quotas = models.JSONField(default=dict)
    women_target = models.FloatField(null=True, blank=True)
    country_cap = models.PositiveIntegerField(null=True, blank=True)
    # [{ref, selected, reason, rank}] in lottery order, as selection.Decision
    decisions = models.JSONField(default=list)
    # {"profession"|"gender"|"country": [{key, applied, selected, target, met}]}, as selection.Line
    balance = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
