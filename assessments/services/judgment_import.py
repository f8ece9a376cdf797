"""Judgment import: crowd data collected elsewhere becomes imported workers, attempts, judgments."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import scales
from ..importers import RowError
from ..judgment_csv import JudgmentRow
from ..models import (
    Assignment,
    Attempt,
    Batch,
    Judgment,
    JudgmentValue,
    Statement,
    Worker,
)


@dataclass
class JudgmentImportSummary:
    workers: int = 0
    attempts: int = 0
    judgments: int = 0
    values: int = 0
    assignment_ids: list[int] = field(default_factory=list)

    def __str__(self):
        return (
            f"{self.judgments} judgments ({self.values} values) from {self.workers} workers "
            f"in {self.attempts} attempts imported"
        )


def batch_field_scales(*, batch: Batch) -> dict[str, list[int]]:
    """Return the batch's field slugs (in order) with their allowed values."""
    return {f.slug: scales.scale_values(f.scale) for f in batch.fields.order_by("position")}


def _statement_lookup(batch: Batch) -> tuple[dict[str, Statement], set[str]]:
    pool = list(batch.statements.all()) + list(batch.gold_statements.all())
    if not pool:
        pool = list(Statement.objects.all())
    by_id: dict[str, Statement] = {}
    ambiguous = set()
    for statement in pool:
        known = by_id.get(statement.external_id)
        if known is not None and known.pk != statement.pk:
            ambiguous.add(statement.external_id)
        by_id[statement.external_id] = statement
    return by_id, ambiguous


@transaction.atomic
def judgments_import(*, batch: Batch, rows: list[JudgmentRow]) -> JudgmentImportSummary:
    """Store parsed rows as imported judgments of `batch`, all or nothing.

    Statements are matched by external id among the batch's statements and gold statements (all
    statements when the batch has none yet). Each worker id becomes a Worker with platform
    "imported" and one imported, completed Assignment; each try_number an Attempt. The highest try
    of a worker is `passed` and earlier ones `failed`: a platform only offers a retry after a
    failed try, so earlier tries are the failed ones. Raises ValidationError listing every bad row
    (unknown or ambiguous statement, is_gold contradicting the statement, a worker already in the
    batch); nothing is written then. Queues a full recompute of the batch on commit.
    """
    from ..tasks import batch_recompute_task

    fields = {f.slug: f for f in batch.fields.all()}
    statements, ambiguous = _statement_lookup(batch)
    errors: list[RowError] = []
    for row in rows:
        statement = statements.get(row.statement_id)
        if row.statement_id in ambiguous:
            errors.append(RowError(row.row, "statement_id", "matches statements of two datasets"))
        elif statement is None:
            errors.append(
                RowError(row.row, "statement_id", f"{row.statement_id!r} is not a known statement")
            )
        elif row.is_gold is not None and row.is_gold != statement.is_gold:
            errors.append(
                RowError(
                    row.row,
                    "is_gold",
                    f"{row.statement_id!r} is {'' if statement.is_gold else 'not '}a gold statement",
                )
            )
    by_worker: dict[str, list[JudgmentRow]] = defaultdict(list)
    for row in rows:
        by_worker[row.worker_id].append(row)
    taken = set(
        Assignment.objects.filter(
            batch=batch,
            worker__platform=Worker.Platform.IMPORTED,
            worker__platform_id__in=list(by_worker),
        ).values_list("worker__platform_id", flat=True)
    )
    for worker_id in sorted(taken):
        first = by_worker[worker_id][0]
        errors.append(
            RowError(first.row, "worker_id", f"{worker_id!r} already has an assignment here")
        )
    if errors:
        raise ValidationError([str(e) for e in sorted(errors, key=lambda e: (e.row, e.column))])

    now = timezone.now()
    summary = JudgmentImportSummary()
    values = []
    for worker_id, worker_rows in by_worker.items():
        worker, _ = Worker.objects.get_or_create(
            platform=Worker.Platform.IMPORTED, platform_id=worker_id
        )
        assignment = Assignment(
            batch=batch,
            worker=worker,
            status=Assignment.Status.COMPLETED,
            completed_at=now,
            is_imported=True,
        )
        assignment.full_clean(exclude=["design"])
        assignment.save()
        summary.workers += 1
        summary.assignment_ids.append(assignment.pk)
        tries = sorted({row.try_number for row in worker_rows})
        for number in tries:
            attempt = Attempt.objects.create(
                assignment=assignment,
                number=number,
                status=Attempt.Status.PASSED if number == tries[-1] else Attempt.Status.FAILED,
            )
            summary.attempts += 1
            for row in (r for r in worker_rows if r.try_number == number):
                judgment = Judgment(
                    attempt=attempt,
                    statement=statements[row.statement_id],
                    position=row.position,
                    evidence_url=row.url,
                    justification=row.justification,
                    time_on_page_s=row.time_s,
                    is_imported=True,
                )
                judgment.full_clean(exclude=["attempt", "statement"])
                judgment.save()
                summary.judgments += 1
                values += [
                    JudgmentValue(judgment=judgment, field=fields[slug], value=value)
                    for slug, value in row.values.items()
                ]
    JudgmentValue.objects.bulk_create(values, batch_size=5000)
    summary.values = len(values)
    batch_recompute_task.delay_on_commit(batch.pk)
    return summary
