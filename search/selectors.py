"""Reads for the search app: the assignment behind a token, and the URLs a worker was shown."""

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from assessments.hit_tokens import assignment_token_read
from assessments.models import Assignment, Statement

from .models import EvidenceSelection, ResultClick, SearchResult


def evidence_urls_for(*, assignment_id: int, statement_id: int) -> set[str]:
    """Return the normalised URLs (filters.url_normalise) shown to this assignment for a statement.

    Compare a submitted evidence URL with `filters.url_normalise(url) in evidence_urls_for(...)`.
    """
    return set(
        SearchResult.objects.filter(
            query__assignment_id=assignment_id, query__statement_id=statement_id
        ).values_list("url_key", flat=True)
    )


def search_assignment_get(*, token: str) -> Assignment:
    """Return the active assignment named by a signed token.

    Raises Http404 for a forged or unknown token and PermissionDenied once the assignment is no
    longer active (submitted, failed, expired or returned).
    """
    try:
        assignment_id = assignment_token_read(token)
    except signing.BadSignature as exc:
        raise Http404("Unknown assignment.") from exc
    try:
        assignment = Assignment.objects.select_related("batch").get(pk=assignment_id)
    except Assignment.DoesNotExist as exc:
        raise Http404("Unknown assignment.") from exc
    if assignment.status != Assignment.Status.ACTIVE:
        raise PermissionDenied("This assignment is no longer active.")
    return assignment


def search_statement_get(*, assignment: Assignment, statement_id: object) -> Statement:
    """Return a statement of this assignment's HIT; raise Http404 for any other id."""
    try:
        statement_id = int(statement_id)
    except (TypeError, ValueError) as exc:
        raise Http404("Unknown statement.") from exc
    if statement_id not in assignment.statement_order:
        raise Http404("This statement is not part of your task.")
    try:
        return Statement.objects.get(pk=statement_id)
    except Statement.DoesNotExist as exc:
        raise Http404("Unknown statement.") from exc


def search_results_marked() -> QuerySet[SearchResult]:
    """Return shown results with `clicked` (the worker opened it) and `selected` (the worker's
    accepted evidence for that statement has this URL) as booleans: the research log's view."""
    return SearchResult.objects.annotate(
        clicked=Exists(
            ResultClick.objects.filter(query_id=OuterRef("query_id"), rank=OuterRef("rank"))
        ),
        selected=Exists(
            EvidenceSelection.objects.filter(
                assignment_id=OuterRef("query__assignment_id"),
                statement_id=OuterRef("query__statement_id"),
                url_key=OuterRef("url_key"),
                accepted=True,
            )
        ),
    )
