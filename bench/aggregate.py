"""Benchmark: full recompute and per-assignment update at a million judgments on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tc_dev .venv/bin/python bench/aggregate.py

Runs in a throwaway database (test_<name>, created and dropped here). Bulk-loads 100,000
statements x 10 workers (1,000,000 judgments, nine 5-point fields: 9,000,000 values) with SQL,
then prints the full recompute time against the floor (one GROUP BY statement, field, value count
over the same rows, fetched the same way), the incremental update time for one completed
assignment, and peak RSS.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truthcrowd.settings.base")

STATEMENTS = 100_000
WORKERS_PER_STATEMENT = 10
PER_HIT = 10
FIELDS = (
    "overall-truthfulness",
    "confidence",
    "correctness",
    "neutrality",
    "comprehensibility",
    "precision",
    "completeness",
    "speakers-trustworthiness",
    "informativeness",
)


LOADED_TABLES = ("statement", "worker", "assignment", "attempt", "judgment", "judgmentvalue")


@contextmanager
def secondary_indexes_dropped(cursor, tables):
    """Drop the tables' unique constraints and indexes other than primary keys, rebuild on exit.

    Building an index once over sorted rows is several times faster than maintaining it row by
    row during a 9-million-row insert. Primary keys stay (foreign keys of other tables need them).
    """
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype = 'u'
        """,
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for table, name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    cursor.execute("SET maintenance_work_mem = '256MB'")
    for table, name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        cursor.execute(definition)
    cursor.execute("RESET maintenance_work_mem")


def load(batch, datasets, fields, n_statements):
    """Bulk-load statements, workers, assignments, attempts, judgments and values with SQL.

    Bench setup, not measured: foreign-key triggers are off for the session (the rows are
    consistent by construction), secondary indexes are built once after the insert, and commits
    do not wait for the WAL flush.
    """
    from django.db import connection

    politifact, abc = datasets
    n_designs = n_statements // PER_HIT
    n_assignments = n_designs * WORKERS_PER_STATEMENT
    n_judgments = n_assignments * PER_HIT
    levels = {d.pk: [lvl.pk for lvl in d.levels.order_by("ordinal")] for d in (politifact, abc)}
    field_ids = [f.pk for f in fields]
    tables = [f"assessments_{t}" for t in LOADED_TABLES]
    with connection.cursor() as c:
        c.execute("SET synchronous_commit = off")
        c.execute("SET session_replication_role = replica")
        with secondary_indexes_dropped(c, tables):
            # Two thirds PolitiFact (6 levels), one third ABC (3 levels), as in the study.
            c.execute(
                """
                INSERT INTO assessments_statement (id, external_id, text, text_clean, speaker,
                    context, party, "group", is_gold, gold_truth, source_url, metadata,
                    created_at, updated_at, dataset_id, expert_level_id)
                SELECT s, 'B' || s, 'statement ' || s, '', '', '', '', '', false, '', '', '{}',
                    now(), now(), CASE WHEN s %% 3 = 0 THEN %s ELSE %s END,
                    CASE WHEN s %% 3 = 0 THEN (%s::bigint[])[1 + (s / 3) %% 3]
                         ELSE (%s::bigint[])[1 + s %% 6] END
                FROM generate_series(1, %s) s
                """,
                [abc.pk, politifact.pk, levels[abc.pk], levels[politifact.pk], n_statements],
            )
            c.execute(
                """
                INSERT INTO assessments_worker (id, platform, platform_id, is_blocked,
                    blocked_reason, created_at)
                SELECT w, 'simulated', 'W' || w, false, '', now() FROM generate_series(1, %s) w
                """,
                [n_assignments],
            )
            c.execute(
                """
                INSERT INTO assessments_assignment (id, status, statement_order, platform_params,
                    completion_code, comment, started_at, completed_at, is_imported, batch_id,
                    worker_id)
                SELECT a, 'completed', '[]', '{}', '', '', now(), now(), false, %s, a
                FROM generate_series(1, %s) a
                """,
                [batch.pk, n_assignments],
            )
            c.execute(
                """
                INSERT INTO assessments_attempt (id, number, status, started_at, gate_results,
                    config_version, assignment_id)
                SELECT a, 1, 'passed', now(), '[]', 1, a FROM generate_series(1, %s) a
                """,
                [n_assignments],
            )
            # Judgment j = (a - 1) * 10 + p + 1: assignment a takes design (a - 1) / 10, i.e.
            # statements design * 10 + 1 .. design * 10 + 10, at positions p = 0..9.
            c.execute(
                """
                INSERT INTO assessments_judgment (id, position, text_shown, evidence_url,
                    justification, time_on_page_s, is_imported, attempt_id, statement_id)
                SELECT j, (j - 1) %% %s, '', '', '', 5 + random() * 120, false, (j - 1) / %s + 1,
                    ((j - 1) / (%s * %s)) * %s + (j - 1) %% %s + 1
                FROM generate_series(1, %s) j
                """,
                [PER_HIT, PER_HIT, PER_HIT, WORKERS_PER_STATEMENT, PER_HIT, PER_HIT, n_judgments],
            )
            # Values scatter around the statement's truth on the 5-point scale; the statement's
            # expert ordinal is computed as above instead of joined.
            c.execute(
                """
                INSERT INTO assessments_judgmentvalue (id, value, field_id, judgment_id)
                SELECT (j - 1) * %s + k, greatest(-2, least(2, round(
                    -2 + 4.0 * CASE WHEN s %% 3 = 0 THEN ((s / 3) %% 3) / 2.0 ELSE (s %% 6) / 5.0 END
                    + (random() + random() + random() - 1.5) * 2)))::smallint, f, j
                FROM (SELECT j, ((j - 1) / (%s * %s)) * %s + (j - 1) %% %s + 1 AS s
                      FROM generate_series(1, %s) j) g,
                    unnest(%s::bigint[]) WITH ORDINALITY AS u(f, k)
                """,
                [
                    len(field_ids),
                    PER_HIT,
                    WORKERS_PER_STATEMENT,
                    PER_HIT,
                    PER_HIT,
                    n_judgments,
                    field_ids,
                ],
            )
        c.execute("SET session_replication_role = DEFAULT")
        for table in LOADED_TABLES:
            c.execute(
                f"SELECT setval(pg_get_serial_sequence('assessments_{table}', 'id'), "
                f"(SELECT max(id) FROM assessments_{table}))"
            )
        c.execute("RESET synchronous_commit")
        c.execute("VACUUM ANALYZE")


def study_schema(batch):
    """Give `batch` the study's nine 5-point fields; create the PolitiFact and ABC datasets."""
    from assessments import scales
    from assessments.models import AnswerField, Dataset, ExpertLevel

    fields = [
        AnswerField.objects.create(
            batch=batch,
            slug=slug,
            label=slug,
            position=i,
            is_gold_field=i == 0,
            scale=[{"value": v, "label": label} for v, label in scales.AGREEMENT_5],
        )
        for i, slug in enumerate(FIELDS)
    ]
    datasets = []
    for name in ("politifact", "abc"):
        dataset = Dataset.objects.create(name=name)
        for ordinal, label in enumerate(scales.KNOWN_EXPERT_SCALES[name]):
            ExpertLevel.objects.create(dataset=dataset, ordinal=ordinal, label=label)
        datasets.append(dataset)
    return fields, datasets


def floor_seconds(batch):
    """Time one GROUP BY statement, field, value count over the batch, fetched through COPY."""
    import io

    from django.db import connection

    sql = (
        "SELECT j.statement_id, v.field_id, v.value, count(*) "
        "FROM assessments_judgmentvalue v "
        "JOIN assessments_judgment j ON j.id = v.judgment_id "
        "JOIN assessments_attempt t ON t.id = j.attempt_id "
        "JOIN assessments_assignment a ON a.id = t.assignment_id "
        f"WHERE a.batch_id = {int(batch.pk)} AND t.status = 'passed' "
        "GROUP BY j.statement_id, v.field_id, v.value"
    )
    started = time.perf_counter()
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", buffer)
    elapsed = time.perf_counter() - started
    return elapsed, buffer.getvalue().count(b"\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=STATEMENTS)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument(
        "--latent",
        action="append",
        default=[],
        help="latent-truth methods to include (dawid_skene, glad, mace); none by default",
    )
    parser.add_argument(
        "--prediction",
        action="store_true",
        help="include the five cross-validated classifiers (off by default: not a GROUP BY cost)",
    )
    args = parser.parse_args()

    django.setup()
    # A Celery worker imports these once at start; keep that one-off cost out of the timings.
    import crowdkit.aggregation  # noqa: F401
    import scipy.stats  # noqa: F401
    import sklearn.decomposition
    import sklearn.model_selection  # noqa: F401
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import setup_test_environment

    from assessments.models import (
        Assignment,
        Batch,
        BatchAnalysis,
        StatementAggregate,
    )
    from assessments.services.analysis import assignment_aggregate, batch_recompute

    if connection.vendor != "postgresql":
        sys.exit("bench/aggregate.py needs DATABASE_URL pointing at PostgreSQL")
    setup_test_environment()
    old_name = settings.DATABASES["default"]["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        owner = get_user_model().objects.create(username="bench")
        batch = Batch.objects.create(slug="bench", title="bench", owner=owner)
        fields, datasets = study_schema(batch)
        BatchAnalysis.objects.create(
            batch=batch,
            options={
                "bootstrap_samples": args.bootstrap,
                "latent_methods": args.latent,
                "prediction": args.prediction,
                "latent_max_judgments": 10**9,
            },
        )
        started = time.perf_counter()
        load(batch, datasets, fields, args.statements)
        n_judgments = args.statements * WORKERS_PER_STATEMENT
        print(
            f"loaded {n_judgments:,} judgments ({n_judgments * len(FIELDS):,} values) "
            f"in {time.perf_counter() - started:.1f} s"
        )

        floor, groups = floor_seconds(batch)
        started = time.perf_counter()
        analysis = batch_recompute(batch=batch)
        full = time.perf_counter() - started
        floor_after, _ = floor_seconds(batch)
        floor = min(floor, floor_after)
        rows = StatementAggregate.objects.filter(batch=batch).count()

        assignment = Assignment.objects.filter(batch=batch).order_by("pk")[
            Assignment.objects.filter(batch=batch).count() // 2
        ]
        incremental = []
        for _ in range(5):
            started = time.perf_counter()
            assignment_aggregate(assignment=assignment)
            incremental.append(time.perf_counter() - started)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        alpha = batch.agreement_results.get(dataset="all", field=fields[0])
        print(f"judgments analysed: {analysis.n_judgments:,}; aggregate rows: {rows:,}")
        print(
            f"bootstrap replicates: {args.bootstrap}; latent methods: {args.latent or 'none'}; "
            f"prediction: {'on' if args.prediction else 'off'}"
        )
        print(
            f"alpha(all, {fields[0].slug}): interval {alpha.alpha_interval:.4f} "
            f"[{alpha.interval_ci_low:.4f}, {alpha.interval_ci_high:.4f}], "
            f"ordinal {alpha.alpha_ordinal:.4f}"
        )
        print(f"floor (GROUP BY statement, field, value; {groups:,} groups): {floor:.2f} s")
        print(f"full recompute: {full:.2f} s = {full / floor:.2f} x floor (target <= 3)")
        median_ms = statistics.median(incremental) * 1000
        print(
            f"incremental (one assignment, median of 5): {median_ms:.1f} ms "
            f"= {median_ms / 100:.2f} x target (100 ms)"
        )
        print(f"peak RSS: {peak_mb:.0f} MB = {peak_mb / 1024:.2f} x target (1 GB)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
