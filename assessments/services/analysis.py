"""Analysis writes: full batch recompute, per-assignment update, results upserted idempotently."""

import io
import time

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from .. import aggregation
from ..models import (
    AgreementResult,
    Assignment,
    AssignmentAggregation,
    Batch,
    BatchAnalysis,
    CrowdExpertResult,
    Judgment,
    StatementAggregate,
)
from ..models.analysis import default_analysis_options
from ..selectors import analysis as selectors

AGGREGATE_COLUMNS = ("n", "mean", "median", "sd", "histogram", "majority", "weighted_mean")
LATENT_COLUMNS = ("dawid_skene", "glad", "mace")


def analysis_options(*, analysis: BatchAnalysis) -> tuple[aggregation.Options, list[str]]:
    """Return the validated options of `analysis` and the attempt statuses to include.

    Raises ValidationError naming every bad option.
    """
    raw = default_analysis_options() | (analysis.options or {})
    errors = []
    statuses = raw.get("attempt_statuses")
    if not isinstance(statuses, list) or not statuses:
        errors.append("attempt_statuses must be a non-empty list of attempt statuses")
    methods = raw.get("latent_methods")
    if not isinstance(methods, list) or set(methods) - set(aggregation.LATENT_METHODS):
        errors.append(f"latent_methods must be a list drawn from {aggregation.LATENT_METHODS}")
    for key in ("bootstrap_samples", "seed", "folds", "prediction_max_statements"):
        if not isinstance(raw.get(key), int) or raw[key] < 0:
            errors.append(f"{key} must be a non-negative integer")
    for key in ("include_gold", "prediction"):
        if not isinstance(raw.get(key), bool):
            errors.append(f"{key} must be true or false")
    if errors:
        raise ValidationError({"options": errors})
    options = aggregation.Options(
        include_gold=raw["include_gold"],
        bootstrap_samples=raw["bootstrap_samples"],
        seed=raw["seed"],
        latent_methods=tuple(methods),
        folds=raw["folds"],
        prediction=raw["prediction"],
        prediction_max_statements=raw["prediction_max_statements"],
    )
    return options, statuses


def _locked_analysis(batch: Batch) -> BatchAnalysis:
    # get_or_create then lock: two runs at once serialise on this row (SQLite serialises writers
    # itself), so neither sees the other's half-written results.
    BatchAnalysis.objects.get_or_create(batch=batch)
    return BatchAnalysis.objects.select_for_update().get(batch=batch)


@transaction.atomic
def batch_recompute(*, batch: Batch) -> BatchAnalysis:
    """Recompute every stored result of `batch` from its judgments and replace the old ones.

    Idempotent: the same judgments give the same rows. Holds a lock on the batch's analysis row
    for the whole run, so concurrent runs (and per-assignment updates) wait rather than interleave.
    """
    started = time.perf_counter()
    analysis = _locked_analysis(batch)
    options, statuses = analysis_options(analysis=analysis)
    fields, specs, truth = selectors.analysis_fields(batch=batch)
    frame = selectors.judgment_frame(batch=batch, fields=fields, attempt_statuses=statuses)
    statements = selectors.statement_frame(statement_ids=selectors.batch_statement_ids(batch=batch))
    result = (
        aggregation.analyse(frame, statements, specs, truth, options)
        if specs
        else aggregation.Analysis(per_statement=pd.DataFrame())
    )
    field_ids = {f.slug: f.pk for f in fields}

    StatementAggregate.objects.filter(batch=batch).delete()
    _aggregates_insert(batch, result.per_statement, field_ids)
    AgreementResult.objects.filter(batch=batch).delete()
    AgreementResult.objects.bulk_create(
        AgreementResult(
            batch=batch,
            dataset=dataset,
            field_id=field_ids[slug],
            alpha_interval=entry["interval"],
            alpha_ordinal=entry["ordinal"],
            interval_ci_low=(entry["interval_ci95"] or [None, None])[0],
            interval_ci_high=(entry["interval_ci95"] or [None, None])[1],
            ordinal_ci_low=(entry["ordinal_ci95"] or [None, None])[0],
            ordinal_ci_high=(entry["ordinal_ci95"] or [None, None])[1],
            n_statements=entry["n_statements"],
            n_judgments=entry["n_judgments"],
        )
        for dataset, by_field in result.agreement.items()
        for slug, entry in by_field.items()
    )
    CrowdExpertResult.objects.filter(batch=batch).delete()
    CrowdExpertResult.objects.bulk_create(
        CrowdExpertResult(
            batch=batch,
            dataset=dataset,
            aggregation=name,
            field_id=field_ids[slug],
            n=entry["n"],
            **{
                key: entry[key]
                for key in (
                    "pearson",
                    "pearson_p",
                    "spearman",
                    "spearman_p",
                    "kendall",
                    "kendall_p",
                    "accuracy",
                )
            },
            by_level=entry.get("by_level") or {},
        )
        for dataset, by_aggregation in result.crowd_vs_expert.items()
        for name, by_field in by_aggregation.items()
        for slug, entry in by_field.items()
    )
    now = timezone.now()
    included = frame["assignment"].unique().tolist() if len(frame) else []
    _assignments_mark(included, now)
    analysis.is_stale = False
    analysis.computed_at = now
    analysis.n_judgments = result.n_judgments
    analysis.n_statements = (
        int(result.per_statement["statement"].nunique()) if len(result.per_statement) else 0
    )
    analysis.field_correlations = result.field_correlations
    analysis.by_position = {str(k): v for k, v in result.by_position.items()}
    analysis.prediction = result.prediction
    analysis.duration_s = time.perf_counter() - started
    analysis.full_clean()
    analysis.save()
    return analysis


@transaction.atomic
def assignment_aggregate(*, assignment: Assignment) -> list[int]:
    """Update the aggregates of the statements `assignment` judged; return their ids.

    Each touched statement is recomputed from all its included judgments, so the rows equal a
    full recompute's (latent-truth columns excepted: those are batch-wide models and wait for the
    next recompute, which the stale flag asks the reconciler for). Idempotent.
    """
    batch = assignment.batch
    analysis = _locked_analysis(batch)
    options, statuses = analysis_options(analysis=analysis)
    fields, specs, truth = selectors.analysis_fields(batch=batch)
    touched = sorted(
        set(
            Judgment.objects.filter(attempt__assignment=assignment).values_list(
                "statement_id", flat=True
            )
        )
    )
    frame = selectors.judgment_frame(
        batch=batch, fields=fields, attempt_statuses=statuses, statement_ids=touched
    )
    # A worker's weight comes from their gold judgments, which sit in their own assignment.
    workers = frame["worker"].unique().tolist()
    worker_frame = selectors.judgment_frame(
        batch=batch, fields=fields, attempt_statuses=statuses, worker_ids=workers
    )
    statements = selectors.statement_frame(
        statement_ids=set(touched) | set(worker_frame["statement"].tolist())
    )
    weights = aggregation.gold_weights(worker_frame, statements, truth) if specs else None
    if not options.include_gold:
        frame = frame[~frame["statement"].map(statements["is_gold"]).astype(bool)]
    per_statement = (
        aggregation.statement_aggregates(frame, specs, weights)
        if specs and len(frame)
        else pd.DataFrame(columns=["statement", "field"])
    )
    field_ids = {f.slug: f.pk for f in fields}
    rows = [_aggregate_row(batch, record, field_ids) for record in _records(per_statement)]
    StatementAggregate.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["batch", "statement", "field"],
        update_fields=[*AGGREGATE_COLUMNS, "updated_at"],
    )
    keep = {(row.statement_id, row.field_id) for row in rows}
    stale_ids = [
        pk
        for pk, statement_id, field_id in StatementAggregate.objects.filter(
            batch=batch, statement_id__in=touched
        ).values_list("pk", "statement_id", "field_id")
        if (statement_id, field_id) not in keep
    ]
    StatementAggregate.objects.filter(pk__in=stale_ids).delete()
    _assignments_mark([assignment.pk], timezone.now())
    BatchAnalysis.objects.filter(pk=analysis.pk).update(is_stale=True)
    return touched


def _assignments_mark(assignment_ids: list[int], now) -> None:
    AssignmentAggregation.objects.bulk_create(
        [AssignmentAggregation(assignment_id=pk, aggregated_at=now) for pk in assignment_ids],
        update_conflicts=True,
        unique_fields=["assignment"],
        update_fields=["aggregated_at"],
        batch_size=5000,
    )


def _records(per_statement: pd.DataFrame):
    columns = ["statement", "field", *AGGREGATE_COLUMNS]
    columns += [c for c in LATENT_COLUMNS if c in per_statement.columns]
    return per_statement[columns].to_dict("records")


def _optional(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _aggregate_row(batch, record, field_ids) -> StatementAggregate:
    return StatementAggregate(
        batch=batch,
        statement_id=int(record["statement"]),
        field_id=field_ids[record["field"]],
        n=int(record["n"]),
        mean=float(record["mean"]),
        median=float(record["median"]),
        sd=_optional(float(record["sd"])),
        histogram=[int(c) for c in record["histogram"]],
        majority=float(record["majority"]),
        weighted_mean=float(record["weighted_mean"]),
        **{c: _optional(record.get(c)) for c in LATENT_COLUMNS},
    )


def _aggregates_insert(batch: Batch, per_statement: pd.DataFrame, field_ids: dict) -> None:
    if per_statement.empty:
        return
    if connection.vendor != "postgresql":
        StatementAggregate.objects.bulk_create(
            (_aggregate_row(batch, r, field_ids) for r in _records(per_statement)),
            batch_size=2000,
        )
        return
    # COPY: a million-judgment batch has ~900k aggregate rows, which ORM inserts take minutes for.
    histograms = np.vstack(per_statement["histogram"].to_list())
    histogram_text = "[" + pd.Series(histograms[:, 0]).astype(str)
    for column in range(1, histograms.shape[1] if histograms.ndim == 2 else 0):
        histogram_text += "," + pd.Series(histograms[:, column]).astype(str)
    table = pd.DataFrame(
        {
            "batch_id": batch.pk,
            "statement_id": per_statement["statement"].to_numpy(),
            "field_id": per_statement["field"].map(field_ids).to_numpy(),
            "n": per_statement["n"].to_numpy(),
            "mean": per_statement["mean"].to_numpy(),
            "median": per_statement["median"].to_numpy(),
            "sd": per_statement["sd"].to_numpy(),
            "histogram": (histogram_text + "]").to_numpy(),
            "majority": per_statement["majority"].to_numpy(),
            "weighted_mean": per_statement["weighted_mean"].to_numpy(),
            **{
                c: per_statement[c].to_numpy() if c in per_statement else np.nan
                for c in LATENT_COLUMNS
            },
            "updated_at": timezone.now().isoformat(),
        }
    )
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, header=False, na_rep="", float_format="%.17g")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {StatementAggregate._meta.db_table} ({', '.join(table.columns)}) "
            "FROM STDIN WITH (FORMAT csv)",
            buffer,
        )
