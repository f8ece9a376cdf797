"""Query-string filters and cursor pagination for the researcher API (django-filter)."""

import django_filters
from django.db.models import Q
from rest_framework.pagination import CursorPagination

from ..models import (
    AnswerField,
    Assignment,
    Attempt,
    Batch,
    BehaviourEvent,
    Judgment,
    QuestionnaireAnswer,
    Statement,
)


class IdCursorPagination(CursorPagination):
    """Stable pages over growing tables: the cursor is the last id, so new rows never shift pages."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class BatchFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Batch
        fields = ["slug", "status"]


class StatementFilter(django_filters.FilterSet):
    batch = django_filters.NumberFilter(
        method="filter_batch", label="In the pool or gold set of batch"
    )
    dataset = django_filters.CharFilter(field_name="dataset__name")
    expert_label = django_filters.CharFilter(field_name="expert_level__label")

    class Meta:
        model = Statement
        fields = ["batch", "dataset", "external_id", "is_gold", "party", "expert_label"]

    def filter_batch(self, queryset, name, value):
        return queryset.filter(Q(batches=value) | Q(gold_in_batches=value)).distinct()


class AnswerFieldFilter(django_filters.FilterSet):
    class Meta:
        model = AnswerField
        fields = ["batch", "slug", "measurement"]


class AssignmentFilter(django_filters.FilterSet):
    class Meta:
        model = Assignment
        fields = ["batch", "status", "is_imported"]


class JudgmentFilter(django_filters.FilterSet):
    batch = django_filters.NumberFilter(field_name="attempt__assignment__batch")
    assignment = django_filters.NumberFilter(field_name="attempt__assignment")
    statement_id = django_filters.CharFilter(field_name="statement__external_id")
    try_number = django_filters.NumberFilter(field_name="attempt__number")
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
    batch = django_filters.NumberFilter(field_name="attempt__assignment__batch")
    assignment = django_filters.NumberFilter(field_name="attempt__assignment")
    questionnaire = django_filters.CharFilter(field_name="question__questionnaire__slug")
    question = django_filters.CharFilter(field_name="question__slug")

    class Meta:
        model = QuestionnaireAnswer
        fields = ["batch", "assignment", "questionnaire", "question", "is_correct"]


class BehaviourEventFilter(django_filters.FilterSet):
    batch = django_filters.NumberFilter(field_name="assignment__batch")
    after = django_filters.IsoDateTimeFilter(field_name="server_ts", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="server_ts", lookup_expr="lt")

    class Meta:
        model = BehaviourEvent
        fields = ["batch", "assignment", "kind", "after", "before"]
