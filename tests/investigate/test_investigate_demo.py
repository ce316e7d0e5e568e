"""`palermo demo` builds one fictional investigation, once."""

from __future__ import annotations

import random

import pytest


@pytest.fixture(autouse=True)
def workspace_dir(settings, tmp_path):
    settings.PALERMO_INVESTIGATIONS_DIR = str(tmp_path / "investigations")


def test_demo_investigation_is_built_once_shared_with_the_fiu_and_has_alerts(
    demo_world, monkeypatch, persona
):
    from palermo.core.models import AuditEntry
    from palermo.investigate import demo
    from palermo.investigate.models import Investigation

    assert demo.demo_investigation(random.Random(1)) == "investigation: skipped under tests"
    monkeypatch.setenv("PALERMO_DEMO_INVESTIGATION", "1")
    monkeypatch.setattr(demo, "ROWS", 3_000)
    said = demo.demo_investigation(random.Random(1))
    inv = Investigation.objects.get(title=demo.TITLE)
    assert said.startswith(f"investigation {inv.reference}: ") and " alerts" in said
    assert inv.organisation == persona("police").organisations()[0]
    assert [m.organisation for m in inv.members.all()] == [persona("fiu").organisations()[0]]
    assert inv.statements.count() == 1 and inv.workspace_path.exists()
    assert AuditEntry.objects.filter(object_ref=inv.reference, action="create").exists()
    assert (
        demo.demo_investigation(random.Random(1))
        == "investigation: demo investigation already there"
    )
    assert Investigation.objects.count() == 1


def test_a_failed_demo_import_leaves_nothing_behind(demo_world, monkeypatch):
    from palermo.investigate import demo
    from palermo.investigate.models import Investigation

    monkeypatch.setenv("PALERMO_DEMO_INVESTIGATION", "1")

    def broken(*args, **kwargs):
        raise RuntimeError("demo statement rejected")

    monkeypatch.setattr(demo, "_import_statement", broken)
    with pytest.raises(RuntimeError):
        demo.demo_investigation(random.Random(1))
    assert not Investigation.objects.exists()
