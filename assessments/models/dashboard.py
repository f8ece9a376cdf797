"""Stored dashboard figures: what the researcher dashboard reads besides the analysis results."""

from django.db import models

from .batches import Batch
from .work import Worker


class DashboardSnapshot(models.Model):
    """A batch's progress, quality funnel and search behaviour, counted by a background task.

    The dashboard never counts a million judgments per page view: it reads this row, which
    `dashboard_snapshot_refresh` rewrites (on beat while the batch is live, or on request).
    """

    batch = models.OneToOneField(Batch, on_delete=models.CASCADE, related_name="dashboard")
    computed_at = models.DateTimeField()
    duration_s = models.FloatField(default=0)
    progress = models.JSONField(default=dict, blank=True)
    funnel = models.JSONField(default=dict, blank=True)
    search = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"dashboard of {self.batch.slug} @ {self.computed_at:%Y-%m-%d %H:%M:%S}"


class WorkerSummary(models.Model):
    """One worker's figures in one batch, rewritten with the batch's dashboard snapshot."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="worker_summaries")
    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="summaries")
    pseudonym = models.CharField(max_length=32)
    platform = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    tries = models.PositiveSmallIntegerField(default=0)
    time_s = models.FloatField(
        null=True, blank=True, help_text="Start to completion or last submit."
    )
    gold_accuracy = models.FloatField(null=True, blank=True)
    gold_n = models.PositiveIntegerField(default=0)
    crt_correct = models.PositiveSmallIntegerField(null=True, blank=True)
    crt_total = models.PositiveSmallIntegerField(default=0)
    crowd_mae = models.FloatField(
        null=True, blank=True, help_text="Mean |truth value - crowd mean| over dataset statements."
    )
    n_judgments = models.PositiveIntegerField(default=0)
    is_blocked = models.BooleanField(default=False)

    class Meta:
        ordering = ["batch", "pseudonym"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "worker"], name="workersummary_unique"),
        ]
        # The workers table opens sorted by pseudonym, one page of a batch's rows at a time.
        indexes = [models.Index(fields=["batch", "pseudonym"])]

    def __str__(self):
        return f"{self.batch.slug}/{self.pseudonym}"
