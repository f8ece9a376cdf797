"""Researcher API serializers: explicit output fields (workers only as pseudonyms) and write inputs."""

import json

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import importers
from ..models import (
    AnswerField,
    Assignment,
    Batch,
    BehaviourEvent,
    Dataset,
    Judgment,
    Question,
    Questionnaire,
    QuestionnaireAnswer,
    Statement,
)
from ..pseudonyms import worker_pseudonym


def _pseudonym(worker) -> str:
    return worker_pseudonym(worker.platform, worker.platform_id, salt=settings.WORKER_ID_SALT)


class BatchSerializer(serializers.ModelSerializer):
    # URL fields may be blank, which OpenAPI's "uri" format does not allow: plain strings.
    completion_url = serializers.CharField(read_only=True)
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    shared_with = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        # worker_blocklist holds raw platform ids, so it is never read back.
        fields = [
            "id", "slug", "title", "description", "owner", "shared_with", "status",
            "statements_per_hit", "judgments_per_statement", "composition", "quality_gates",
            "max_attempts", "retry_from", "time_limit_s", "justification",
            "justification_min_words", "show_context", "text_variant", "reward_cents", "currency", "platform_settings",
            "completion_url", "search_provider", "blocked_domains", "domain_match",
            "config_version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_shared_with(self, batch) -> list[str]:
        return sorted(user.get_username() for user in batch.shared_with.all())


class DatasetSerializer(serializers.ModelSerializer):
    levels = serializers.SerializerMethodField(help_text="Expert labels, least to most true.")

    class Meta:
        model = Dataset
        fields = ["id", "name", "title", "description", "citation", "levels", "created_at"]

    def get_levels(self, dataset) -> list[str]:
        return [level.label for level in dataset.levels.all()]


class StatementSerializer(serializers.ModelSerializer):
    source_url = serializers.CharField()
    dataset = serializers.CharField(source="dataset.name")
    expert_label = serializers.CharField(source="expert_level.label", allow_null=True, default=None)
    expert_ordinal = serializers.IntegerField(
        source="expert_level.ordinal", allow_null=True, default=None
    )

    class Meta:
        model = Statement
        fields = [
            "id", "dataset", "external_id", "text", "text_clean", "speaker", "year", "date",
            "context", "party", "group", "expert_label", "expert_ordinal", "is_gold",
            "gold_truth", "source_url",
        ]  # fmt: skip


class AnswerFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnswerField
        fields = [
            "id", "batch", "slug", "label", "description", "position", "scale", "measurement",
            "requires_evidence", "is_gold_field",
        ]  # fmt: skip


class AssignmentSerializer(serializers.ModelSerializer):
    worker_id = serializers.SerializerMethodField()
    platform = serializers.CharField(source="worker.platform")
    design = serializers.IntegerField(source="design.number", allow_null=True, default=None)
    attempts = serializers.IntegerField(source="attempt_count")

    class Meta:
        model = Assignment
        fields = [
            "id", "batch", "worker_id", "platform", "status", "design", "attempts",
            "started_at", "completed_at", "is_imported",
        ]  # fmt: skip

    def get_worker_id(self, assignment) -> str:
        return _pseudonym(assignment.worker)


class JudgmentSerializer(serializers.ModelSerializer):
    evidence_url = serializers.CharField()
    batch = serializers.IntegerField(source="attempt.assignment.batch_id")
    assignment = serializers.IntegerField(source="attempt.assignment_id")
    worker_id = serializers.SerializerMethodField()
    statement_id = serializers.CharField(source="statement.external_id")
    try_number = serializers.IntegerField(source="attempt.number")
    values = serializers.SerializerMethodField(help_text="One value per answer field slug.")

    class Meta:
        model = Judgment
        fields = [
            "id", "batch", "assignment", "worker_id", "statement", "statement_id", "try_number",
            "position", "values", "evidence_url", "justification", "time_on_page_s",
            "page_served_at", "answered_at", "is_imported",
        ]  # fmt: skip

    def get_worker_id(self, judgment) -> str:
        return _pseudonym(judgment.attempt.assignment.worker)

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"}})
    def get_values(self, judgment):
        return {value.field.slug: value.value for value in judgment.values.all()}


class QuestionnaireAnswerSerializer(serializers.ModelSerializer):
    batch = serializers.IntegerField(source="attempt.assignment.batch_id")
    assignment = serializers.IntegerField(source="attempt.assignment_id")
    worker_id = serializers.SerializerMethodField()
    try_number = serializers.IntegerField(source="attempt.number")
    questionnaire = serializers.CharField(source="question.questionnaire.slug")
    question = serializers.CharField(source="question.slug")

    class Meta:
        model = QuestionnaireAnswer
        fields = [
            "id", "batch", "assignment", "worker_id", "try_number", "questionnaire", "question",
            "value", "is_correct", "answered_at",
        ]  # fmt: skip

    def get_worker_id(self, answer) -> str:
        return _pseudonym(answer.attempt.assignment.worker)


class BehaviourEventSerializer(serializers.ModelSerializer):
    batch = serializers.IntegerField(source="assignment.batch_id")
    worker_id = serializers.SerializerMethodField()
    try_number = serializers.IntegerField(source="attempt.number", allow_null=True, default=None)
    statement_id = serializers.CharField(
        source="statement.external_id", allow_null=True, default=None
    )

    class Meta:
        model = BehaviourEvent
        fields = [
            "id", "batch", "assignment", "worker_id", "try_number", "statement",
            "statement_id", "kind", "payload", "client_ts", "server_ts",
        ]  # fmt: skip

    def get_worker_id(self, event) -> str:
        return _pseudonym(event.assignment.worker)


# Write inputs: shape and types only; the services check everything that needs the database.


class StatementRefSerializer(serializers.Serializer):
    dataset = serializers.CharField(max_length=64)
    external_id = serializers.CharField(max_length=128)


class ScaleLevelSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=-32768, max_value=32767)
    label = serializers.CharField(max_length=200)


class FieldConfigSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=64)
    label = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    scale = ScaleLevelSerializer(many=True, min_length=2)
    measurement = serializers.ChoiceField(
        choices=AnswerField.Measurement.choices, default=AnswerField.Measurement.INTERVAL
    )
    requires_evidence = serializers.BooleanField(default=False)
    is_gold_field = serializers.BooleanField(default=False)
    separator_after = serializers.BooleanField(default=False)


class QuestionConfigSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=64)
    text = serializers.CharField()
    answer_type = serializers.ChoiceField(choices=Question.AnswerType.choices)
    choices = serializers.ListField(child=serializers.CharField(), default=list)
    correct_answer = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    required = serializers.BooleanField(default=True)


class QuestionnaireConfigSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=64)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(
        choices=Questionnaire.Kind.choices, default=Questionnaire.Kind.STANDARD
    )
    questions = QuestionConfigSerializer(many=True, default=list)


class GateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    options = serializers.DictField(required=False)


class BatchConfigSerializer(serializers.Serializer):
    """A batch configuration: the same shape as batch.json in the study data package."""

    slug = serializers.SlugField(max_length=64)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    statements_per_hit = serializers.IntegerField(min_value=1, max_value=32767, required=False)
    judgments_per_statement = serializers.IntegerField(min_value=1, max_value=32767, required=False)
    composition = serializers.DictField(required=False)
    quality_gates = GateSerializer(many=True, required=False)
    max_attempts = serializers.IntegerField(min_value=1, max_value=32767, required=False)
    retry_from = serializers.ChoiceField(choices=Batch.RetryFrom.choices, required=False)
    time_limit_s = serializers.IntegerField(min_value=60, max_value=2147483647, required=False)
    justification = serializers.ChoiceField(choices=Batch.Justification.choices, required=False)
    justification_min_words = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    show_context = serializers.BooleanField(required=False)
    text_variant = serializers.ChoiceField(choices=Batch.TextVariant.choices, required=False)
    reward_cents = serializers.IntegerField(min_value=0, max_value=2147483647, required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    platform_settings = serializers.DictField(required=False)
    completion_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    search_provider = serializers.CharField(max_length=32, required=False, allow_blank=True)
    blocked_domains = serializers.ListField(
        child=serializers.CharField(max_length=253), required=False
    )
    domain_match = serializers.ChoiceField(choices=Batch.DomainMatch.choices, required=False)
    worker_blocklist = serializers.ListField(
        child=serializers.CharField(max_length=128), required=False, write_only=True
    )
    fields = FieldConfigSerializer(many=True, required=False)
    questionnaires = QuestionnaireConfigSerializer(many=True, required=False)
    statements = StatementRefSerializer(many=True, required=False)
    gold_statements = StatementRefSerializer(many=True, required=False)
    excluded_batches = serializers.ListField(child=serializers.SlugField(), required=False)

    def validate(self, attrs):
        # Free-form JSON may hide a NUL character, which PostgreSQL's jsonb cannot store.
        errors = {
            name: "Null characters are not allowed."
            for name in ("composition", "platform_settings", "quality_gates")
            if "\\u0000" in json.dumps(attrs.get(name))
        }
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class BatchStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Batch.Status.choices)


class StatementImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A study CSV, LIAR-PLUS TSV, or generic CSV / JSONL file."
    )
    format = serializers.ChoiceField(
        choices=importers.FORMATS, required=False, help_text="Guessed from the file when omitted."
    )
    dataset = serializers.SlugField(
        max_length=64, required=False, help_text="Dataset name; required for csv and jsonl."
    )
    scale = serializers.CharField(
        required=False, help_text="Comma-separated expert levels, low to high, for a new dataset."
    )
    map = serializers.ListField(
        child=serializers.RegexField(r"^[a-z_]+=.+$"),
        required=False,
        help_text="csv/jsonl: TARGET=COLUMN, read statement attribute TARGET from COLUMN.",
    )


class StatementImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.CharField())
    added_to_batch = serializers.IntegerField()
