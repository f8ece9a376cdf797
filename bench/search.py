"""Search latency: bare index query vs the search API (cache miss, cache hit) on >= 50,000 documents.

Usage (from the project root; runs in a throwaway test database, never in yours):

    .venv/bin/python bench/search.py                       # SQLite FTS5, local-memory cache
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tc REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/search.py                   # PostgreSQL FTS, Redis cache
    .venv/bin/python bench/search.py --compare-fts 60      # also time FTS5 / PostgreSQL FTS

Documents are built from LIAR-PLUS ruling sentences (deterministic shuffle); the queries are the
study's 180 statement texts, as a worker would paste them. "API" is a GET of the search endpoint
through Django's full request stack (middleware, token and assignment check, throttle, cache,
backend, filter, query log with the results shown).

Like for like: the floor ("bare") is the very call the API makes on a cache miss,
`LocalBackend.search(q, page=1, page_size=SEARCH_PAGE_SIZE)` (same k, same document fetch and
snippets), after a warm-up pass that every configuration gets alike. Bare, miss and hit are timed
interleaved, query by query, so that load from other processes on a shared machine falls on all
three alike (timing them as three consecutive passes let a burst of load land on one of them).
The test client's own cost is shown by a trivial endpoint (GET /healthz: middleware and one
`SELECT 1`), and the SQL statements per request are counted once, outside the timings.
"""

import argparse
import csv
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truthcrowd.settings.base")
# High enough never to trip, so the throttle's cache counter is still part of the API cost.
os.environ.setdefault("SEARCH_THROTTLE_RATES", "100000000/minute")
INDEX_DIR = tempfile.mkdtemp(prefix="truthcrowd-bench-index-")
os.environ["SEARCH_INDEX_DIR"] = INDEX_DIR

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
)
from django.urls import reverse  # noqa: E402

SENTENCE = re.compile(r"(?<=[.!?])\s+")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def corpus_rows(count: int):
    from search import corpus

    sentences, titles = [], []
    for name in corpus.LIAR_PLUS_FILES:
        for row in corpus.liar_plus_documents(ROOT / "data" / "liar-plus" / name).rows:
            titles.append(row.title.split(":", 1)[-1].split("(PolitiFact")[0].strip(" “”"))
            sentences.extend(s for s in SENTENCE.split(row.text) if len(s) > 30)
    rng = random.Random(20200601)
    rows = []
    for n in range(count):
        text = " ".join(rng.sample(sentences, rng.randint(3, 8)))
        rows.append(
            corpus.DocumentRow(
                url=f"https://site{n % 997}.example.org/doc/{n}",
                title=rng.choice(titles)[:200],
                text=text,
                source=f"site{n % 997}.example.org",
                provenance="bench: shuffled LIAR-PLUS ruling sentences",
            )
        )
    return rows


def study_queries() -> list[str]:
    with (ROOT / "data" / "ipm2021" / "statements.csv").open(encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def timed(function, items) -> list[float]:
    times = []
    for item in items:
        started = time.perf_counter()
        function(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def line(label: str, times: list[float]) -> str:
    return f"{label:<30} p50 {percentile(times, 50):7.2f} ms   p95 {percentile(times, 95):7.2f} ms"


# The database-native alternatives measured before choosing bm25s: any-term queries ranked in SQL.
_FTS = {
    "sqlite": (
        [
            "CREATE VIRTUAL TABLE bench_fts USING fts5(title, text, tokenize='porter unicode61')",
            "INSERT INTO bench_fts(rowid, title, text) SELECT id, title, text FROM search_document",
        ],
        "SELECT rowid, snippet(bench_fts, 1, '', '', '…', 40) FROM bench_fts WHERE bench_fts MATCH %s "
        "ORDER BY bm25(bench_fts, 3.0, 1.0) LIMIT 11",
        lambda terms: " OR ".join(f'"{t}"' for t in terms),
    ),
    "postgresql": (
        [
            "ALTER TABLE search_document ADD COLUMN bench_tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', title), 'A') || "
            "setweight(to_tsvector('english', text), 'B')) STORED",
            "CREATE INDEX bench_tsv_gin ON search_document USING GIN (bench_tsv)",
            "ANALYZE search_document",
        ],
        "WITH q AS (SELECT websearch_to_tsquery('english', %s) AS query), "
        "top AS (SELECT d.id, ts_rank_cd(d.bench_tsv, q.query, 1) AS score FROM search_document d, q "
        "WHERE d.bench_tsv @@ q.query ORDER BY score DESC LIMIT 11) "
        "SELECT d.id, ts_headline('english', d.text, q.query) FROM top JOIN search_document d "
        "ON d.id = top.id, q ORDER BY top.score DESC",
        lambda terms: " or ".join(terms),
    ),
}


def compare_fts(queries):
    setup, sql, match = _FTS[connection.vendor]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in setup:
            cursor.execute(statement)
    build_s = time.perf_counter() - started

    def query(text):
        with connection.cursor() as cursor:
            cursor.execute(sql, [match(re.findall(r"\w\w+", text.lower()))])
            cursor.fetchall()

    timed(query, queries)  # warm-up
    print(f"{connection.vendor} full-text index build   {build_s:7.2f} s")
    print(line(f"{connection.vendor} FTS any-term query", timed(query, queries)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="passes over the queries; a p95 of 180 samples is the 9th slowest, too noisy alone",
    )
    parser.add_argument(
        "--compare-fts",
        type=int,
        default=0,
        metavar="N",
        help="also time the database's own full-text search on the first N queries",
    )
    args = parser.parse_args()

    settings.DEBUG = False  # DEBUG keeps every SQL statement in memory
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        # A file, as in embedded mode, rather than the test runner's in-memory database.
        settings.DATABASES["default"]["TEST"]["NAME"] = "/tmp/truthcrowd_bench_search.sqlite3"
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        run(args)
    finally:
        teardown_databases(old_config, verbosity=0)
        shutil.rmtree(INDEX_DIR, ignore_errors=True)


def run(args):
    from django.contrib.auth import get_user_model

    from assessments.hit_tokens import assignment_token_make
    from assessments.models import Assignment, Batch, Dataset, Statement, Worker
    from search.backends.local import LocalBackend, corpus_index_build
    from search.services import corpus_load

    rows = corpus_rows(args.documents)
    started = time.perf_counter()
    summary = corpus_load(rows=rows)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    corpus_index_build()
    index_s = time.perf_counter() - started
    queries = study_queries()

    owner = get_user_model().objects.create(username="bench")
    batch = Batch.objects.create(
        slug="bench", title="bench", owner=owner, blocked_domains=["politifact", "abc"]
    )
    statement = Statement.objects.create(
        dataset=Dataset.objects.create(name="bench"), external_id="B1", text="bench"
    )
    worker = Worker.objects.create(platform="simulated", platform_id="bench")
    assignment = Assignment.objects.create(
        batch=batch, worker=worker, statement_order=[statement.pk]
    )
    client = Client()
    url = reverse("search:query", args=[assignment_token_make(assignment.pk)])
    page_size = settings.SEARCH_PAGE_SIZE
    backend = LocalBackend()

    def bare(q):
        backend.search(q, page=1, page_size=page_size)

    def api(q):
        response = client.get(url, {"statement": statement.pk, "q": q})
        assert response.status_code == 200, response.content

    def trivial(_):
        assert client.get("/healthz").status_code == 200

    timed(bare, queries)  # warm the database's page cache for every configuration alike
    timed(trivial, queries)
    bare_ms, miss_ms, hit_ms = [], [], []
    for _ in range(args.rounds):
        cache.clear()  # every round's first API call of a query misses the cache again
        for q in queries:  # interleaved: bare, then the API twice (the first misses the cache)
            bare_ms += timed(bare, [q])
            miss_ms += timed(api, [q])
            hit_ms += timed(api, [q])
    trivial_ms = timed(trivial, queries)
    counts = _query_counts(bare, api, queries[0] + " again")

    print(
        f"database {connection.vendor}, cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, "
        f"{summary.created} documents loaded in {load_s:.1f} s, BM25 index built in {index_s:.1f} s, "
        f"{len(queries)} queries x {args.rounds} rounds of bare, miss, hit"
    )
    print(line("client + middleware (/healthz)", trivial_ms))
    print(line("bare index query", bare_ms))
    print(line("API, cache miss", miss_ms))
    print(line("API, cache hit", hit_ms))
    for label, times in (("miss", miss_ms), ("hit", hit_ms)):
        print(
            f"ratio API {label:<4} / bare          p50 {percentile(times, 50) / percentile(bare_ms, 50):5.2f}x"
            f"        p95 {percentile(times, 95) / percentile(bare_ms, 95):5.2f}x"
        )
    print(
        f"targets: hit p95 <= 10 ms {'met' if percentile(hit_ms, 95) <= 10 else 'MISSED'}; "
        f"miss p95 <= 50 ms {'met' if percentile(miss_ms, 95) <= 50 else 'MISSED'}; "
        f"miss overhead <= 2x bare (p95) "
        f"{'met' if percentile(miss_ms, 95) <= 2 * percentile(bare_ms, 95) else 'MISSED'}"
    )
    print(
        f"SQL statements per request: bare {counts[0]}, API miss {counts[1]}, API hit {counts[2]}"
    )
    print(
        f"median results per query: {statistics.median(_result_counts(client, url, statement, queries))}"
    )
    if args.compare_fts:
        compare_fts(queries[: args.compare_fts])


def _query_counts(bare, api, q) -> tuple[int, int, int]:
    from django.test.utils import CaptureQueriesContext

    counts = []
    for call in (bare, api, api):
        with CaptureQueriesContext(connection) as captured:
            call(q)
        counts.append(len(captured.captured_queries))
    return tuple(counts)


def _result_counts(client, url, statement, queries):
    return [
        len(client.get(url, {"statement": statement.pk, "q": q}).json()["results"]) for q in queries
    ]


if __name__ == "__main__":
    main()
