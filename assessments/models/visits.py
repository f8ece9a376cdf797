"""Entry-page visits: the top of a batch's quality funnel (MTurk previews and entries)."""

from django.db import models

from .batches import Batch


class EntryVisit(models.Model):
    """One visitor's first view of a batch's entry page, as a preview or as an entry.

    A preview is an MTurk worker looking at the HIT before accepting it; an entry is a worker
    who can start (a platform or link id, or a browser's anonymous cookie id). The visitor is kept
    only as a keyed hash, and each visitor counts once per kind, so reloads do not inflate the
    funnel.
    """

    class Kind(models.TextChoices):
        PREVIEW = "preview", "previewed"
        ENTRY = "entry", "entered"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="entry_visits")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    visitor = models.CharField(max_length=32, help_text="Keyed hash of the visitor's id.")
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "kind", "visitor"], name="entry_visit_once_per_kind"
            )
        ]

    def __str__(self):
        return f"{self.batch_id} {self.kind} {self.visitor[:8]}"
