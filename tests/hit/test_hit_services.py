"""Allocation and lease services: designs, slots, leasing under concurrency, expiry."""

import datetime
import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from assessments.models import Assignment, Attempt, HitDesign, HitSlot
from assessments.services import hits
from assessments.tasks import assignments_expire_stale_task

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def start(batch, worker, now=NOW):
    return hits.assignment_start(
        batch=batch, platform="link", platform_id=worker, platform_params={}, now=now
    )


def test_ipm2021_designs_and_slots(ipm_batch):
    designs = HitDesign.objects.filter(batch=ipm_batch)
    assert designs.count() == 20
    assert HitSlot.objects.filter(design__batch=ipm_batch).count() == 200
    counts = Counter(s for d in designs for s in d.statements.values_list("id", flat=True))
    assert len(counts) == 180 and set(counts.values()) == {1}


def test_designs_cannot_be_generated_twice_or_from_a_bad_pool(small_batch):
    with pytest.raises(ValidationError, match="designs already"):
        hits.batch_designs_generate(batch=small_batch)
    HitDesign.objects.filter(batch=small_batch).delete()
    small_batch.statements_per_hit = 5
    with pytest.raises(ValidationError, match="do not split"):
        hits.batch_designs_generate(batch=small_batch)


def test_leases_fill_designs_evenly_and_hold_the_gold(small_batch):
    a, b = start(small_batch, "A"), start(small_batch, "B")
    assert a.design_id != b.design_id  # slot 0 of every design before slot 1 of any
    gold = set(small_batch.gold_statements.values_list("id", flat=True))
    assert gold <= set(a.statement_order) and len(a.statement_order) == 4
    assert set(a.statement_order) - gold == set(a.design.statements.values_list("id", flat=True))
    assert a.lease_expires_at == NOW + datetime.timedelta(seconds=small_batch.time_limit_s)
    assert start(small_batch, "A").pk == a.pk  # the same worker resumes
    assert Attempt.objects.filter(assignment=a).count() == 1


def test_expired_leases_return_to_the_pool(small_batch):
    late = start(small_batch, "LATE")
    for worker in ("B", "C", "D"):
        start(small_batch, worker)
    with pytest.raises(hits.HitRefused):
        start(small_batch, "E")
    later = NOW + datetime.timedelta(seconds=small_batch.time_limit_s + 1)
    assert hits.assignments_expire_stale(now=later - datetime.timedelta(seconds=2)) == 0
    assert hits.assignments_expire_stale(now=later) == 4
    assert hits.assignments_expire_stale(now=later) == 0  # idempotent
    late.refresh_from_db()
    assert late.status == Assignment.Status.EXPIRED
    assert late.attempts.get().status == Attempt.Status.ABANDONED
    assert start(small_batch, "E", now=later).status == Assignment.Status.ACTIVE
    with pytest.raises(hits.HitRefused) as refused:
        start(small_batch, "LATE", now=later)
    assert refused.value.code == "repeat"


def test_the_beat_task_expires_stale_leases(small_batch, time_machine):
    time_machine.move_to(NOW)
    start(small_batch, "A")
    time_machine.move_to(NOW + datetime.timedelta(hours=2))
    assignments_expire_stale_task()
    assert HitSlot.objects.filter(status=HitSlot.Status.FREE).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_leasing_never_gives_a_slot_twice(small_batch):
    for index in range(2, 10):  # 2 designs x 10 slots = 20 places for 30 workers
        HitSlot.objects.bulk_create(
            HitSlot(design=design, index=index) for design in small_batch.designs.all()
        )
    results, barrier = [], threading.Barrier(30)

    def work(n):
        try:
            barrier.wait()
            results.append(start(small_batch, f"T{n}").pk)
        except hits.HitRefused as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    started = [r for r in results if isinstance(r, int)]
    assert len(started) == 20 and results.count("full") == 10
    leased = HitSlot.objects.filter(status=HitSlot.Status.LEASED)
    assert leased.count() == 20
    assert len(set(leased.values_list("assignment_id", flat=True))) == 20
    assert Counter(Assignment.objects.values_list("design_id", flat=True)) == {
        d.id: 10 for d in small_batch.designs.all()
    }


def test_behaviour_log_is_append_only_and_tied_to_statements(small_batch):
    assignment = start(small_batch, "A")
    stored = hits.behaviour_events_record(
        assignment=assignment,
        events=[{"kind": "query", "position": 0, "payload": {"q": "x"}}, {"kind": "blur"}],
        now=NOW,
    )
    assert stored == 2
    query = assignment.events.get(kind="query")
    assert query.statement_id == assignment.statement_order[0]
    assert query.attempt == assignment.attempts.get()
    with pytest.raises(ValidationError):
        hits.behaviour_events_record(
            assignment=assignment, events=[{"kind": "blur", "payload": {"x": "y" * 3000}}], now=NOW
        )
    assert assignment.events.count() == 2


@pytest.mark.postgres
def test_answer_saves_lock_only_the_assignment_row(small_batch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.hit_selectors import assignment_pages

    assignment = start(small_batch, "A")
    instructions = assignment_pages(assignment)[0]
    hits.page_serve_record(
        attempt=assignment.attempts.get(), page=instructions, served=False, now=NOW
    )
    with CaptureQueriesContext(connection) as queries:
        hits.page_continue(assignment=assignment, attempt_number=1, page=instructions, now=NOW)
    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    # Locking the joined batch row too would serialise every worker of the batch.
    assert locks and all('FOR UPDATE OF "assessments_assignment"' in sql for sql in locks)
