"""Analysis writes: full batch recompute, per-assignment update, results upserted idempotently."""

import json
import time

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from .. import aggregation
from ..models import (
    AgreementResult,
    Assignment,
    AssignmentAggregation,
    Batch,
    BatchAnalysis,
    CrowdExpertResult,
    Judgment,
    StatementAggregate,
)
from ..models.analysis import default_analysis_options
from ..selectors import analysis as selectors
from ..selectors import analysis_frames as frames

AGGREGATE_COLUMNS = ("n", "mean", "median", "sd", "histogram", "majority", "weighted_mean")
FRAME_COLUMNS = ("statement", "field", "n", "mean", "median", "sd", "majority", "weighted_mean")
LATENT_COLUMNS = ("dawid_skene", "glad", "mace")


def analysis_options(*, analysis: BatchAnalysis) -> tuple[aggregation.Options, list[str]]:
    """Return the validated options of `analysis` and the attempt statuses to include.

    Raises ValidationError naming every bad option.
    """
    raw = default_analysis_options() | (analysis.options or {})
    errors = []
    statuses = raw.get("attempt_statuses")
    if not isinstance(statuses, list) or not statuses:
        errors.append("attempt_statuses must be a non-empty list of attempt statuses")
    methods = raw.get("latent_methods")
    if not isinstance(methods, list) or set(methods) - set(aggregation.LATENT_METHODS):
        errors.append(f"latent_methods must be a list drawn from {aggregation.LATENT_METHODS}")
    numbers = ("bootstrap_samples", "seed", "folds", "prediction_max_statements")
    for key in (*numbers, "latent_max_judgments", "phi_max_judgments"):
        if not isinstance(raw.get(key), int) or raw[key] < 0:
            errors.append(f"{key} must be a non-negative integer")
    if not isinstance(raw.get("phi_draws"), int) or raw["phi_draws"] < 1:
        errors.append("phi_draws must be a positive integer")
    for key in ("include_gold", "prediction", "phi"):
        if not isinstance(raw.get(key), bool):
            errors.append(f"{key} must be true or false")
    if errors:
        raise ValidationError({"options": errors})
    options = aggregation.Options(
        include_gold=raw["include_gold"],
        bootstrap_samples=raw["bootstrap_samples"],
        seed=raw["seed"],
        latent_methods=tuple(methods),
        folds=raw["folds"],
        prediction=raw["prediction"],
        prediction_max_statements=raw["prediction_max_statements"],
        latent_max_judgments=raw["latent_max_judgments"],
        phi=raw["phi"],
        phi_draws=raw["phi_draws"],
        phi_max_judgments=raw["phi_max_judgments"],
    )
    return options, statuses


def _locked_analysis(batch: Batch) -> BatchAnalysis:
    # get_or_create then lock: two runs at once serialise on this row (SQLite serialises writers
    # itself), so neither sees the other's half-written results.
    analysis = BatchAnalysis.objects.select_for_update().filter(batch=batch).first()
    if analysis is None:
        BatchAnalysis.objects.get_or_create(batch=batch)
        analysis = BatchAnalysis.objects.select_for_update().get(batch=batch)
    return analysis


@transaction.atomic
def analysis_phi_enable(*, batch: Batch) -> BatchAnalysis:
    """Turn on the opt-in Phi agreement for `batch`: every later recompute fits it."""
    analysis = _locked_analysis(batch)
    analysis.options = (analysis.options or {}) | {"phi": True}
    analysis.is_stale = True
    analysis.save(update_fields=["options", "is_stale"])
    return analysis


@transaction.atomic
def batch_recompute(*, batch: Batch) -> BatchAnalysis:
    """Recompute every stored result of `batch` from its judgments and replace the old ones.

    Idempotent: the same judgments give the same rows. Holds a lock on the batch's analysis row
    for the whole run, so concurrent runs (and per-assignment updates) wait rather than interleave.
    """
    started = time.perf_counter()
    analysis = _locked_analysis(batch)
    options, statuses = analysis_options(analysis=analysis)
    fields, specs, truth = selectors.analysis_fields(batch=batch)
    frame = frames.judgment_frame(batch=batch, fields=fields, attempt_statuses=statuses)
    statements = frames.statement_frame(statement_ids=selectors.batch_statement_ids(batch=batch))
    result = (
        aggregation.analyse(frame, statements, specs, truth, options)
        if specs
        else aggregation.Analysis(per_statement=pd.DataFrame())
    )
    field_ids = {f.slug: f.pk for f in fields}

    StatementAggregate.objects.filter(batch=batch).delete()
    _aggregates_insert(batch, result.per_statement, field_ids)
    AgreementResult.objects.filter(batch=batch).delete()
    AgreementResult.objects.bulk_create(
        AgreementResult(
            batch=batch,
            dataset=dataset,
            field_id=field_ids[slug],
            alpha_interval=entry["interval"],
            alpha_ordinal=entry["ordinal"],
            interval_ci_low=(entry["interval_ci95"] or [None, None])[0],
            interval_ci_high=(entry["interval_ci95"] or [None, None])[1],
            ordinal_ci_low=(entry["ordinal_ci95"] or [None, None])[0],
            ordinal_ci_high=(entry["ordinal_ci95"] or [None, None])[1],
            phi=entry.get("phi"),
            phi_hdi_low=(entry.get("phi_hdi95") or [None, None])[0],
            phi_hdi_high=(entry.get("phi_hdi95") or [None, None])[1],
            phi_r_hat=entry.get("phi_r_hat"),
            n_statements=entry["n_statements"],
            n_judgments=entry["n_judgments"],
        )
        for dataset, by_field in result.agreement.items()
        for slug, entry in by_field.items()
    )
    CrowdExpertResult.objects.filter(batch=batch).delete()
    CrowdExpertResult.objects.bulk_create(
        CrowdExpertResult(
            batch=batch,
            dataset=dataset,
            aggregation=name,
            field_id=field_ids[slug],
            n=entry["n"],
            **{
                key: entry[key]
                for key in (
                    "pearson",
                    "pearson_p",
                    "spearman",
                    "spearman_p",
                    "kendall",
                    "kendall_p",
                    "accuracy",
                )
            },
            by_level=entry.get("by_level") or {},
        )
        for dataset, by_aggregation in result.crowd_vs_expert.items()
        for name, by_field in by_aggregation.items()
        for slug, entry in by_field.items()
    )
    now = timezone.now()
    included = frame["assignment"].unique().tolist() if len(frame) else []
    _assignments_mark(included, now)
    analysis.is_stale = False
    analysis.computed_at = now
    analysis.n_judgments = result.n_judgments
    analysis.n_statements = (
        int(result.per_statement["statement"].nunique()) if len(result.per_statement) else 0
    )
    analysis.field_correlations = result.field_correlations
    analysis.by_position = {str(k): v for k, v in result.by_position.items()}
    analysis.prediction = result.prediction
    analysis.duration_s = time.perf_counter() - started
    analysis.full_clean()
    analysis.save()
    return analysis


@transaction.atomic
def assignment_aggregate(*, assignment: Assignment) -> list[int]:
    """Update the aggregates of the statements `assignment` judged; return their ids.

    Each touched statement is recomputed from all its included judgments, so the rows equal a
    full recompute's (latent-truth columns excepted: those are batch-wide models and wait for the
    next recompute, which the stale flag asks the reconciler for). Idempotent.
    """
    batch = assignment.batch
    analysis = _locked_analysis(batch)
    options, statuses = analysis_options(analysis=analysis)
    fields, specs, truth = selectors.analysis_fields(batch=batch)
    touched = sorted(
        set(
            Judgment.objects.filter(attempt__assignment=assignment).values_list(
                "statement_id", flat=True
            )
        )
    )
    # A worker's weight comes from their gold judgments, which sit in their own assignment: one
    # query fetches every included judgment of the workers who judged a touched statement, and
    # the touched statements' own judgments are among them.
    worker_frame = frames.judgment_frame(
        batch=batch, fields=fields, attempt_statuses=statuses, judges_of=touched
    )
    frame = worker_frame[worker_frame["statement"].isin(touched)]
    statements = frames.statement_frame(
        statement_ids=set(touched) | set(worker_frame["statement"].tolist())
    )
    weights = aggregation.gold_weights(worker_frame, statements, truth) if specs else None
    if not options.include_gold:
        frame = frame[~frame["statement"].map(statements["is_gold"]).astype(bool)]
    per_statement = pd.DataFrame()
    if specs and len(frame):
        per_statement = aggregation.statement_aggregates(frame, specs, weights)
    field_ids = {f.slug: f.pk for f in fields}
    if connection.vendor == "postgresql":
        _aggregates_upsert_sql(batch, per_statement, field_ids, touched)
    else:
        _aggregates_upsert_orm(batch, per_statement, field_ids, touched)
    _assignments_mark([assignment.pk], timezone.now())
    BatchAnalysis.objects.filter(pk=analysis.pk).update(is_stale=True)
    return touched


def _aggregates_upsert_orm(
    batch: Batch, per_statement: pd.DataFrame, field_ids: dict, statement_ids: list[int]
) -> None:
    """Upsert `per_statement`'s rows and delete the batch's other rows of `statement_ids`.

    Latent-truth columns of existing rows are left as they are.
    """
    rows = []
    if len(per_statement):
        rows = [_aggregate_row(batch, record, field_ids) for record in _records(per_statement)]
    StatementAggregate.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["batch", "statement", "field"],
        update_fields=[*AGGREGATE_COLUMNS, "updated_at"],
    )
    keep = {(row.statement_id, row.field_id) for row in rows}
    stale_ids = [
        pk
        for pk, statement_id, field_id in StatementAggregate.objects.filter(
            batch=batch, statement_id__in=statement_ids
        ).values_list("pk", "statement_id", "field_id")
        if (statement_id, field_id) not in keep
    ]
    StatementAggregate.objects.filter(pk__in=stale_ids).delete()


def _aggregates_upsert_sql(
    batch: Batch, per_statement: pd.DataFrame, field_ids: dict, statement_ids: list[int]
) -> None:
    """`_aggregates_upsert_orm` as two PostgreSQL statements on arrays, without model objects."""
    table = StatementAggregate._meta.db_table
    keys: tuple[list, list] = ([], [])
    with connection.cursor() as cursor:
        if not per_statement.empty:
            keys = (
                per_statement["statement"].astype(int).tolist(),
                per_statement["field"].map(field_ids).astype(int).tolist(),
            )
            values = {
                "n": ("integer", per_statement["n"].astype(int).tolist()),
                "histogram": ("jsonb", [json.dumps(h) for h in _histograms(per_statement)]),
            }
            for name in ("mean", "median", "sd", "majority", "weighted_mean"):
                column = [_optional(float(v)) for v in per_statement[name]]
                values[name] = ("double precision", column)
            unnest = ", ".join(f"%s::{kind}[]" for kind, _ in values.values())
            cursor.execute(
                f"INSERT INTO {table} (batch_id, statement_id, field_id, {', '.join(values)}, "
                f"updated_at) SELECT %s, u.*, %s FROM unnest(%s::bigint[], %s::bigint[], {unnest}) "
                "AS u ON CONFLICT (batch_id, statement_id, field_id) DO UPDATE SET "
                + ", ".join(f"{c} = EXCLUDED.{c}" for c in [*AGGREGATE_COLUMNS, "updated_at"]),
                [batch.pk, timezone.now(), *keys, *(column for _, column in values.values())],
            )
        cursor.execute(
            f"DELETE FROM {table} WHERE batch_id = %s AND statement_id = ANY(%s::bigint[]) "
            "AND (statement_id, field_id) NOT IN "
            "(SELECT * FROM unnest(%s::bigint[], %s::bigint[]))",
            [batch.pk, [int(pk) for pk in statement_ids], *keys],
        )


def _assignments_mark(assignment_ids: list[int], now) -> None:
    if connection.vendor == "postgresql":
        # One statement for the ~100k assignments of a large batch instead of 100k ORM objects.
        table = AssignmentAggregation._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (assignment_id, aggregated_at) "
                "SELECT unnest(%s::bigint[]), %s "
                "ON CONFLICT (assignment_id) DO UPDATE SET aggregated_at = EXCLUDED.aggregated_at",
                [[int(pk) for pk in assignment_ids], now],
            )
        return
    AssignmentAggregation.objects.bulk_create(
        [AssignmentAggregation(assignment_id=pk, aggregated_at=now) for pk in assignment_ids],
        update_conflicts=True,
        unique_fields=["assignment"],
        update_fields=["aggregated_at"],
        batch_size=5000,
    )


def _histograms(per_statement: pd.DataFrame) -> list[list[int]]:
    """Return each row's counts per scale value, in scale order (its first `width` counts)."""
    counts = per_statement.filter(like="count_").to_numpy(dtype=np.int64)
    widths = per_statement["width"].to_numpy() if len(per_statement) else []
    return [row[:width].tolist() for row, width in zip(counts, widths, strict=True)]


def _records(per_statement: pd.DataFrame):
    columns = [*FRAME_COLUMNS, *(c for c in LATENT_COLUMNS if c in per_statement.columns)]
    records = per_statement[columns].to_dict("records")
    for record, histogram in zip(records, _histograms(per_statement), strict=True):
        record["histogram"] = histogram
    return records


def _optional(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _aggregate_row(batch, record, field_ids) -> StatementAggregate:
    return StatementAggregate(
        batch=batch,
        statement_id=int(record["statement"]),
        field_id=field_ids[record["field"]],
        n=int(record["n"]),
        mean=float(record["mean"]),
        median=float(record["median"]),
        sd=_optional(float(record["sd"])),
        histogram=record["histogram"],
        majority=float(record["majority"]),
        weighted_mean=float(record["weighted_mean"]),
        **{c: _optional(record.get(c)) for c in LATENT_COLUMNS},
    )


def _aggregates_insert(batch: Batch, per_statement: pd.DataFrame, field_ids: dict) -> None:
    if per_statement.empty:
        return
    if connection.vendor == "postgresql":
        _aggregates_copy(batch, per_statement, field_ids)
    else:
        StatementAggregate.objects.bulk_create(
            (_aggregate_row(batch, r, field_ids) for r in _records(per_statement)),
            batch_size=2000,
        )


def _aggregates_copy(
    batch: Batch, per_statement: pd.DataFrame, field_ids: dict, chunk_rows: int = 65536
) -> None:
    # A million-judgment batch has ~900k aggregate rows: ORM inserts take minutes and even CSV
    # formatting of the floats takes longer than the analysis, so the rows go in as binary COPY.
    chunks = _binary_copy_chunks(batch.pk, per_statement, field_ids, chunk_rows)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {StatementAggregate._meta.db_table} ({', '.join(_COPY_COLUMNS)}) "
            "FROM STDIN WITH (FORMAT binary)",
            _ChunkStream(chunks),
            1 << 20,
        )
        # Autovacuum's analyze lags a bulk write; until it runs the planner sees the old table
        # (after a first recompute: an empty one) and per-assignment updates scan 900k rows
        # instead of using the unique index. Inside the transaction, ANALYZE samples the new rows.
        cursor.execute(f"ANALYZE {StatementAggregate._meta.db_table}")


_COPY_COLUMNS = (
    "batch_id",
    "statement_id",
    "field_id",
    "n",
    "mean",
    "median",
    "sd",
    "histogram",
    "majority",
    "weighted_mean",
    *LATENT_COLUMNS,
    "updated_at",
)
_BINARY_TYPES = {
    "batch_id": ">i8",
    "statement_id": ">i8",
    "field_id": ">i8",
    "n": ">i4",
    "updated_at": ">i8",
}
_PG_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")


class _ChunkStream:
    """A file whose read() serves an iterator of byte chunks, so COPY holds one chunk at a time."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._view = memoryview(b"")

    def read(self, size: int = -1) -> bytes:
        while not len(self._view):
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._view = memoryview(chunk)
        size = len(self._view) if size is None or size < 0 else size
        out = self._view[:size].tobytes()
        self._view = self._view[size:]
        return out


def _binary_copy_chunks(batch_id: int, per_statement: pd.DataFrame, field_ids: dict, rows=65536):
    """Encode aggregate rows in PostgreSQL's binary COPY format with vectorised numpy.

    Yields the header, then `rows` rows at a time (memory stays flat at a million rows), then the
    trailer. Rows go in (statement, field) order, the unique index's order, so index inserts
    append instead of splitting pages all over. Within a chunk, rows are grouped by which nullable
    columns are NULL and by scale length, so each group has a fixed-width record layout.
    Histograms are JSON arrays with space-padded counts (valid JSON of fixed width); jsonb stores
    them normalised.
    """
    now_us = (np.datetime64(timezone.now().replace(tzinfo=None), "us") - _PG_EPOCH).astype(np.int64)
    yield b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    field_column = per_statement["field"].map(field_ids).to_numpy(np.int64)
    order = np.lexsort((field_column, per_statement["statement"].to_numpy(np.int64)))
    for start in range(0, len(order), rows):
        chunk = per_statement.iloc[order[start : start + rows]]
        yield _binary_copy_records(
            batch_id, chunk, field_column[order[start : start + rows]], now_us
        )
    yield (-1).to_bytes(2, "big", signed=True)


def _binary_copy_records(batch_id: int, chunk: pd.DataFrame, field_column, now_us) -> bytes:
    widths = chunk["width"].to_numpy(np.int64)
    columns = {
        "batch_id": np.full(len(chunk), batch_id),
        "statement_id": chunk["statement"].to_numpy(np.int64),
        "field_id": field_column,
        "n": chunk["n"].to_numpy(np.int64),
        "updated_at": np.full(len(chunk), now_us),
    }
    for name in ("mean", "median", "sd", "majority", "weighted_mean", *LATENT_COLUMNS):
        columns[name] = (
            chunk[name].to_numpy(np.float64) if name in chunk else np.full(len(chunk), np.nan)
        )
    nullable = ["sd", *LATENT_COLUMNS]
    null_mask = np.stack([np.isnan(columns[c]) for c in nullable], axis=1)
    pattern = null_mask @ (1 << np.arange(len(nullable))) + widths * (1 << len(nullable))
    out = []
    for key in np.unique(pattern):
        rows = np.flatnonzero(pattern == key)
        nulls = dict(zip(nullable, null_mask[rows[0]], strict=True))
        counts = aggregation.histograms(chunk.iloc[rows], int(widths[rows[0]]))
        text = _json_int_arrays(counts)
        layout = [("fields", ">i2")]
        for name in _COPY_COLUMNS:
            layout.append((f"{name}_len", ">i4"))
            if nulls.get(name):
                continue
            if name == "histogram":
                layout += [("histogram_version", "u1"), ("histogram", f"S{text.shape[1]}")]
            else:
                layout.append((name, _BINARY_TYPES.get(name, ">f8")))
        record = np.zeros(len(rows), dtype=np.dtype(layout))
        record["fields"] = len(_COPY_COLUMNS)
        for name in _COPY_COLUMNS:
            if nulls.get(name):
                record[f"{name}_len"] = -1
            elif name == "histogram":
                record["histogram_len"] = text.shape[1] + 1
                record["histogram_version"] = 1
                record["histogram"] = text.view(f"S{text.shape[1]}").ravel()
            else:
                record[f"{name}_len"] = np.dtype(_BINARY_TYPES.get(name, ">f8")).itemsize
                record[name] = columns[name][rows]
        out.append(record.tobytes())
    return b"".join(out)


def _json_int_arrays(counts: np.ndarray) -> np.ndarray:
    """Return each row of non-negative ints as fixed-width JSON array bytes, e.g. b"[ 3, 0,10]"."""
    n_rows, n_values = counts.shape
    digits = max(1, len(str(int(counts.max())))) if counts.size else 1
    width = 2 + n_values * digits + (n_values - 1)
    text = np.full((n_rows, width), ord(" "), dtype=np.uint8)
    text[:, 0], text[:, -1] = ord("["), ord("]")
    for j in range(n_values):
        start = 1 + j * (digits + 1)
        if j:
            text[:, start - 1] = ord(",")
        for d in range(digits):
            power = 10 ** (digits - 1 - d)
            digit = (counts[:, j] // power) % 10
            # Leading zeros become spaces; the last digit always prints.
            shown = (counts[:, j] >= power) | (d == digits - 1)
            text[:, start + d] = np.where(shown, ord("0") + digit, ord(" "))
    return text
