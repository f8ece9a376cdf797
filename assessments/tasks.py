"""Celery tasks: thin wrappers that load by id and call one service."""

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from .models import Assignment, Batch
from .selectors.analysis import analysis_pending
from .services.dashboard import dashboard_snapshot_refresh
from .services.heartbeat import worker_heartbeat_record
from .services.hits import assignments_expire_stale


@shared_task(bind=True)
def worker_heartbeat_task(self):
    """Record that a Celery worker is alive (scheduled on beat every minute)."""
    worker_heartbeat_record(hostname=self.request.hostname or "eager")


# -- analysis ---------------------------------------------------------------------------------
# Web processes import this module to send tasks; the analysis stack
# (pandas, scipy, scikit-learn, crowd-kit, PyMC) is imported inside the tasks, so only Celery
# workers pay its memory (over 100 MB per process) and start-up time.
# The services are idempotent and serialise on the batch's analysis row, so acks_late
# redelivery, retries and two copies of one task running at once are all harmless.


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def assignment_aggregate_task(assignment_id: int):
    """Update the aggregates of the statements a completed assignment judged."""
    from .services.analysis import assignment_aggregate  # imported here: see the note above

    assignment = Assignment.objects.select_related("batch").filter(pk=assignment_id).first()
    if assignment is not None:
        assignment_aggregate(assignment=assignment)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def batch_recompute_task(batch_id: int):
    """Recompute every stored analysis result of a batch."""
    from .services.analysis import batch_recompute  # imported here: see the note above

    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is not None:
        batch_recompute(batch=batch)


@shared_task(acks_late=True)
def analysis_reconcile_task():
    """Queue what was missed: unaggregated completed assignments, then stale batches (on beat)."""
    assignment_ids, batch_ids = analysis_pending()
    for assignment_id in assignment_ids:
        assignment_aggregate_task.delay(assignment_id)
    for batch_id in batch_ids:
        batch_recompute_task.delay(batch_id)


@shared_task
def assignments_expire_stale_task():
    """Return the slots of assignments whose lease ran out to the pool (beat, every minute)."""
    assignments_expire_stale(now=timezone.now())


# -- dashboard --------------------------------------------------------------------------------


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def dashboard_snapshot_refresh_task(batch_id: int):
    """Recount a batch's dashboard snapshot (progress, funnel, workers, searches).

    One refresh per batch at a time: at a million judgments a refresh outlasts the beat period,
    and overlapping runs would only queue up behind each other's locks.
    """
    key = f"dashboard-refreshing:{batch_id}"
    if not cache.add(key, 1, timeout=settings.CELERY_TASK_TIME_LIMIT):
        return
    try:
        batch = Batch.objects.filter(pk=batch_id).first()
        if batch is not None:
            dashboard_snapshot_refresh(batch=batch)
    finally:
        cache.delete(key)


@shared_task(acks_late=True)
def dashboards_refresh_live_task():
    """Queue a snapshot refresh for every live batch (beat), so progress moves while it runs."""
    for batch_id in Batch.objects.filter(status=Batch.Status.LIVE).values_list("id", flat=True):
        dashboard_snapshot_refresh_task.delay(batch_id)
