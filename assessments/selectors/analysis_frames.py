"""Judgments and statements as pandas frames for the aggregation code (Celery workers only)."""

import io
from collections.abc import Iterable

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import QuerySet

from ..models import (
    AnswerField,
    Assignment,
    Attempt,
    Batch,
    Dataset,
    ExpertLevel,
    Judgment,
    JudgmentValue,
    Statement,
)

FRAME_COLUMNS = ["judgment", "assignment", "statement", "worker", "position", "time_s"]
INTEGER_COLUMNS = ("judgment", "assignment", "statement", "worker", "position")


def _in(column: str, values: Iterable) -> tuple[str, list]:
    values = list(values)
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def judgment_frame(
    *,
    batch: Batch,
    fields: list[AnswerField],
    attempt_statuses: Iterable[str],
    statement_ids: Iterable[int] | None = None,
    judges_of: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Return one row per judgment of the batch's attempts in `attempt_statuses`.

    `statement_ids` keeps the judgments of those statements; `judges_of` keeps every judgment of
    the workers who judged one of those statements (in an attempt in `attempt_statuses`).

    Columns: judgment, assignment, statement, worker, position, time_s, then one float column per
    field slug (NaN when missing). One query pivots the narrow JudgmentValue rows; on PostgreSQL
    a whole batch streams through COPY, several times faster than a cursor at a million rows,
    while the few rows of a per-assignment update come faster through the cursor.
    """
    pivots = ", ".join(
        f"MAX(CASE WHEN v.field_id = {int(f.pk)} THEN v.value END) AS f{i}"
        for i, f in enumerate(fields)
    )
    attempt_statuses = list(attempt_statuses)
    status_sql, status_params = _in("t.status", attempt_statuses)
    where = ["a.batch_id = %s", status_sql]
    params = [batch.pk, *status_params]
    if statement_ids is not None:
        clause, values = _in("j.statement_id", [int(pk) for pk in statement_ids])
        where.append(clause)
        params += values
    if judges_of is not None:
        clause, values = _in("j2.statement_id", [int(pk) for pk in judges_of])
        status_sql, status_params = _in("t2.status", attempt_statuses)
        where.append(
            f"a.worker_id IN (SELECT a2.worker_id FROM {Judgment._meta.db_table} j2 "
            f"JOIN {Attempt._meta.db_table} t2 ON t2.id = j2.attempt_id "
            f"JOIN {Assignment._meta.db_table} a2 ON a2.id = t2.assignment_id "
            f"WHERE a2.batch_id = %s AND {status_sql} AND {clause})"
        )
        params += [batch.pk, *status_params, *values]
    sql = (
        f"SELECT j.id, a.id, j.statement_id, a.worker_id, j.position, j.time_on_page_s"
        f"{', ' + pivots if pivots else ''} "
        f"FROM {Judgment._meta.db_table} j "
        f"JOIN {Attempt._meta.db_table} t ON t.id = j.attempt_id "
        f"JOIN {Assignment._meta.db_table} a ON a.id = t.assignment_id "
        f"LEFT JOIN {JudgmentValue._meta.db_table} v ON v.judgment_id = j.id "
        f"WHERE {' AND '.join(where)} "
        f"GROUP BY j.id, a.id, j.statement_id, a.worker_id, j.position, j.time_on_page_s "
        f"ORDER BY j.id"
    )
    columns = FRAME_COLUMNS + [f.slug for f in fields]
    # Scale values are small integers, exact in float32: half the memory of float64 at a
    # million judgments; NaN marks a missing value.
    dtypes = {c: np.int64 if c in INTEGER_COLUMNS else np.float64 for c in FRAME_COLUMNS}
    dtypes |= {f.slug: np.float32 for f in fields}
    whole_batch = statement_ids is None and judges_of is None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and whole_batch:
            # JIT-compiling this one-pass aggregate costs seconds and saves nothing; SET LOCAL
            # ends with the caller's transaction.
            cursor.execute("SET LOCAL jit = off")
            buffer = io.BytesIO()
            query = cursor.mogrify(sql, params).decode()
            cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
            buffer.seek(0)
            frame = pd.read_csv(buffer, names=columns, header=None, dtype=dtypes)
            del buffer
        else:
            cursor.execute(sql, params)
            # One float matrix (None becomes NaN), then each column cast once.
            data = np.array(cursor.fetchall(), dtype=float).reshape(-1, len(columns))
            frame = pd.DataFrame(
                {c: data[:, i].astype(dtypes[c]) for i, c in enumerate(columns)}, copy=False
            )
    return frame


def statement_frame(*, statement_ids: QuerySet | Iterable[int]) -> pd.DataFrame:
    """Return statements indexed by id: external_id, dataset, expert_level, n_levels, is_gold,
    gold_truth."""
    if isinstance(statement_ids, QuerySet):
        subquery, params = statement_ids.query.sql_with_params()
        where = f"s.id IN ({subquery})"
    else:
        where, params = _in("s.id", [int(pk) for pk in statement_ids])
    # One plain query: at 100,000 statements the ORM's row objects and a per-row count subquery
    # took seconds.
    sql = (
        "SELECT s.id, s.external_id, d.name, l.ordinal, n.n_levels, s.is_gold, s.gold_truth "
        f"FROM {Statement._meta.db_table} s "
        f"JOIN {Dataset._meta.db_table} d ON d.id = s.dataset_id "
        f"LEFT JOIN {ExpertLevel._meta.db_table} l ON l.id = s.expert_level_id "
        f"LEFT JOIN (SELECT dataset_id, COUNT(*) AS n_levels FROM {ExpertLevel._meta.db_table} "
        "GROUP BY dataset_id) n ON n.dataset_id = s.dataset_id "
        f"WHERE {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "external_id",
            "dataset",
            "expert_level",
            "n_levels",
            "is_gold",
            "gold_truth",
        ],
    ).set_index("id")
    frame["expert_level"] = frame["expert_level"].astype(float)
    frame["n_levels"] = frame["n_levels"].astype(float)
    frame["is_gold"] = frame["is_gold"].astype(bool)
    return frame
