"""Search writes: run a worker's search (throttle -> cache -> backend -> filter -> log), log clicks
and evidence selections, load the evidence corpus."""

import functools
import hashlib
import json
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from assessments.models import Assignment, Statement

from . import corpus, filters
from .backends import SearchBackendError, SearchHit, backend_get, provider_name
from .exceptions import SearchThrottled, SearchUnavailable
from .models import Document, EvidenceSelection, ResultClick, SearchQuery, SearchResult
from .selectors import evidence_urls_for
from .throttling import throttle_check_and_get

__all__ = [
    "CorpusSummary",
    "ResultItem",
    "SearchPage",
    "SearchThrottled",
    "SearchUnavailable",
    "corpus_load",
    "evidence_select_record",
    "result_click_record",
    "search_perform",
]

MAX_QUERY_CHARS = 400  # Brave takes at most 400 characters
TITLE_CHARS = 300
SNIPPET_CHARS = 600
URL_MAX_CHARS = 2000


@dataclass(frozen=True)
class ResultItem:
    rank: int
    url: str
    title: str
    snippet: str
    domain: str


@dataclass(frozen=True)
class SearchPage:
    """What a worker is shown for one query; holds nothing but public result data."""

    results: list[ResultItem]
    page: int
    has_next: bool
    blocked_count: int
    query_id: int


@dataclass
class _Answer:
    """A provider page after blocking, clipped and normalised for display and logging: what the
    cache holds, so that a cache hit only removes this statement's own rulings and numbers ranks."""

    hits: list[dict] = field(default_factory=list)
    has_next: bool = False
    blocked_count: int = 0


def _cache_key(provider: str, query: str, page: int, page_size: int, batch) -> str:
    parts = [
        provider,
        filters.query_cache_form(query),
        page,
        page_size,
        batch.domain_match,
        sorted(d.strip().lower() for d in batch.blocked_domains),
    ]
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
    return f"search:answer:v2:{digest}"


def _hit_blocked(hit: SearchHit, blocked: list[str], mode: str) -> bool:
    if filters.url_is_blocked(hit.url, blocked, mode):
        return True
    if mode == filters.MODE_SUBSTRING and filters.text_is_blocked(
        f"{hit.title}\n{hit.snippet}", blocked
    ):
        return True
    if not hit.source:
        return False
    source = hit.source if "://" in hit.source else f"https://{hit.source}/"
    return filters.url_is_blocked(source, blocked, mode)


def _answer_fetch(backend, query: str, page: int, page_size: int, batch) -> _Answer:
    backend_page = backend.search(query, page=page, page_size=page_size)
    answer = _Answer(has_next=backend_page.has_next)
    for hit in backend_page.hits:
        if len(hit.url) > URL_MAX_CHARS:
            continue  # cannot be logged as shown, so it is not shown
        if _hit_blocked(hit, batch.blocked_domains, batch.domain_match):
            answer.blocked_count += 1
            continue
        domain = filters.url_host(hit.url)
        answer.hits.append(
            {
                "url": hit.url,
                "url_key": filters.url_normalise(hit.url),
                "title": _clip(hit.title, TITLE_CHARS) or domain,
                "snippet": _clip(hit.snippet, SNIPPET_CHARS),
                "domain": domain,
                "about": hit.about,
            }
        )
    return answer


def _claim_refs(statement: Statement) -> set[str]:
    """Return the claim references a corpus document may be `about` for this statement."""
    metadata = statement.metadata if isinstance(statement.metadata, dict) else {}
    liar_id = metadata.get("liar_id")
    return {f"liar:{liar_id}"} if liar_id else set()


def _clip(text: str, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _statement_check(assignment: Assignment, statement: Statement) -> None:
    if statement.pk not in assignment.statement_order:
        raise PermissionDenied("This statement is not part of the worker's task.")


def search_perform(
    *, assignment: Assignment, statement: Statement, query: str, page: int = 1
) -> SearchPage:
    """Run one search for a worker and statement, log it with the results shown, and return them.

    Order: throttle (per worker) -> cache (provider, normalised query, page, blocklist) ->
    backend -> drop blocked results -> drop corpus documents about this very statement -> log.
    Raises ValidationError for an empty or over-long query or a bad page, PermissionDenied for a
    statement outside the assignment, SearchThrottled when the worker searches too often and
    SearchUnavailable when the provider fails (that failure is logged; searching again is fine).
    Not atomic as a whole: a failed search must stay logged while the error propagates.
    """
    _statement_check(assignment, statement)
    text = filters.query_normalise(query)
    if not text:
        raise ValidationError("Type something to search for.", code="empty")
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(
            f"Please shorten your search to {MAX_QUERY_CHARS} characters.", code="too_long"
        )
    if not isinstance(page, int) or not 1 <= page <= settings.SEARCH_MAX_PAGE:
        raise ValidationError(f"Pages go from 1 to {settings.SEARCH_MAX_PAGE}.", code="bad_page")
    batch = assignment.batch
    provider = provider_name(batch.search_provider)
    page_size = settings.SEARCH_PAGE_SIZE
    started = time.perf_counter()
    key = _cache_key(provider, text, page, page_size, batch)
    answer = throttle_check_and_get(worker_id=assignment.worker_id, key=key)
    cache_hit = answer is not None
    if not cache_hit:
        try:
            answer = _answer_fetch(backend_get(provider), text, page, page_size, batch)
        except (SearchBackendError, ImproperlyConfigured) as exc:
            # A misconfigured provider (e.g. a batch naming an unknown one) must not break the
            # HIT page either: the worker gets the same "try again" message, the log the cause.
            _query_log(
                assignment=assignment,
                statement=statement,
                text=text,
                page=page,
                provider=provider,
                latency_ms=(time.perf_counter() - started) * 1000,
                status=SearchQuery.Status.FAILED,
                error=str(exc)[:500],
            )
            raise SearchUnavailable(str(exc)) from exc
        cache.set(key, answer, timeout=settings.SEARCH_CACHE_TIMEOUT_S)

    refs = _claim_refs(statement)
    own_page = filters.url_normalise(statement.source_url) if statement.source_url else ""
    shown = [
        hit
        for hit in answer.hits
        if not (
            (hit["about"] and hit["about"] in refs) or (own_page and hit["url_key"] == own_page)
        )
    ]
    first_rank = (page - 1) * page_size + 1
    latency_ms = (time.perf_counter() - started) * 1000
    search_query = _query_log(
        assignment=assignment,
        statement=statement,
        text=text,
        page=page,
        provider=provider,
        latency_ms=latency_ms,
        cache_hit=cache_hit,
        blocked_count=answer.blocked_count,
        withheld_count=len(answer.hits) - len(shown),
        has_next=answer.has_next,
        results=[_log_result(hit, first_rank + n) for n, hit in enumerate(shown)],
    )
    return SearchPage(
        results=[
            ResultItem(
                rank=first_rank + n,
                url=hit["url"],
                title=hit["title"],
                snippet=hit["snippet"],
                domain=hit["domain"],
            )
            for n, hit in enumerate(shown)
        ],
        page=page,
        has_next=answer.has_next,
        blocked_count=answer.blocked_count,
        query_id=search_query.pk,
    )


_RESULT_FIELDS = ("rank", "url", "url_key", "title", "snippet", "domain")


def _log_result(hit: dict, rank: int) -> dict:
    """Return the SearchResult field values for `hit` shown at `rank`."""
    return {"rank": rank, **{name: hit[name] for name in _RESULT_FIELDS[1:]}}


def _query_log(*, results: list[dict] = (), **fields) -> SearchQuery:
    """Save one SearchQuery and the results shown for it (SearchResult field values), all or
    nothing."""
    search_query = SearchQuery(**fields)
    # Field checks only: the foreign keys are instances already loaded, and the database enforces
    # the check constraints; Django would spend four extra queries on every search re-checking them.
    search_query.full_clean(exclude=["assignment", "statement"], validate_constraints=False)
    if connection.vendor == "postgresql":
        search_query.pk = _query_log_postgresql(search_query, results)
        return search_query
    with transaction.atomic():
        search_query.save()
        SearchResult.objects.bulk_create(
            SearchResult(query=search_query, **values) for values in results
        )
    return search_query


_QUERY_FIELDS = [f for f in SearchQuery._meta.concrete_fields if not f.primary_key]


@functools.lru_cache(maxsize=64)
def _log_sql(result_count: int) -> str:
    quote = connection.ops.quote_name
    sql = (
        "SET LOCAL synchronous_commit TO OFF; "
        f"WITH q AS (INSERT INTO {quote(SearchQuery._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in _QUERY_FIELDS)}) "
        f"VALUES ({', '.join(['%s'] * len(_QUERY_FIELDS))}) RETURNING id)"
    )
    if result_count:
        # A data-modifying WITH clause always runs to completion, whether or not it is read.
        columns = [SearchResult._meta.get_field(name).column for name in ("query", *_RESULT_FIELDS)]
        row = f"({', '.join(['%s'] * len(_RESULT_FIELDS))})"
        sql += (
            f", r AS (INSERT INTO {quote(SearchResult._meta.db_table)} "
            f"({', '.join(quote(c) for c in columns)}) "
            f"SELECT q.id, v.* FROM q, (VALUES {', '.join([row] * result_count)}) AS v)"
        )
    return sql + " SELECT id FROM q"


def _query_log_postgresql(search_query: SearchQuery, results: list[dict]) -> int:
    """Insert the query and its results in one round trip; return the query's id.

    Several statements in one simple-protocol query run as one implicit transaction, so this is
    atomic without BEGIN/COMMIT round trips (psycopg2 binds parameters client-side). A search log
    need not wait for its WAL flush: a database crash can lose the last fraction of a second of
    logs (never corrupt them), and the worker would search again.
    """
    params = [f.get_db_prep_save(f.pre_save(search_query, True), connection) for f in _QUERY_FIELDS]
    for values in results:  # plain strings and integers: nothing to prepare
        params.extend(values[name] for name in _RESULT_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(_log_sql(len(results)), params)
        return cursor.fetchone()[0]


@transaction.atomic
def result_click_record(
    *, assignment: Assignment, statement: Statement, query_id: int, rank: int, url: str
) -> ResultClick:
    """Log that the worker opened result `rank` of their query `query_id`.

    Raises ValidationError unless that query belongs to this assignment and statement and showed
    `url` at `rank` (so the click log holds only results the worker really saw).
    """
    shown = SearchResult.objects.filter(
        query_id=query_id,
        query__assignment=assignment,
        query__statement=statement,
        rank=rank,
        url_key=filters.url_normalise(url),
    )
    if not filters.url_normalise(url) or not shown.exists():
        raise ValidationError(
            "That result was not shown to you for this statement.", code="unknown"
        )
    click = ResultClick(
        assignment=assignment, statement=statement, query_id=query_id, rank=rank, url=url
    )
    click.full_clean()
    click.save()
    return click


def _evidence_refusal(assignment: Assignment, statement: Statement, url: str) -> tuple[str, str]:
    if statement.pk not in assignment.statement_order:
        return "not_in_task", "This statement is not part of your task."
    url_key = filters.url_normalise(url)
    if not url_key:
        return "invalid", "Give a web address (http or https) from your search results."
    batch = assignment.batch
    if filters.url_is_blocked(url, batch.blocked_domains, batch.domain_match):
        return "blocked", "Pages from fact-checking sites cannot be used as evidence in this task."
    if url_key not in evidence_urls_for(assignment_id=assignment.pk, statement_id=statement.pk):
        return (
            "not_shown",
            "Choose a page from your own search results for this statement.",
        )
    return "", ""


def evidence_select_record(
    *, assignment: Assignment, statement: Statement, url: str
) -> EvidenceSelection:
    """Log that the worker chose `url` as evidence for `statement`.

    Raises ValidationError (code "not_in_task", "invalid", "blocked" or "not_shown") unless the
    URL is allowed by the batch blocklist and was among the results logged for this worker and
    statement. Refusals are logged too (a forged fact-checker URL is a leak attempt worth
    studying), so the refusal is saved before the error is raised; not atomic for that reason.
    """
    reason, message = _evidence_refusal(assignment, statement, url)
    selection = EvidenceSelection(
        assignment=assignment,
        statement=statement,
        url=(url or "")[:2000],
        url_key=filters.url_normalise(url)[:2000],
        accepted=not reason,
        reason=reason,
    )
    selection.full_clean()
    selection.save()
    if reason:
        raise ValidationError(message, code=reason)
    return selection


@dataclass
class CorpusSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self):
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


_DOCUMENT_FIELDS = ("title", "text", "source", "provenance", "about", "published")


@transaction.atomic
def corpus_load(*, rows: list[corpus.DocumentRow], chunk_size: int = 1000) -> CorpusSummary:
    """Create or update corpus documents, identified by URL, all or nothing (rows are pre-parsed).

    Loading the same file twice changes nothing. Raises ValidationError if a row does not fit
    the model; nothing is written then.
    """
    summary = CorpusSummary()
    errors: list[str] = []
    now = timezone.now()
    for start in range(0, len(rows), chunk_size):
        chunk = rows[start : start + chunk_size]
        existing = {d.url: d for d in Document.objects.filter(url__in=[r.url for r in chunk])}
        to_create, to_update = [], []
        for row in chunk:
            values = {name: getattr(row, name) for name in _DOCUMENT_FIELDS}
            document = existing.get(row.url)
            if document is None:
                to_create.append(Document(url=row.url, **values))
            elif any(getattr(document, k) != v for k, v in values.items()):
                for name, value in values.items():
                    setattr(document, name, value)
                document.loaded_at = now  # bulk_update skips auto_now; the index watches it
                to_update.append(document)
            else:
                summary.unchanged += 1
        for document in to_create + to_update:
            try:
                document.full_clean(validate_unique=False)
            except ValidationError as exc:
                errors.extend(f"{document.url}: {message}" for message in exc.messages)
        if errors:
            continue  # keep checking the other chunks so that every bad row is named
        Document.objects.bulk_create(to_create)
        Document.objects.bulk_update(to_update, (*_DOCUMENT_FIELDS, "loaded_at"))
        summary.created += len(to_create)
        summary.updated += len(to_update)
    if errors:
        raise ValidationError(errors)
    return summary
