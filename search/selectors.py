"""Reads for the search app: the assignment and statement behind a token, and the URLs shown."""

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Subquery
from django.http import Http404

from assessments.hit_tokens import assignment_token_read
from assessments.models import Assignment, Statement

from .models import SearchResult


def evidence_urls_for(*, assignment_id: int, statement_id: int) -> set[str]:
    """Return the normalised URLs (filters.url_normalise) shown to this assignment for a statement.

    Compare a submitted evidence URL with `filters.url_normalise(url) in evidence_urls_for(...)`.
    """
    return set(
        SearchResult.objects.filter(
            query__assignment_id=assignment_id, query__statement_id=statement_id
        ).values_list("url_key", flat=True)
    )


# What the search path reads of a statement; other fields load on first access, if ever.
_STATEMENT_FIELDS = ("id", "source_url", "metadata")


def search_context_get(*, token: str, statement_id: object) -> tuple[Assignment, Statement]:
    """Return the active assignment named by a signed token (batch included) and one statement of
    its HIT, read in one query.

    Raises Http404 for a forged or unknown token and for a statement id that is not one of the
    assignment's statements, PermissionDenied once the assignment is no longer active (submitted,
    failed, expired or returned).
    """
    try:
        assignment_id = assignment_token_read(token)
    except signing.BadSignature as exc:
        raise Http404("Unknown assignment.") from exc
    try:
        statement_id = int(statement_id)
    except (TypeError, ValueError):
        statement_id = None
    statement = Statement.objects.filter(pk=statement_id)
    assignment = (
        Assignment.objects.select_related("batch")
        .annotate(
            **{f"statement_{name}": Subquery(statement.values(name)) for name in _STATEMENT_FIELDS}
        )
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise Http404("Unknown assignment.")
    if assignment.status != Assignment.Status.ACTIVE:
        raise PermissionDenied("This assignment is no longer active.")
    if statement_id is None:
        raise Http404("Unknown statement.")
    if statement_id not in assignment.statement_order:
        raise Http404("This statement is not part of your task.")
    if assignment.statement_id is None:
        raise Http404("Unknown statement.")
    values = [getattr(assignment, f"statement_{name}") for name in _STATEMENT_FIELDS]
    return assignment, Statement.from_db(Assignment.objects.db, _STATEMENT_FIELDS, values)
