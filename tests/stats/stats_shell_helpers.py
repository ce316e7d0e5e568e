"""Shared set-up for the statistics shell tests (imported, not collected)."""

from __future__ import annotations


def acting(name: str):
    from palermo.core.models import User

    u = User.objects.get(username=name)
    return u, u.organisations()[0]
