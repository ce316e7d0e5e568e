"""Helpers of the online-risk tests (imported, not collected)."""

from __future__ import annotations

from palermo.prevent import checker


def acting(name: str):
    from palermo.core.models import User

    u = User.objects.get(username=name)
    return u, u.organisations()[0]


def all_yes() -> dict[str, str]:
    return {f"q_{q.id}": "yes" for q in checker.load().questions}


LICENCE_HEADER = "name,licence_number,country,status,valid_until,source,retrieved_on\n"


def licence_csv(*rows: str) -> bytes:
    return (LICENCE_HEADER + "".join(r + "\n" for r in rows)).encode("utf-8")
