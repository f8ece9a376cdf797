"""Bad input and forgery: every attempt gets a clear 4xx and changes nothing."""

import datetime

import pytest
import time_machine
from django.test import Client

from assessments.hit_tokens import assignment_token_make
from assessments.models import Assignment, BehaviourEvent, Judgment, JudgmentValue
from tests.factories import BatchFactory

from .walker import HitWalker

T0 = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def walker(small_batch, client, clock):
    walker = HitWalker(client, small_batch, clock)
    walker.start()
    return walker


def at_first_statement(walker):
    pages = walker.pages()
    for page in pages[:2]:
        walker.get(page.index)
        walker.post(page.index, walker.answers_for(page))
    walker.get(2)
    return pages[2]


def test_forged_and_foreign_tokens_are_404(walker, client, small_batch):
    assert client.get(f"/hit/{small_batch.slug}/w/forged/p/0/").status_code == 404
    assert (
        client.get(f"/hit/{small_batch.slug}/w/{assignment_token_make(99999)}/").status_code == 404
    )
    other = BatchFactory(slug="other")
    token = walker.base.rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/hit/{other.slug}/w/{token}/p/0/").status_code == 404
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (
        client.post(f"/hit/{small_batch.slug}/w/{altered}/events/", {"events": "[]"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"f-overall": "3"}, b"Not a value of this scale."),
        ({"f-overall": "two"}, b"Not a value of this scale."),
        ({"f-colour": "1"}, b"Unknown fields"),
        ({"expert_label": "true"}, b"Unknown fields"),
        ({"evidence_url": "javascript:alert(1)"}, b"http://"),
        ({"justification": "I am sure"}, b"takes no justification"),
    ],
)
def test_bad_statement_answers_are_400_and_store_nothing(walker, change, message):
    page = at_first_statement(walker)
    response = walker.post(page.index, {**walker.answers_for(page), **change})
    assert response.status_code == 400 and message in response.content
    assert not Judgment.objects.exists() and not JudgmentValue.objects.exists()


def test_pages_outside_the_hit_are_404(walker):
    assert walker.get(len(walker.pages())).status_code == 404
    assert walker.post(99, {}).status_code == 404


def test_answers_for_a_page_never_served_are_refused(walker):
    pages = walker.pages()
    walker.get(0)
    walker.post(0, {})
    # page 1 (the questionnaire) was never shown: jumping past it is refused
    assert walker.post(2, walker.answers_for(pages[2])).status_code == 409
    assert walker.post(1, walker.answers_for(pages[1])).status_code == 409


def test_stale_attempt_replays_and_double_submits_are_409(walker, client):
    walker.walk_to_final()
    final = walker.pages()[-1].index
    walker.get(final)
    first = walker.post(final, {}, action="submit")
    assert first.status_code == 302
    code = walker.assignment.completion_code
    again = client.post(walker.url(final), {"attempt": 1, "action": "submit"})
    assert again.status_code == 409
    replay = client.post(
        walker.url(2), {"attempt": 1, "action": "next", **walker.answers_for(walker.pages()[2])}
    )
    assert replay.status_code == 409
    assert walker.assignment.completion_code == code


def test_answers_from_an_earlier_try_are_refused(walker, client, small_batch):
    walker.walk_to_final(gold_ok=False)
    walker.submit()
    assert walker.attempt_number() == 2
    page = walker.pages()[2]
    walker.get(2)
    response = client.post(
        walker.url(2), {"attempt": 1, "action": "next", **walker.answers_for(page)}
    )
    assert response.status_code == 409
    assert not Judgment.objects.filter(attempt__number=2).exists()


def test_submit_after_expiry_is_410(walker, small_batch, clock):
    walker.walk_to_final()
    final = walker.pages()[-1].index
    walker.get(final)
    clock.shift(datetime.timedelta(seconds=small_batch.time_limit_s + 1))
    response = walker.post(final, {}, action="submit", wait=0)
    assert response.status_code == 410
    assert walker.assignment.status == Assignment.Status.ACTIVE
    assert walker.client.get(walker.url(2)).status_code == 410


def test_csrf_is_enforced(walker, small_batch):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = walker.client.cookies
    response = strict.post(walker.url(0), {"attempt": 1, "action": "next"})
    assert response.status_code == 403
    entry = strict.post(f"/hit/{small_batch.slug}/", {"worker": "W7", "consent": "yes"})
    assert entry.status_code == 403


def test_text_is_escaped_and_gold_never_reaches_the_worker(walker, small_batch, client):
    small_batch.justification = "optional"
    small_batch.save()
    pages = walker.pages()
    html = b""
    for page in pages[:-1]:
        response = walker.get(page.index)
        html += response.content
        data = walker.answers_for(page)
        if page.kind == "statement":
            data["justification"] = "<script>alert(1)</script>"
        walker.post(page.index, data)
    shown = walker.get(2).content
    assert b"<script>alert(1)</script>" not in shown and b"&lt;script&gt;" in shown
    # Statement texts are random words, so look for what only a leak would show: gold ids,
    # gold and expert field names, and the expert level labels.
    secrets = [b"HIGH", b"LOW", b"is_gold", b"gold_truth", b"expert", b"correct_answer"]
    secrets += [
        level.encode() for level in ("pants-on-fire", "barely-true", "half-true", "mostly-true")
    ]
    for secret in secrets:
        assert secret not in html, secret


def test_behaviour_events_are_appended_and_validated(walker, client):
    url = f"{walker.base}events/"
    ok = client.post(
        url,
        {
            "events": '[{"kind": "page_view", "ts": 1780000000000}, {"kind": "answer_change", "position": 1, "payload": {"name": "f-overall"}}]'
        },
    )
    assert ok.status_code == 200 and ok.json() == {"stored": 2}
    event = BehaviourEvent.objects.get(kind="answer_change")
    assert event.statement_id == walker.assignment.statement_order[1]
    assert client.post(url, {"events": '[{"kind": "drop_tables"}]'}).status_code == 400
    assert client.post(url, {"events": '[{"kind": "focus", "position": 99}]'}).status_code == 400
    assert client.post(url, {"events": "not json"}).status_code == 400
    assert (
        client.post(url, {"events": "[" + ",".join(['{"kind": "blur"}'] * 201) + "]"}).status_code
        == 400
    )
    assert client.get(url).status_code == 405
    assert BehaviourEvent.objects.count() == 2


def test_submit_without_reaching_the_last_page_is_refused(walker, client):
    final = walker.pages()[-1].index
    response = client.post(walker.url(final), {"attempt": 1, "action": "submit"})
    assert response.status_code == 409
    attempt = walker.assignment.attempts.get()
    assert attempt.status == "in_progress" and attempt.gate_results == []


def test_final_comment_is_kept_when_going_back(walker, client):
    final = walker.walk_to_final()
    walker.get(final)
    back = walker.post(final, {"comment": "half a thought"}, action="back")
    assert back.status_code == 302
    assert walker.assignment.comment == "half a thought"
    assert b"half a thought" in walker.get(final).content
