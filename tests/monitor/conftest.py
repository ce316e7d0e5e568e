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


@pytest.fixture
def demo_cases(demo_world, monkeypatch):
    """The deterministic demo cases (built through the case services)."""
    from palermo.cases.demo import demo_cases as build

    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    build(random.Random(2026))


def acting(name: str):
    from palermo.core.models import User

    u = User.objects.get(username=name)
    return u, u.organisations()[0]


CSV_HEADER = "source_body,report,paragraph,issued_on,thematic_area,addressee,text,due_on,response\n"


def csv_file(*rows: str) -> bytes:
    return (CSV_HEADER + "".join(r + "\n" for r in rows)).encode("utf-8")


GOOD_ROWS = (
    'un_treaty_body,CEDAW concluding observations (fictional),31,2025-02-10,victim_support,Government,'
    '"Provide shelters for all victims, including men.",2026-12-31,shelters',
    'us_tip,TIP Report 2025 (fictional),Prioritised recommendation 3,2025-06-24,victim_support,Government,'
    '"Increase shelter capacity for adult male victims.",2026-06-30,shelters',
    'greta,Third round (fictional),140,2025-06-02,labour_exploitation,Labour Inspectorate,'
    '"Give labour inspectors a mandate to identify victims.",,',
)
