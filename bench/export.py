"""Benchmark: a judgments CSV export streamed over HTTP through the API vs PostgreSQL COPY.

Usage (PostgreSQL only; use a database of its own, the data is kept for the next run):

    createdb -h 127.0.0.1 -U postgres tc_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tc_bench .venv/bin/python bench/export.py

It builds (once) a batch of --workers x --statements judgments with --fields answer fields, starts
gunicorn (one sync worker, as in production) on 127.0.0.1, downloads
/api/batches/<id>/exports/judgments/csv/ with a researcher token, then runs
COPY (SELECT ...) TO STDOUT WITH CSV of the same rows, and prints both throughputs and the web
worker's peak RSS (VmHWM). Targets: API >= 1/3 of COPY's rows/s, peak RSS <= 256 MB.

On PostgreSQL the API's judgments CSV is itself written by the database, one COPY per 5,000
judgments joined to a temporary table of worker pseudonyms (assessments/selectors/judgment_copy.py);
the floor is a single COPY of the same rows with no pseudonyms, chunking, HTTP or authentication.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truthcrowd.settings.base")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max, Q  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from assessments import models, scales  # noqa: E402
from assessments.selectors.exports import JUDGMENT_FIELDS  # noqa: E402
from assessments.services.accounts import researcher_account_ensure  # noqa: E402

TARGET_RATIO = 1 / 3
TARGET_RSS_MB = 256


def build(slug: str, workers: int, statements: int, fields: int) -> models.Batch:
    """Create the benchmark batch with SQL generate_series (minutes with the ORM, seconds here)."""
    existing = models.Batch.objects.filter(slug=slug).first()
    if existing:
        return existing
    owner, _ = researcher_account_ensure(username="bench")
    started = time.perf_counter()
    with transaction.atomic():
        batch = models.Batch.objects.create(slug=slug, title="Export benchmark", owner=owner)
        dataset, _ = models.Dataset.objects.get_or_create(name="politifact")
        levels = [
            models.ExpertLevel.objects.get_or_create(dataset=dataset, ordinal=i, label=label)[0]
            for i, label in enumerate(scales.POLITIFACT_LEVELS)
        ]
        pool = models.Statement.objects.bulk_create(
            [
                models.Statement(
                    dataset=dataset,
                    external_id=f"{slug}-S{i:05d}",
                    text=f"Statement number {i} about taxes and jobs.",
                    expert_level=levels[i % len(levels)],
                )
                for i in range(statements)
            ]
        )
        batch.statements.set(pool)
        scale = [{"value": v, "label": label} for v, label in scales.AGREEMENT_5]
        models.AnswerField.objects.bulk_create(
            [
                models.AnswerField(
                    batch=batch, slug=f"dim_{i}", label=f"Dim {i}", position=i, scale=scale
                )
                for i in range(fields)
            ]
        )
        with connection.cursor() as cursor:
            # Skip the deferred foreign-key triggers (millions of checks at COMMIT): the rows below
            # are generated from existing ids, so they are consistent by construction.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                """
                INSERT INTO assessments_worker (platform, platform_id, is_blocked, blocked_reason, created_at)
                SELECT 'prolific', %s || '-W' || g, false, '', now() FROM generate_series(1, %s) g
                """,
                [slug, workers],
            )
            cursor.execute(
                """
                INSERT INTO assessments_assignment (batch_id, worker_id, status, statement_order,
                    platform_params, completion_code, comment, started_at, completed_at, is_imported)
                SELECT %s, w.id, 'completed', '[]', '{}', '', '', now(), now(), false
                FROM assessments_worker w WHERE w.platform_id LIKE %s
                """,
                [batch.pk, f"{slug}-W%"],
            )
            cursor.execute(
                """
                INSERT INTO assessments_attempt (assignment_id, number, status, started_at,
                    submitted_at, gate_results, config_version)
                SELECT a.id, 1, 'passed', now(), now(), '[]', 1
                FROM assessments_assignment a WHERE a.batch_id = %s
                """,
                [batch.pk],
            )
            cursor.execute(
                """
                INSERT INTO assessments_judgment (attempt_id, statement_id, position, text_shown,
                    evidence_url, justification, page_served_at, answered_at, time_on_page_s,
                    is_imported)
                SELECT t.id, s.id, s.rn - 1, '', 'https://example.org/evidence/' || s.rn,
                       'Checked two sources.', now(), now(), 3.25 + s.rn, false
                FROM assessments_attempt t
                JOIN assessments_assignment a ON a.id = t.assignment_id AND a.batch_id = %s
                CROSS JOIN (
                    SELECT st.id, row_number() OVER (ORDER BY st.id) AS rn
                    FROM assessments_statement st
                    JOIN assessments_batch_statements bs ON bs.statement_id = st.id
                    WHERE bs.batch_id = %s
                ) s
                ORDER BY t.id, s.rn
                """,
                [batch.pk, batch.pk],
            )
            cursor.execute(
                """
                INSERT INTO assessments_judgmentvalue (judgment_id, field_id, value)
                SELECT j.id, f.id, ((j.position + f.position) %% 5) - 2
                FROM assessments_judgment j
                JOIN assessments_attempt t ON t.id = j.attempt_id
                JOIN assessments_assignment a ON a.id = t.assignment_id AND a.batch_id = %s
                CROSS JOIN assessments_answerfield f
                WHERE f.batch_id = %s
                """,
                [batch.pk, batch.pk],
            )
            cursor.execute("ANALYZE")
    print(f"built {workers * statements:,} judgments in {time.perf_counter() - started:.1f} s")
    return batch


def copy_sql(batch: models.Batch) -> str:
    """The rows of the API's judgments export as one SELECT, pivoted by the database, for COPY.

    Same judgments, same columns (a conditional aggregate per answer field). COPY cannot compute
    the HMAC pseudonym, so it prints platform and platform_id instead.
    """
    pivots = {
        f"field_{field.pk}": Max("values__value", filter=Q(values__field_id=field.pk))
        for field in batch.fields.order_by("position")
    }
    queryset = (
        models.Judgment.objects.filter(attempt__assignment__batch=batch)
        .annotate(**pivots)
        .order_by("pk")
        .values_list(*JUDGMENT_FIELDS, *pivots)
    )
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        return cursor.cursor.mogrify(sql, params).decode()


class _Counter:
    def __init__(self):
        self.bytes = 0
        self.rows = 0

    def write(self, data):
        self.bytes += len(data)
        self.rows += data.count("\n") if isinstance(data, str) else data.count(b"\n")


def run_copy(batch: models.Batch) -> tuple[float, _Counter]:
    counter = _Counter()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY ({copy_sql(batch)}) TO STDOUT WITH CSV HEADER", counter)
    return time.perf_counter() - started, counter


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def run_http(batch: models.Batch, token: str) -> tuple[float, _Counter, float]:
    port = _free_port()
    env = {**os.environ, "DJANGO_DEBUG": "false", "API_THROTTLE_RATE": "1000/minute"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "truthcrowd.wsgi", "--workers", "1", "--bind",
         f"127.0.0.1:{port}", "--timeout", "600", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                requests.get(f"{base}/healthz", timeout=10).raise_for_status()
                break
            except requests.RequestException:
                time.sleep(0.2)
        worker_pid = int(
            subprocess.check_output(["ps", "-o", "pid=", "--ppid", str(server.pid)]).split()[0]
        )
        headers = {"Authorization": f"Token {token}"}
        requests.get(f"{base}/api/datasets/", headers=headers, timeout=60).raise_for_status()
        url = f"{base}/api/batches/{batch.pk}/exports/judgments/csv/"
        counter = _Counter()
        started = time.perf_counter()
        with requests.get(url, headers=headers, stream=True, timeout=600) as response:
            response.raise_for_status()
            for chunk in response.iter_content(chunk_size=1 << 20):
                counter.write(chunk)
        elapsed = time.perf_counter() - started
        return elapsed, counter, _peak_rss_mb(worker_pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--statements", type=int, default=100)
    parser.add_argument("--fields", type=int, default=9, help="answer fields (the study has 9)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/export.py needs PostgreSQL: set DATABASE_URL")
    call_command("migrate", verbosity=0)
    total = args.workers * args.statements
    batch = build(f"bench-export-{total}-{args.fields}", args.workers, args.statements, args.fields)
    token = Token.objects.get_or_create(user=batch.owner)[0].key
    connection.close()  # the web process has the database to itself while it streams

    http_s, http, rss_mb = run_http(batch, token)
    copy_s, copy = run_copy(batch)
    http_rate, copy_rate = (http.rows - 1) / http_s, (copy.rows - 1) / copy_s
    ratio = http_rate / copy_rate
    print(f"judgments exported        : API {http.rows - 1:,} rows, COPY {copy.rows - 1:,} rows")
    print(
        f"API CSV over HTTP         : {http_s:6.2f} s  {http_rate:10,.0f} rows/s  {http.bytes / http_s / 1e6:6.1f} MB/s  ({http.bytes / 1e6:,.0f} MB)"
    )
    print(
        f"PostgreSQL COPY TO STDOUT : {copy_s:6.2f} s  {copy_rate:10,.0f} rows/s  {copy.bytes / copy_s / 1e6:6.1f} MB/s  ({copy.bytes / 1e6:,.0f} MB)"
    )
    print(
        f"API / COPY throughput     : {ratio:.2f}  (target >= {TARGET_RATIO:.2f}: {'met' if ratio >= TARGET_RATIO else 'MISSED'})"
    )
    print(f"web worker peak RSS       : {rss_mb:.0f} MB  (target <= {TARGET_RSS_MB} MB: {'met' if rss_mb <= TARGET_RSS_MB else 'MISSED'})")  # fmt: skip
    if http.rows != copy.rows:
        sys.exit("row counts differ")


if __name__ == "__main__":
    main()
