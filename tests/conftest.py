"""Shared fixtures: named personas (STYLE.md §9) over the demo organisations."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

os.environ.setdefault("PALERMO_TESTING", "1")


def language_shown(code: str) -> bool:
    """True when pages may be shown in ``code``: its catalogue translates every msgid of the
    template (palermo.web.i18n). An incomplete language falls back to English."""
    from palermo.web.i18n import shipped_languages

    return code in {c for c, _ in shipped_languages()}


# Tests that read pages in French: they run once the French catalogue is complete (the
# translation pass of issue 15); until then French is not shown and they are skipped.
needs_french = pytest.mark.skipif(
    not language_shown("fr"),
    reason="the French catalogue is incomplete in this tree, so pages fall back to English",
)

# Property tests: on CI the same examples every run, with no time limit per example, so
# a landing never depends on luck or on the machine's load; on a developer's machine
# each run explores new examples (that is how the address normaliser's YAML-boolean bug
# was found). Set HYPOTHESIS_PROFILE=ci to reproduce CI's run locally.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture
def demo_world(db):
    """The deterministic demo organisations and users."""
    from palermo.core.demo import load_demo

    load_demo()


@pytest.fixture
def persona(demo_world):
    """``persona("caseworker")`` → the demo user of that name."""
    from palermo.core.models import User

    def get(username: str):
        return User.objects.get(username=username)

    return get


@pytest.fixture
def login_as(client, persona):
    """Log the test client in as a persona; returns the client."""

    def do(username: str):
        client.force_login(persona(username))
        return client

    return do


@pytest.fixture
def api_token(persona):
    """A clear personal access token for a persona, acting for their first organisation."""
    from palermo.core.tokens import token_create

    def make(username: str) -> str:
        user = persona(username)
        _, clear = token_create(
            actor=user, organisation=user.organisations()[0], name="test client"
        )
        return clear

    return make
