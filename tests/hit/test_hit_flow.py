"""The worker's way through the IPM 2021 HIT with plain form posts (no JavaScript)."""

import datetime

import pytest
import time_machine

from assessments.models import (
    Assignment,
    Attempt,
    Batch,
    HitSlot,
    Judgment,
    JudgmentValue,
    QuestionnaireAnswer,
    Statement,
)

from .walker import HitWalker

T0 = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_worker_completes_the_ipm2021_hit_and_gets_a_code(ipm_batch, client, clock):
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    pages = walker.pages()
    assert len(pages) == 1 + 4 + 11 + 1
    walker.walk_to_final()
    response = walker.submit(comment="Nice <b>task</b>")
    assert response.status_code == 302 and response["Location"].endswith("/result/")
    page = client.get(response["Location"])
    assignment = walker.assignment
    assert assignment.status == Assignment.Status.COMPLETED
    assert assignment.completion_code and assignment.completion_code.encode() in page.content
    assert assignment.comment == "Nice <b>task</b>"
    attempt = assignment.attempts.get()
    assert attempt.status == Attempt.Status.PASSED
    assert all(r["passed"] for r in attempt.gate_results)
    assert Judgment.objects.filter(attempt=attempt).count() == 11
    assert JudgmentValue.objects.filter(judgment__attempt=attempt).count() == 99
    judgment = Judgment.objects.filter(attempt=attempt).first()
    assert judgment.time_on_page_s >= 2 and judgment.text_shown
    crt = QuestionnaireAnswer.objects.filter(attempt=attempt, question__questionnaire__kind="crt")
    assert crt.count() == 3 and all(a.is_correct for a in crt)
    assert HitSlot.objects.get(assignment=assignment).status == HitSlot.Status.DONE


def test_statement_order_follows_the_composition(ipm_batch, client, clock):
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    order = walker.assignment.statement_order
    datasets = [Statement.objects.get(pk=sid).dataset.name for sid in order]
    abc = [i for i, name in enumerate(datasets) if name == "abc"]
    assert abc in ([0, 1, 2], [8, 9, 10])
    assert datasets.count("politifact") == 6 and datasets.count("gold") == 2


def test_failed_gold_check_starts_a_new_try_and_passing_it_completes(ipm_batch, client, clock):
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    walker.walk_to_final(gold_ok=False)
    response = walker.submit()
    result = client.get(response["Location"])
    assert b"consistency checks" in result.content and b"9 tries left" in result.content
    assert b"HIGH" not in result.content and b"gold" not in result.content.lower()
    first = walker.assignment.attempts.get(number=1)
    assert first.status == Attempt.Status.FAILED
    assert {r["name"]: r["code"] for r in first.gate_results if not r["passed"]} == {
        "gold_ordering": "gold_failed"
    }
    # the new try resumes at the first statement, questionnaire answers carried over
    resume = client.get(walker.base)
    first_statement = next(p for p in walker.pages() if p.kind == "statement")
    assert resume["Location"].endswith(f"/p/{first_statement.index}/")
    walker.walk_to_final(start=first_statement.index)
    walker.submit()
    assignment = walker.assignment
    assert assignment.status == Assignment.Status.COMPLETED
    assert assignment.attempts.count() == 2
    # the failed attempt's answers are kept for research
    assert Judgment.objects.filter(attempt=first).count() == 11


def test_retry_from_the_beginning_asks_everything_again(ipm_batch, client, clock):
    ipm_batch.retry_from = Batch.RetryFrom.BEGINNING
    ipm_batch.save()
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    walker.walk_to_final(gold_ok=False)
    result = client.get(walker.submit()["Location"])
    assert b"starts from the beginning" in result.content
    second = walker.assignment.attempts.get(number=2)
    assert not QuestionnaireAnswer.objects.filter(attempt=second).exists()
    assert not second.page_serves.exists()
    assert client.get(walker.base)["Location"].endswith("/p/0/")
    # the questionnaires are answered and timed anew: rushing them fails this try
    for page in walker.pages()[:-1]:
        assert walker.get(page.index).status_code == 200
        wait = 0 if page.kind == "questionnaire" else 3
        assert walker.post(page.index, walker.answers_for(page), wait=wait).status_code == 302
    walker.submit()
    second.refresh_from_db()
    assert second.status == Attempt.Status.FAILED
    assert [r["name"] for r in second.gate_results if not r["passed"]] == ["minimum_time"]
    assert (
        QuestionnaireAnswer.objects.filter(attempt=second).count()
        == (
            QuestionnaireAnswer.objects.filter(
                attempt__number=1, attempt__assignment=second.assignment
            )
        ).count()
    )


def test_last_try_failing_ends_without_code_and_frees_the_slot(ipm_batch, client, clock):
    ipm_batch.max_attempts = 1
    ipm_batch.save()
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    walker.walk_to_final(gold_ok=False)
    result = client.get(walker.submit()["Location"])
    assignment = walker.assignment
    assert assignment.status == Assignment.Status.FAILED and not assignment.completion_code
    assert b"no tries are left" in result.content
    assert not HitSlot.objects.filter(assignment=assignment).exists()
    # coming back is refused politely
    again = client.get(f"/hit/{ipm_batch.slug}/?worker=W1")
    assert again.status_code == 403 and b"already taken part" in again.content


def test_rushing_fails_the_minimum_time_gate(ipm_batch, client, clock):
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    pages = walker.pages()
    for page in pages[:-1]:
        walker.get(page.index)
        walker.post(page.index, walker.answers_for(page), wait=1)
    walker.submit()
    failed = walker.assignment.attempts.get(number=1).gate_results
    assert {r["name"] for r in failed if not r["passed"]} == {"minimum_time"}


def test_reload_resumes_on_the_page_last_shown(ipm_batch, client, clock):
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    pages = walker.pages()
    for page in pages[:7]:
        walker.get(page.index)
        walker.post(page.index, walker.answers_for(page))
    walker.get(7)
    # half the answers of page 7 autosaved, then the tab crashes
    partial = dict(list(walker.answers_for(pages[7]).items())[:4])
    assert walker.post(7, partial, action="autosave").json() == {"saved": True}
    assert client.get(walker.base)["Location"].endswith("/p/7/")
    # the entry link (as MTurk reopens it) also resumes
    entry = client.get(f"/hit/{ipm_batch.slug}/?worker=W1")
    assert entry.status_code == 302
    assert client.get(entry["Location"])["Location"].endswith("/p/7/")
    page = client.get(walker.url(7))
    for name, value in partial.items():
        assert f'name="{name}" value="{value}" checked'.encode() in page.content
    # a page beyond the progress redirects back to it
    assert client.get(walker.url(12))["Location"].endswith("/p/7/")


def test_back_keeps_answers_and_next_requires_all(ipm_batch, client, clock):
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    pages = walker.pages()
    for page in pages[:5]:
        walker.get(page.index)
        walker.post(page.index, walker.answers_for(page))
    walker.get(5)
    answers = walker.answers_for(pages[5])
    incomplete = {k: v for k, v in answers.items() if k != "f-confidence"}
    response = walker.post(5, incomplete)
    assert response.status_code == 400 and b"Please choose an answer." in response.content
    back = walker.post(5, incomplete, action="back")
    assert back["Location"].endswith("/p/4/")
    judgment = Judgment.objects.get(attempt__assignment=walker.assignment)
    assert judgment.values.count() == 8


def test_evidence_gate_reads_the_workers_own_search_log(small_batch, client, clock, monkeypatch):
    small_batch.quality_gates = [*small_batch.quality_gates, {"name": "evidence_from_serp"}]
    small_batch.save()
    seen = {}

    def fake_inputs(*, assignment, judgments):
        seen["statements"] = sorted(j.statement_id for j in judgments)
        # the worker's SERP holds the link of every statement but the one at position 1
        return {
            j.statement_id: (
                frozenset() if j.position == 1 else frozenset({j.evidence_url}),
                False,
            )
            for j in judgments
        }

    monkeypatch.setattr("assessments.services.hits.evidence_inputs", fake_inputs)
    walker = HitWalker(client, small_batch, clock)
    walker.start()
    walker.walk_to_final()
    walker.submit()
    results = walker.assignment.attempts.get(number=1).gate_results
    failed = [r for r in results if not r["passed"]]
    assert [(r["code"], r["pages"]) for r in failed] == [
        ("evidence_not_from_search", ["statement 2"])
    ]
    assert seen["statements"] == sorted(walker.assignment.statement_order)
