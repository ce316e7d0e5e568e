"""Shared set-up for the supply-chain tests."""

from __future__ import annotations

import random

import pytest


@pytest.fixture
def supply_demo(demo_world, monkeypatch):
    """The fictional procurement office of `palermo demo`."""
    from palermo.supply.demo import demo_supply

    monkeypatch.setenv("PALERMO_DEMO_SUPPLY", "1")
    return demo_supply(random.Random(2026))
