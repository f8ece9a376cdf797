"""The judgments CSV written by PostgreSQL itself (COPY), byte for byte what the CSV writer makes."""

import io
import uuid
from collections.abc import Iterator, Sequence

from django.conf import settings
from django.db import connection, transaction

from ..exports import Column, writer_get
from ..models import Batch, JudgmentValue, Worker
from ..pseudonyms import worker_pseudonym
from . import exports

# SQL that prints a column's value as CsvWriter does (exports._TEXT and Python's str()); NULL
# prints as an empty cell in both. Python writes an empty string unquoted where COPY would quote
# it, hence NULLIF. A whole float gets Python's ".0" (repr), and times are isoformat() in UTC,
# without a fraction when it is zero.
_ISO_SECONDS = '\'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\''
_ISO_MICROSECONDS = '\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\''
_AS_TEXT = {
    "string": "NULLIF({0}, '')",
    "integer": "{0}",
    "float": "{0}::text || CASE WHEN {0} = trunc({0}) AND abs({0}) < 1e15 THEN '.0' ELSE '' END",
    "boolean": "{0}::text",
    "datetime": (
        "to_char({0} AT TIME ZONE 'UTC', CASE WHEN extract(microseconds FROM {0})::bigint "
        f"% 1000000 = 0 THEN {_ISO_SECONDS} ELSE {_ISO_MICROSECONDS} END)"
    ),
}


def judgment_copy_supported() -> bool:
    """Return True when the database can write the judgments CSV: PostgreSQL through psycopg2
    (psycopg 3 has another COPY API), with the right to create temporary tables (granted to
    every user by default, but a locked-down deployment may revoke it)."""
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if is_psycopg3:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_database_privilege(current_database(), 'TEMPORARY')")
        return cursor.fetchone()[0]


def judgment_csv_copy(
    batch: Batch,
    columns: Sequence[Column],
    *,
    include_simulated: bool = False,
    importable_only: bool = False,
    salt: str | None = None,
    chunk_size: int | None = None,
) -> Iterator[bytes]:
    """Yield the judgments CSV of `batch` (`columns`: the export columns or their import-format
    head) as COPY writes it, one chunk of `chunk_size` judgments at a time, in judgment id order.

    The same bytes as CsvWriter over exports.judgment_export_rows, at several times its speed:
    Python only computes the worker pseudonyms (an HMAC the database cannot), into a temporary
    table the COPY joins. Outside a transaction, all chunks read one snapshot (REPEATABLE READ),
    as the row iterator's single cursor does.
    """
    judgments = exports.judgment_queryset(
        batch, include_simulated=include_simulated, importable_only=importable_only
    )
    size = chunk_size or exports.EXPORT_CHUNK_SIZE
    yield from writer_get("csv")(columns).stream(())  # the header
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:  # a new transaction, nothing read yet: one snapshot for every chunk
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        pseudonyms = _pseudonym_table(cursor, batch, salt)
        # Small queries, one per chunk: JIT compiling and parallel workers cost more than they save.
        cursor.execute("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0")
        chunk = _ChunkQuery(cursor, batch, judgments, columns, pseudonyms)
        low = 0
        for high in [*_chunk_ends(cursor, judgments, size), None]:
            buffer = io.BytesIO()
            cursor.copy_expert(f"COPY ({chunk.sql(low, high)}) TO STDOUT WITH (FORMAT csv)", buffer)
            if buffer.tell():
                yield buffer.getvalue()
            low = high


def _mogrify(cursor, sql: str, params) -> str:
    return cursor.mogrify(sql, params).decode()


def _chunk_ends(cursor, judgments, size: int) -> list[int]:
    """Return every `size`-th judgment id in id order: the upper ends of the chunks."""
    sql, params = judgments.order_by().values("pk").query.sql_with_params()
    cursor.execute(
        f"SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ({sql}) AS s(id)) "
        "AS t WHERE n %% %s = 0 ORDER BY id",
        [*params, size],
    )
    return [row[0] for row in cursor.fetchall()]


def _pseudonym_table(cursor, batch: Batch, salt: str | None) -> str:
    """Create a temporary table of (worker id, pseudonym) for the workers of `batch`; return its
    name. It is dropped at commit."""
    name = f"export_pseudonyms_{uuid.uuid4().hex}"
    cursor.execute(
        f"CREATE TEMPORARY TABLE {name} (worker_id bigint PRIMARY KEY, pseudonym text NOT NULL) "
        "ON COMMIT DROP"
    )
    salt = salt or settings.WORKER_ID_SALT
    workers = Worker.objects.filter(assignments__batch=batch).values_list(
        "pk", "platform", "platform_id"
    )
    size = exports.EXPORT_CHUNK_SIZE
    lines = []
    for pk, platform, platform_id in workers.iterator(chunk_size=size):
        # Hex digits and an integer: nothing to escape in COPY's text format.
        lines.append(f"{pk}\t{worker_pseudonym(platform, platform_id, salt=salt)}\n")
        if len(lines) == size:
            cursor.copy_expert(f"COPY {name} FROM STDIN", io.StringIO("".join(lines)))
            lines.clear()
    cursor.copy_expert(f"COPY {name} FROM STDIN", io.StringIO("".join(lines)))
    cursor.execute(f"ANALYZE {name}")
    return name


class _ChunkQuery:
    """The SELECT of one chunk's CSV cells: judgments (the ORM's joins and filters), their worker's
    pseudonym, and their values pivoted to a column per field, all in judgment id order."""

    def __init__(self, cursor, batch: Batch, judgments, columns: Sequence[Column], pseudonyms):
        quote = connection.ops.quote_name
        field_ids = [field_id for field_id, _ in exports.field_columns(batch)]
        head, tail = exports.JUDGMENT_FIELDS[2:4], exports.JUDGMENT_FIELDS[4:]
        # The export's columns in order: the worker, the head (e.c1, e.c2), a column per field
        # (v.f0, v.f1, ...), then the tail and the context columns (e.c3, ...).
        sources = [
            f"{pseudonyms}.pseudonym",
            "e.c1",
            "e.c2",
            *(f"v.f{n}" for n in range(len(field_ids))),
            *(f"e.c{n}" for n in range(3, 3 + len(tail))),
        ][: len(columns)]
        selected = sources[1:]
        cells = [_AS_TEXT[c.kind].format(s) for c, s in zip(columns[1:], selected, strict=True)]
        sql, params = (
            judgments.order_by()
            .values_list("pk", "attempt__assignment__worker_id", *head, *tail)
            .query.sql_with_params()
        )
        aliases = ", ".join(["id", *(f"c{n}" for n in range(3 + len(tail)))])
        self._select = (
            f"SELECT {sources[0]}, {', '.join(cells)} "
            f"FROM ({_mogrify(cursor, sql, params)}) AS e({aliases}) "
            f"JOIN {pseudonyms} ON {pseudonyms}.worker_id = e.c0"
        )
        self._judgment_id = quote("judgment_id")
        self._pivots = "".join(
            f", max({quote('value')}) FILTER (WHERE {quote('field_id')} = {int(field_id)}) AS f{n}"
            for n, field_id in enumerate(field_ids)
        )
        self._values_table = quote(JudgmentValue._meta.db_table)

    def sql(self, low: int, high: int | None) -> str:
        """Return the SELECT of the judgments with ids in (low, high] (no upper end if None)."""

        def bounds(column: str) -> str:
            # Integers from the database: safe to write into the SQL, which COPY cannot bind.
            upper = "" if high is None else f" AND {column} <= {int(high)}"
            return f"{column} > {int(low)}{upper}"

        # The values grouped by judgment alone, over the chunk's id range only: a few thousand
        # rows. (Grouping the joined judgment rows instead sorts them on every selected column.)
        values = (
            f"SELECT {self._judgment_id}{self._pivots} FROM {self._values_table} "
            f"WHERE {bounds(self._judgment_id)} GROUP BY {self._judgment_id}"
        )
        return (
            f"{self._select} LEFT JOIN ({values}) AS v ON v.{self._judgment_id} = e.id "
            f"WHERE {bounds('e.id')} ORDER BY e.id"
        )
