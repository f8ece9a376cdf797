"""Analysis reads: the batch's fields as the analysis sees them, and the stored results.

Light on purpose: web processes import it; the pandas frames live in analysis_frames.
"""

from django.db.models import F, Q, QuerySet

from .. import scales
from ..field_specs import FieldSpec
from ..models import (
    AgreementResult,
    AnswerField,
    Assignment,
    Batch,
    BatchAnalysis,
    CrowdExpertResult,
    Judgment,
    StatementAggregate,
)

TRUTH_FIELD_SLUG = "overall-truthfulness"


def analysis_fields(*, batch: Batch) -> tuple[list[AnswerField], list[FieldSpec], FieldSpec]:
    """Return the batch's fields, their specs and the truth field's spec.

    The truth field is the gold-check field, else `overall-truthfulness`, else the first field.
    """
    fields = list(batch.fields.order_by("position"))
    specs = [
        FieldSpec(
            slug=f.slug, domain=tuple(scales.scale_values(f.scale)), measurement=f.measurement
        )
        for f in fields
    ]
    by_slug = {spec.slug: spec for spec in specs}
    gold = [f.slug for f in fields if f.is_gold_field]
    truth = by_slug[gold[0]] if gold else by_slug.get(TRUTH_FIELD_SLUG, specs[0] if specs else None)
    return fields, specs, truth


def batch_statement_ids(*, batch: Batch) -> QuerySet:
    """Return (as a subquery) the ids of statements judged in the batch."""
    return Judgment.objects.filter(attempt__assignment__batch=batch).values("statement_id")


def analysis_pending(*, limit: int = 500) -> tuple[list[int], list[int]]:
    """Return completed assignments not (or no longer) aggregated, and batches with stale results.

    The reconciler uses this to catch up on work whose task never ran, e.g. HITs that completed
    while Redis was down.
    """
    assignments = list(
        Assignment.objects.filter(status=Assignment.Status.COMPLETED)
        .filter(Q(aggregation__isnull=True) | Q(aggregation__aggregated_at__lt=F("completed_at")))
        .order_by("completed_at")
        .values_list("id", flat=True)[:limit]
    )
    batches = list(BatchAnalysis.objects.filter(is_stale=True).values_list("batch_id", flat=True))
    return assignments, batches


def statement_aggregate_list(*, batch: Batch) -> QuerySet[StatementAggregate]:
    """Return the batch's per statement x field aggregates with statement and field joined."""
    return (
        StatementAggregate.objects.filter(batch=batch)
        .select_related("statement", "field")
        .order_by("statement__external_id", "field__position")
    )


def agreement_list(*, batch: Batch) -> QuerySet[AgreementResult]:
    """Return the batch's alpha results with their fields joined."""
    return AgreementResult.objects.filter(batch=batch).select_related("field")


def crowd_expert_list(*, batch: Batch) -> QuerySet[CrowdExpertResult]:
    """Return the batch's crowd-vs-expert results with their fields joined."""
    return CrowdExpertResult.objects.filter(batch=batch).select_related("field")


def analysis_report(*, batch: Batch) -> dict:
    """Return the stored results as plain data (the JSON of `analysis_report --json`).

    Reads only stored tables; nothing is recomputed. Batches never analysed give empty sections.
    """
    analysis = BatchAnalysis.objects.filter(batch=batch).first()
    agreement: dict = {}
    for row in agreement_list(batch=batch):
        agreement.setdefault(row.dataset, {})[row.field.slug] = {
            "interval": row.alpha_interval,
            "ordinal": row.alpha_ordinal,
            "interval_ci95": _pair(row.interval_ci_low, row.interval_ci_high),
            "ordinal_ci95": _pair(row.ordinal_ci_low, row.ordinal_ci_high),
            "n_statements": row.n_statements,
            "n_judgments": row.n_judgments,
        }
        if row.phi is not None:
            agreement[row.dataset][row.field.slug] |= {
                "phi": row.phi,
                "phi_hdi95": _pair(row.phi_hdi_low, row.phi_hdi_high),
                "phi_r_hat": row.phi_r_hat,
            }
    crowd_vs_expert: dict = {}
    for row in crowd_expert_list(batch=batch):
        crowd_vs_expert.setdefault(row.dataset, {}).setdefault(row.aggregation, {})[
            row.field.slug
        ] = {
            "pearson": row.pearson,
            "spearman": row.spearman,
            "kendall": row.kendall,
            "n": row.n,
            "pearson_p": row.pearson_p,
            "spearman_p": row.spearman_p,
            "kendall_p": row.kendall_p,
            "accuracy": row.accuracy,
            "by_level": row.by_level,
        }
    per_statement: dict = {}
    for row in statement_aggregate_list(batch=batch):
        per_statement.setdefault(row.statement.external_id, {})[row.field.slug] = {
            "n": row.n,
            "mean": row.mean,
            "median": row.median,
            "sd": row.sd,
            "majority": row.majority,
            "histogram": row.histogram,
            "weighted_mean": row.weighted_mean,
            "dawid_skene": row.dawid_skene,
            "glad": row.glad,
            "mace": row.mace,
        }
    return {
        "batch": batch.slug,
        "n_judgments": analysis.n_judgments if analysis else 0,
        "agreement": agreement,
        "crowd_vs_expert": crowd_vs_expert,
        "per_statement": per_statement,
        "field_correlations": analysis.field_correlations if analysis else {},
        "by_position": analysis.by_position if analysis else {},
        "prediction": analysis.prediction if analysis else {},
        "computed_at": analysis.computed_at.isoformat()
        if analysis and analysis.computed_at
        else None,
        "is_stale": analysis.is_stale if analysis else True,
    }


def _pair(low, high):
    return None if low is None or high is None else [low, high]
