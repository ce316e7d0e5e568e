"""Shared set-up for the supply-chain tests."""

from __future__ import annotations

import random

import pytest


@pytest.fixture
def supply_demo(demo_world, snapshots, monkeypatch):
    """The fictional procurement office of `palermo demo`, built through the supply services
    once per session and replayed row for row into each test that asks for it."""
    from palermo.supply.demo import demo_supply

    monkeypatch.setenv("PALERMO_DEMO_SUPPLY", "1")
    report: list[str] = []

    def build() -> None:
        report.append(demo_supply(random.Random(2026)))

    snapshots.apply("supply demo", build)
    return report[0] if report else "supply: procurement office (replayed)"


@pytest.fixture
def new_office(demo_world):
    """``new_office("buyer")`` → (a new procurement officer, their new organisation), for a
    test that starts from an empty registry and no risk list."""
    from palermo.core.models import Membership, Organisation, User

    def make(username: str) -> tuple[User, Organisation]:
        org = Organisation.objects.create(
            name=f"Procurement office of {username}", org_type="central_government", country="XK"
        )
        user = User.objects.create_user(username, password="A-long-password-1")
        Membership.objects.create(user=user, organisation=org, role="procurement_officer")
        return user, org

    return make
