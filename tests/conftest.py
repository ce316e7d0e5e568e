"""Shared fixtures: named personas (STYLE.md §9) over the demo organisations."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, settings

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
# No health check that measures time either: generating examples slowly on a loaded machine
# is not a defect of the code under test.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


# Slow tests (a real gunicorn, a browser journey over the whole demo …) run on CI, where
# `.ci/run` sets CI=true; a developer's `./dev test` skips them unless CI=true is set too.
RUN_SLOW = bool(os.environ.get("CI"))


# Modules whose tests share one module-scoped set-up too costly to make twice (two real Palermo
# servers, about 30 s): they run first. pytest-xdist's worksteal gives each worker a contiguous
# part of the collection and lets an idle worker take the *end* of another's queue, so a module
# at the start is never split between two workers (each would start its own pair of servers).
RUN_FIRST = ("tests/crossborder/test_crossborder_e2e.py",)


def pytest_collection_modifyitems(config, items):
    # after pytest-django's own ordering (database tests first), which runs before this hook
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in RUN_FIRST)
    if RUN_SLOW:
        return
    skip = pytest.mark.skip(reason="slow: runs on CI (set CI=true to run it here)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _private_var_dir(tmp_path_factory):
    """Files the code keeps under VAR_DIR (job results, waiting uploads, investigation
    workspaces named by their id) go to this test process's own directory, not the
    checkout's var/: parallel workers, each with its own database, would otherwise
    share (and overwrite) one another's files."""
    from django.conf import settings as django_settings

    before = django_settings.VAR_DIR
    django_settings.VAR_DIR = tmp_path_factory.mktemp("var")
    yield
    django_settings.VAR_DIR = before


@pytest.fixture(scope="session", autouse=True)
def _shared_schema_cache(tmp_path_factory):
    """Every real ``palermo`` process this run starts on a new SQLite database (exercises, the
    cross-border pair, ``serve``) starts from one migrated copy made by the first of them
    (palermo.core.schema_cache), not from a 12-second replay of the migrations each."""
    from tests.runonce import SCHEMA_CACHE, run_dir

    before = os.environ.get(SCHEMA_CACHE)
    os.environ[SCHEMA_CACHE] = str(run_dir(tmp_path_factory) / "schema-cache")
    yield
    if before is None:
        os.environ.pop(SCHEMA_CACHE, None)
    else:
        os.environ[SCHEMA_CACHE] = before


@pytest.fixture(scope="session")
def snapshots(tmp_path_factory):
    """Data sets built once per run and replayed into each test (tests/dbsnapshot.py); the
    pytest-xdist workers of a run share their recordings."""
    from tests.dbsnapshot import SNAPSHOTS
    from tests.runonce import run_dir

    if os.environ.get("PYTEST_XDIST_WORKER"):
        SNAPSHOTS.shared = run_dir(tmp_path_factory) / "snapshots"
        SNAPSHOTS.shared.mkdir(exist_ok=True)
    return SNAPSHOTS


@pytest.fixture
def demo_world(db, snapshots):
    """The deterministic demo organisations and users."""
    from palermo.core.demo import load_demo

    snapshots.apply("demo world", load_demo)


@pytest.fixture
def demo_cases(demo_world, snapshots, monkeypatch):
    """The 80 deterministic demo cases of `palermo demo`, built through the case services
    once per session and replayed row for row into each test that asks for them."""
    from palermo.cases.demo import demo_cases as build

    monkeypatch.setenv("PALERMO_DEMO_CASES", "1")
    snapshots.apply("demo cases", lambda: build(random.Random(2026)))


# The switches that make ``load_demo`` build more of the fictional country under the tests.
DEMO_SWITCHES = (
    "PALERMO_DEMO_CASES",
    "PALERMO_DEMO_INVESTIGATION",
    "PALERMO_DEMO_MONITOR",
    "PALERMO_DEMO_PREVENT",
    "PALERMO_DEMO_SUPPLY",
)


@pytest.fixture
def demo_loader(snapshots):
    """``demo_loader()`` loads the demo as ``palermo demo`` does, with the PALERMO_DEMO_*
    switches set at that moment: built once per session for each set of switches and
    replayed row for row after (transactional and browser tests too), with the
    investigation workspace files the build wrote."""

    def load() -> None:
        from palermo.core.demo import load_demo
        from palermo.investigate.models import workspace_root

        on = [
            k.removeprefix("PALERMO_DEMO_").lower()
            for k in DEMO_SWITCHES
            if os.environ.get(k) == "1"
        ]
        name = "demo world" + "".join(f" + {k}" for k in on)
        snapshots.apply(name, load_demo, files=workspace_root())

    return load


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


def pytest_terminal_summary(terminalreporter):
    """How often each shared data set was built and how often it was replayed."""
    from tests.dbsnapshot import SNAPSHOTS

    for name in sorted(set(SNAPSHOTS.built) | set(SNAPSHOTS.replayed)):
        terminalreporter.write_line(
            f"data set {name!r}: built {SNAPSHOTS.built.get(name, 0)}, "
            f"replayed {SNAPSHOTS.replayed.get(name, 0)}"
        )


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """Every test starts in the default language: a test (or a request through the test client)
    that activates a language leaves it on the worker's thread, and the next test would read
    its numbers and words in that language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with no rate-limit counters: the default cache is one per worker
    process, so a test that spent a client's allowance would otherwise refuse the next test's
    requests, depending on which tests that worker happened to run before."""
    from django.core.cache import cache

    cache.clear()
    yield
