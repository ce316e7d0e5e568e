"""The risk list's preview → confirm over HTTP: the confirmation imports the file that was
previewed with the provenance typed on the upload form (held beside the file, web/held.py);
a confirmation with nothing held, or held for another import, imports nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from palermo.supply.models import RiskEdition, Site
from tests.supply.supply_helpers import DOL_ROWS, dol_file, site_id, sites_file

pytestmark = pytest.mark.django_db

FORM = {
    "source": "US DOL test fixture",
    "edition": "2031",
    "licence": "public domain",
    "retrieved_on": "2026-11-30",
    "url": "https://example.org/dol.csv",
}


def test_risk_list_confirm_imports_the_previewed_file_with_its_provenance(supply_demo, login_as):
    c = login_as("coordinator")  # the national lists: the co-ordinator imports them
    before = RiskEdition.objects.count()
    r = c.post(
        "/supply/risk/import/", {**FORM, "file": SimpleUploadedFile("dol.csv", dol_file(*DOL_ROWS))}
    )
    assert r.status_code == 200, r.content.decode()[:500]
    assert RiskEdition.objects.count() == before  # a preview writes nothing
    r = c.post("/supply/risk/import/confirm/")
    assert r.status_code == 302 and r["Location"] == "/supply/risk/"
    edition = RiskEdition.objects.order_by("-pk").first()
    assert RiskEdition.objects.count() == before + 1 and edition is not None
    assert (edition.source, edition.edition, edition.licence, str(edition.retrieved_on)) == (
        FORM["source"],
        FORM["edition"],
        FORM["licence"],
        FORM["retrieved_on"],
    )
    assert edition.url == FORM["url"] and edition.entries.count() == len(DOL_ROWS)
    # Confirming again: the file was taken, nothing more is imported.
    r = c.post("/supply/risk/import/confirm/", follow=True)
    assert "Nothing to import: upload the file again." in r.content.decode()
    assert r.redirect_chain[-1][0] == "/supply/risk/import/"
    assert RiskEdition.objects.count() == before + 1


def test_a_file_held_for_sites_is_not_imported_as_a_risk_list(supply_demo, login_as, persona):
    from palermo.core.models import Membership
    from palermo.core.roles import Role

    # One person who may import both sites and risk lists in one organisation (both roles).
    user = persona("procurement")
    Membership.objects.create(
        user=user, organisation=user.organisations()[0], role=Role.COORDINATOR
    )
    c = login_as("procurement")
    sites_before, editions_before = Site.objects.count(), RiskEdition.objects.count()
    good = sites_file(f"{site_id('XA', 201)},Held Mill,7 Road,XA,,,,,,")
    assert (
        c.post("/supply/sites/import/", {"file": SimpleUploadedFile("s.csv", good)}).status_code
        == 200
    )
    r = c.post("/supply/risk/import/confirm/")
    assert r.status_code == 302 and r["Location"] == "/supply/risk/import/"
    assert RiskEdition.objects.count() == editions_before
    # The sites file is still held for its own confirmation.
    assert c.post("/supply/sites/import/confirm/").status_code == 302
    assert Site.objects.count() == sites_before + 1
