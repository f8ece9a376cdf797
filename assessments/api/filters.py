"""Query-string filters and cursor pagination for the researcher API (django-filter)."""

import datetime

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from search.models import EvidenceSelection, ResultClick, SearchQuery

from ..models import (
    AgreementResult,
    AnswerField,
    Assignment,
    Attempt,
    Batch,
    BatchAnalysis,
    BehaviourEvent,
    CrowdExpertResult,
    Judgment,
    QuestionnaireAnswer,
    Statement,
    StatementAggregate,
)


@extend_schema_field({"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1})
class IdFilter(django_filters.NumberFilter):
    """An integer id within 64 bits: a larger one would overflow SQLite, so it is a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, compared in UTC.

    ISO 8601 allows UTC offsets up to +-23:59 but PostgreSQL only up to +-15:59, so the value is
    converted first; one beyond the representable range is clamped to it.
    """

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError:
                edge = datetime.datetime.min if value.year == 1 else datetime.datetime.max
                value = edge.replace(tzinfo=datetime.UTC)
        return super().filter(qs, value)


class IdCursorPagination(CursorPagination):
    """Stable pages over growing tables: the cursor is the last id, so new rows never shift pages."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        # The cursor holds the first ordering field's value and how many rows with that value it
        # has passed; rows that tie on it must come in the same order on every page, or some
        # would be skipped and others repeated: so ties are broken by id.
        if ordering[0].lstrip("-") != "id":
            ordering = (*ordering, "id")
        return ordering

    def get_page_size(self, request):
        # DRF silently falls back to the default on a bad page_size; say so instead.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: f"Give an integer from 1 to {self.max_page_size}."}
            )
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
        return parameters


class BatchFilter(django_filters.FilterSet):
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Batch
        fields = ["slug", "status"]


class StatementFilter(django_filters.FilterSet):
    batch = IdFilter(method="filter_batch", label="In the pool or gold set of batch")
    dataset = django_filters.CharFilter(field_name="dataset__name")
    expert_label = django_filters.CharFilter(field_name="expert_level__label")

    class Meta:
        model = Statement
        fields = ["batch", "dataset", "external_id", "is_gold", "party", "expert_label"]

    def filter_batch(self, queryset, name, value):
        return queryset.filter(Q(batches=value) | Q(gold_in_batches=value)).distinct()


class AnswerFieldFilter(django_filters.FilterSet):
    batch = IdFilter(field_name="batch")

    class Meta:
        model = AnswerField
        fields = ["batch", "slug", "measurement"]


class AssignmentFilter(django_filters.FilterSet):
    batch = IdFilter(field_name="batch")

    class Meta:
        model = Assignment
        fields = ["batch", "status", "is_imported"]


class JudgmentFilter(django_filters.FilterSet):
    batch = IdFilter(field_name="attempt__assignment__batch")
    assignment = IdFilter(field_name="attempt__assignment")
    statement_id = django_filters.CharFilter(field_name="statement__external_id")
    try_number = IdFilter(field_name="attempt__number")
    statement = IdFilter(field_name="statement")
    attempt_status = django_filters.ChoiceFilter(
        field_name="attempt__status", choices=Attempt.Status.choices
    )

    class Meta:
        model = Judgment
        fields = [
            "batch",
            "assignment",
            "statement",
            "statement_id",
            "try_number",
            "attempt_status",
        ]


class QuestionnaireAnswerFilter(django_filters.FilterSet):
    batch = IdFilter(field_name="attempt__assignment__batch")
    assignment = IdFilter(field_name="attempt__assignment")
    questionnaire = django_filters.CharFilter(field_name="question__questionnaire__slug")
    question = django_filters.CharFilter(field_name="question__slug")

    class Meta:
        model = QuestionnaireAnswer
        fields = ["batch", "assignment", "questionnaire", "question", "is_correct"]


class StatementRowFilter(django_filters.FilterSet):
    """Filters of rows about a statement: by id, external id and dataset.

    Declared filters need not be listed in a subclass's Meta.fields: django-filter adds them.
    """

    statement = IdFilter(field_name="statement")
    statement_id = django_filters.CharFilter(field_name="statement__external_id")
    dataset = django_filters.CharFilter(field_name="statement__dataset__name")


class AssignmentRowFilter(StatementRowFilter):
    """Filters of the rows logged for an assignment about a statement (events, search logs)."""

    batch = IdFilter(field_name="assignment__batch")
    assignment = IdFilter(field_name="assignment")
    after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")


class BehaviourEventFilter(AssignmentRowFilter):
    after = UtcDateTimeFilter(field_name="server_ts", lookup_expr="gte")
    before = UtcDateTimeFilter(field_name="server_ts", lookup_expr="lt")

    class Meta:
        model = BehaviourEvent
        fields = ["kind"]


class SearchQueryFilter(AssignmentRowFilter):
    class Meta:
        model = SearchQuery
        fields = ["status", "provider", "cache_hit"]


class ResultClickFilter(AssignmentRowFilter):
    query = IdFilter(field_name="query")

    class Meta:
        model = ResultClick
        fields = []


class EvidenceSelectionFilter(AssignmentRowFilter):
    class Meta:
        model = EvidenceSelection
        fields = ["accepted", "reason"]


class FieldResultFilter(django_filters.FilterSet):
    """Filters of analysis results stored per batch and answer field."""

    batch = IdFilter(field_name="batch")
    field = IdFilter(field_name="field")
    field_slug = django_filters.CharFilter(field_name="field__slug")


class StatementAggregateFilter(FieldResultFilter, StatementRowFilter):
    is_gold = django_filters.BooleanFilter(field_name="statement__is_gold")

    class Meta:
        model = StatementAggregate
        fields = []


class AgreementResultFilter(FieldResultFilter):
    class Meta:
        model = AgreementResult
        fields = ["dataset"]


class CrowdExpertResultFilter(FieldResultFilter):
    class Meta:
        model = CrowdExpertResult
        fields = ["dataset", "aggregation"]


class BatchAnalysisFilter(django_filters.FilterSet):
    batch = IdFilter(field_name="batch")

    class Meta:
        model = BatchAnalysis
        fields = ["batch", "is_stale"]
