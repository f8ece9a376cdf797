"""Dashboard reads: stored analysis results and snapshots shaped into charts (no recomputation)."""

from django.db.models import QuerySet

from .. import dashboard
from ..models import (
    AgreementResult,
    Batch,
    BatchAnalysis,
    CrowdExpertResult,
    DashboardSnapshot,
    ExpertLevel,
    WorkerSummary,
)

SECTIONS = (
    ("progress", "Progress"),
    ("funnel", "Quality funnel"),
    ("crowd", "Crowd vs expert"),
    ("agreement", "Agreement"),
    ("structure", "Dimension structure"),
    ("learning", "Learning effect"),
    ("search", "Search behaviour"),
)
WORKER_SORTS = {key for key, _ in dashboard.WORKER_COLUMNS}


def _field_order(batch: Batch) -> list[str]:
    return list(batch.fields.order_by("position").values_list("slug", flat=True))


def _level_labels(datasets) -> dict[str, list[str]]:
    labels: dict[str, list[str]] = {}
    for name, label in (
        ExpertLevel.objects.filter(dataset__name__in=datasets)
        .order_by("dataset__name", "ordinal")
        .values_list("dataset__name", "label")
    ):
        labels.setdefault(name, []).append(label)
    return labels


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def dashboard_snapshot_get(*, batch: Batch) -> DashboardSnapshot | None:
    """Return the batch's stored dashboard snapshot, or None before the first refresh."""
    return DashboardSnapshot.objects.filter(batch=batch).first()


def dashboard_progress(*, batch: Batch) -> dict:
    """Return the progress section alone (what the page polls while the batch is live)."""
    snapshot = dashboard_snapshot_get(batch=batch)
    progress = snapshot.progress if snapshot else {}
    return {
        "computed_at": snapshot.computed_at if snapshot else None,
        "numbers": progress.get("numbers", {}),
        "active_leases": progress.get("active_leases", 0),
        "currency": progress.get("currency", batch.currency),
        "cost_so_far": _money(progress.get("numbers", {}).get("cost_so_far_cents", 0)),
        "cost_to_completion": _money(
            progress.get("numbers", {}).get("cost_to_completion_cents", 0)
        ),
        "charts": [dashboard.progress_chart(progress)],
    }


def dashboard_sections(*, batch: Batch) -> dict:
    """Return every chart of the dashboard, grouped by section, from stored results only.

    A handful of small queries: the snapshot, the batch analysis row, the alpha and
    crowd-vs-expert rows (a few hundred at most) and the expert level labels.
    """
    snapshot = dashboard_snapshot_get(batch=batch)
    analysis = BatchAnalysis.objects.filter(batch=batch).first()
    fields = _field_order(batch)
    crowd_rows = [
        {
            "dataset": r.dataset,
            "aggregation": r.aggregation,
            "field": slug,
            "n": r.n,
            "pearson": r.pearson,
            "pearson_p": r.pearson_p,
            "spearman": r.spearman,
            "spearman_p": r.spearman_p,
            "kendall": r.kendall,
            "kendall_p": r.kendall_p,
            "accuracy": r.accuracy,
            "by_level": r.by_level,
        }
        for r, slug in (
            (row, row.field.slug)
            for row in CrowdExpertResult.objects.filter(batch=batch)
            .select_related("field")
            .order_by("dataset", "aggregation", "field__position")
        )
    ]
    agreement_rows = [
        {
            "dataset": r.dataset,
            "field": r.field.slug,
            "alpha_interval": r.alpha_interval,
            "alpha_ordinal": r.alpha_ordinal,
            "interval_ci_low": r.interval_ci_low,
            "interval_ci_high": r.interval_ci_high,
            "ordinal_ci_low": r.ordinal_ci_low,
            "ordinal_ci_high": r.ordinal_ci_high,
            "n_statements": r.n_statements,
            "n_judgments": r.n_judgments,
        }
        for r in AgreementResult.objects.filter(batch=batch).select_related("field")
    ]
    correlations = analysis.field_correlations if analysis else {}
    labels = _level_labels({r["dataset"] for r in crowd_rows})
    progress = dashboard_progress(batch=batch)
    return {
        "snapshot": snapshot,
        "analysis": analysis,
        "progress": progress,
        "sections": [
            ("progress", "Progress", progress["charts"]),
            (
                "funnel",
                "Quality funnel",
                [
                    dashboard.funnel_chart(snapshot.funnel if snapshot else {}),
                    dashboard.step_times_chart(snapshot.funnel if snapshot else {}),
                ],
            ),
            (
                "crowd",
                "Crowd vs expert",
                [
                    dashboard.crowd_expert_boxes([r for r in crowd_rows if r["by_level"]], labels),
                    dashboard.correlation_table(crowd_rows),
                ],
            ),
            ("agreement", "Agreement", [dashboard.agreement_chart(agreement_rows, fields)]),
            (
                "structure",
                "Dimension structure",
                [
                    dashboard.heatmap_chart(
                        correlations.get("pearson") or {},
                        fields,
                        title="Correlations between fields (judgments, Pearson)",
                        chart_id="field-correlations",
                    ),
                    dashboard.pca_chart(correlations.get("pca")),
                ],
            ),
            (
                "learning",
                "Learning effect",
                [dashboard.learning_chart(analysis.by_position if analysis else {})],
            ),
            (
                "search",
                "Search behaviour",
                dashboard.search_charts(snapshot.search if snapshot else {}),
            ),
        ],
    }


def dashboard_chart(*, batch: Batch, chart_id: str) -> dashboard.Chart | None:
    """Return one chart of the dashboard by id (for its CSV), or None if there is no such chart."""
    for _, _, charts in dashboard_sections(batch=batch)["sections"]:
        for chart in charts:
            if chart.id == chart_id:
                return chart
    return None


def worker_summary_list(*, batch: Batch, sort: str = "pseudonym") -> QuerySet[WorkerSummary]:
    """Return the batch's worker rows sorted by a WORKER_COLUMNS key ("-key" for descending)."""
    key = sort.removeprefix("-")
    if key not in WORKER_SORTS:
        sort, key = "pseudonym", "pseudonym"
    ordering = [f"-{key}" if sort.startswith("-") else key]
    if key != "pseudonym":
        ordering.append("pseudonym")
    return WorkerSummary.objects.filter(batch=batch).order_by(*ordering)
