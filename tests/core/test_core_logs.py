"""Structured logs (core/logs.py): request ids, the ids on every line, the two formats."""

from __future__ import annotations

import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter

from palermo.core.logs import ContextFilter, TextFormatter, logging_config

pytestmark = pytest.mark.django_db


def test_each_answer_carries_a_request_id_and_a_good_one_given_is_kept(client):
    first = client.get("/accounts/login/")["X-Request-ID"]
    second = client.get("/accounts/login/")["X-Request-ID"]
    assert len(first) == 32 and first != second
    kept = client.get("/accounts/login/", HTTP_X_REQUEST_ID="trace-0123456789")
    assert kept["X-Request-ID"] == "trace-0123456789"
    # a value that is not a plain token (it could carry anything into the logs) is replaced
    replaced = client.get("/accounts/login/", HTTP_X_REQUEST_ID="Ana Example 1990-01-01")
    assert replaced["X-Request-ID"] != "Ana Example 1990-01-01"


def test_the_request_line_has_the_ids_and_the_url_pattern_never_the_path(
    login_as, caplog, demo_world
):
    client = login_as("coordinator")
    with caplog.at_level(logging.INFO, logger="palermo.request"):
        client.get("/cases/NRM-AAAA-BBBB/", {"q": "Ana Example"})
    line = [r for r in caplog.records if getattr(r, "event", "") == "request"][-1]
    assert line.route == "cases/<str:reference>/" and line.status == 404
    assert line.user_id != "-" and line.organisation_id != "-" and len(line.request_id) == 32
    assert "Ana" not in logging.Formatter().format(line) and "NRM-AAAA" not in line.route


def test_a_record_with_a_request_attached_shows_its_pattern_only(rf):
    from django.urls import resolve

    request = rf.get("/cases/NRM-AAAA-BBBB/?q=Ana+Example")
    request.resolver_match = resolve("/cases/NRM-AAAA-BBBB/")
    request.request_id = "r" * 32
    record = logging.makeLogRecord({"msg": "Not Found: %s", "args": (request.path,)})
    record.request = request
    ContextFilter().filter(record)
    assert record.request == "cases/<str:reference>/" and record.request_id == "r" * 32
    for formatter in (TextFormatter(), JsonFormatter("%(message)s")):
        assert "Ana" not in formatter.format(record)


def test_json_in_production_text_in_the_demo():
    json_cfg = logging_config(json_lines=True, level="INFO")
    assert json_cfg["formatters"]["palermo"]["()"] == "pythonjsonlogger.json.JsonFormatter"
    text_cfg = logging_config(json_lines=False, level="INFO")
    assert text_cfg["formatters"]["palermo"]["()"] == "palermo.core.logs.TextFormatter"
    record = logging.makeLogRecord({"msg": "request", "name": "palermo.request"})
    record.route, record.status = "cases/", 200
    ContextFilter().filter(record)
    line = json.loads(JsonFormatter("%(levelname)s %(name)s %(message)s").format(record))
    assert line["request_id"] == "-" and line["route"] == "cases/" and line["status"] == 200
    text = TextFormatter().format(record)
    assert "[req=- user=- org=-] request" in text and "route=cases/" in text
