"""Shared set-up for the statistics shell tests (imported, not collected)."""

from __future__ import annotations

import random

import pytest


@pytest.fixture
def demo_cases(demo_world, monkeypatch):
    """The 80 deterministic demo cases (built through the case services)."""
    from palermo.cases.demo import demo_cases as build

    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    build(random.Random(2026))


def acting(name: str):
    from palermo.core.models import User

    u = User.objects.get(username=name)
    return u, u.organisations()[0]
