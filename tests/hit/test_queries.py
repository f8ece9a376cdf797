"""HIT requests read a fixed number of rows: no query per statement, field, question or page."""

import datetime

import pytest
import time_machine

from .walker import HitWalker

T0 = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
# Upper bounds, savepoints included; a query per field (9), statement (11) or question would
# overshoot every one of them.
PAGE_GET = 10
ANSWER_SAVE = 14
SUBMIT = 18


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _walk_counting(walker, client, clock, django_assert_max_num_queries):
    attempt = walker.attempt_number()
    pages = walker.pages()
    for page in pages[:-1]:
        with django_assert_max_num_queries(PAGE_GET):
            assert client.get(walker.url(page.index)).status_code == 200
        answers = walker.answers_for(page)
        clock.shift(datetime.timedelta(seconds=3))
        if page.kind == "statement":
            partial = {"attempt": attempt, "action": "autosave", **dict(list(answers.items())[:3])}
            with django_assert_max_num_queries(ANSWER_SAVE):
                assert client.post(walker.url(page.index), partial).status_code == 200
        with django_assert_max_num_queries(ANSWER_SAVE):
            response = client.post(
                walker.url(page.index), {"attempt": attempt, "action": "next", **answers}
            )
            assert response.status_code == 302
    final = pages[-1].index
    with django_assert_max_num_queries(PAGE_GET):
        assert client.get(walker.url(final)).status_code == 200
    return attempt, final


def test_every_hit_request_reads_a_fixed_number_of_queries(
    ipm_batch, client, clock, django_assert_max_num_queries
):
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    attempt, final = _walk_counting(walker, client, clock, django_assert_max_num_queries)
    with django_assert_max_num_queries(SUBMIT):
        response = client.post(walker.url(final), {"attempt": attempt, "action": "submit"})
    assert response["Location"].endswith("/result/")
    assert walker.assignment.completion_code


def test_evidence_gate_reads_the_search_log_in_one_query(
    ipm_batch, client, clock, django_assert_max_num_queries
):
    ipm_batch.quality_gates = [*ipm_batch.quality_gates, {"name": "evidence_from_serp"}]
    ipm_batch.max_attempts = 1  # no next try to set up: only the gate's reads are added
    ipm_batch.save()
    walker = HitWalker(client, ipm_batch, clock)
    walker.start()
    attempt, final = _walk_counting(walker, client, clock, django_assert_max_num_queries)
    with django_assert_max_num_queries(SUBMIT + 1):
        client.post(walker.url(final), {"attempt": attempt, "action": "submit"})
    # no search was run, so every evidence link fails the gate
    failed = walker.assignment.attempts.get(number=1).gate_results
    assert [r["name"] for r in failed if not r["passed"]] == ["evidence_from_serp"]
