"""Rate-limit counters are one store for every server process.

`palermo serve` runs several gunicorn workers. With a per-process cache (Django's locmem, the
default before this test) each worker kept its own counters: a client spreading its requests
over the workers got the limit once per worker, and every restart gave it a fresh allowance.
The public pages also counted IPv6 clients per address, so one host could rotate through its
/64. These tests run the counters in real separate processes, as gunicorn's workers are.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

HIT = """
import django, sys
django.setup()
from palermo.core import ratelimit
for _ in range(int(sys.argv[1])):
    print(int(ratelimit.hit("shared-test", "client", 5, 3600).allowed))
"""


def _process_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PALERMO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="palermo.settings",
        PALERMO_DEMO="1",  # a production settings module, with the demo's fixed secret key
        PALERMO_VAR_DIR=str(tmp_path),
        **extra,
    )
    return env


def _hits(env: dict[str, str], count: int) -> list[int]:
    out = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", HIT, str(count)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [int(line) for line in out.split()]


def _backend(env: dict[str, str]) -> str:
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    return subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_outside_the_tests_the_default_cache_is_not_per_process(tmp_path):
    assert _backend(_process_env(tmp_path)).endswith("FileBasedCache")
    redis = _process_env(tmp_path, PALERMO_REDIS_URL="redis://127.0.0.1:6379/15")
    assert _backend(redis).endswith("RedisCache")


def test_two_processes_share_one_allowance_and_a_restart_keeps_it(tmp_path):
    env = _process_env(tmp_path)
    first, second = _hits(env, 3), _hits(env, 3)  # two workers, one after the other
    assert first + second == [1, 1, 1, 1, 1, 0]
    assert _hits(env, 1) == [0]  # a restarted worker does not hand out a new allowance


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis server on 127.0.0.1:6379")
def test_with_redis_the_counters_are_shared_too(tmp_path):
    import redis

    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).flushdb()
    env = _process_env(tmp_path, PALERMO_REDIS_URL=url)
    try:
        assert _hits(env, 3) + _hits(env, 3) == [1, 1, 1, 1, 1, 0]
    finally:
        redis.Redis.from_url(url).flushdb()


def test_public_pages_count_an_ipv6_host_once_for_its_whole_slash_64(client, demo_world, settings):
    settings.PALERMO_PREVENT_RATE_LIMITS = {"check": (2, 600)}
    codes = [
        client.post(
            "/check/",
            {"q_fee": "yes"},
            REMOTE_ADDR=f"2001:db8:1:2::{n:x}",
        ).status_code
        for n in range(1, 5)
    ]
    assert codes[2:] == [429, 429], codes
