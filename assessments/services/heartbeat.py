"""Worker heartbeats: a row per Celery worker with the last time it ran a task."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import WorkerHeartbeat


@transaction.atomic
def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    """Upsert the heartbeat of `hostname`; safe to run twice or concurrently."""
    now = timezone.now()
    heartbeat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
        hostname=hostname, defaults={"last_seen_at": now, "beats": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(
            last_seen_at=now, beats=F("beats") + 1
        )
        heartbeat.refresh_from_db()
    return heartbeat
