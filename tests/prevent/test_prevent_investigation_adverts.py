"""Adverts attached as evidence appear on the investigation's own page (issue 19, item 5),
read through the online-risk selectors: the owner and member organisations see them, every
other organisation gets the investigation's "not found", and showing them is audited."""

from __future__ import annotations

import html

import pytest
from tests.prevent.prevent_helpers import acting

from palermo.core.models import AuditEntry
from palermo.investigate import services as inv_services
from palermo.prevent import services
from palermo.prevent.models import Advert, Lead

pytestmark = pytest.mark.django_db


def _flagged_advert() -> Advert:
    lead = max(Lead.objects.all(), key=lambda lead: lead.adverts.count())
    advert = next(a for a in lead.adverts.all() if a.flags)
    return advert


@pytest.fixture
def attached(prevent_demo):
    """An investigation of the police unit with one flagged demo advert attached."""
    actor, org = acting("police")
    inv = inv_services.investigation_create(actor=actor, organisation=org, title="Online recruiter")
    advert = _flagged_advert()
    services.advert_attach(
        actor=actor,
        organisation=org,
        advert=advert,
        target="investigation",
        reference=inv.reference,
        note="Same phone as the statement's payee",
    )
    return inv, advert


def _snippet(advert: Advert) -> str:
    """A piece of the advert's text that no flag interrupts (the page highlights flags)."""
    first = min(f["start"] for f in advert.flags)
    text = advert.text[:first].strip() or advert.text[max(f["end"] for f in advert.flags) :]
    return html.escape(text.strip()[:25])


def test_the_owner_sees_the_attached_advert_with_flags_highlighted_and_the_read_is_audited(
    attached, login_as
):
    inv, advert = attached
    c = login_as("police")
    r = c.get(f"/investigations/{inv.reference}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Adverts attached as evidence" in body
    assert _snippet(advert) in body
    flag = advert.flags[0]
    matched = html.escape(advert.text[flag["start"] : flag["end"]])
    assert f'title="{flag["rule"]}">{matched}</mark>' in body
    assert "Same phone as the statement" in body
    entry = AuditEntry.objects.filter(
        action="read", object_type="investigation", object_ref=inv.reference
    ).latest("id")
    assert entry.details["what"] == "attached adverts"
    assert entry.details["adverts"] == [advert.pk]
    assert entry.actor_username == "police"


def test_a_member_organisation_sees_them_and_a_non_member_does_not(attached, login_as):
    inv, advert = attached
    snippet = _snippet(advert)
    fiu = login_as("fiu")  # an investigator of another organisation, not a member yet
    r = fiu.get(f"/investigations/{inv.reference}/")
    assert r.status_code == 404
    assert snippet not in r.content.decode()
    assert AuditEntry.objects.filter(
        action="refused", object_type="investigation", actor_username="fiu"
    ).exists()
    assert not AuditEntry.objects.filter(
        action="read", object_type="investigation", actor_username="fiu"
    ).exists()

    actor, org = acting("police")
    _fiu_user, fiu_org = acting("fiu")
    inv_services.member_add(actor=actor, organisation=org, investigation=inv, member=fiu_org)
    r = fiu.get(f"/investigations/{inv.reference}/")
    assert r.status_code == 200
    assert snippet in r.content.decode()
    entry = AuditEntry.objects.filter(
        action="read", object_type="investigation", actor_username="fiu"
    ).latest("id")
    assert entry.details == {"what": "attached adverts", "adverts": [advert.pk]}


def test_the_online_analyst_who_attached_nothing_may_not_open_the_investigation(attached, login_as):
    inv, advert = attached
    r = login_as("online").get(f"/investigations/{inv.reference}/")
    assert r.status_code == 403  # no investigate permission: refused before the page
    assert _snippet(advert) not in r.content.decode()


def test_an_investigation_without_adverts_shows_no_section_and_writes_no_advert_read(
    attached, login_as
):
    actor, org = acting("police")
    other = inv_services.investigation_create(actor=actor, organisation=org, title="Other")
    before = AuditEntry.objects.filter(details__what="attached adverts").count()
    body = login_as("police").get(f"/investigations/{other.reference}/").content.decode()
    assert "Adverts attached as evidence" not in body
    assert AuditEntry.objects.filter(details__what="attached adverts").count() == before


def test_an_attached_advert_is_escaped_on_the_investigation_page(prevent_demo, login_as):
    from palermo.prevent.advert_input import AdvertIn

    actor, org = acting("police")
    services.adverts_import(
        actor=actor,
        organisation=org,
        label="markup",
        items=[AdvertIn('<script>alert(1)</script> Work abroad, fee 300 "now"', "")],
    )
    advert = Advert.objects.get(text__contains="<script>")
    inv = inv_services.investigation_create(actor=actor, organisation=org, title="Markup")
    services.advert_attach(
        actor=actor,
        organisation=org,
        advert=advert,
        target="investigation",
        reference=inv.reference,
    )
    body = login_as("police").get(f"/investigations/{inv.reference}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
