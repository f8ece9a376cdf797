"""Benchmark: dashboard page load on a batch with 1,000,000 judgments' stored results.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tc_dev .venv/bin/python bench/dashboard.py

Runs in a throwaway database (test_<name>, created and dropped here). Loads the judgments of
bench/aggregate.py (100,000 statements x 10 workers), computes the stored results once
(batch_recompute, dashboard_snapshot_refresh), then times the dashboard page as a researcher
against a bare admin changelist page (datasets) in the same run, and prints the ratio.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truthcrowd.settings.base")

import aggregate


def timed_get(client, url: str, repeats: int) -> float:
    """Return the median milliseconds of GET `url` (after one warm-up request)."""
    assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=aggregate.STATEMENTS)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from assessments.models import Batch, BatchAnalysis
    from assessments.services.accounts import researcher_account_ensure
    from assessments.services.analysis import batch_recompute
    from assessments.services.dashboard import dashboard_snapshot_refresh

    if connection.vendor != "postgresql":
        sys.exit("bench/dashboard.py needs DATABASE_URL pointing at PostgreSQL")
    setup_test_environment()
    old_name = settings.DATABASES["default"]["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        owner, _ = researcher_account_ensure(username="bench")
        batch = Batch.objects.create(slug="bench", title="bench", owner=owner, status="live")
        fields, datasets = aggregate.study_schema(batch)
        # The page reads what these options produce; their cost is the analysis bench's subject.
        BatchAnalysis.objects.create(
            batch=batch, options={"bootstrap_samples": 50, "latent_methods": [], "folds": 0}
        )
        started = time.perf_counter()
        aggregate.load(batch, datasets, fields, args.statements)
        n_judgments = args.statements * aggregate.WORKERS_PER_STATEMENT
        print(f"loaded {n_judgments:,} judgments in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        batch_recompute(batch=batch)
        print(f"stored analysis results in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        snapshot = dashboard_snapshot_refresh(batch=batch)
        print(
            f"dashboard snapshot (progress, funnel, {batch.worker_summaries.count():,} worker "
            f"rows) in {time.perf_counter() - started:.1f} s; "
            f"{snapshot.progress['numbers']['collected']:,} judgments counted"
        )

        client = Client()
        client.force_login(owner)
        dashboard_ms = timed_get(
            client, reverse("admin:batch-dashboard", args=[batch.pk]), args.repeats
        )
        progress_ms = timed_get(
            client, reverse("admin:batch-dashboard-progress", args=[batch.pk]), args.repeats
        )
        bare_ms = timed_get(client, reverse("admin:assessments_dataset_changelist"), args.repeats)
        print(f"bare admin changelist (datasets): {bare_ms:.1f} ms (median of {args.repeats})")
        print(f"dashboard page: {dashboard_ms:.1f} ms (median of {args.repeats}; target <= 300 ms)")
        print(f"progress poll: {progress_ms:.1f} ms (median of {args.repeats})")
        print(f"ratio dashboard / bare changelist: {dashboard_ms / bare_ms:.2f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
