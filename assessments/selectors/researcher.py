"""Researcher API reads: what a researcher may see, with the joins each endpoint needs."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet

from search.models import EvidenceSelection, ResultClick, SearchQuery
from search.selectors import search_results_marked

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
    JudgmentValue,
    QuestionnaireAnswer,
    Statement,
    StatementAggregate,
)
from ..services.roles import RESEARCHER_GROUP
from .batches import batch_list_for_user


def user_is_researcher(user: AbstractBaseUser) -> bool:
    """Return whether `user` may use the researcher API: active superusers and the researcher group."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=RESEARCHER_GROUP).exists()


def batch_list_visible(*, user: AbstractBaseUser) -> QuerySet[Batch]:
    """Return the batches `user` owns or that are shared with them (every batch for a superuser)."""
    return batch_list_for_user(user).select_related("owner").prefetch_related("shared_with")


def _visible_ids(user: AbstractBaseUser) -> QuerySet:
    return batch_list_visible(user=user).values("pk")


def dataset_list() -> QuerySet[Dataset]:
    """Return every dataset with its expert levels: the catalogue is shared by all researchers."""
    return Dataset.objects.prefetch_related("levels")


def statement_list_visible(*, user: AbstractBaseUser) -> QuerySet[Statement]:
    """Return the statements in the pool or gold set of a batch `user` may see."""
    batches = _visible_ids(user)
    pooled = Batch.statements.through.objects.filter(batch_id__in=batches).values("statement_id")
    gold = Batch.gold_statements.through.objects.filter(batch_id__in=batches).values("statement_id")
    return Statement.objects.select_related("dataset", "expert_level").filter(
        Q(pk__in=pooled) | Q(pk__in=gold)
    )


def field_list_visible(*, user: AbstractBaseUser) -> QuerySet[AnswerField]:
    """Return the answer fields of the batches `user` may see."""
    return AnswerField.objects.filter(batch__in=_visible_ids(user))


def assignment_list_visible(*, user: AbstractBaseUser) -> QuerySet[Assignment]:
    """Return the assignments of visible batches, with their worker, design and attempt count."""
    return (
        Assignment.objects.filter(batch__in=_visible_ids(user))
        .select_related("worker", "design")
        .annotate(attempt_count=Count("attempts"))
    )


def judgment_list_visible(*, user: AbstractBaseUser) -> QuerySet[Judgment]:
    """Return the judgments of visible batches with everything their serializer reads."""
    return (
        Judgment.objects.filter(attempt__assignment__batch__in=_visible_ids(user))
        .select_related("attempt__assignment__worker", "statement")
        .prefetch_related(
            Prefetch("values", queryset=JudgmentValue.objects.select_related("field"))
        )
    )


def answer_list_visible(*, user: AbstractBaseUser) -> QuerySet[QuestionnaireAnswer]:
    """Return the questionnaire answers of visible batches."""
    return QuestionnaireAnswer.objects.filter(
        attempt__assignment__batch__in=_visible_ids(user)
    ).select_related("attempt__assignment__worker", "question__questionnaire")


def event_list_visible(*, user: AbstractBaseUser) -> QuerySet[BehaviourEvent]:
    """Return the behaviour events of visible batches."""
    return BehaviourEvent.objects.filter(assignment__batch__in=_visible_ids(user)).select_related(
        "assignment__worker", "attempt", "statement"
    )


def search_query_list_visible(*, user: AbstractBaseUser) -> QuerySet[SearchQuery]:
    """Return the search queries of visible batches, each with its results as shown (marked
    clicked and selected)."""
    return (
        SearchQuery.objects.filter(assignment__batch__in=_visible_ids(user))
        .select_related("assignment__worker", "statement")
        .prefetch_related(Prefetch("results", queryset=search_results_marked().order_by("rank")))
    )


def click_list_visible(*, user: AbstractBaseUser) -> QuerySet[ResultClick]:
    """Return the result clicks of visible batches."""
    return ResultClick.objects.filter(assignment__batch__in=_visible_ids(user)).select_related(
        "assignment__worker", "statement"
    )


def evidence_selection_list_visible(*, user: AbstractBaseUser) -> QuerySet[EvidenceSelection]:
    """Return the evidence selections (accepted and refused) of visible batches."""
    return EvidenceSelection.objects.filter(
        assignment__batch__in=_visible_ids(user)
    ).select_related("assignment__worker", "statement")


def aggregate_list_visible(*, user: AbstractBaseUser) -> QuerySet[StatementAggregate]:
    """Return the per statement x field aggregates of visible batches."""
    return StatementAggregate.objects.filter(batch__in=_visible_ids(user)).select_related(
        "statement__dataset", "statement__expert_level", "field"
    )


def analysis_list_visible(*, user: AbstractBaseUser) -> QuerySet[BatchAnalysis]:
    """Return the batch-level analysis results of visible batches."""
    return BatchAnalysis.objects.filter(batch__in=_visible_ids(user))


def agreement_list_visible(*, user: AbstractBaseUser) -> QuerySet[AgreementResult]:
    """Return the agreement (Krippendorff's alpha) results of visible batches."""
    return AgreementResult.objects.filter(batch__in=_visible_ids(user)).select_related("field")


def crowd_expert_list_visible(*, user: AbstractBaseUser) -> QuerySet[CrowdExpertResult]:
    """Return the crowd-vs-expert results of visible batches."""
    return CrowdExpertResult.objects.filter(batch__in=_visible_ids(user)).select_related("field")
