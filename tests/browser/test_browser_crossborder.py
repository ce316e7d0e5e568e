"""Cross-border journey in a real browser, on a 390 px wide screen: the sending case worker
records the person's transfer consent, sends the case to the partner-country instance, sees
the signed receipt come back, then the partner's "accepted" status update.

The partner instance runs in the same process (its own entity id and keys, the same trust
list); the hand-over reaches its inbox through the Django test client — no network."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def two_instances(demo_users, tmp_path, monkeypatch):
    from palermo.crossborder import services
    from tests.crossborder.conftest import A, Instances

    inst = Instances(tmp_path)
    monkeypatch.setattr(services, "transport", inst.transport)
    services._trust_cache.clear()
    inst.load_trust()
    with inst.as_(A):  # the browser talks to instance A
        yield inst


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at a 390 px viewport"


def test_case_worker_sends_a_case_abroad_and_sees_receipt_and_status(page, two_instances):
    from palermo.crossborder import services
    from palermo.crossborder.models import Handover
    from tests.cases.cases_helpers import acting, open_case
    from tests.crossborder.conftest import B

    case = open_case("caseworker")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "caseworker")
    page.goto("/crossborder/")
    expect(page.get_by_role("heading", name="Cross-border hand-overs")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Send a case").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Send a case abroad")).to_be_visible()
    consent = page.locator("#consent-form")
    consent.get_by_label("Case reference").fill(case.reference)
    consent.get_by_label("Purpose").select_option(
        label="Assistance and protection in the receiving country"
    )
    consent.get_by_label("Identity").check()
    consent.get_by_label("Exploitation").check()
    consent.get_by_role("button", name="Record the consent").click()
    # Forgotten: the risks were not explained. The message stands beside the field.
    expect(page.locator("#id_c-risks_explained_error")).to_have_text(
        "Explain the risks of the transfer before consent."
    )
    consent = page.locator("#consent-form")
    consent.get_by_label("The risks of the transfer were explained to the person").check()
    consent.get_by_role("button", name="Record the consent").click()
    expect(page.get_by_text("The transfer consent is recorded.")).to_be_visible()
    _fits(page)
    send = page.locator("#send-form")
    expect(send.get_by_label("Case reference")).to_have_value(case.reference)
    send.get_by_label("Handling code").select_option("H2")
    send.get_by_role("button", name="Sign, encrypt and send").click()
    expect(page.get_by_text("Sent. The partner's signed receipt has arrived.")).to_be_visible()
    expect(page.locator("#receipt")).to_contain_text("Signed receipt: received.")
    _fits(page)

    h = Handover.objects.get(local_entity=two_instances_entity(), direction="out")
    assert h.groups == ["exploitation", "identity"]
    with two_instances.as_(B):  # the partner's co-ordinator accepts it into a case
        incoming = Handover.objects.get(local_entity=B, jti=h.jti)
        coordinator, office = acting("coordinator")
        services.incoming_accept(coordinator, office, incoming.pk)
    page.reload()
    page.wait_for_load_state()
    expect(page.locator("#state")).to_contain_text("Accepted")
    expect(page.get_by_role("cell", name="Accepted")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Cross-border hand-overs").click()
    page.wait_for_load_state()
    expect(page.get_by_role("cell", name=case.reference)).to_be_visible()
    _fits(page)


def two_instances_entity() -> str:
    from tests.crossborder.conftest import A

    return A
