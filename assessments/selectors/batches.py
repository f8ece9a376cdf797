"""Batch reads: visibility for researchers and progress (judgments collected vs wanted)."""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import Attempt, Batch, Judgment


def batch_visible_q(user, path: str = "") -> Q:
    """Return a filter for rows whose batch (reached through `path`) `user` owns or shares."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}owner": user}) | Q(**{f"{prefix}shared_with": user})


def batch_list_for_user(user) -> QuerySet[Batch]:
    """Return the batches `user` may see: all for superusers, else owned or shared ones."""
    batches = Batch.objects.all()
    if not user.is_superuser:
        batches = batches.filter(batch_visible_q(user)).distinct()
    return batches


def batch_list_with_progress(batches: QuerySet[Batch]) -> QuerySet[Batch]:
    """Annotate `judgments_collected` and `judgments_wanted` without a query per batch.

    Collected counts judgments of passed attempts on the batch's dataset statements; gold
    statements are control items and do not count towards the wanted judgments.
    """
    collected = (
        Judgment.objects.filter(
            attempt__assignment__batch=OuterRef("pk"),
            attempt__status=Attempt.Status.PASSED,
            statement__is_gold=False,
        )
        .order_by()
        .values("attempt__assignment__batch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    n_statements = (
        Batch.statements.through.objects.filter(batch=OuterRef("pk"))
        .order_by()
        .values("batch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return batches.annotate(
        judgments_collected=Coalesce(Subquery(collected, output_field=IntegerField()), Value(0)),
        n_pool=Coalesce(Subquery(n_statements, output_field=IntegerField()), Value(0)),
    )


def batch_progress(batch: Batch) -> tuple[int, int]:
    """Return (judgments collected, judgments wanted) for one batch."""
    annotated = batch_list_with_progress(Batch.objects.filter(pk=batch.pk)).get()
    return annotated.judgments_collected, annotated.n_pool * batch.judgments_per_statement
