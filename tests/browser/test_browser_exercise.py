"""Exercise journey in three browsers (direction, trainee, antenna) at 390 px: the chief
controller starts the clock, a trainee receives and acknowledges the walk-in inject, an antenna
rates the action and flags a deviation that reaches the dashboard without a reload, a contingency
inject fires, the chief ends the day, opens the hot-wash pack (and the entries one figure came
from) and downloads the improvement plan."""

from __future__ import annotations

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, fail_fast_on_server_errors, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def exercise_loaded(transactional_db):
    from palermo.core.demo import DEMO_PASSWORD
    from palermo.exercise import services
    from palermo.exercise.scenario import SHIPPED, load_package

    with override_settings(PALERMO_EXERCISE="browser-exercise"):
        services.load_scenario(
            load_package(SHIPPED / "harbour_crossing"),
            antennas=1,
            controllers=1,
            password=DEMO_PASSWORD,
        )
        yield


def _new_page(browser, live_server):
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(WAIT_MS)
    fail_fast_on_server_errors(ctx)
    return ctx.new_page()


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at a 390 px viewport"


def test_a_scripted_hour_in_three_browsers(page, browser, live_server, exercise_loaded):  # noqa: PLR0915 – one journey
    from palermo.exercise.models import Delivery, Observation

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "chief")
    page.goto("/exercise/direction/")
    expect(page.get_by_role("heading", name="Direction of the exercise")).to_be_visible()
    expect(page.get_by_text("TRAINING EXERCISE").first).to_be_visible()
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_load_state()
    page.get_by_label("Speed (e.g. 10) or time to jump to (e.g. D2 09:00)").fill("D1 10:05")
    page.get_by_role("button", name="Jump", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_text("paused")).to_be_visible()
    _fits(page)
    assert Delivery.objects.filter(inject__key="SOC-02").count() == 4

    trainee = _new_page(browser, live_server)
    sign_in(trainee, "a-ngo_worker-1")
    trainee.goto("/exercise/inbox/")
    expect(
        trainee.get_by_role("heading", name="A young woman at the NGO drop-in centre")
    ).to_be_visible()
    trainee.get_by_role("button", name="Acknowledge").click()
    expect(trainee.get_by_text("Acknowledged").first).to_be_visible()
    _fits(trainee)
    trainee.goto("/screening/")  # the real screens, unchanged
    expect(trainee.get_by_text("TRAINING EXERCISE").first).to_be_visible()

    antenna = _new_page(browser, live_server)
    sign_in(antenna, "antenna-1")
    antenna.goto("/exercise/antenna/")
    antenna.get_by_label("Team").select_option(label="Team A")
    antenna.get_by_label("Criterion").select_option(label="Victim-centred approach")
    antenna.get_by_label("Expected action (to rate it)").select_option(value="SOC-02.1")
    antenna.get_by_label("Performed with major challenges").check()
    antenna.get_by_label("What you saw").fill("Interviewed at the front desk, no interpreter.")
    antenna.get_by_label("Deviation from the planned scenario: alert the direction now").check()
    antenna.get_by_role("button", name="Send observation").click()
    expect(antenna.get_by_text("The direction has been alerted to the deviation.")).to_be_visible()
    _fits(antenna)
    assert Observation.objects.filter(deviation=True).count() == 1

    # no connection: the observation is kept on the phone and sent when the connection returns
    antenna.context.set_offline(True)
    antenna.get_by_label("Criterion").select_option(label="Multi-agency co-ordination")
    antenna.get_by_label("What you saw").fill("Police and NGO agreed a joint interview.")
    antenna.get_by_role("button", name="Send observation").click()
    expect(
        antenna.get_by_text("No connection: 1 observation(s) kept on this phone")
    ).to_be_visible()
    antenna.context.set_offline(False)
    expect(antenna.locator("#queue-status")).to_be_hidden()
    assert Observation.objects.filter(note="Police and NGO agreed a joint interview.").count() == 1

    # the dashboard polls: the deviation appears without a reload
    expect(page.get_by_text("Interviewed at the front desk, no interpreter.").first).to_be_visible()

    # two hours after the boy is found, no guardian requested: the contingency fires
    page.get_by_role("button", name="Resume", exact=True).click()
    page.wait_for_load_state()
    page.get_by_label("Speed (e.g. 10) or time to jump to (e.g. D2 09:00)").fill("D1 15:40")
    page.get_by_role("button", name="Jump", exact=True).click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_text("Tomas has gone back to the plant").first).to_be_visible()
    assert Delivery.objects.filter(inject__key="CON-01", fired_by="condition").count() == 4

    page.get_by_role("button", name="End the day (pause, hot wash)").click()
    expect(page.get_by_role("heading", name="Hot-wash pack, day 1")).to_be_visible()
    expect(page.get_by_text("Interviewed at the front desk, no interpreter.").first).to_be_visible()
    _fits(page)
    # each figure links to the entries it came from: Team A's first action is the acknowledgement
    team_a = page.locator("section.card", has=page.get_by_role("heading", name="Team A"))
    first = team_a.get_by_role("row", name="Time from the first inject to the first action")
    first.get_by_role("link", name="1 entry").click()
    expect(
        page.get_by_role("heading", name="Time from the first inject to the first action")
    ).to_be_visible()
    expect(page.get_by_role("cell", name="Inject acknowledged in the inbox")).to_be_visible()
    expect(page.get_by_role("cell", name="Harbour Light (NGO) — Team A")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Back to the hot-wash pack").click()
    page.goto("/exercise/aar/")
    page.get_by_label("Criterion").select_option(label="Victim-centred approach")
    page.get_by_label("Issue").fill("No interpreter at the first contact")
    page.get_by_label("Corrective action").fill("Interpreter on call for the drop-in centre")
    page.get_by_label("Owner organisation").fill("Harbour Light (NGO)")
    page.get_by_label("Due date").fill("2027-03-31")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Improvement-plan item added.")).to_be_visible()
    _fits(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the improvement plan (CSV)").click()
    assert info.value.suggested_filename == "TRAINING-improvement-plan.csv"


def test_chief_imports_applications_and_selects_trainees(page, live_server, exercise_loaded):
    from palermo.exercise.models import Application, SelectionRun

    header = "reference,name,country,organisation,profession,gender,languages\n"
    rows = "".join(
        f"R{i:02d},Person {i},{['MD', 'RS', 'AL'][i % 3]},Org {i},"
        f"{['prosecutor', 'judge', 'social_worker'][i // 3 % 3]},{['female', 'male'][i % 2]},en\n"
        for i in range(18)
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "chief")
    page.goto("/exercise/")
    page.get_by_role("link", name="Applications and selection").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Applications", exact=True)).to_be_visible()
    # a file with one bad row imports nothing and names the line
    bad = header + rows + "X1,Eve,ZZ,Org,judge,female,\n"
    page.get_by_label("CSV file (UTF-8)").set_input_files(
        {"name": "apps.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    assert Application.objects.count() == 0
    page.get_by_label("CSV file (UTF-8)").set_input_files(
        {"name": "apps.csv", "mimeType": "text/csv", "buffer": (header + rows).encode()}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_load_state()
    expect(page.get_by_text("18 applications imported.")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="Select the trainees").click()
    page.wait_for_load_state()
    page.get_by_label("Places", exact=True).fill("6")
    page.get_by_label("Prosecutor", exact=True).fill("3")
    page.get_by_label("Share of places for women (%), empty for none").fill("50")
    page.get_by_label("Most places per country, empty for no cap").fill("2")
    page.get_by_label("Seed of the lottery (empty: a new one is drawn)").fill("11")
    page.get_by_role("button", name="Select", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("#selection-summary")).to_contain_text("6 of 6 places filled (seed 11")
    expect(page.get_by_role("heading", name="Balance by profession")).to_be_visible()
    _fits(page)
    assert SelectionRun.objects.count() == 1
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the selection (CSV)").click()
    assert dl.value.suggested_filename == "TRAINING-selection.csv"
