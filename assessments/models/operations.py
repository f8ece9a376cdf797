"""Operational records: Celery worker heartbeats."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the periodic heartbeat: shows the queue is alive."""

    hostname = models.CharField(max_length=200, unique=True)
    last_seen_at = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.hostname} @ {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
