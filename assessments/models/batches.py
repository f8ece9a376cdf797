"""Batches (runs of a study) and what they ask: answer fields, questionnaires, designs."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .. import quality, scales
from .statements import Statement


class Batch(models.Model):
    """One run of a study: its configuration, statement pool, gates and platform settings."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        LIVE = "live"
        PAUSED = "paused"
        CLOSED = "closed"

    class RetryFrom(models.TextChoices):
        # The study: the instructions stay read and the questionnaire answers are kept.
        FIRST_STATEMENT = "first_statement", "the first statement (questionnaire answers kept)"
        BEGINNING = "beginning", "the instructions (nothing kept)"

    class Justification(models.TextChoices):
        OFF = "off"
        OPTIONAL = "optional"
        REQUIRED = "required"

    class DomainMatch(models.TextChoices):
        # The study dropped any URL containing "politifact" or "abc" (substring); new studies
        # should match registrable domains so that e.g. abcya.com is not hidden by "abc".
        SUBSTRING = "substring"
        DOMAIN = "domain"

    class TextVariant(models.TextChoices):
        SHOWN = "shown", "as shown in the original study"
        CLEAN = "clean", "cleaned variant when available"

    slug = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Shown to workers before they accept.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_batches"
    )
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="shared_batches"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)

    statements = models.ManyToManyField(Statement, blank=True, related_name="batches")
    gold_statements = models.ManyToManyField(Statement, blank=True, related_name="gold_in_batches")
    statements_per_hit = models.PositiveSmallIntegerField(default=11)
    judgments_per_statement = models.PositiveSmallIntegerField(default=10)
    composition = models.JSONField(
        default=dict, blank=True, help_text="How HIT designs are drawn from the pool."
    )

    quality_gates = models.JSONField(default=list, blank=True)
    max_attempts = models.PositiveSmallIntegerField(default=10)
    retry_from = models.CharField(
        max_length=16,
        choices=RetryFrom.choices,
        default=RetryFrom.FIRST_STATEMENT,
        help_text="Where a new try starts after failed checks.",
    )
    time_limit_s = models.PositiveIntegerField(default=3600, help_text="Lease of one HIT.")
    justification = models.CharField(
        max_length=8, choices=Justification.choices, default=Justification.OFF
    )
    justification_min_words = models.PositiveSmallIntegerField(default=0)
    show_context = models.BooleanField(default=False)
    text_variant = models.CharField(
        max_length=8, choices=TextVariant.choices, default=TextVariant.SHOWN
    )

    reward_cents = models.PositiveIntegerField(default=200)
    currency = models.CharField(max_length=3, default="USD")
    platform_settings = models.JSONField(default=dict, blank=True)
    completion_url = models.URLField(max_length=500, blank=True)

    search_provider = models.CharField(
        max_length=32, blank=True, help_text="Empty: the deployment's SEARCH_BACKEND."
    )
    blocked_domains = models.JSONField(default=list, blank=True)
    domain_match = models.CharField(
        max_length=16, choices=DomainMatch.choices, default=DomainMatch.DOMAIN
    )

    excluded_batches = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="excluded_by"
    )
    worker_blocklist = models.JSONField(
        default=list, blank=True, help_text="Platform worker ids refused in this batch."
    )

    config_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "live", "paused", "closed"]),
                name="batch_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(statements_per_hit__gte=1), name="batch_statements_per_hit_positive"
            ),
            models.CheckConstraint(
                condition=Q(judgments_per_statement__gte=1),
                name="batch_judgments_per_statement_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="batch_max_attempts_positive"
            ),
            models.CheckConstraint(condition=Q(time_limit_s__gte=60), name="batch_time_limit_min"),
            models.CheckConstraint(
                condition=Q(justification__in=["off", "optional", "required"]),
                name="batch_justification_valid",
            ),
            models.CheckConstraint(
                condition=Q(domain_match__in=["substring", "domain"]),
                name="batch_domain_match_valid",
            ),
        ]

    def __str__(self):
        return self.slug

    def clean(self):
        errors = {}
        if not isinstance(self.blocked_domains, list) or not all(
            isinstance(d, str) and d.strip() for d in self.blocked_domains
        ):
            errors["blocked_domains"] = "Give a list of non-empty domain strings."
        if not isinstance(self.worker_blocklist, list) or not all(
            isinstance(w, str) for w in self.worker_blocklist
        ):
            errors["worker_blocklist"] = "Give a list of worker id strings."
        gate_errors = quality.gate_config_errors(self.quality_gates)
        if gate_errors:
            errors["quality_gates"] = gate_errors
        if not isinstance(self.composition, dict):
            errors["composition"] = "Give an object describing the HIT composition."
        if errors:
            raise ValidationError(errors)


class AnswerField(models.Model):
    """A question asked about every statement of a batch, on a scale of labelled numeric levels."""

    class Measurement(models.TextChoices):
        # Tells agreement measures which distance to use (Krippendorff's alpha).
        ORDINAL = "ordinal"
        INTERVAL = "interval"
        NOMINAL = "nominal"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="fields")
    slug = models.SlugField(max_length=64)
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Shown to workers under the label.")
    position = models.PositiveSmallIntegerField()
    scale = models.JSONField(help_text='[{"value": -2, "label": "Completely Disagree"}, ...]')
    measurement = models.CharField(
        max_length=8, choices=Measurement.choices, default=Measurement.INTERVAL
    )
    requires_evidence = models.BooleanField(default=False)
    is_gold_field = models.BooleanField(default=False, help_text="The field gold checks read.")
    separator_after = models.BooleanField(default=False)

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "slug"], name="answerfield_unique_slug"),
            models.UniqueConstraint(
                fields=["batch", "position"], name="answerfield_unique_position"
            ),
            models.UniqueConstraint(
                fields=["batch"],
                condition=Q(is_gold_field=True),
                name="answerfield_one_gold_field",
            ),
        ]

    def __str__(self):
        return f"{self.batch.slug}:{self.slug}"

    def clean(self):
        errors = scales.scale_errors(self.scale)
        if errors:
            raise ValidationError({"scale": errors})

    @property
    def scale_values(self) -> list[int]:
        return scales.scale_values(self.scale)


class Questionnaire(models.Model):
    """A page of questions shown before the statements (demographics, a CRT item...)."""

    class Kind(models.TextChoices):
        STANDARD = "standard"
        CRT = "crt"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="questionnaires")
    slug = models.SlugField(max_length=64)
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.STANDARD)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "slug"], name="questionnaire_unique_slug"),
            models.UniqueConstraint(
                fields=["batch", "position"], name="questionnaire_unique_position"
            ),
        ]

    def __str__(self):
        return f"{self.batch.slug}:{self.slug}"


class Question(models.Model):
    """One question: single choice (answer stored as 0-based index), free number or free text."""

    class AnswerType(models.TextChoices):
        CHOICE = "choice"
        NUMBER = "number"
        TEXT = "text"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    slug = models.SlugField(max_length=64)
    text = models.TextField()
    answer_type = models.CharField(max_length=8, choices=AnswerType.choices)
    choices = models.JSONField(default=list, blank=True)
    correct_answer = models.CharField(
        max_length=200, blank=True, help_text="Scored (e.g. CRT), never shown to workers."
    )
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["questionnaire", "position"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "slug"], name="question_unique_slug"),
            models.UniqueConstraint(
                fields=["questionnaire", "position"], name="question_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(answer_type__in=["choice", "number", "text"]),
                name="question_answer_type_valid",
            ),
        ]

    def __str__(self):
        return self.slug

    def clean(self):
        is_list = isinstance(self.choices, list)
        if self.answer_type == self.AnswerType.CHOICE and (not is_list or len(self.choices) < 2):
            raise ValidationError({"choices": "A choice question needs at least two choices."})
        if self.answer_type != self.AnswerType.CHOICE and self.choices:
            raise ValidationError({"choices": "Only choice questions have choices."})


class HitDesign(models.Model):
    """A set of statements given together to `capacity` workers (the study's 20 designs)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="designs")
    number = models.PositiveIntegerField()
    statements = models.ManyToManyField(Statement, related_name="designs")
    capacity = models.PositiveSmallIntegerField(help_text="Workers wanted for this design.")

    class Meta:
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="hitdesign_unique_number"),
        ]

    def __str__(self):
        return f"{self.batch.slug}#{self.number}"
