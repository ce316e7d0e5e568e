"""Exercise tests: an exercise instance (the flag set) with the shipped scenario loaded."""

from __future__ import annotations

import pytest
from django.test import override_settings


@pytest.fixture
def exercise_instance(db):
    with override_settings(PALERMO_EXERCISE="test-exercise"):
        yield


@pytest.fixture
def loaded(exercise_instance):
    from palermo.exercise import services
    from palermo.exercise.scenario import SHIPPED, load_package

    ex, logins = services.load_scenario(
        load_package(SHIPPED / "harbour_crossing"),
        antennas=2,
        controllers=1,
        password="Exercise-test-1",
    )
    return ex


@pytest.fixture
def as_user():
    """A fresh client signed in as ``username`` (each role its own browser)."""
    from django.test import Client

    from palermo.core.models import User

    def do(username: str):
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return do
