"""Workers and what they produce: assignments, attempts, judgments, answers, events."""

from django.db import models
from django.db.models import F, Q

from .batches import AnswerField, Batch, HitDesign, Question
from .statements import Statement


class Worker(models.Model):
    """A crowd worker, identified by platform and platform id; exports show only a salted hash."""

    class Platform(models.TextChoices):
        MTURK = "mturk"
        PROLIFIC = "prolific"
        LINK = "link"
        SIMULATED = "simulated"
        IMPORTED = "imported"

    platform = models.CharField(max_length=16, choices=Platform.choices)
    platform_id = models.CharField(max_length=128)
    is_blocked = models.BooleanField(default=False)
    blocked_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform", "platform_id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "platform_id"], name="worker_unique_id"),
            models.CheckConstraint(
                condition=Q(platform__in=["mturk", "prolific", "link", "simulated", "imported"]),
                name="worker_platform_valid",
            ),
        ]

    def __str__(self):
        return f"{self.platform}:{self.platform_id}"


class Assignment(models.Model):
    """One worker's participation in one batch; holds a design and its attempts."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        COMPLETED = "completed"
        FAILED = "failed", "failed (tries exhausted)"
        EXPIRED = "expired", "expired (lease ran out)"
        RETURNED = "returned"

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="assignments")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="assignments")
    design = models.ForeignKey(
        HitDesign, on_delete=models.PROTECT, null=True, blank=True, related_name="assignments"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    statement_order = models.JSONField(
        default=list, blank=True, help_text="Statement ids in the order this worker sees them."
    )
    platform_params = models.JSONField(default=dict, blank=True)
    completion_code = models.CharField(max_length=64, blank=True)
    comment = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    is_imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One assignment per worker and batch: a worker takes part in a batch once.
            models.UniqueConstraint(fields=["batch", "worker"], name="assignment_unique_worker"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "completed", "failed", "expired", "returned"]),
                name="assignment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="completed", completed_at__isnull=False)
                | ~Q(status="completed"),
                name="assignment_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["batch", "status"])]

    def __str__(self):
        return f"{self.batch.slug}/{self.worker}"


class Attempt(models.Model):
    """One try at a HIT; keeps the gate results it was checked with, pass or fail."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress"
        PASSED = "passed"
        FAILED = "failed"
        ABANDONED = "abandoned"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    gate_results = models.JSONField(default=list, blank=True)
    config_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["assignment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "number"], name="attempt_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="attempt_number_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["in_progress", "passed", "failed", "abandoned"]),
                name="attempt_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(submitted_at__gte=F("started_at")),
                name="attempt_submitted_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.assignment} try {self.number}"


class Judgment(models.Model):
    """A worker's answers about one statement in one attempt; its values live in JudgmentValue."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="judgments")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="judgments")
    position = models.PositiveSmallIntegerField(help_text="0-based position in the HIT.")
    text_shown = models.TextField(blank=True, help_text="Snapshot of the text displayed.")
    evidence_url = models.URLField(max_length=2000, blank=True)
    justification = models.TextField(blank=True)
    page_served_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    time_on_page_s = models.FloatField(null=True, blank=True)
    is_imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "statement"], name="judgment_unique_statement"
            ),
            models.UniqueConstraint(
                fields=["attempt", "position"], name="judgment_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(time_on_page_s__isnull=True) | Q(time_on_page_s__gte=0),
                name="judgment_time_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.attempt} / {self.statement}"


class JudgmentValue(models.Model):
    """One field's value in a judgment: narrow rows so aggregation is a GROUP BY, not JSON parsing."""

    judgment = models.ForeignKey(Judgment, on_delete=models.CASCADE, related_name="values")
    field = models.ForeignKey(AnswerField, on_delete=models.PROTECT, related_name="judgment_values")
    value = models.SmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["judgment", "field"], name="judgmentvalue_unique_field"
            ),
        ]

    def __str__(self):
        return f"{self.field.slug}={self.value}"


class QuestionnaireAnswer(models.Model):
    """A worker's answer to one question in one attempt, scored when the question has a key."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.CharField(max_length=2000)
    is_correct = models.BooleanField(null=True, blank=True)
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempt", "question"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="answer_unique_question"),
        ]

    def __str__(self):
        return f"{self.question.slug}={self.value}"


class BehaviourEvent(models.Model):
    """An append-only log entry of what a worker did (page view, answer change, focus, ...)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="events")
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=32)
    payload = models.JSONField(default=dict, blank=True)
    client_ts = models.DateTimeField(null=True, blank=True)
    server_ts = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["server_ts", "id"]
        indexes = [models.Index(fields=["assignment", "kind"])]

    def __str__(self):
        return f"{self.kind} @ {self.server_ts:%Y-%m-%d %H:%M:%S}"
