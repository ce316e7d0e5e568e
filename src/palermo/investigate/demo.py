"""Demo data for the follow-the-money workspace: one fictional investigation.

The police unit's "Operation Harbour (fictional)" holds a synthetic bank statement
(``synth.write_synthetic_csv``: generated names and valid-looking IBANs, no real
person), shared with the financial intelligence unit, linked to a demo labour case,
with the red-flag rules already run — so a newcomer signing in as ``police`` or
``fiu`` finds alerts, a network and proceeds to look at.

Skipped under the test suite unless PALERMO_DEMO_INVESTIGATION=1 (tests build their own).
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction

from palermo.core.models import Organisation, User
from palermo.investigate import services
from palermo.investigate.ingest import ImportReport
from palermo.investigate.models import Investigation
from palermo.investigate.synth import write_synthetic_csv

TITLE = "Operation Harbour (fictional)"
ROWS = 20_000  # enough for every rule to have work, small enough to import in seconds


def demo_investigation(rng: random.Random) -> str:
    if getattr(settings, "TESTING", False) and os.environ.get("PALERMO_DEMO_INVESTIGATION") != "1":
        return "investigation: skipped under tests"
    if Investigation.objects.filter(title=TITLE).exists():
        return "investigation: demo investigation already there"
    from palermo.cases import selectors as case_selectors

    police = User.objects.get(username="police")
    unit = police.organisations()[0]
    fiu = User.objects.get(username="fiu").organisations()[0]
    # A labour case the police unit works on (it referred it), if the demo cases exist.
    case = case_selectors.first_case_on_team(unit, form="ForcedLabour")
    # One transaction: a failed import leaves no half-made investigation (and no workspace file).
    with transaction.atomic():
        inv = services.investigation_create(
            actor=police,
            organisation=unit,
            title=TITLE,
            members=[fiu],
            case_refs=[case.reference] if case else [],
        )
        try:
            report = _import_statement(inv, police, unit)
            run = services.rules_run(actor=police, organisation=unit, investigation=inv)
        except BaseException:
            inv.workspace_path.unlink(missing_ok=True)
            raise
    return (
        f"investigation {inv.reference}: {report.rows_inserted:,} transactions, "
        f"{len(run.alerts)} alerts, shared with the FIU"
    )


def _import_statement(inv: Investigation, police: User, unit: Organisation) -> ImportReport:
    with tempfile.TemporaryDirectory() as tmp:
        statement = Path(tmp) / "harbour-bank-export.csv"
        write_synthetic_csv(statement, rows=ROWS, seed=2026)
        with statement.open("rb") as f:
            report = services.statement_import(
                actor=police,
                organisation=unit,
                investigation=inv,
                upload=f,
                file_name=statement.name,
                kind="csv",
                profile="pkg:palermo-canonical",
            )
    if not report.ok:
        raise RuntimeError(f"demo statement rejected: {report.errors[:3]}")
    return report
