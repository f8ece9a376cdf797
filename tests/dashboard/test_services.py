"""Dashboard snapshot and blocklist services against hand-counted fixtures."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments import models
from assessments.services.dashboard import batch_worker_block_set, dashboard_snapshot_refresh
from assessments.tasks import dashboards_refresh_live_task
from tests import factories


def test_progress_counts_passed_dataset_judgments(dashboard_batch):
    progress = dashboard_batch.dashboard.progress
    passed = models.Judgment.objects.filter(
        attempt__assignment__batch=dashboard_batch,
        attempt__status="passed",
        statement__is_gold=False,
    ).count()
    assert progress["numbers"]["collected"] == passed == 12 * 9
    # 18 pool statements (6 PolitiFact levels + 3 ABC levels, 2 each) x 10 judgments.
    assert progress["numbers"]["wanted"] == 180
    assert len(progress["by_level"]) == 9
    assert all(r["wanted"] == 20 for r in progress["by_level"])
    assert progress["numbers"]["hits_completed"] == 12
    assert progress["numbers"]["cost_so_far_cents"] == 12 * dashboard_batch.reward_cents
    # No designs: 180 wanted / (11 per HIT - 2 gold) = 20 HITs.
    assert progress["numbers"]["hits_wanted"] == 20


def test_worker_rows(dashboard_batch):
    rows = models.WorkerSummary.objects.filter(batch=dashboard_batch)
    assert rows.count() == 12
    row = rows.get(worker=dashboard_batch.assignments.order_by("pk")[1].worker)
    assert row.tries == 1 and row.n_judgments == 11 and row.crt_total == 1
    assert row.crt_correct == 1  # every third worker (index 0, 3, ...) answered wrongly
    first = rows.get(worker=dashboard_batch.assignments.order_by("pk")[0].worker)
    assert first.crt_correct == 0
    # Gold accuracy by hand: each gold judgment right when on its side of the middle.
    assignment = dashboard_batch.assignments.order_by("pk")[0]
    truth = dashboard_batch.fields.get(is_gold_field=True)
    values = models.JudgmentValue.objects.filter(
        field=truth, judgment__attempt__assignment=assignment, judgment__statement__is_gold=True
    ).values_list("judgment__statement__gold_truth", "value")
    right = sum((v > 0) if t == "high" else (v < 0) for t, v in values)
    assert first.gold_accuracy == pytest.approx(right / 2) and first.gold_n == 2
    assert first.crowd_mae is not None and first.pseudonym.startswith("W-")


def test_funnel_and_search(dashboard_batch):
    snapshot = dashboard_batch.dashboard
    steps = {s["step"]: s["n"] for s in snapshot.funnel["steps"]}
    assert steps["started (consented)"] == 12
    assert steps["submitted"] == 12
    assert steps["passed on try 1"] == 12
    assert snapshot.search["blocked"]["queries"] == 36
    assert sum(n for _, n in snapshot.search["queries_per_statement"]) == 12 * 11
    assert sum(n for _, n in snapshot.search["top_domains"]) == 36


def test_refresh_is_idempotent(dashboard_batch):
    before = dashboard_batch.dashboard.progress
    dashboard_snapshot_refresh(batch=dashboard_batch)
    dashboard_batch.refresh_from_db()
    assert dashboard_batch.dashboard.progress == before
    assert models.WorkerSummary.objects.filter(batch=dashboard_batch).count() == 12


def test_empty_batch_snapshot(researcher):
    batch = factories.BatchFactory(owner=researcher)
    snapshot = dashboard_snapshot_refresh(batch=batch)
    assert snapshot.progress["numbers"]["collected"] == 0
    assert snapshot.funnel["steps"][0]["n"] == 0


def test_block_service_checks_visibility_and_participation(dashboard_batch, other_researcher):
    worker = dashboard_batch.assignments.first().worker
    with pytest.raises(PermissionDenied):
        batch_worker_block_set(
            user=other_researcher, batch=dashboard_batch, worker=worker, blocked=True
        )
    with pytest.raises(ValidationError):
        batch_worker_block_set(
            user=dashboard_batch.owner,
            batch=dashboard_batch,
            worker=factories.WorkerFactory(),
            blocked=True,
        )


def test_live_refresh_task_covers_live_batches_only(researcher):
    live = factories.BatchFactory(owner=researcher, status="live")
    closed = factories.BatchFactory(owner=researcher, status="closed")
    dashboards_refresh_live_task()
    assert models.DashboardSnapshot.objects.filter(batch=live).exists()
    assert not models.DashboardSnapshot.objects.filter(batch=closed).exists()


def test_refresh_task_skips_while_another_refresh_runs(researcher):
    from django.core.cache import cache

    from assessments.tasks import dashboard_snapshot_refresh_task

    batch = factories.BatchFactory(owner=researcher)
    cache.add(f"dashboard-refreshing:{batch.pk}", 1)
    dashboard_snapshot_refresh_task(batch.pk)
    assert not models.DashboardSnapshot.objects.filter(batch=batch).exists()
    cache.delete(f"dashboard-refreshing:{batch.pk}")
    dashboard_snapshot_refresh_task(batch.pk)
    assert models.DashboardSnapshot.objects.filter(batch=batch).exists()
