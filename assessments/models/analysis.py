"""Stored analysis results: what the dashboard and API read without recomputing."""

from django.db import models

from .batches import AnswerField, Batch
from .statements import Statement
from .work import Assignment


def default_analysis_options() -> dict:
    # The study's choices: gold statements and unpassed attempts are left out; 1,000 bootstrap
    # replicates with a fixed seed so the intervals are reproducible.
    return {
        "include_gold": False,
        "attempt_statuses": ["passed"],
        "bootstrap_samples": 1000,
        "seed": 0,
        "latent_methods": ["dawid_skene", "glad"],
        "folds": 5,
        "prediction": True,
        "prediction_max_statements": 5000,
        "latent_max_judgments": 100_000,
        "phi": False,
        "phi_draws": 1000,
        "phi_max_judgments": 5000,
    }


class BatchAnalysis(models.Model):
    """A batch's batch-level results and the options they were computed with.

    `is_stale` is set when an assignment's statements were updated incrementally and the
    batch-level results (agreement, correlations, latent truth...) wait for the next recompute.
    """

    batch = models.OneToOneField(Batch, on_delete=models.CASCADE, related_name="analysis")
    options = models.JSONField(default=default_analysis_options, blank=True)
    is_stale = models.BooleanField(default=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    n_judgments = models.PositiveIntegerField(default=0)
    n_statements = models.PositiveIntegerField(default=0)
    field_correlations = models.JSONField(default=dict, blank=True)
    by_position = models.JSONField(default=dict, blank=True)
    prediction = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "batch analyses"

    def __str__(self):
        return f"analysis of {self.batch.slug}"


class StatementAggregate(models.Model):
    """One statement's crowd label on one field: descriptive statistics and truth estimates."""

    # Derived rows, rewritten ~900k at a time by the full recompute from existing statements and
    # fields. PostgreSQL checks a foreign-key constraint row by row (three lookups per row, ~20 s
    # at that size, more than the whole analysis), so the keys carry no database constraint;
    # Django's on_delete still removes the rows with their batch, statement or field. batch and
    # field need no index of their own: the unique (batch, statement, field) index serves batch
    # filters, and deleting a field is rare enough for a scan.
    batch = models.ForeignKey(
        Batch,
        on_delete=models.CASCADE,
        related_name="statement_aggregates",
        db_constraint=False,
        db_index=False,
    )
    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="aggregates", db_constraint=False
    )
    field = models.ForeignKey(
        AnswerField,
        on_delete=models.CASCADE,
        related_name="aggregates",
        db_constraint=False,
        db_index=False,
    )
    n = models.PositiveIntegerField()
    mean = models.FloatField()
    median = models.FloatField()
    sd = models.FloatField(null=True, blank=True, help_text="Sample standard deviation (n - 1).")
    histogram = models.JSONField(help_text="Counts per scale value, in scale order.")
    majority = models.FloatField()
    weighted_mean = models.FloatField(help_text="Mean weighted by each worker's gold accuracy.")
    dawid_skene = models.FloatField(null=True, blank=True)
    glad = models.FloatField(null=True, blank=True)
    mace = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["batch", "statement", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "statement", "field"], name="statementaggregate_unique"
            ),
        ]

    def __str__(self):
        return f"{self.statement}:{self.field.slug} mean={self.mean:.2f}"


class AgreementResult(models.Model):
    """Krippendorff's alpha (and, opt-in, Phi) of one field within one dataset or "all" pooled."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="agreement_results")
    dataset = models.CharField(max_length=64)
    field = models.ForeignKey(AnswerField, on_delete=models.CASCADE, related_name="+")
    alpha_interval = models.FloatField(null=True, blank=True)
    alpha_ordinal = models.FloatField(null=True, blank=True)
    interval_ci_low = models.FloatField(null=True, blank=True)
    interval_ci_high = models.FloatField(null=True, blank=True)
    ordinal_ci_low = models.FloatField(null=True, blank=True)
    ordinal_ci_high = models.FloatField(null=True, blank=True)
    phi = models.FloatField(
        null=True, blank=True, help_text="Phi (Checco et al. 2017) at the posterior mean precision."
    )
    phi_hdi_low = models.FloatField(null=True, blank=True)
    phi_hdi_high = models.FloatField(
        null=True, blank=True, help_text="Phi at the ends of the precision's 95% HDI."
    )
    phi_r_hat = models.FloatField(null=True, blank=True, help_text="R-hat of the precision.")
    n_statements = models.PositiveIntegerField()
    n_judgments = models.PositiveIntegerField()

    class Meta:
        ordering = ["batch", "dataset", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "dataset", "field"], name="agreementresult_unique"
            ),
        ]

    def __str__(self):
        return f"{self.batch.slug}/{self.dataset}/{self.field.slug}"


class CrowdExpertResult(models.Model):
    """How one aggregation of one field tracks the expert label within one dataset."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="crowd_expert_results")
    dataset = models.CharField(max_length=64)
    aggregation = models.CharField(max_length=32)
    field = models.ForeignKey(AnswerField, on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField()
    pearson = models.FloatField(null=True, blank=True)
    pearson_p = models.FloatField(null=True, blank=True)
    spearman = models.FloatField(null=True, blank=True)
    spearman_p = models.FloatField(null=True, blank=True)
    kendall = models.FloatField(null=True, blank=True, help_text="Kendall tau-b.")
    kendall_p = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(
        null=True, blank=True, help_text="Binary accuracy: crowd above mid-scale vs expert."
    )
    by_level = models.JSONField(
        default=dict, blank=True, help_text="Five-number summary of the crowd value per level."
    )

    class Meta:
        ordering = ["batch", "dataset", "aggregation", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "dataset", "aggregation", "field"], name="crowdexpertresult_unique"
            ),
        ]

    def __str__(self):
        return f"{self.batch.slug}/{self.dataset}/{self.aggregation}/{self.field.slug}"


class AssignmentAggregation(models.Model):
    """Marks an assignment whose statements' aggregates include it; the reconciler finds the rest."""

    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="aggregation"
    )
    aggregated_at = models.DateTimeField()

    def __str__(self):
        return f"{self.assignment} aggregated {self.aggregated_at:%Y-%m-%d %H:%M:%S}"
