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
