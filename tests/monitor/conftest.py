"""Shared set-up for the monitoring tests."""

from __future__ import annotations

import random

import pytest


@pytest.fixture
def monitor_demo(demo_world, monkeypatch):
    """The fictional action plan and recommendations register of `palermo demo`."""
    from palermo.monitor.demo import demo_monitor

    monkeypatch.setenv("PALERMO_DEMO_MONITOR", "1")
    return demo_monitor(random.Random(2026))
