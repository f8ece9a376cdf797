"""Record entry-page visits, previews and entries, for the top of the quality funnel."""

from datetime import datetime

from django.conf import settings

from assessments.models import Batch, EntryVisit
from assessments.pseudonyms import worker_pseudonym


def entry_visit_record(*, batch: Batch, kind: str, platform: str, visitor_id: str, now: datetime):
    """Count a visitor once per batch and kind; later visits of the same visitor change nothing.

    The visitor is stored as the same keyed hash the exports use, never as the raw id.
    """
    visitor = worker_pseudonym(platform, visitor_id, salt=settings.WORKER_ID_SALT)
    # One INSERT ... ON CONFLICT DO NOTHING: concurrent reloads cannot fail or double count.
    EntryVisit.objects.bulk_create(
        [EntryVisit(batch=batch, kind=kind, visitor=visitor, first_seen_at=now)],
        ignore_conflicts=True,
    )
