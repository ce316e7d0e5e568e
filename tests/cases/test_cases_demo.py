"""The demo generator: a realistic spread, deterministic and idempotent."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from palermo.cases.demo import DEMO_CASES, demo_cases
from palermo.cases.models import Case, CaseEvent, ServiceReferral
from palermo.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_demo_cases_are_skipped_under_tests_unless_asked(demo_world):
    assert demo_cases(random.Random(1)) == "cases: skipped under tests"
    assert Case.objects.count() == 0


@pytest.mark.slow  # builds the 80-case demo twice through the services
def test_demo_builds_a_spread_once_and_deterministically(demo_world, monkeypatch):
    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    report = demo_cases(random.Random(2026))
    assert report.startswith(f"{DEMO_CASES} demo cases")
    cases = list(Case.objects.all())
    assert len(cases) == DEMO_CASES
    phases = Counter(c.phase for c in cases)
    statuses = Counter(c.identification_status for c in cases)
    assert len(phases) >= 4 and len(statuses) >= 3, (phases, statuses)
    assert any(c.is_child for c in cases) and len({c.nationality for c in cases}) >= 8
    assert ServiceReferral.objects.values("status").distinct().count() >= 3
    assert CaseEvent.objects.filter(kind="note").exists()
    assert Case.objects.filter(next_deadline__isnull=False).exists()
    first = sorted(c.reference for c in cases)
    # Idempotent: a second run adds nothing.
    assert demo_cases(random.Random(2026)) == "cases: demo cases already there"
    assert Case.objects.count() == DEMO_CASES
    # Deterministic: the same seed on an empty database gives the same references.
    AuditEntry.objects.all()  # (the trail stays; it is append-only)
    Case.objects.all().delete()
    demo_cases(random.Random(2026))
    assert sorted(Case.objects.values_list("reference", flat=True)) == first
