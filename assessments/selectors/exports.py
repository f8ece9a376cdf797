"""Export tables: the columns and rows of each bulk export, read in bounded chunks."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet

from search.models import SearchQuery
from search.selectors import search_results_marked

from ..exports import Column
from ..models import (
    Assignment,
    Attempt,
    Batch,
    BehaviourEvent,
    Judgment,
    JudgmentValue,
    QuestionnaireAnswer,
    StatementAggregate,
    Worker,
)
from ..pseudonyms import worker_pseudonym

EXPORT_CHUNK_SIZE = 5000


def _real_workers(queryset: QuerySet, worker_path: str, include_simulated: bool) -> QuerySet:
    """Leave out simulated workers (pilots of `simulate_workers`) unless they are asked for."""
    if include_simulated:
        return queryset
    return queryset.exclude(**{f"{worker_path}__platform": Worker.Platform.SIMULATED})


class Pseudonymiser:
    """Maps (platform, platform_id) to export ids, remembering the workers of one export."""

    def __init__(self, salt: str | None = None):
        self._salt = salt or settings.WORKER_ID_SALT
        self._known: dict[tuple[str, str], str] = {}

    def __call__(self, platform: str, platform_id: str) -> str:
        key = (platform, platform_id)
        if key not in self._known:
            self._known[key] = worker_pseudonym(platform, platform_id, salt=self._salt)
        return self._known[key]


def _keyset_chunks(
    queryset: QuerySet, fields: tuple[str, ...], chunk_size: int | None
) -> Iterator[list]:
    """Yield lists of (pk, *fields) tuples in pk order, one bounded query per chunk.

    Keyset pagination rather than a server-side cursor: memory stays bounded on every backend and
    no transaction is held open while a slow client downloads.
    """
    chunk_size = chunk_size or EXPORT_CHUNK_SIZE
    last = 0
    while True:
        chunk = list(
            queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:chunk_size]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


# Columns that several exports share, described once.
WORKER_ID = Column("worker_id", "string", "Pseudonymous worker id (keyed hash of platform and id).")
STATEMENT_ID = Column("statement_id", "string", "External id of the statement in its dataset.")
TRY_NUMBER = Column("try_number", "integer", "Attempt (try) number, from 1.")
DATASET = Column("dataset", "string", "Dataset the statement comes from.")
IS_GOLD = Column("is_gold", "boolean", "Whether the statement is a gold (control) statement.")
EXPERT_LABEL = Column(
    "expert_label", "string", "Expert (fact-checker) label of the statement; empty for gold."
)
EXPERT_ORDINAL = Column(
    "expert_ordinal", "integer", "Position of the expert label on its scale, 0 = least true."
)

# The import format of judgments (the analysis issue's import_judgments): these columns, in this
# order, with one column per answer field slug after `position`.
JUDGMENT_HEAD = (
    WORKER_ID,
    STATEMENT_ID,
    Column("position", "integer", "0-based position of the statement in the worker's HIT."),
)
JUDGMENT_TAIL = (
    Column("url", "string", "Evidence URL the worker gave; empty when none."),
    Column("justification", "string", "Free-text justification; empty when none."),
    Column("time_elapsed_s", "float", "Seconds the worker spent on the statement's page."),
    TRY_NUMBER,
    IS_GOLD,
)
JUDGMENT_EXTRA = (
    DATASET,
    EXPERT_LABEL,
    EXPERT_ORDINAL,
    Column(
        "attempt_status",
        "string",
        "Outcome of the attempt: in_progress, passed, failed, abandoned.",
    ),
    Column("assignment_status", "string", "Status of the worker's assignment in the batch."),
    Column("page_served_at", "datetime", "When the statement's page was served (UTC)."),
    Column("answered_at", "datetime", "When the answer was recorded (UTC)."),
)


def field_columns(batch: Batch) -> list[tuple[int, Column]]:
    """Return (answer field id, its export column) for each answer field of `batch`, in order."""
    return [
        (
            field.pk,
            Column(
                field.slug,
                "integer",
                f"{field.label}: "
                + ", ".join(f"{level['value']} = {level['label']}" for level in field.scale),
            ),
        )
        for field in batch.fields.order_by("position")
    ]


def judgment_import_columns(batch: Batch) -> list[Column]:
    """Return the judgments import format for `batch`: head, a column per field slug, tail."""
    return [*JUDGMENT_HEAD, *(c for _, c in field_columns(batch)), *JUDGMENT_TAIL]


def judgment_export_columns(batch: Batch) -> list[Column]:
    """Return the judgments export columns: the import format followed by context columns."""
    return [*judgment_import_columns(batch), *JUDGMENT_EXTRA]


# Selected in this order: two worker columns (replaced by the pseudonym), the import format's
# head and tail, then the context columns.
JUDGMENT_FIELDS = (
    "attempt__assignment__worker__platform",
    "attempt__assignment__worker__platform_id",
    "statement__external_id",
    "position",
    "evidence_url",
    "justification",
    "time_on_page_s",
    "attempt__number",
    "statement__is_gold",
    "statement__dataset__name",
    "statement__expert_level__label",
    "statement__expert_level__ordinal",
    "attempt__status",
    "attempt__assignment__status",
    "page_served_at",
    "answered_at",
)


# The judgments the data package holds. The import format has no status column: import_judgments
# takes a worker's last try as passed and earlier ones as failed. So the package holds the tries
# of workers who completed the batch, which re-import with exactly their statuses; the bulk export
# keeps everything, with its status columns.
IMPORTABLE = Q(
    attempt__assignment__status=Assignment.Status.COMPLETED,
    attempt__status__in=[Attempt.Status.PASSED, Attempt.Status.FAILED],
)


def judgment_queryset(
    batch: Batch, *, include_simulated: bool = False, importable_only: bool = False
) -> QuerySet[Judgment]:
    """Return the judgments an export of `batch` holds (only IMPORTABLE ones if asked)."""
    judgments = _real_workers(
        Judgment.objects.filter(attempt__assignment__batch=batch),
        "attempt__assignment__worker",
        include_simulated,
    )
    return judgments.filter(IMPORTABLE) if importable_only else judgments


def judgment_export_rows(
    batch: Batch,
    *,
    salt: str | None = None,
    chunk_size: int | None = None,
    include_simulated: bool = False,
    importable_only: bool = False,
) -> Iterator[tuple]:
    """Yield one row per judgment of `batch` (worker x statement x attempt), in judgment_export_columns order.

    Two streams ordered by judgment id, the judgments and their values, are merged here into a
    column per field (a missing value is null): two index scans for the database, no GROUP BY.
    Both come through server-side cursors (PostgreSQL) or chunked fetches (SQLite), `chunk_size`
    judgments at a time, so memory does not grow with the batch.
    """
    field_ids = [field_id for field_id, _ in field_columns(batch)]
    slot = {field_id: index for index, field_id in enumerate(field_ids)}
    pseudonym = Pseudonymiser(salt)
    size = chunk_size or EXPORT_CHUNK_SIZE
    judgments = judgment_queryset(
        batch, include_simulated=include_simulated, importable_only=importable_only
    ).order_by("pk")
    bounds = judgments.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    values = (
        JudgmentValue.objects.filter(
            field_id__in=field_ids,
            judgment_id__gte=bounds["low"],
            judgment_id__lte=bounds["high"],
        )
        .order_by("judgment_id")
        .values_list("judgment_id", "field_id", "value")
    )
    with _whole_result_plan():
        judgment_rows = judgments.values_list("pk", *JUDGMENT_FIELDS).iterator(chunk_size=size)
        value_rows = values.iterator(chunk_size=size * max(len(field_ids), 1))
        try:
            pending = next(value_rows, None)
            for pk, platform, platform_id, statement_id, position, *tail in judgment_rows:
                answers = [None] * len(field_ids)
                while pending is not None and pending[0] <= pk:
                    if pending[0] == pk:
                        answers[slot[pending[1]]] = pending[2]
                    pending = next(value_rows, None)
                yield (pseudonym(platform, platform_id), statement_id, position, *answers, *tail)
        finally:
            # Inside the transaction the cursors belong to.
            judgment_rows.close()
            value_rows.close()


@contextmanager
def _whole_result_plan():
    """On PostgreSQL, stream the export's cursor from a read transaction planned for all its rows.

    Outside a transaction Django declares the cursor WITH HOLD, which makes PostgreSQL compute and
    store the whole result before the first row; inside one, rows stream as they are produced.
    And a cursor is planned for its first 10% of rows (cursor_tuple_fraction), which favours
    nested loops; an export reads every row, where hash joins are several times faster. Not on
    SQLite, whose transactions here take the write lock (BEGIN IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield


def _worker_chunks(
    queryset: QuerySet,
    worker_path: str,
    fields: tuple[str, ...],
    *,
    salt: str | None,
    chunk_size: int | None,
    include_simulated: bool,
) -> Iterator[list[tuple]]:
    """Yield chunks of (pk, worker pseudonym, *fields) rows of `queryset`, in pk order.

    The worker (at `worker_path`) is read as platform and platform id and replaced by its pseudonym.
    """
    pseudonym = Pseudonymiser(salt)
    rows = _real_workers(queryset, worker_path, include_simulated)
    selected = (f"{worker_path}__platform", f"{worker_path}__platform_id", *fields)
    for chunk in _keyset_chunks(rows, selected, chunk_size):
        yield [(pk, pseudonym(platform, id_), *rest) for pk, platform, id_, *rest in chunk]


def _worker_table(
    rows_of: Callable[[Batch], QuerySet], worker_path: str, fields: tuple[str, ...]
) -> Callable[..., Iterator[tuple]]:
    """Return an export's row function: the worker's pseudonym, then `fields`, of each row of
    rows_of(batch), read in chunks."""

    def rows(
        batch: Batch,
        *,
        salt: str | None = None,
        chunk_size: int | None = None,
        include_simulated: bool = False,
    ) -> Iterator[tuple]:
        for chunk in _worker_chunks(
            rows_of(batch),
            worker_path,
            fields,
            salt=salt,
            chunk_size=chunk_size,
            include_simulated=include_simulated,
        ):
            for row in chunk:
                yield row[1:]

    return rows


WORKER_COLUMNS = (
    WORKER_ID,
    Column("platform", "string", "Crowdsourcing platform the worker came from."),
    Column("assignment_status", "string", "Status of the worker's assignment in the batch."),
    Column("design", "integer", "Number of the HIT design the worker was given; empty when none."),
    Column("attempts", "integer", "Number of attempts (tries) the worker made."),
    Column("passed", "boolean", "Whether one of the attempts passed the quality gates."),
    Column("started_at", "datetime", "When the assignment started (UTC)."),
    Column("completed_at", "datetime", "When the assignment was completed (UTC); empty if not."),
    Column("is_blocked", "boolean", "Whether the worker is blocked on this deployment."),
    Column("is_imported", "boolean", "Whether the assignment was imported rather than collected."),
)
# One row per worker (assignment) of a batch.
worker_export_rows = _worker_table(
    lambda batch: Assignment.objects.filter(batch=batch).annotate(
        attempt_count=Count("attempts"),
        any_passed=Exists(
            Attempt.objects.filter(assignment=OuterRef("pk"), status=Attempt.Status.PASSED)
        ),
    ),
    "worker",
    ("worker__platform", "status", "design__number", "attempt_count", "any_passed",
     "started_at", "completed_at", "worker__is_blocked", "is_imported"),
)  # fmt: skip

ANSWER_COLUMNS = (
    WORKER_ID,
    TRY_NUMBER,
    Column("questionnaire", "string", "Slug of the questionnaire."),
    Column("question", "string", "Slug of the question."),
    Column("value", "string", "The answer: a 0-based choice index, a number or free text."),
    Column("is_correct", "boolean", "Whether a scored question (e.g. CRT) was answered correctly."),
    Column("answered_at", "datetime", "When the answer was recorded (UTC)."),
)
# One row per questionnaire answer of a batch.
answer_export_rows = _worker_table(
    lambda batch: QuestionnaireAnswer.objects.filter(attempt__assignment__batch=batch),
    "attempt__assignment__worker",
    ("attempt__number", "question__questionnaire__slug", "question__slug", "value",
     "is_correct", "answered_at"),
)  # fmt: skip

EVENT_COLUMNS = (
    WORKER_ID,
    Column("try_number", "integer", "Attempt (try) number, from 1; empty outside an attempt."),
    Column("statement_id", "string", "External id of the statement on screen; empty if none."),
    Column("kind", "string", "Event kind (page view, answer change, focus, ...)."),
    Column("payload", "json", "Event details as a JSON object."),
    Column("client_ts", "datetime", "Time reported by the worker's browser (UTC)."),
    Column("server_ts", "datetime", "Time the server received the event (UTC)."),
)
# One row per behaviour event of a batch.
event_export_rows = _worker_table(
    lambda batch: BehaviourEvent.objects.filter(assignment__batch=batch),
    "assignment__worker",
    ("attempt__number", "statement__external_id", "kind", "payload", "client_ts", "server_ts"),
)

SEARCH_LOG_COLUMNS = (
    WORKER_ID,
    STATEMENT_ID,
    Column("query_id", "integer", "Id of the search (one query, one page); its rows share it."),
    Column("query", "string", "The query as sent to the search provider."),
    Column("page", "integer", "Result page asked for, from 1."),
    Column("provider", "string", "Search provider that answered."),
    Column("status", "string", "ok, or failed: the provider failed and nothing was shown."),
    Column("error", "string", "Why the provider failed; empty when it did not."),
    Column("cache_hit", "boolean", "Whether the answer came from the search cache."),
    Column("latency_ms", "float", "Server time to answer, in milliseconds."),
    Column("blocked_count", "integer", "Results removed by the batch's domain blocklist."),
    Column(
        "withheld_count", "integer", "Corpus documents withheld because they judge this statement."
    ),
    Column("searched_at", "datetime", "When the search ran (UTC)."),
    Column(
        "rank",
        "integer",
        "1-based position of the result across pages; empty for a search that showed nothing.",
    ),
    Column("url", "string", "URL of the result as shown."),
    Column("domain", "string", "Host of the result's URL."),
    Column("title", "string", "Title as shown."),
    Column("snippet", "string", "Snippet as shown."),
    Column("clicked", "boolean", "Whether the worker opened the result."),
    Column(
        "selected",
        "boolean",
        "Whether the worker chose the result's URL as evidence for the statement (accepted).",
    ),
)
_SEARCH_FIELDS = ("statement__external_id", "text", "page", "provider", "status", "error",
                  "cache_hit", "latency_ms", "blocked_count", "withheld_count", "created_at")  # fmt: skip
_RESULT_FIELDS = ("rank", "url", "domain", "title", "snippet", "clicked", "selected")
_NOTHING_SHOWN = ((None,) * len(_RESULT_FIELDS),)


def search_log_export_rows(
    batch: Batch,
    *,
    salt: str | None = None,
    chunk_size: int | None = None,
    include_simulated: bool = False,
) -> Iterator[tuple]:
    """Yield one row per search result shown in `batch`, in SEARCH_LOG_COLUMNS order: the search's
    columns, then the result's. A search that showed nothing (failed, or no hits) is one row with
    empty result columns. Rows come by search id, then rank.
    """
    size = chunk_size or EXPORT_CHUNK_SIZE
    # A search shows at most a page of results, so a chunk of searches is at most `size` rows.
    searches = _worker_chunks(
        SearchQuery.objects.filter(assignment__batch=batch),
        "assignment__worker",
        _SEARCH_FIELDS,
        salt=salt,
        chunk_size=max(1, size // settings.SEARCH_PAGE_SIZE),
        include_simulated=include_simulated,
    )
    for chunk in searches:
        shown: dict[int, list[tuple]] = {}
        results = (
            search_results_marked()
            .filter(query_id__in=[search[0] for search in chunk])
            .order_by("query_id", "rank")
            .values_list("query_id", *_RESULT_FIELDS)
        )
        for query_id, *result in results:
            shown.setdefault(query_id, []).append(tuple(result))
        for pk, worker_id, statement_id, *search in chunk:
            for result in shown.get(pk, _NOTHING_SHOWN):
                yield (worker_id, statement_id, pk, *search, *result)


AGGREGATE_COLUMNS = (
    STATEMENT_ID,
    DATASET,
    IS_GOLD,
    EXPERT_LABEL,
    EXPERT_ORDINAL,
    Column("field", "string", "Slug of the answer field aggregated."),
    Column("n", "integer", "Number of judgments aggregated."),
    Column("mean", "float", "Mean of the judgments."),
    Column("median", "float", "Median of the judgments."),
    Column("sd", "float", "Sample standard deviation (n - 1); empty for a single judgment."),
    Column("majority", "float", "Most frequent value (majority vote)."),
    Column("weighted_mean", "float", "Mean weighted by each worker's gold accuracy."),
    Column("dawid_skene", "float", "Dawid-Skene truth estimate; empty when not computed."),
    Column("glad", "float", "GLAD truth estimate; empty when not computed."),
    Column("mace", "float", "MACE truth estimate; empty when not computed."),
    Column("histogram", "json", "Counts per scale value, in scale order (a JSON array)."),
    Column("updated_at", "datetime", "When the aggregate was last computed (UTC)."),
)
_AGGREGATE_FIELDS = ("statement__external_id", "statement__dataset__name", "statement__is_gold",
                     "statement__expert_level__label", "statement__expert_level__ordinal",
                     "field__slug", "n", "mean", "median", "sd", "majority", "weighted_mean",
                     "dawid_skene", "glad", "mace", "histogram", "updated_at")  # fmt: skip


def aggregate_export_rows(
    batch: Batch, *, chunk_size: int | None = None, **_options
) -> Iterator[tuple]:
    """Yield the stored per statement x field aggregates of `batch`, in AGGREGATE_COLUMNS order.

    They hold no worker ids; which workers they count is the analysis's choice (its options), so
    `include_simulated` and `salt` do not apply.
    """
    aggregates = StatementAggregate.objects.filter(batch=batch)
    for chunk in _keyset_chunks(aggregates, _AGGREGATE_FIELDS, chunk_size):
        for row in chunk:
            yield row[1:]


STATEMENT_COLUMNS = (
    STATEMENT_ID,
    DATASET,
    Column("role", "string", "pool: judged as study material; gold: a control statement."),
    Column("text", "string", "Text as shown to workers."),
    Column("text_clean", "string", "Cleaned variant of the text, when there is one."),
    Column("speaker", "string", "Who made the statement."),
    Column("year", "integer", "Year shown with the statement."),
    Column("date", "string", "Date of the statement (ISO 8601), when known."),
    Column("context", "string", "Where the statement was made."),
    Column("party", "string", "Party of the speaker."),
    Column("group", "string", "Sampling group (e.g. the study's doc group)."),
    EXPERT_LABEL,
    EXPERT_ORDINAL,
    IS_GOLD,
    Column("gold_truth", "string", "Intended truth of a gold statement: high or low."),
    Column("source_url", "string", "URL of the fact-check or source."),
)


def statement_export_rows(batch: Batch) -> Iterator[tuple]:
    """Yield the pool and gold statements of `batch` with their expert labels (researchers only)."""
    fields = ("external_id", "dataset__name", "text", "text_clean", "speaker", "year", "date",
              "context", "party", "group", "expert_level__label", "expert_level__ordinal",
              "is_gold", "gold_truth", "source_url")  # fmt: skip
    for role, statements in (("pool", batch.statements), ("gold", batch.gold_statements)):
        for row in statements.order_by("dataset__name", "external_id").values_list(*fields):
            (external_id, dataset, text, text_clean, speaker, year, date, *rest) = row
            yield (external_id, dataset, role, text, text_clean, speaker, year,
                   date.isoformat() if date else None, *rest)  # fmt: skip


def _fixed(columns: tuple[Column, ...]) -> Callable[[Batch], list[Column]]:
    return lambda batch: list(columns)


# Bulk exports by name: columns for a batch, and rows for a batch (called with include_simulated=).
# Add a kind here and it is served by the export endpoint and is a file of the data package.
EXPORT_KINDS: dict[str, tuple[Callable[[Batch], list[Column]], Callable[..., Iterator[tuple]]]] = {
    "judgments": (judgment_export_columns, judgment_export_rows),
    "workers": (_fixed(WORKER_COLUMNS), worker_export_rows),
    "answers": (_fixed(ANSWER_COLUMNS), answer_export_rows),
    "events": (_fixed(EVENT_COLUMNS), event_export_rows),
    "search-logs": (_fixed(SEARCH_LOG_COLUMNS), search_log_export_rows),
    "aggregates": (_fixed(AGGREGATE_COLUMNS), aggregate_export_rows),
}


def batch_configuration(batch: Batch) -> dict:
    """Return `batch`'s configuration as JSON-ready data, in the shape batch creation accepts.

    Raw worker ids (the blocklist) are left out: they would identify workers.
    """
    config = {
        name: getattr(batch, name)
        for name in (
            "slug", "title", "description", "status", "statements_per_hit",
            "judgments_per_statement", "composition", "quality_gates", "max_attempts",
            "retry_from", "time_limit_s", "justification", "justification_min_words", "show_context",
            "text_variant", "reward_cents", "currency", "platform_settings", "completion_url",
            "search_provider", "blocked_domains", "domain_match", "config_version",
        )
    }  # fmt: skip
    config["fields"] = [
        {
            "slug": f.slug,
            "label": f.label,
            "description": f.description,
            "scale": f.scale,
            "measurement": f.measurement,
            "requires_evidence": f.requires_evidence,
            "is_gold_field": f.is_gold_field,
            "separator_after": f.separator_after,
        }
        for f in batch.fields.order_by("position")
    ]
    config["questionnaires"] = [
        {
            "slug": q.slug,
            "title": q.title,
            "kind": q.kind,
            "questions": [
                {
                    "slug": question.slug,
                    "text": question.text,
                    "answer_type": question.answer_type,
                    "choices": question.choices,
                    "correct_answer": question.correct_answer,
                    "required": question.required,
                }
                for question in q.questions.order_by("position")
            ],
        }
        for q in batch.questionnaires.order_by("position").prefetch_related("questions")
    ]
    for name in ("statements", "gold_statements"):
        config[name] = [
            {"dataset": dataset, "external_id": external_id}
            for dataset, external_id in getattr(batch, name)
            .order_by("dataset__name", "external_id")
            .values_list("dataset__name", "external_id")
        ]
    config["excluded_batches"] = sorted(batch.excluded_batches.values_list("slug", flat=True))
    config["designs"] = [
        {
            "number": design.number,
            "capacity": design.capacity,
            "statements": sorted(s.external_id for s in design.statements.all()),
        }
        for design in batch.designs.order_by("number").prefetch_related("statements")
    ]
    return config
