"""Celery tasks: thin wrappers that load by id and call one service."""

from celery import shared_task

from .services.heartbeat import worker_heartbeat_record


@shared_task(bind=True)
def worker_heartbeat_task(self):
    """Record that a Celery worker is alive (scheduled on beat every minute)."""
    worker_heartbeat_record(hostname=self.request.hostname or "eager")
