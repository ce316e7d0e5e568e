"""The file held between an import's preview and its confirmation (palermo/web/held.py), on
Django's own session store: what is taken is exactly what was held, once, for its kind only;
anything else in the slot is nothing to import. (The flows that use it: tests/supply/
test_supply_import_hold.py, tests/supply/test_supply_http.py, tests/monitor/test_monitor_http.py.)"""

from __future__ import annotations

import base64
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from palermo.web.held import NAME_CHARS, Holder, nothing_held

pytestmark = pytest.mark.django_db

SLOT = "test_import"


def _request():
    request = RequestFactory().post("/x/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    return request


def test_taken_once_as_held_with_the_preview_fields():
    request, holder = _request(), Holder(SLOT)
    data = b"\x00\xffnot utf-8;'\"\n"
    holder.hold(request, "risk", data, "x" * 150 + ".csv", info=["DOL", "2024"])
    held = holder.take(request, "risk")
    assert held is not None
    assert (held.kind, held.data, held.extra) == ("risk", data, {"info": ["DOL", "2024"]})
    assert held.name == ("x" * 150 + ".csv")[-NAME_CHARS:] and held.name.endswith(".csv")
    assert holder.take(request, "risk") is None  # a second confirmation finds nothing
    assert SLOT not in request.session


def test_another_kind_finds_nothing_and_leaves_the_file():
    request, holder = _request(), Holder(SLOT)
    holder.hold(request, "sites", b"sites file", "s.csv")
    assert holder.take(request, "orders") is None
    held = holder.take(request, "sites")
    assert held is not None and held.data == b"sites file"


def test_a_new_preview_replaces_the_held_file():
    request, holder = _request(), Holder(SLOT)
    holder.hold(request, "sites", b"first", "a.csv")
    holder.hold(request, "orders", b"second", "b.csv")
    assert holder.take(request, "sites") is None
    held = holder.take(request, "orders")
    assert held is not None and (held.data, held.name) == (b"second", "b.csv")


def test_slots_of_two_contexts_are_apart():
    request = _request()
    Holder("one").hold(request, "k", b"1", "1.csv")
    Holder("two").hold(request, "k", b"2", "2.csv")
    one, two = Holder("one").take(request, "k"), Holder("two").take(request, "k")
    assert one is not None and two is not None and (one.data, two.data) == (b"1", b"2")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda h: h.update(data=base64.b64encode(b"another file").decode()),  # digest differs
        lambda h: h.update(data="not base64 !"),
        lambda h: h.pop("data"),
        lambda h: h.pop("sha256"),
    ],
)
def test_a_spoilt_slot_is_nothing_to_import(spoil):
    request, holder = _request(), Holder(SLOT)
    holder.hold(request, "sites", b"the previewed file", "s.csv")
    held = dict(request.session[SLOT])
    spoil(held)
    request.session[SLOT] = held
    assert holder.take(request, "sites") is None
    assert SLOT not in request.session  # and it is gone: the person uploads again


def test_not_a_held_file_is_nothing_to_import():
    request, holder = _request(), Holder(SLOT)
    request.session[SLOT] = "an old value of another shape"
    assert holder.take(request, "sites") is None


@hsettings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=2_000), name=st.text(min_size=1, max_size=300))
def test_any_bytes_and_name_come_back_unchanged(data, name):
    request, holder = _request(), Holder(SLOT)
    holder.hold(request, "k", data, name)
    held = holder.take(request, "k")
    assert held is not None and held.data == data and held.name == name[-NAME_CHARS:]


def test_nothing_held_says_so_and_goes_back_to_the_upload_page():
    request = _request()
    request._messages = FallbackStorage(request)
    response = nothing_held(request, "supply:risk_import")
    assert response.status_code == 302 and response["Location"] == "/supply/risk/import/"
    assert [str(m) for m in get_messages(request)] == ["Nothing to import: upload the file again."]
