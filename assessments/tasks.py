"""Celery tasks: thin wrappers that load by id and call one service."""

from celery import shared_task
from django.utils import timezone

from .services.heartbeat import worker_heartbeat_record
from .services.hits import assignments_expire_stale


@shared_task(bind=True)
def worker_heartbeat_task(self):
    """Record that a Celery worker is alive (scheduled on beat every minute)."""
    worker_heartbeat_record(hostname=self.request.hostname or "eager")


@shared_task
def assignments_expire_stale_task():
    """Return the slots of assignments whose lease ran out to the pool (beat, every minute)."""
    assignments_expire_stale(now=timezone.now())
