"""Dashboard writes: count a batch's progress, funnel, workers and searches into stored rows."""

import time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from .. import dashboard
from ..models import (
    Assignment,
    Attempt,
    Batch,
    DashboardSnapshot,
    EntryVisit,
    Judgment,
    JudgmentValue,
    PageServe,
    Questionnaire,
    QuestionnaireAnswer,
    StatementAggregate,
    Worker,
    WorkerSummary,
)
from ..selectors.analysis import analysis_fields
from ..selectors.batches import batch_list_for_user

PASSED = Attempt.Status.PASSED


def _progress(batch: Batch, now) -> dict:
    pool = (
        batch.statements.filter(is_gold=False)
        .values("dataset__name", "expert_level__ordinal", "expert_level__label")
        .annotate(n=Count("id"))
        .order_by("dataset__name", "expert_level__ordinal")
    )
    collected = {
        (row["statement__dataset__name"], row["statement__expert_level__label"]): row["n"]
        for row in Judgment.objects.filter(
            attempt__assignment__batch=batch, attempt__status=PASSED, statement__is_gold=False
        )
        .values("statement__dataset__name", "statement__expert_level__label")
        .annotate(n=Count("id"))
        .order_by()
    }
    by_level = []
    for row in pool:
        key = (row["dataset__name"], row["expert_level__label"])
        by_level.append(
            {
                "dataset": key[0],
                "level": key[1] or "unlabelled",
                "collected": collected.pop(key, 0),
                "wanted": row["n"] * batch.judgments_per_statement,
            }
        )
    # Judgments of statements since removed from the pool still count as collected.
    for (dataset_name, label), n in collected.items():
        by_level.append(
            {"dataset": dataset_name, "level": label or "unlabelled", "collected": n, "wanted": 0}
        )
    statuses = dict(
        Assignment.objects.filter(batch=batch)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    wanted = sum(r["wanted"] for r in by_level)
    hits = dashboard.hits_wanted(
        design_capacity=batch.designs.aggregate(c=Sum("capacity"))["c"] or 0,
        wanted=wanted,
        statements_per_hit=batch.statements_per_hit,
        gold_per_hit=batch.gold_statements.count(),
    )
    return {
        "by_level": by_level,
        "active_leases": Assignment.objects.filter(
            batch=batch, status=Assignment.Status.ACTIVE, lease_expires_at__gt=now
        ).count(),
        "assignments": statuses,
        "numbers": dashboard.progress_numbers(
            collected=sum(r["collected"] for r in by_level),
            wanted=wanted,
            hits_completed=statuses.get(Assignment.Status.COMPLETED, 0),
            hits_wanted=hits,
            reward_cents=batch.reward_cents,
        ),
        "reward_cents": batch.reward_cents,
        "currency": batch.currency,
    }


def _funnel(batch: Batch, statuses: dict) -> dict:
    first_serves = PageServe.objects.filter(attempt__assignment__batch=batch, attempt__number=1)
    n_questionnaires = Questionnaire.objects.filter(batch=batch).count()
    finished_questionnaires = (
        first_serves.filter(page__startswith="q-", completed_at__isnull=False)
        .values("attempt")
        .annotate(n=Count("id"))
        .filter(n__gte=n_questionnaires)
        .count()
        if n_questionnaires
        else None
    )
    attempts = Attempt.objects.filter(assignment__batch=batch)
    passed_by_try = dict(
        attempts.filter(status=PASSED).values_list("number").annotate(n=Count("id")).order_by()
    )
    failed_by_gate = dashboard.gate_failures(
        attempts.filter(status=Attempt.Status.FAILED).values_list("gate_results", flat=True)
    )
    submitted = attempts.filter(submitted_at__isnull=False).values("assignment").distinct().count()
    durations = (
        (page, (done - served).total_seconds())
        for page, served, done in PageServe.objects.filter(
            attempt__assignment__batch=batch, completed_at__isnull=False
        )
        .values_list("page", "first_served_at", "completed_at")
        .iterator(chunk_size=5000)
    )
    started = sum(statuses.values())
    visits = dict(
        EntryVisit.objects.filter(batch=batch)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    steps = dashboard.funnel_steps(
        previewed=visits.get(EntryVisit.Kind.PREVIEW, 0),
        entered=visits.get(EntryVisit.Kind.ENTRY, 0),
        started=started,
        read_instructions=first_serves.filter(
            page="instructions", completed_at__isnull=False
        ).count(),
        finished_questionnaires=started
        if finished_questionnaires is None
        else finished_questionnaires,
        submitted=submitted,
        passed_by_try=passed_by_try,
        failed_by_gate=failed_by_gate,
        excluded=statuses.get(Assignment.Status.FAILED, 0),
        abandoned=statuses.get(Assignment.Status.EXPIRED, 0)
        + statuses.get(Assignment.Status.RETURNED, 0),
        active=statuses.get(Assignment.Status.ACTIVE, 0),
    )
    return {"steps": steps, "median_times": dashboard.median_times(durations)}


def _search(batch: Batch) -> dict:
    # The search app is read here only, through its models; assessments never writes to it.
    from search.models import SearchQuery

    queries = SearchQuery.objects.filter(assignment__batch=batch)
    totals = queries.aggregate(
        queries=Count("id"),
        queries_with_blocked=Count("id", filter=Q(blocked_count__gt=0)),
        results_hidden=Sum("blocked_count"),
        results_withheld=Sum("withheld_count"),
        failed=Count("id", filter=Q(status=SearchQuery.Status.FAILED)),
    )
    per_pair = (
        queries.filter(page=1)
        .values("assignment", "statement")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    judgments = Judgment.objects.filter(attempt__assignment__batch=batch, attempt__status=PASSED)
    judged_pairs = judgments.values("attempt__assignment", "statement").distinct().count()
    urls = judgments.exclude(evidence_url="").values_list("evidence_url", flat=True)
    no_evidence = (
        judgments.filter(statement__is_gold=False)
        .values("statement__external_id")
        .annotate(missing=Count("id", filter=Q(evidence_url="")), n=Count("id"))
        .filter(missing__gt=0)
        .order_by("-missing", "statement__external_id")[:25]
    )
    return {
        "queries_per_statement": dashboard.queries_histogram(per_pair.iterator(), judged_pairs),
        "blocked": {k: v or 0 for k, v in totals.items()},
        "top_domains": dashboard.top_domains(urls.iterator(chunk_size=5000)),
        "no_evidence": [[r["statement__external_id"], r["missing"], r["n"]] for r in no_evidence],
    }


def _worker_rows(batch: Batch) -> list[WorkerSummary]:
    _, _, truth = analysis_fields(batch=batch)
    truth_field = batch.fields.filter(slug=truth.slug).first() if truth else None
    assignments = (
        Assignment.objects.filter(batch=batch)
        .annotate(
            tries=Count("attempts", distinct=True),
            last_submit=Max("attempts__submitted_at"),
        )
        .values_list(
            "worker_id",
            "worker__platform",
            "worker__platform_id",
            "worker__is_blocked",
            "status",
            "tries",
            "started_at",
            "completed_at",
            "last_submit",
        )
    )
    gold, crowd_distance = {}, {}
    if truth_field is not None:
        values = JudgmentValue.objects.filter(
            field=truth_field, judgment__attempt__assignment__batch=batch
        )
        gold = dashboard.worker_gold_accuracy(
            values.filter(judgment__statement__is_gold=True)
            .values_list(
                "judgment__attempt__assignment__worker_id",
                "judgment__statement__gold_truth",
                "value",
            )
            .iterator(chunk_size=5000),
            truth.midpoint,
        )
        crowd = dict(
            StatementAggregate.objects.filter(batch=batch, field=truth_field).values_list(
                "statement_id", "mean"
            )
        )
        crowd_distance = dashboard.worker_crowd_distance(
            values.filter(judgment__attempt__status=PASSED, judgment__statement__is_gold=False)
            .values_list(
                "judgment__attempt__assignment__worker_id", "judgment__statement_id", "value"
            )
            .iterator(chunk_size=5000),
            crowd,
        )
    counts = dict(
        Judgment.objects.filter(attempt__assignment__batch=batch, attempt__status=PASSED)
        .values_list("attempt__assignment__worker_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    crt = QuestionnaireAnswer.objects.filter(
        attempt__assignment__batch=batch, question__questionnaire__kind=Questionnaire.Kind.CRT
    )
    crt_correct = dict(
        crt.filter(is_correct=True)
        .values_list("attempt__assignment__worker_id")
        .annotate(n=Count("question", distinct=True))
        .order_by()
    )
    crt_total = (
        Questionnaire.objects.filter(batch=batch, kind=Questionnaire.Kind.CRT)
        .aggregate(n=Count("questions"))
        .get("n")
        or 0
    )
    answered_crt = set(
        crt.values_list("attempt__assignment__worker_id", flat=True).distinct().order_by()
    )
    blocklist = set(batch.worker_blocklist or [])
    rows = []
    for (
        worker_id,
        platform,
        platform_id,
        globally_blocked,
        status,
        tries,
        started,
        completed,
        last_submit,
    ) in assignments.iterator(chunk_size=5000):
        end = completed or last_submit
        accuracy = gold.get(worker_id)
        distance = crowd_distance.get(worker_id)
        rows.append(
            WorkerSummary(
                batch=batch,
                worker_id=worker_id,
                pseudonym=dashboard.pseudonym(platform, platform_id, settings.WORKER_ID_SALT),
                platform=platform,
                status=status,
                tries=tries,
                time_s=round((end - started).total_seconds(), 1) if end else None,
                gold_accuracy=round(accuracy[0], 3) if accuracy else None,
                gold_n=accuracy[1] if accuracy else 0,
                crt_correct=crt_correct.get(worker_id, 0) if worker_id in answered_crt else None,
                crt_total=crt_total,
                crowd_mae=round(distance[0], 3) if distance else None,
                n_judgments=counts.get(worker_id, 0),
                is_blocked=globally_blocked or platform_id in blocklist,
            )
        )
    return rows


@transaction.atomic
def dashboard_snapshot_refresh(*, batch: Batch) -> DashboardSnapshot:
    """Count the batch's progress, funnel, searches and per-worker figures and store them.

    Idempotent: it replaces the batch's snapshot and worker rows. Reads the analysis results
    (crowd means) as they are stored; it does not recompute them.
    """
    started = time.perf_counter()
    now = timezone.now()
    progress = _progress(batch, now)
    funnel = _funnel(batch, progress["assignments"])
    search = _search(batch)
    rows = _worker_rows(batch)
    WorkerSummary.objects.filter(batch=batch).delete()
    WorkerSummary.objects.bulk_create(rows, batch_size=5000)
    snapshot, _ = DashboardSnapshot.objects.update_or_create(
        batch=batch,
        defaults={
            "computed_at": now,
            "progress": progress,
            "funnel": funnel,
            "search": search,
            "duration_s": time.perf_counter() - started,
        },
    )
    return snapshot


@transaction.atomic
def batch_worker_block_set(*, user, batch: Batch, worker: Worker, blocked: bool) -> Batch:
    """Add `worker` to (or remove them from) the batch's blocklist.

    Raises PermissionDenied unless `user` may see the batch, and ValidationError when the
    worker never took part in it.
    """
    if not batch_list_for_user(user).filter(pk=batch.pk).exists():
        raise PermissionDenied("You cannot change this batch.")
    if not Assignment.objects.filter(batch=batch, worker=worker).exists():
        raise ValidationError("This worker has not taken part in this batch.")
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    blocklist = [w for w in (locked.worker_blocklist or []) if w != worker.platform_id]
    if blocked:
        blocklist.append(worker.platform_id)
    locked.worker_blocklist = blocklist
    locked.full_clean()
    locked.save(update_fields=["worker_blocklist", "updated_at"])
    WorkerSummary.objects.filter(batch=locked, worker=worker).update(
        is_blocked=blocked or worker.is_blocked
    )
    return locked
