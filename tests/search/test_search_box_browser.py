"""The search box in Debian's Chromium: keyboard search, safe links, click log, evidence choice."""

import pytest

from assessments.hit_tokens import assignment_token_make
from search.models import EvidenceSelection, ResultClick
from tests.factories import AssignmentFactory, BatchFactory, StatementFactory

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.search.browser_urls")]


@pytest.fixture
def page(live_server, browser):
    context = browser.new_context()
    # Result links point at made-up sites: keep the browser on the live server.
    context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
    yield context.new_page()
    context.close()


@pytest.fixture
def worker_page(settings, transactional_db, live_server, page):
    settings.SEARCH_BACKEND = "fake"
    settings.SEARCH_THROTTLE_RATES = ["100/minute"]
    statement = StatementFactory()
    batch = BatchFactory(blocked_domains=["politifact"], domain_match="domain")
    assignment = AssignmentFactory(batch=batch, statement_order=[statement.pk])
    token = assignment_token_make(assignment.pk)
    page.goto(f"{live_server.url}/page/{token}/{statement.pk}")
    return page, assignment


def test_keyboard_search_links_and_evidence(worker_page):
    page, assignment = worker_page
    page.get_by_label("Search the web").focus()
    page.keyboard.type("minimum wage")
    page.keyboard.press("Enter")  # searches; must not submit the statement form
    page.wait_for_selector(".search-result")
    assert page.url.endswith(f"/{assignment.statement_order[0]}")
    status = page.locator("[data-search-status]").inner_text()
    assert "1 result(s) from hidden fact-checking sites were removed" in status

    links = page.locator(".search-result__title")
    assert links.count() == 9
    assert "politifact" not in page.content()
    first = links.nth(0)
    assert first.get_attribute("target") == "_blank"
    assert first.get_attribute("rel") == "noopener noreferrer"

    with page.context.expect_page() as opened:
        first.click()
    opened.value.close()
    url = first.get_attribute("href")

    page.locator(".search-result__use").nth(0).focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "url => document.querySelector('[data-evidence-input]').value === url", arg=url
    )
    assert EvidenceSelection.objects.get().url == url
    _wait_for(lambda: ResultClick.objects.filter(url=url).exists())

    page.locator("[data-search-next]").click()
    page.wait_for_selector("text=Page 2")
    assert page.locator(".search-result").count() == 10


def _wait_for(condition, tries=50):
    import time

    for _ in range(tries):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")
