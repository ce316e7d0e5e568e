"""Fixtures shared by the security tests."""

from __future__ import annotations

import pytest
from django.test import override_settings


@pytest.fixture
def trainee(db):
    """A trainee who plays the identification officer (the co-ordinator role) in an exercise
    instance: a scoped user, to whom no national power may reach."""
    from palermo.core.models import User
    from palermo.exercise import services
    from palermo.exercise.scenario import SHIPPED, load_package

    with override_settings(PALERMO_EXERCISE="test-exercise"):
        services.load_scenario(
            load_package(SHIPPED / "harbour_crossing"),
            antennas=1,
            controllers=1,
            password="Exercise-test-1",
        )
        yield User.objects.get(username="a-nio_officer-1")
