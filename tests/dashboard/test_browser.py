"""The dashboard in Debian's Chromium: log in as a researcher, every chart renders, no errors."""

from pathlib import Path

import pytest

from tests.dashboard.conftest import populate_dashboard_batch

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a long browser test password"

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_batch(transactional_db):
    from assessments import models
    from assessments.services.accounts import researcher_account_ensure
    from tests.assessments import analysis_data

    user, _ = researcher_account_ensure(username="carol")
    user.set_password(PASSWORD)
    user.save()
    batch = analysis_data.study_batch()
    batch.owner = user
    batch.title = "Browser test batch"
    batch.status = models.Batch.Status.LIVE
    batch.save()
    populate_dashboard_batch(batch)
    return batch


def test_dashboard_renders_every_chart(live_server, browser_batch, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"{live_server.url}/admin/assessments/batch/{browser_batch.pk}/dashboard/"
    problems = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    page.fill("#id_username", "carol")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(url)
    # Only the dashboard is under test: the admin login page asks for a favicon the
    # project does not serve (a 404 in the console) before this point.
    problems.clear()
    page.reload()
    containers = page.locator(".tc-vega")
    expected = containers.count()
    assert expected >= 9
    page.wait_for_function(
        "n => document.querySelectorAll('.tc-vega[data-rendered]').length === n",
        arg=expected,
        timeout=30000,
    )
    assert page.locator(".tc-vega[data-rendered='1']").count() == expected
    assert page.locator(".tc-vega svg").count() == expected
    # Every chart's SVG is an image whose name is its title and text alternative.
    for index in range(expected):
        svg = containers.nth(index).locator("svg").first
        assert svg.get_attribute("role") == "img"
        assert len(svg.get_attribute("aria-label")) > 20
    # Switching the aggregation redraws the box plots.
    select = page.locator("#chart-crowd-expert select").first
    select.select_option("median")
    page.screenshot(path=str(ARTIFACTS / "dashboard-full.png"), full_page=True)
    page.locator("#chart-crowd-expert").screenshot(
        path=str(ARTIFACTS / "dashboard-crowd-expert.png")
    )
    page.locator("#agreement").screenshot(path=str(ARTIFACTS / "dashboard-agreement.png"))
    page.locator("#workers").screenshot(path=str(ARTIFACTS / "dashboard-workers.png"))
    page.close()
    assert problems == []
