"""Shared set-up for the online-risk tests."""

from __future__ import annotations

import random

import pytest


@pytest.fixture
def prevent_demo(demo_world, monkeypatch):
    """The fictional licence list, advert campaign and worker reports of `palermo demo`."""
    from palermo.prevent.demo import demo_prevent

    monkeypatch.setenv("PALERMO_DEMO_PREVENT", "1")
    return demo_prevent(random.Random(2026))


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
