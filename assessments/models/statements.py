"""Datasets, their expert scales and the statements to judge."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class Dataset(models.Model):
    """A source of statements with one ordered expert scale (e.g. PolitiFact's six levels)."""

    name = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    citation = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ExpertLevel(models.Model):
    """One level of a dataset's expert scale; ordinal 0 is the least true."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="levels")
    ordinal = models.PositiveSmallIntegerField()
    label = models.SlugField(max_length=64)

    class Meta:
        ordering = ["dataset", "ordinal"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "ordinal"], name="expertlevel_unique_ordinal"
            ),
            models.UniqueConstraint(fields=["dataset", "label"], name="expertlevel_unique_label"),
        ]

    def __str__(self):
        return f"{self.dataset.name}:{self.label}"


class Statement(models.Model):
    """A public statement to judge: either a dataset statement with an expert label or a gold one."""

    class GoldTruth(models.TextChoices):
        NONE = "", "not gold"
        HIGH = "high", "true (high)"
        LOW = "low", "false (low)"

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="statements")
    external_id = models.CharField(max_length=128)
    text = models.TextField(help_text="The text as shown to workers.")
    text_clean = models.TextField(
        blank=True, help_text="An optional cleaned variant (e.g. with punctuation restored)."
    )
    speaker = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    context = models.CharField(max_length=200, blank=True)
    party = models.CharField(max_length=64, blank=True)
    group = models.CharField(
        max_length=64, blank=True, help_text="Sampling group, e.g. the study's doc group."
    )
    expert_level = models.ForeignKey(
        ExpertLevel, on_delete=models.PROTECT, null=True, blank=True, related_name="statements"
    )
    is_gold = models.BooleanField(default=False)
    gold_truth = models.CharField(max_length=8, choices=GoldTruth.choices, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "external_id"], name="statement_unique_external_id"
            ),
            # A gold statement states its intended truth; a dataset statement never does.
            models.CheckConstraint(
                condition=(Q(is_gold=True) & ~Q(gold_truth=""))
                | (Q(is_gold=False) & Q(gold_truth="")),
                name="statement_gold_truth_iff_gold",
            ),
            models.CheckConstraint(
                condition=Q(gold_truth__in=["", "high", "low"]), name="statement_gold_truth_valid"
            ),
        ]
        indexes = [models.Index(fields=["external_id"])]

    def __str__(self):
        return self.external_id

    def clean(self):
        if self.expert_level_id and self.expert_level.dataset_id != self.dataset_id:
            raise ValidationError(
                {"expert_level": "The expert level belongs to another dataset's scale."}
            )
