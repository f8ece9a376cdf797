"""Researcher API serializers: explicit output fields (workers only as pseudonyms) and write inputs."""

import json

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from search.models import EvidenceSelection, ResultClick, SearchQuery, SearchResult

from .. import importers
from ..models import (
    AgreementResult,
    AnswerField,
    Assignment,
    Batch,
    BatchAnalysis,
    BehaviourEvent,
    CrowdExpertResult,
    Dataset,
    Judgment,
    Question,
    Questionnaire,
    QuestionnaireAnswer,
    Statement,
    StatementAggregate,
)
from ..pseudonyms import worker_pseudonym


@extend_schema_field({"type": "string", "description": "Pseudonymous worker id (keyed hash)."})
class PseudonymField(serializers.Field):
    """A worker (at `source`) as its salted pseudonym: raw platform ids are never served."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, worker) -> str:
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
    worker_id = PseudonymField(source="worker")
    platform = serializers.CharField(source="worker.platform")
    design = serializers.IntegerField(source="design.number", allow_null=True, default=None)
    attempts = serializers.IntegerField(source="attempt_count")

    class Meta:
        model = Assignment
        fields = [
            "id", "batch", "worker_id", "platform", "status", "design", "attempts",
            "started_at", "completed_at", "is_imported",
        ]  # fmt: skip


class AttemptRowSerializer(serializers.ModelSerializer):
    """Rows recorded within an attempt: their batch, assignment, worker and try."""

    batch = serializers.IntegerField(source="attempt.assignment.batch_id")
    assignment = serializers.IntegerField(source="attempt.assignment_id")
    worker_id = PseudonymField(source="attempt.assignment.worker")
    try_number = serializers.IntegerField(source="attempt.number")


class JudgmentSerializer(AttemptRowSerializer):
    evidence_url = serializers.CharField()
    statement_id = serializers.CharField(source="statement.external_id")
    values = serializers.SerializerMethodField(help_text="One value per answer field slug.")

    class Meta:
        model = Judgment
        fields = [
            "id", "batch", "assignment", "worker_id", "statement", "statement_id", "try_number",
            "position", "values", "evidence_url", "justification", "time_on_page_s",
            "page_served_at", "answered_at", "is_imported",
        ]  # fmt: skip

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "integer"}})
    def get_values(self, judgment):
        return {value.field.slug: value.value for value in judgment.values.all()}


class QuestionnaireAnswerSerializer(AttemptRowSerializer):
    questionnaire = serializers.CharField(source="question.questionnaire.slug")
    question = serializers.CharField(source="question.slug")

    class Meta:
        model = QuestionnaireAnswer
        fields = [
            "id", "batch", "assignment", "worker_id", "try_number", "questionnaire", "question",
            "value", "is_correct", "answered_at",
        ]  # fmt: skip


class AssignmentRowSerializer(serializers.ModelSerializer):
    """Rows logged for an assignment: their batch, worker and (when there is one) statement."""

    batch = serializers.IntegerField(source="assignment.batch_id")
    worker_id = PseudonymField(source="assignment.worker")
    statement_id = serializers.CharField(
        source="statement.external_id", allow_null=True, default=None
    )


class BehaviourEventSerializer(AssignmentRowSerializer):
    try_number = serializers.IntegerField(source="attempt.number", allow_null=True, default=None)

    class Meta:
        model = BehaviourEvent
        fields = [
            "id", "batch", "assignment", "worker_id", "try_number", "statement",
            "statement_id", "kind", "payload", "client_ts", "server_ts",
        ]  # fmt: skip


class SearchResultSerializer(serializers.ModelSerializer):
    url = serializers.CharField()
    clicked = serializers.BooleanField(help_text="The worker opened this result.")
    selected = serializers.BooleanField(
        help_text="The worker chose this result's URL as evidence for the statement (accepted)."
    )

    class Meta:
        model = SearchResult
        fields = ["rank", "url", "domain", "title", "snippet", "clicked", "selected"]


class SearchQuerySerializer(AssignmentRowSerializer):
    results = SearchResultSerializer(many=True, help_text="The results as shown, by rank.")

    class Meta:
        model = SearchQuery
        fields = [
            "id", "batch", "assignment", "worker_id", "statement", "statement_id", "text",
            "page", "provider", "status", "error", "cache_hit", "latency_ms", "blocked_count",
            "withheld_count", "has_next", "created_at", "results",
        ]  # fmt: skip


class ResultClickSerializer(AssignmentRowSerializer):
    url = serializers.CharField()

    class Meta:
        model = ResultClick
        fields = [
            "id", "batch", "assignment", "worker_id", "statement", "statement_id", "query",
            "rank", "url", "created_at",
        ]  # fmt: skip


class EvidenceSelectionSerializer(AssignmentRowSerializer):
    class Meta:
        model = EvidenceSelection
        fields = [
            "id", "batch", "assignment", "worker_id", "statement", "statement_id", "url",
            "accepted", "reason", "created_at",
        ]  # fmt: skip


class StatementAggregateSerializer(serializers.ModelSerializer):
    statement_id = serializers.CharField(source="statement.external_id")
    dataset = serializers.CharField(source="statement.dataset.name")
    is_gold = serializers.BooleanField(source="statement.is_gold")
    expert_label = serializers.CharField(
        source="statement.expert_level.label", allow_null=True, default=None
    )
    expert_ordinal = serializers.IntegerField(
        source="statement.expert_level.ordinal", allow_null=True, default=None
    )
    field_slug = serializers.CharField(source="field.slug")
    histogram = serializers.ListField(
        child=serializers.IntegerField(), help_text="Counts per scale value, in scale order."
    )

    class Meta:
        model = StatementAggregate
        fields = [
            "id", "batch", "statement", "statement_id", "dataset", "is_gold", "expert_label",
            "expert_ordinal", "field", "field_slug", "n", "mean", "median", "sd", "majority",
            "weighted_mean", "dawid_skene", "glad", "mace", "histogram", "updated_at",
        ]  # fmt: skip


class BatchAnalysisSerializer(serializers.ModelSerializer):
    class Meta:
        model = BatchAnalysis
        fields = [
            "id", "batch", "is_stale", "computed_at", "duration_s", "n_judgments",
            "n_statements", "options", "field_correlations", "by_position", "prediction",
        ]  # fmt: skip


class AgreementResultSerializer(serializers.ModelSerializer):
    field_slug = serializers.CharField(source="field.slug")

    class Meta:
        model = AgreementResult
        fields = [
            "id", "batch", "dataset", "field", "field_slug", "alpha_interval", "alpha_ordinal",
            "interval_ci_low", "interval_ci_high", "ordinal_ci_low", "ordinal_ci_high",
            "phi", "phi_hdi_low", "phi_hdi_high", "phi_r_hat", "n_statements", "n_judgments",
        ]  # fmt: skip


class CrowdExpertResultSerializer(serializers.ModelSerializer):
    field_slug = serializers.CharField(source="field.slug")

    class Meta:
        model = CrowdExpertResult
        fields = [
            "id", "batch", "dataset", "aggregation", "field", "field_slug", "n", "pearson",
            "pearson_p", "spearman", "spearman_p", "kendall", "kendall_p", "accuracy",
            "by_level",
        ]  # fmt: skip


class AnalysisReportSerializer(serializers.Serializer):
    """A batch's stored analysis report: the JSON of `manage.py analysis_report --json`."""

    batch = serializers.CharField(help_text="The batch's slug.")
    n_judgments = serializers.IntegerField()
    agreement = serializers.JSONField(help_text="dataset -> field slug -> alpha and intervals.")
    crowd_vs_expert = serializers.JSONField(
        help_text="dataset -> aggregation -> field slug -> correlations with the expert label."
    )
    per_statement = serializers.JSONField(
        help_text="statement external id -> field slug -> aggregates."
    )
    field_correlations = serializers.JSONField()
    by_position = serializers.JSONField()
    prediction = serializers.JSONField()
    computed_at = serializers.DateTimeField(allow_null=True)
    is_stale = serializers.BooleanField()


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
