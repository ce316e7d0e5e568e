"""Builders for the investigate tests: valid IBANs, payment records, workspaces."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from schwifty import IBAN

from palermo.investigate.workspace import Workspace


def make_iban(n: int) -> str:
    """A valid German IBAN, distinct for each n."""
    return str(IBAN.generate("DE", bank_code="37040044", account_code=str(1_000_000 + n)).compact)


@pytest.fixture
def iban() -> Callable[[int], str]:
    return make_iban


@pytest.fixture
def ws() -> Iterator[Workspace]:
    workspace = Workspace(":memory:", memory_limit=None)
    yield workspace
    workspace.close()


T0 = datetime(2024, 3, 4, 10, 0)  # a Monday


@pytest.fixture
def pay() -> Callable[..., dict[str, Any]]:
    """``pay(payer, payee, amount, day, ...)``: a payment record between numbered accounts.

    Accounts are given as ints (turned into IBANs with a holder name) or as
    (int, name) tuples; ``day`` counts days after Monday 4 March 2024, ``hour``
    sets the time.
    """
    counter = {"n": 0}

    def make(
        payer: int | tuple[int, str],
        payee: int | tuple[int, str],
        amount: float = 100.0,
        day: float = 0,
        *,
        hour: int | None = None,
        description: str | None = None,
        mcc: str | None = None,
        ref: str | None = None,
    ) -> dict[str, Any]:
        counter["n"] += 1
        p_no, p_name = payer if isinstance(payer, tuple) else (payer, f"Holder Number{payer}")
        b_no, b_name = payee if isinstance(payee, tuple) else (payee, f"Holder Number{payee}")
        when = T0 + timedelta(days=day)
        if hour is not None:
            when = when.replace(hour=hour, minute=30)
        return {
            "booked_at": when,
            "amount": amount,
            "currency": "EUR",
            "payer_account": make_iban(p_no),
            "payer_name": p_name,
            "payee_account": make_iban(b_no),
            "payee_name": b_name,
            "description": description,
            "mcc": mcc,
            "bank_ref": ref or f"r{counter['n']}",
        }

    return make


def run_one(ws: Workspace, rule_id: str, **overrides: Any) -> list[Any]:
    """Alerts of one rule after a fresh run."""
    report = ws.run_rules(only={rule_id}, overrides={rule_id: overrides} if overrides else None)
    assert rule_id in report.ran, f"{rule_id} was skipped: {report.skipped}"
    return [a for a in report.alerts if a.rule_id == rule_id]


@pytest.fixture
def run_rule() -> Callable[..., list[Any]]:
    return run_one
