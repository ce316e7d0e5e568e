"""The admin site's audit-trail screens show an administrator what the audit viewer and
`GET /api/v1/audit` show them: the entries of their own organisation, never the national trail.

Red-team finding (MEDIUM): `/admin/core/auditentry/` listed every entry of every organisation
(2,393 in the demo against the 665 the API gave the same administrator), with each entry's
details, purposes and addresses, although the policy gives administrators `core.view_audit`
(their organisation) and only the identification body `core.view_audit_all`.
"""

from __future__ import annotations

import re

import pytest

from palermo.core import audit
from palermo.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(demo_world, persona):
    """One entry made for the administrator's organisation and one for the police unit."""
    admin, police = persona("admin"), persona("police")
    own = audit.record(
        action="read",
        actor=admin,
        organisation=admin.organisations()[0],
        object_type="rt_probe_own",
        object_ref="OWN-1",
    )
    other = audit.record(
        action="read",
        actor=police,
        organisation=police.organisations()[0],
        object_type="rt_probe_other",
        object_ref="OTHER-1",
    )
    return AuditEntry.objects.get(pk=own), AuditEntry.objects.get(pk=other)


def test_the_admin_list_holds_only_the_administrators_organisation(client, login_as, entries):
    own, other = entries
    login_as("admin")
    expected = AuditEntry.objects.filter(organisation_id=own.organisation_id).count()
    response = client.get("/admin/core/auditentry/")  # (this read is audited after the list)
    assert response.status_code == 200
    html = response.content.decode()
    assert "rt_probe_own" in html
    assert "rt_probe_other" not in html
    assert int(re.search(r"(\d+)\s+audit entr", html).group(1)) == expected


def test_another_organisations_entry_does_not_open_in_the_admin(client, login_as, entries):
    own, other = entries
    login_as("admin")
    assert client.get(f"/admin/core/auditentry/{own.pk}/change/").status_code == 200
    response = client.get(f"/admin/core/auditentry/{other.pk}/change/")
    assert response.status_code != 200 or "OTHER-1" not in response.content.decode()
