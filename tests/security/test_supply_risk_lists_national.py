"""The national risk lists are changed by the national co-ordinator only.

Red-team finding (integrity): editions of the US DOL list of goods, of any other registered
risk-list format and of the national exclusion list are national reference data that every
organisation's supply screening reads (``supply.services.risklists``). Any holder of
``supply.manage`` — every procurement officer of every contracting authority — could import a
new edition, so one office could retire the list every other office screens against (or empty
the exclusion list); and ``supply.manage`` was not national-only, so trainees inside an
exercise instance could too. Now only ``supply.risk_lists`` imports an edition: granted to the
national co-ordinator alone and national-only. The service is the gate; the pages, the
command line (and the absence of any API operation) follow it, and each refusal is audited.
"""

from __future__ import annotations

import inspect
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from typer.testing import CliRunner

from palermo.core.errors import NotAllowed
from palermo.core.models import AuditEntry, Membership, Organisation, User
from palermo.core.policy import (
    NATIONAL_ONLY,
    NATIONAL_POWERS,
    ROLE_PERMISSIONS,
    Perm,
    has_perm,
    locally_grantable_roles,
)
from palermo.core.roles import Role
from palermo.supply import riskdata, services
from palermo.supply.cli import app
from palermo.supply.models import RiskEdition
from tests.supply.supply_helpers import DOL_ROWS, dol_file

pytestmark = pytest.mark.django_db

EXCLUSIONS = b"company_id,name,country_code,reason,listed_on\nEX-9,Barred Ltd (fictional),AD,debarred,2026-01-05\n"
FORM = {
    "format": "us_dol",
    "source": "US DOL test fixture",
    "edition": "2099",
    "licence": "public domain",
    "retrieved_on": "2026-02-01",
}


def _info(edition: str = "2099") -> services.EditionInfo:
    return services.EditionInfo("US DOL test fixture", edition, "public domain", date(2026, 2, 1))


@pytest.fixture
def coordinator(persona):
    user = persona("coordinator")
    return user, user.organisations()[0]


@pytest.fixture
def officer(demo_world):
    org = Organisation.objects.create(
        name="Contracting authority (fictional)", org_type="central_government", country="XK"
    )
    user = User.objects.create_user("buyer-national", password="A-long-password-1")
    Membership.objects.create(user=user, organisation=org, role=Role.PROCUREMENT_OFFICER)
    return user, org


@pytest.fixture
def current(coordinator):
    """The current editions every office screens against, imported by the co-ordinator."""
    user, org = coordinator
    services.risk_import(
        actor=user, organisation=org, data=dol_file(*DOL_ROWS), name="dol.csv", info=_info("2024")
    )
    services.exclusions_import(
        actor=user, organisation=org, data=EXCLUSIONS, name="x.csv", info=_info("2026-01")
    )
    return _state()


def _state() -> list[tuple[int, str, str, bool]]:
    return list(
        RiskEdition.objects.order_by("pk").values_list("pk", "format", "edition", "is_current")
    )


def _refusals(user: User, perm: str = Perm.SUPPLY_RISK_LISTS) -> int:
    return AuditEntry.objects.filter(
        actor_id=user.pk, outcome="refused", details__permission=perm
    ).count()


def test_the_permission_is_the_national_coordinators_alone():
    holders = {r for r, perms in ROLE_PERMISSIONS.items() if Perm.SUPPLY_RISK_LISTS in perms}
    assert holders == {Role.COORDINATOR}
    assert Perm.SUPPLY_RISK_LISTS in NATIONAL_ONLY and Perm.SUPPLY_RISK_LISTS in NATIONAL_POWERS
    assert Perm.SUPPLY_MANAGE in ROLE_PERMISSIONS[Role.PROCUREMENT_OFFICER]  # the rest stays
    assert Role.COORDINATOR not in locally_grantable_roles()


def test_a_procurement_officer_is_refused_by_the_service_and_nothing_changes(officer, current):
    user, org = officer
    assert has_perm(user, Perm.SUPPLY_MANAGE, org)
    for call in (
        lambda: services.risk_import(
            actor=user, organisation=org, data=dol_file(DOL_ROWS[0]), name="d.csv", info=_info()
        ),
        lambda: services.risk_import(
            actor=user,
            organisation=org,
            data=EXCLUSIONS,
            name="x.csv",
            info=_info(),
            fmt=riskdata.EXCLUSIONS,
        ),
        lambda: services.exclusions_import(
            actor=user, organisation=org, data=b"company_id\n", name="x.csv", info=_info()
        ),
        lambda: services.risk_import(  # a preview too: it reads nothing of anyone's
            actor=user,
            organisation=org,
            data=dol_file(*DOL_ROWS),
            name="d.csv",
            info=_info(),
            commit=False,
        ),
    ):
        with pytest.raises(NotAllowed) as exc:
            call()
        assert exc.value.perm == Perm.SUPPLY_RISK_LISTS
    assert _state() == current


def test_a_procurement_officer_is_refused_on_the_web_audited_and_not_offered_it(
    client, officer, current
):
    user, org = officer
    client.force_login(user)
    assert client.get("/supply/risk/import/").status_code == 403
    form = {**FORM, "file": SimpleUploadedFile("dol.csv", dol_file(*DOL_ROWS))}
    assert client.post("/supply/risk/import/", form).status_code == 403
    assert client.post("/supply/risk/import/confirm/").status_code == 403
    assert _refusals(user) == 3
    assert _state() == current
    # The pages a procurement officer still opens do not offer it, and say who does.
    for path in ("/supply/", "/supply/risk/"):
        page = client.get(path)
        assert page.status_code == 200
        assert "/supply/risk/import/" not in page.content.decode()
    assert "national co-ordinator imports" in client.get("/supply/risk/").content.decode()


def test_no_api_operation_imports_a_risk_list(client, officer, api_token, current):
    """There is no API route to the import services; an invented one is not found."""
    import palermo.supply.api as api_main
    from palermo.api import iter_operations

    modules = {inspect.getmodule(fn) for path, _m, fn in iter_operations() if "supply" in path}
    modules |= {api_main}
    for module in modules:
        source = inspect.getsource(module)  # type: ignore[arg-type]
        assert "risk_import" not in source and "exclusions_import" not in source, module
    user, org = officer
    client.force_login(user)
    for path in ("/api/v1/supply/risk/import", "/api/v1/supply/exclusions/import"):
        assert client.post(path, {}).status_code in (404, 405)
    assert _state() == current


def test_a_procurement_officer_is_refused_at_the_command_line_and_audited(
    officer, current, tmp_path
):
    user, _org = officer
    f = tmp_path / "dol.csv"
    f.write_bytes(dol_file(*DOL_ROWS))
    common = ["--source", "x", "--edition", "2099", "--licence", "public domain"]
    for fmt in ("us_dol", "exclusions"):
        r = CliRunner().invoke(
            app,
            ["import-risk", str(f), *common, "--retrieved-on", "2026-02-01", "--format", fmt]
            + ["--as", user.username],
        )
        assert r.exit_code == 2 and "may not do this" in r.output, r.output
    assert _refusals(user) == 2
    assert _state() == current


def test_the_coordinator_imports_on_every_route(client, coordinator, current, tmp_path):
    user, org = coordinator
    assert not has_perm(user, Perm.SUPPLY_VIEW, org)  # no organisation's procurement
    # the service
    services.risk_import(
        actor=user, organisation=org, data=dol_file(*DOL_ROWS), name="d.csv", info=_info("2025")
    )
    # the pages: reached from the navigation, without the supply pages they may not open
    client.force_login(user)
    assert 'href="/supply/risk/"' in client.get("/dashboard/").content.decode()
    page = client.get("/supply/risk/").content.decode()
    assert 'href="/supply/risk/import/"' in page and 'href="/supply/orders/"' not in page
    assert "Crosswalk" not in page
    assert client.get("/supply/").status_code == 403
    assert client.get("/supply/risk/import/").status_code == 200
    form = {**FORM, "edition": "2026", "file": SimpleUploadedFile("d.csv", dol_file(*DOL_ROWS))}
    assert client.post("/supply/risk/import/", form).status_code == 200
    assert client.post("/supply/risk/import/confirm/").status_code == 302
    edition = RiskEdition.objects.get(format="us_dol", is_current=True)
    assert edition.edition == "2026"
    assert client.get(f"/supply/risk/{edition.pk}/").status_code == 200
    # the command line
    f = tmp_path / "x.csv"
    f.write_bytes(EXCLUSIONS)
    r = CliRunner().invoke(
        app,
        ["import-risk", str(f), "--source", "x", "--edition", "2026-03", "--licence", "public"]
        + ["--retrieved-on", "2026-02-01", "--format", "exclusions", "--as", user.username],
    )
    assert r.exit_code == 0 and "1 rows imported" in r.output, r.output
    current_editions = dict(
        RiskEdition.objects.filter(is_current=True).values_list("format", "edition")
    )
    assert current_editions == {"us_dol": "2026", "exclusions": "2026-03"}


def test_an_exercise_trainee_is_refused_even_as_coordinator(client, trainee):
    org = trainee.organisations()[0]
    assert Perm.SUPPLY_RISK_LISTS in trainee.permissions_in(org)  # the role says so …
    assert not has_perm(trainee, Perm.SUPPLY_RISK_LISTS, org)  # … the scope does not
    with pytest.raises(NotAllowed):
        services.risk_import(
            actor=trainee, organisation=org, data=dol_file(*DOL_ROWS), name="d.csv", info=_info()
        )
    client.force_login(trainee)
    assert client.get("/supply/risk/import/").status_code == 403
    form = {**FORM, "file": SimpleUploadedFile("dol.csv", dol_file(*DOL_ROWS))}
    assert client.post("/supply/risk/import/", form).status_code == 403
    assert client.get("/supply/risk/").status_code == 403
    assert _refusals(trainee) == 2
    assert not RiskEdition.objects.exists()
