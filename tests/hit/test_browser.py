"""The HIT in Debian's Chromium through Playwright, against a live server (screenshots kept)."""

import re
from pathlib import Path

import pytest

from assessments.models import Assignment, Statement

from .walker import CRT_ANSWERS

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The server's minimum time per page is 2 s; the browser waits a little longer.
PAGE_WAIT_MS = 2200


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    # The page sends a beacon (and may autosave) when it is left: refuse new requests and let
    # those in flight finish, so no server thread writes while the test database is flushed.
    context.route("**/*", lambda route: route.abort())
    page.wait_for_load_state("networkidle")
    context.close()


@pytest.fixture
def live_batch(transactional_db, ipm_batch, live_server):
    ARTIFACTS.mkdir(exist_ok=True)
    return ipm_batch


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"hit-{name}.png"), full_page=True)


class BrowserWorker:
    def __init__(self, page, base_url, batch, worker):
        self.page, self.base_url, self.batch, self.worker = page, base_url, batch, worker

    @property
    def assignment(self):
        return Assignment.objects.get(batch=self.batch, worker__platform_id=self.worker)

    def start(self):
        self.page.goto(f"{self.base_url}/hit/{self.batch.slug}/?worker={self.worker}")
        shot(self.page, "entry")
        self.page.get_by_label("I have read the above and agree to take part.").check()
        self.page.get_by_role("button", name="Start the task").click()
        self.page.wait_for_selector("h1:has-text('Instructions')")

    def next(self, label="Next"):
        self.page.wait_for_timeout(PAGE_WAIT_MS)
        self.page.get_by_role("button", name=label, exact=True).click()
        self.page.wait_for_load_state()

    def questionnaires(self, screenshot=False):
        while self.page.locator("input[name^='q-']").count():
            for fieldset in self.page.locator("fieldset.question").all():
                fieldset.locator("input[type=radio]").first.check()
            for name, answer in CRT_ANSWERS.items():
                box = self.page.locator(f"input[name='q-{name}']")
                if box.count():
                    box.fill(answer)
            if screenshot:
                shot(self.page, "questionnaire")
                screenshot = False
            self.next()

    def statement_number(self):
        text = self.page.locator(".counter").inner_text()
        return int(re.search(r"Statement (\d+) of", text).group(1))

    def answer_statement(self, *, gold_ok=True):
        position = self.statement_number() - 1
        statement = Statement.objects.get(pk=self.assignment.statement_order[position])
        fieldsets = self.page.locator("fieldset.field").all()
        assert len(fieldsets) == 9
        for index, fieldset in enumerate(fieldsets):
            choice = (position + index) % 5
            if index == 0 and statement.is_gold:
                wants_high = (statement.gold_truth == "high") == gold_ok
                choice = 4 if wants_high else 0
            fieldset.locator("label.level").nth(choice).click()
        self.page.get_by_label("Web page you used as evidence").fill(
            f"https://evidence.example/{position}"
        )

    def statements(self, *, gold_ok=True, screenshot=False):
        while self.page.locator("fieldset.field").count():
            self.answer_statement(gold_ok=gold_ok)
            if screenshot:
                shot(self.page, "statement")
                screenshot = False
            self.next()


def test_worker_completes_the_ipm2021_hit_and_gets_the_code(page, live_server, live_batch):
    worker = BrowserWorker(page, live_server.url, live_batch, "browser-1")
    worker.start()
    assert "11 statements" in page.locator("main").inner_text()
    shot(page, "instructions")
    worker.next("Begin")
    worker.questionnaires(screenshot=True)
    worker.statements(screenshot=True)
    page.get_by_label("Any comment about the task? (optional)").fill("Thanks <b>!</b>")
    shot(page, "final")
    worker.next("Submit")
    code = page.locator("#completion-code").inner_text()
    shot(page, "done")
    assignment = worker.assignment
    assert assignment.status == Assignment.Status.COMPLETED and code == assignment.completion_code
    assert assignment.comment == "Thanks <b>!</b>"
    assert assignment.events.filter(kind="page_view").exists()


def test_worker_fails_gold_retries_and_passes(page, live_server, live_batch):
    worker = BrowserWorker(page, live_server.url, live_batch, "browser-2")
    worker.start()
    worker.next("Begin")
    worker.questionnaires()
    worker.statements(gold_ok=False)
    worker.next("Submit")
    body = page.locator("main").inner_text()
    assert "consistency checks" in body and "9 tries left" in body
    assert "gold" not in body.lower()
    shot(page, "retry")
    page.get_by_role("link", name="Try again").click()
    assert worker.statement_number() == 1
    worker.statements(gold_ok=True)
    worker.next("Submit")
    assert page.locator("#completion-code").inner_text() == worker.assignment.completion_code
    assert worker.assignment.attempts.count() == 2


def test_reload_mid_hit_resumes_with_autosaved_answers(page, live_server, live_batch):
    worker = BrowserWorker(page, live_server.url, live_batch, "browser-3")
    worker.start()
    worker.next("Begin")
    worker.questionnaires()
    worker.answer_statement()
    worker.next()
    assert worker.statement_number() == 2
    # answer three fields on statement 2; autosave keeps them without pressing Next
    for fieldset in page.locator("fieldset.field").all()[:3]:
        fieldset.locator("label.level").nth(3).click()
    page.wait_for_selector(".saved:has-text('Your answers are saved.')")
    url = page.url
    page.reload()
    assert page.url == url and worker.statement_number() == 2
    checked = page.locator("fieldset.field input[type=radio]:checked")
    assert checked.count() == 3
    # a fresh tab from the entry link lands on the same page
    other = page.context.new_page()
    other.goto(f"{live_server.url}/hit/{live_batch.slug}/?worker=browser-3")
    assert other.url.rsplit("/p/", 1)[1] == url.rsplit("/p/", 1)[1]
    assert other.locator("fieldset.field input[type=radio]:checked").count() == 3


def test_mturk_preview_accepts_nothing(page, live_server, live_batch):
    page.goto(
        f"{live_server.url}/hit/{live_batch.slug}/"
        "?assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&hitId=3HIT"
    )
    assert "This is a preview" in page.locator("main").inner_text()
    assert page.locator("form, input, button").count() == 0
    shot(page, "mturk-preview")
    assert not Assignment.objects.exists()


def test_statement_page_fits_a_360_px_phone(browser, live_server, live_batch):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    worker = BrowserWorker(page, live_server.url, live_batch, "browser-4")
    worker.start()
    worker.next("Begin")
    worker.questionnaires()
    assert page.locator("fieldset.field legend").count() == 9
    assert page.locator("fieldset.field label.level input[type=radio]").count() == 45
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    shot(page, "statement-360px")
    context.close()
