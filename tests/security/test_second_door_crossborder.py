"""No second door through the cross-border hand-over (issue 11's rule, extended): a user who
cannot see a case, or a field group of it, on the case file must not get it through the
cross-border pages, API or envelope downloads — nor send it abroad.

The marked demo world of ``test_second_door`` (a unique marker in every field group of every
case) is sent, case by case, by the co-ordinator of instance A to partner B over the test
transport (two instances in one database, ``tests/crossborder/conftest.Instances``). Then
every demo persona reads every cross-border view on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from palermo.cases import access, selectors
from palermo.core.policy import Perm, has_perm
from palermo.crossborder import services
from palermo.crossborder.models import Direction, Handover
from tests.crossborder.conftest import A, B, Instances
from tests.security.test_second_door import (
    PERSONAS,
    World,
    _build_world,
    assert_no_second_door,
)


@pytest.fixture(scope="module")
def _shared_world(django_db_setup, django_db_blocker, snapshots) -> Iterator[World]:
    """test_second_door's marked demo world, built once for this module in a transaction
    rolled back at its end (the same set-up as there)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world(snapshots)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(_shared_world: World, db) -> World:
    _shared_world._tokens = {}  # tokens made in an earlier test were rolled back with it
    return _shared_world


pytestmark = pytest.mark.django_db

# Every group partner B's legal basis allows (tests/crossborder/conftest.Instances).
B_GROUPS = ["contact", "exploitation", "identity", "needs_and_services", "risk_assessment"]
# The markers that case_fields can carry across: names and numbers, contacts.
SENDABLE = {access.IDENTITY, access.CONTACT}


@pytest.fixture
def linked(tmp_path, monkeypatch, world):
    inst = Instances(tmp_path)
    monkeypatch.setattr(services, "transport", inst.transport)
    services._trust_cache.clear()
    inst.load_trust()
    yield inst
    services._trust_cache.clear()


def _send(inst: Instances, name: str, world: World, case) -> Handover:
    user, org = world.acting(name)
    with inst.as_(A):
        services.consent_give(
            user,
            org,
            case_ref=case.reference,
            partner_id=B,
            purpose="assistance",
            groups=B_GROUPS,
            risks_explained=True,
            guardian_consent=True,
            expires_on=None,
        )
        return services.handover_send(
            user, org, case_ref=case.reference, partner_id=B, purpose="assistance", handling="H1"
        )


def _adult_cases(world: World, n: int) -> list:
    return [c for c in world.cases if not c.is_child][:n]


def test_outgoing_pages_api_and_downloads_follow_the_case_file(world, linked, client):
    sent = [_send(linked, "coordinator", world, c) for c in _adult_cases(world, 8)]
    assert len(sent) >= 6 and all(h.state == "received" for h in sent)
    by_ref = {c.reference: c for c in world.cases}
    opened = 0
    with linked.as_(A):
        for name in PERSONAS:
            user, org = world.acting(name)
            hidden = world.hidden(name)
            client.force_login(user)
            headers = world.bearer(name)
            visible = selectors.case_visibilities(user, org, world.cases)
            for path, extra in (
                ("/crossborder/", {}),
                ("/api/v1/crossborder/handovers?direction=out", headers),
                ("/api/v1/crossborder/handovers?direction=in", headers),
            ):
                r = client.get(path, **extra)
                assert r.status_code in (200, 403), (name, path, r.status_code)
                assert_no_second_door(r.content, hidden, f"{name}: {path}")
                if r.status_code == 200 and path.startswith("/api/") and "out" in path:
                    shown = {h["case"] for h in r.json()}
                    may = {h.case_ref for h in sent if visible[by_ref[h.case_ref].pk].visible}
                    assert shown == may, (name, shown ^ may)
            for h in sent:
                case = by_ref[h.case_ref]
                may_open = visible[case.pk].visible and has_perm(user, Perm.CROSSBORDER_SEND, org)
                for path in (
                    f"/crossborder/handovers/{h.pk}/",
                    f"/crossborder/handovers/{h.pk}/envelope.jwe",
                ):
                    r = client.get(path)
                    assert (r.status_code == 200) == may_open, (name, path, r.status_code)
                    assert_no_second_door(r.content, hidden, f"{name}: {path}")
                    opened += r.status_code == 200
    assert opened >= len(sent) * 2, "the co-ordinator at least opened every hand-over"


def test_incoming_hand_overs_are_for_the_receiving_coordinators_only(world, linked, client):
    sent = [_send(linked, "coordinator", world, c) for c in _adult_cases(world, 3)]
    incoming = list(Handover.objects.filter(local_entity=B, direction=Direction.IN))
    assert len(incoming) == len(sent)
    # At B these are a partner's data, not a case anyone here may open: every marker counts.
    everything = world.markers
    with linked.as_(B):
        for name in PERSONAS:
            user, org = world.acting(name)
            client.force_login(user)
            receiver = has_perm(user, Perm.CROSSBORDER_RECEIVE, org)
            for h in incoming:
                for path in (
                    f"/crossborder/handovers/{h.pk}/",
                    f"/crossborder/handovers/{h.pk}/envelope.jwe",
                ):
                    r = client.get(path)
                    if receiver:
                        assert r.status_code in (200, 409), (name, path, r.status_code)
                    else:
                        assert r.status_code in (403, 404), (name, path, r.status_code)
                        assert_no_second_door(r.content, everything, f"{name}: {path}")
            for path, extra in (
                ("/crossborder/", {}),
                ("/api/v1/crossborder/handovers?direction=in", world.bearer(name)),
            ):
                r = client.get(path, **extra)
                if not receiver:
                    assert_no_second_door(r.content, everything, f"{name}: {path}")
    # The comparison is not empty: the receiving co-ordinator does see the data.
    user, _org = world.acting("coordinator")
    client.force_login(user)
    with linked.as_(B):
        page = client.get(f"/crossborder/handovers/{incoming[0].pk}/").content.decode()
    assert any(m[2] in page for m in world.markers if m[1] == access.IDENTITY)


def test_nobody_sends_abroad_a_group_they_cannot_see_on_the_case(world, linked):
    """A sender on a case's team who may not see, say, the person's identity must not be
    able to put it into an envelope: the partner would get what the sender may not read."""
    tried = 0
    for name in PERSONAS:
        user, org = world.acting(name)
        if not has_perm(user, Perm.CROSSBORDER_SEND, org):
            continue
        visible = selectors.case_visibilities(user, org, world.cases)
        hidden = world.hidden(name)
        for case in world.cases:
            if case.is_child or not visible[case.pk].visible:
                continue
            hidden_here = [m for m in hidden if m[0] == case.pk and m[1] in SENDABLE]
            if not hidden_here:
                continue
            try:
                h = _send(linked, name, world, case)
            except Exception as exc:  # refused outright is fine too: nothing left the country
                assert type(exc).__name__ in ("InvalidInput", "NotAllowed", "NotFound"), exc
                tried += 1
                continue
            got = Handover.objects.get(local_entity=B, direction=Direction.IN, jti=h.jti)
            assert_no_second_door(
                str(got.payload), hidden_here, f"{name}: hand-over of {case.reference} to B"
            )
            tried += 1
            if tried >= 6:
                break
    assert tried >= 1, "the demo has a sender who may not see every group of one of its cases"
