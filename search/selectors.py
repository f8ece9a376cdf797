"""Reads for the search app: the assignment and statement behind a token, and the URLs shown."""

import functools

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from assessments.hit_tokens import assignment_token_read
from assessments.models import Assignment, Batch, Statement

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


def evidence_urls_by_statement(*, assignment_id: int) -> dict[int, set[str]]:
    """Return evidence_urls_for of every statement this assignment searched for, in one query."""
    urls: dict[int, set[str]] = {}
    for statement_id, url_key in SearchResult.objects.filter(
        query__assignment_id=assignment_id
    ).values_list("query__statement_id", "url_key"):
        urls.setdefault(statement_id, set()).add(url_key)
    return urls


# What the search path reads; other fields load on first access, if ever. One hand-written join
# rather than the ORM's: compiling a select_related query with a statement subquery costs several
# times the database's own time on every search (measured in bench/search.py, docs/search.md).
_CONTEXT_FIELDS = (
    (Assignment, ("id", "batch", "worker", "status", "statement_order")),
    (Batch, ("id", "search_provider", "blocked_domains", "domain_match")),
    (Statement, ("id", "source_url", "metadata")),
)


@functools.cache
def _context_sql() -> str:
    quote = connection.ops.quote_name
    tables = [quote(model._meta.db_table) for model, _ in _CONTEXT_FIELDS]
    columns = ", ".join(
        f"{table}.{quote(model._meta.get_field(name).column)}"
        for table, (model, names) in zip(tables, _CONTEXT_FIELDS, strict=True)
        for name in names
    )
    batch_column = quote(Assignment._meta.get_field("batch").column)
    return (
        f"SELECT {columns} FROM {tables[0]} "
        f"JOIN {tables[1]} ON {tables[1]}.{quote('id')} = {tables[0]}.{batch_column} "
        f"LEFT JOIN {tables[2]} ON {tables[2]}.{quote('id')} = %s "
        f"WHERE {tables[0]}.{quote('id')} = %s"
    )


@functools.cache
def _columns(model, names: tuple[str, ...]) -> tuple[list[str], list[tuple]]:
    """Return the attnames of `names` and, per field, its column and the ORM's converters.

    Looked up once per process (per search, the lookup cost as much as the query itself); the
    converters depend on the backend only, not on which thread's connection they came from.
    """
    fields = [model._meta.get_field(name) for name in names]
    converters = []
    for field in fields:
        column = field.get_col(model._meta.db_table)
        converters.append(
            (
                column,
                connection.ops.get_db_converters(column) + column.get_db_converters(connection),
            )
        )
    return [f.attname for f in fields], converters


def _instance(model, names: tuple[str, ...], values: list):
    """Return a `model` instance from raw column values, converted as the ORM would."""
    attnames, converters = _columns(model, names)
    converted = []
    for (column, convert_all), value in zip(converters, values, strict=True):
        for convert in convert_all:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, attnames, converted)


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
    # An id no table can hold is simply not looked up (the database would refuse the query).
    lookup_id = statement_id if statement_id is not None and abs(statement_id) < 2**63 else None
    with connection.cursor() as cursor:
        cursor.execute(_context_sql(), [lookup_id, assignment_id])
        row = cursor.fetchone()
    if row is None:
        raise Http404("Unknown assignment.")
    instances, start = [], 0
    for model, names in _CONTEXT_FIELDS:
        instances.append(_instance(model, names, list(row[start : start + len(names)])))
        start += len(names)
    assignment, batch, statement = instances
    assignment.batch = batch
    if assignment.status != Assignment.Status.ACTIVE:
        raise PermissionDenied("This assignment is no longer active.")
    if statement_id is None:
        raise Http404("Unknown statement.")
    if statement_id not in assignment.statement_order:
        raise Http404("This statement is not part of your task.")
    if statement.pk is None:
        raise Http404("Unknown statement.")
    return assignment, statement


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
