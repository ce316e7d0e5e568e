"""Red-team review of the online-risk context: hostile input answers 4xx, never 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from palermo.prevent import advert_input
from palermo.prevent.models import Advert, WorkerReport

NESTED = "[" * 5000


def test_redteam_jsonl_nested_too_deep_is_a_line_error_not_a_crash():
    items, errors = advert_input.parse(NESTED + "\n" + '{"text": "ok"}', "jsonl")
    assert [e.line for e in errors] == [1]
    assert [i.text for i in items] == ["ok"]


def test_redteam_advert_import_of_nested_jsonl_answers_422(login_as, demo_world):
    c = login_as("police")
    r = c.post(
        "/prevent/adverts/import/",
        {"label": "b", "fmt": "jsonl", "file": SimpleUploadedFile("a.jsonl", NESTED.encode())},
    )
    assert r.status_code == 422
    assert "Line 1 is not JSON." in r.content.decode()
    assert Advert.objects.count() == 0


@pytest.mark.django_db
def test_redteam_public_pages_refuse_nul_bytes_with_422(prevent_demo):
    c = Client()
    before = WorkerReport.objects.count()
    r = c.post("/report/", {"who": "worker", "description": "a\x00b", "signs": ["debt"]})
    assert 400 <= r.status_code < 500
    r = c.post("/check/", {"agency": "x\x00y"})
    assert 400 <= r.status_code < 500
    assert WorkerReport.objects.count() == before


@pytest.mark.django_db
def test_redteam_public_report_is_csrf_protected(prevent_demo):
    before = WorkerReport.objects.count()
    r = Client(enforce_csrf_checks=True).post(
        "/report/", {"who": "worker", "description": "they took my passport"}
    )
    assert r.status_code == 403
    assert WorkerReport.objects.count() == before
