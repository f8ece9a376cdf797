"""Entry to a HIT from MTurk, Prolific or a link, and refusal of workers who may not take part."""

import datetime
import re
from collections import Counter

import pytest
import time_machine
from django.test import Client

from assessments.models import Assignment, Batch, EntryVisit, Worker
from tests.factories import AssignmentFactory, BatchFactory, WorkerFactory

from .walker import HitWalker

T0 = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
MTURK = {
    "workerId": "A1WORKER",
    "assignmentId": "3ASSIGN",
    "hitId": "3HIT",
    "turkSubmitTo": "https://workersandbox.mturk.com",
}


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_mturk_preview_shows_the_task_and_accepts_nothing(small_batch, client):
    preview = {"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE", "hitId": "3HIT"}
    page = client.get(f"/hit/{small_batch.slug}/", preview)
    assert page.status_code == 200
    assert b"This is a preview" in page.content and b"<form" not in page.content
    post = client.post(f"/hit/{small_batch.slug}/", {**preview, "consent": "yes"})
    assert post.status_code == 403
    assert not Assignment.objects.exists()


def test_mturk_worker_finishes_with_the_external_submit_form(small_batch, client, clock):
    walker = HitWalker(client, small_batch, clock, query=MTURK)
    page = client.get(f"/hit/{small_batch.slug}/", MTURK)
    assert b'name="workerId" value="A1WORKER"' in page.content
    walker.start()
    assert walker.assignment.worker.platform == Worker.Platform.MTURK
    walker.walk_to_final()
    done = client.get(walker.submit()["Location"])
    assert b'action="https://workersandbox.mturk.com/mturk/externalSubmit"' in done.content
    assert b'name="assignmentId" value="3ASSIGN"' in done.content


def test_mturk_submit_address_must_be_mturk(small_batch, client):
    response = client.get(
        f"/hit/{small_batch.slug}/", {**MTURK, "turkSubmitTo": "https://evil.example"}
    )
    assert response.status_code == 400


def test_prolific_worker_is_redirected_to_the_completion_url(small_batch, client, clock):
    small_batch.completion_url = "https://app.prolific.com/submissions/complete?cc=ABC123"
    small_batch.save()
    query = {"PROLIFIC_PID": "P1", "STUDY_ID": "S1", "SESSION_ID": "X1"}
    walker = HitWalker(client, small_batch, clock, query=query)
    walker.start()
    walker.walk_to_final()
    response = walker.submit()
    assert response["Location"] == small_batch.completion_url
    assert walker.assignment.worker.platform_id == "P1"


def test_anonymous_link_keeps_the_worker_in_a_signed_cookie(small_batch, client):
    first = client.get(f"/hit/{small_batch.slug}/")
    assert first.status_code == 200 and "tc_anon" in first.cookies
    started = client.post(f"/hit/{small_batch.slug}/", {"consent": "yes"})
    assert started.status_code == 302
    again = client.get(f"/hit/{small_batch.slug}/")
    assert (
        again.status_code == 302
        and again["Location"].split("/w/")[0] == started["Location"].split("/w/")[0]
    )
    assert Worker.objects.get().platform_id.startswith("anon-")
    client.cookies["tc_anon"] = "forged"
    assert client.get(f"/hit/{small_batch.slug}/").status_code == 200  # a new anonymous worker


def test_consent_is_required(small_batch, client):
    response = client.post(f"/hit/{small_batch.slug}/", {"worker": "W1"})
    assert response.status_code == 400 and not Assignment.objects.exists()


def test_blocked_excluded_and_closed_are_refused_politely(small_batch, client):
    small_batch.worker_blocklist = ["BAD"]
    small_batch.save()
    assert (
        client.post(f"/hit/{small_batch.slug}/", {"worker": "BAD", "consent": "yes"}).status_code
        == 403
    )
    WorkerFactory(platform_id="BLOCKED", is_blocked=True)
    response = client.get(f"/hit/{small_batch.slug}/", {"worker": "BLOCKED"})
    assert response.status_code == 403 and b"not available" in response.content

    pilot = BatchFactory(slug="pilot")
    small_batch.excluded_batches.add(pilot)
    AssignmentFactory(batch=pilot, worker=WorkerFactory(platform_id="PILOT"))
    response = client.post(f"/hit/{small_batch.slug}/", {"worker": "PILOT", "consent": "yes"})
    assert response.status_code == 403 and b"earlier run" in response.content

    small_batch.status = "paused"
    small_batch.save()
    assert client.get(f"/hit/{small_batch.slug}/", {"worker": "NEW"}).status_code == 403
    assert Assignment.objects.filter(batch=small_batch).count() == 0


def test_no_free_slot_means_full(small_batch, client):
    for n in range(4):
        assert (
            client.post(
                f"/hit/{small_batch.slug}/", {"worker": f"W{n}", "consent": "yes"}
            ).status_code
            == 302
        )
    response = client.post(f"/hit/{small_batch.slug}/", {"worker": "W9", "consent": "yes"})
    assert response.status_code == 403 and b"All places" in response.content


def test_unknown_batch_is_404(db, client):
    assert client.get("/hit/nope/").status_code == 404


def test_hit_pages_may_be_framed_by_mturk_only(small_batch, client):
    response = client.get(f"/hit/{small_batch.slug}/", MTURK)
    assert "X-Frame-Options" not in response
    assert response["Content-Security-Policy"] == (
        "frame-ancestors 'self' https://www.mturk.com https://workersandbox.mturk.com"
    )
    assert client.get("/admin/login/")["X-Frame-Options"] == "DENY"


def test_the_demo_link_opens_a_startable_hit(db, client):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("bootstrap_demo", stdout=out)
    link = re.search(r"Try the HIT as a test worker: http://127.0.0.1:8000(\S+)", out.getvalue())
    response = client.get(link.group(1))
    assert response.status_code == 200 and b"Start the task" in response.content
    assert (
        client.post(link.group(1), {"worker": "demo-worker", "consent": "yes"}).status_code == 302
    )


def test_a_worker_who_finished_sees_their_code_again(small_batch, client, clock):
    walker = HitWalker(client, small_batch, clock, query=MTURK)
    walker.start()
    walker.walk_to_final()
    walker.submit()
    again = client.get(f"/hit/{small_batch.slug}/", MTURK)
    assert again.status_code == 302 and again["Location"].endswith("/result/")
    assert walker.assignment.completion_code.encode() in client.get(again["Location"]).content


def test_previews_and_entries_count_each_visitor_once(small_batch, client):
    preview = {"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE", "hitId": "3HIT"}
    for _ in range(2):  # a reload is the same browser: its anonymous cookie is kept
        client.get(f"/hit/{small_batch.slug}/", preview)
    Client().get(f"/hit/{small_batch.slug}/", preview)  # another browser
    for _ in range(2):
        client.get(f"/hit/{small_batch.slug}/", {"worker": "w-entry"})
    kinds = Counter(EntryVisit.objects.filter(batch=small_batch).values_list("kind", flat=True))
    assert kinds == {"preview": 2, "entry": 1}
    # Only keyed hashes are stored, never the worker's id.
    assert not EntryVisit.objects.filter(visitor__contains="w-entry").exists()


def test_refused_entry_is_not_counted(small_batch, client):
    small_batch.status = Batch.Status.CLOSED
    small_batch.save()
    assert client.get(f"/hit/{small_batch.slug}/", {"worker": "late"}).status_code == 403
    assert not EntryVisit.objects.exists()
