"""Allocation and page timing: the leasable worker slots of each design and page-serve records."""

from django.db import models
from django.db.models import Q

from .batches import HitDesign
from .work import Assignment, Attempt


class HitSlot(models.Model):
    """One of a design's `capacity` places; at most one assignment holds it at a time."""

    class Status(models.TextChoices):
        FREE = "free"
        LEASED = "leased"
        DONE = "done"

    design = models.ForeignKey(HitDesign, on_delete=models.CASCADE, related_name="slots")
    index = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.FREE)
    assignment = models.OneToOneField(
        Assignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="slot"
    )

    class Meta:
        ordering = ["index", "design"]
        constraints = [
            models.UniqueConstraint(fields=["design", "index"], name="hitslot_unique_index"),
            models.CheckConstraint(
                condition=Q(status="free", assignment__isnull=True)
                | (Q(status__in=["leased", "done"]) & Q(assignment__isnull=False)),
                name="hitslot_holder_iff_taken",
            ),
        ]
        # Leasing scans free slots of a batch's designs in (index, design) order.
        indexes = [models.Index(fields=["status", "index"])]

    def __str__(self):
        return f"{self.design} slot {self.index} ({self.status})"


class PageServe(models.Model):
    """When a page of an attempt was first and last served and last answered (server clock).

    The minimum-time gate measures from `first_served_at` to `answered_at`, so the browser's
    clock is never trusted; `last_served_at` tells where a reloading worker resumes.
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="page_serves")
    page = models.CharField(
        max_length=80, help_text="Page key, e.g. statement-3 or q-demographics."
    )
    first_served_at = models.DateTimeField()
    last_served_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the worker left it with Next, every answer given."
    )

    class Meta:
        ordering = ["attempt", "first_served_at"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "page"], name="pageserve_unique_page"),
        ]

    def __str__(self):
        return f"{self.attempt} {self.page}"
