"""Search logs, aggregates and analysis results: read endpoints and their bulk exports."""

import csv
import io
import json
import zipfile

import pyarrow.parquet as pq
import pytest

from assessments import models
from assessments.selectors import exports as export_selectors
from assessments.selectors.analysis import analysis_report
from assessments.services.analysis import batch_recompute

from .conftest import all_pages, judged_batch, pseudonyms_of

pytestmark = pytest.mark.django_db

NEW_LISTS = [
    "search-queries",
    "search-clicks",
    "evidence-selections",
    "aggregates",
    "analyses",
    "agreement-results",
    "crowd-expert-results",
]
SEARCH_LOG_HEADER = [
    "worker_id", "statement_id", "query_id", "query", "page", "provider", "status", "error",
    "cache_hit", "latency_ms", "blocked_count", "withheld_count", "searched_at", "rank", "url",
    "domain", "title", "snippet", "clicked", "selected",
]  # fmt: skip
AGGREGATE_HEADER = [
    "statement_id", "dataset", "is_gold", "expert_label", "expert_ordinal", "field", "n", "mean",
    "median", "sd", "majority", "weighted_mean", "dawid_skene", "glad", "mace", "histogram",
    "updated_at",
]  # fmt: skip


def _export(client, batch, kind, fmt="csv", query=""):
    response = client.get(f"/api/batches/{batch.pk}/exports/{kind}/{fmt}/{query}")
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def _csv_rows(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_search_queries_carry_their_results_as_shown_with_clicks_and_selections(
    owner_client, batch
):
    rows = all_pages(owner_client, "/api/search-queries/")
    assert len(rows) == 4  # a search per worker, and the first worker's failed one
    pseudonyms = pseudonyms_of(batch)
    assert {r["worker_id"] for r in rows} == set(pseudonyms)
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) == 3
    for row in ok:
        assert (row["batch"], row["statement_id"], row["text"]) == (
            batch.pk,
            "study-S0",
            "did taxes go up",
        )
        assert [(r["rank"], r["clicked"], r["selected"]) for r in row["results"]] == [
            (1, True, True),
            (2, False, False),
        ]
        assert row["results"][0]["url"] == "https://news.example.com/study/taxes"
        assert row["results"][1]["domain"] == "blog.example.net"
    failed = next(r for r in rows if r["status"] == "failed")
    assert (failed["results"], failed["error"]) == ([], "provider down")


def test_clicks_and_evidence_selections_name_the_worker_by_pseudonym(owner_client, batch):
    clicks = all_pages(owner_client, "/api/search-clicks/")
    selections = all_pages(owner_client, "/api/evidence-selections/")
    assert len(clicks) == len(selections) == 3
    assert {c["worker_id"] for c in clicks} == {s["worker_id"] for s in selections}
    assert {c["worker_id"] for c in clicks} == set(pseudonyms_of(batch))
    assert {(c["rank"], c["statement_id"]) for c in clicks} == {(1, "study-S0")}
    assert all(s["accepted"] and s["reason"] == "" for s in selections)


def test_new_endpoints_never_serve_raw_worker_ids(owner_client, batch):
    raw = [w.platform_id for w in pseudonyms_of(batch).values()]
    bodies = [owner_client.get(f"/api/{name}/").content.decode() for name in NEW_LISTS]
    bodies.append(owner_client.get(f"/api/batches/{batch.pk}/analysis/").content.decode())
    bodies += [
        _export(owner_client, batch, kind, fmt).decode(errors="replace")
        for kind in ("search-logs", "aggregates")
        for fmt in ("csv", "jsonl")
    ]
    assert not [pid for pid in raw for body in bodies if pid in body]


def test_new_endpoints_show_only_own_and_shared_batches(roles, owner, stranger, batch):
    theirs = judged_batch(stranger, workers=2, statements=2, slug="theirs")
    for name in NEW_LISTS:
        own = {r["batch"] for r in all_pages(roles["owner"], f"/api/{name}/")}
        shared = {r["batch"] for r in all_pages(roles["colleague"], f"/api/{name}/")}
        strangers = {r["batch"] for r in all_pages(roles["stranger"], f"/api/{name}/")}
        assert own == shared == {batch.pk}, name
        assert strangers == {theirs.pk}, name
        assert {r["batch"] for r in all_pages(roles["superuser"], f"/api/{name}/")} == {
            batch.pk,
            theirs.pk,
        }
    # Another researcher's rows are a 404 (their existence is not revealed), reports too.
    search = theirs.assignments.first().searches.first()
    assert roles["owner"].get(f"/api/search-queries/{search.pk}/").status_code == 404
    assert roles["owner"].get(f"/api/batches/{theirs.pk}/analysis/").status_code == 404
    response = roles["owner"].get(f"/api/batches/{theirs.pk}/exports/search-logs/csv/")
    assert response.status_code == 404


def test_search_log_filters_narrow_the_rows(owner_client, owner, batch):
    other = judged_batch(owner, workers=1, statements=2, slug="other")

    def count(url):
        return len(all_pages(owner_client, url))

    assert count("/api/search-queries/") == 4 + 2
    assert count(f"/api/search-queries/?batch={other.pk}") == 2
    assert count("/api/search-queries/?status=failed") == 2
    assert count("/api/search-queries/?statement_id=study-S0") == 4
    assert count("/api/search-queries/?dataset=politifact") == 6
    assert count("/api/search-queries/?dataset=nonesuch") == 0
    assignment = batch.assignments.order_by("pk").first()
    assert count(f"/api/search-queries/?assignment={assignment.pk}") == 2
    assert count("/api/search-queries/?after=2999-01-01T00:00:00Z") == 0
    query = assignment.searches.filter(status="ok").get()
    assert count(f"/api/search-clicks/?query={query.pk}") == 1
    assert count(f"/api/evidence-selections/?batch={batch.pk}&accepted=true") == 3
    assert count("/api/evidence-selections/?accepted=false") == 0
    assert owner_client.get("/api/search-queries/?status=nonsense").status_code == 400
    assert owner_client.get("/api/search-clicks/?query=x").status_code == 400


def test_search_queries_list_in_a_fixed_number_of_queries(
    owner_client, owner, batch, django_assert_max_num_queries
):
    judged_batch(owner, workers=40, statements=2, slug="more")
    with django_assert_max_num_queries(8):
        body = owner_client.get("/api/search-queries/?page_size=30").json()
    assert len(body["results"]) == 30


def test_aggregates_filters_and_values(owner_client, owner, batch):
    judged_batch(owner, workers=2, statements=1, slug="other")
    rows = all_pages(owner_client, f"/api/aggregates/?batch={batch.pk}")
    assert len(rows) == 5 * 2  # (4 statements + 1 gold) x 2 fields
    dim_1 = all_pages(owner_client, f"/api/aggregates/?batch={batch.pk}&field_slug=dim_1")
    assert len(dim_1) == 5 and {r["field_slug"] for r in dim_1} == {"dim_1"}
    [s1] = all_pages(owner_client, "/api/aggregates/?statement_id=study-S1&field_slug=dim_0")
    assert (s1["n"], s1["mean"], s1["histogram"], s1["dataset"]) == (
        3,
        -1.0,
        [0, 3, 0, 0, 0],
        "politifact",
    )
    assert s1["expert_label"] and not s1["is_gold"]
    gold = all_pages(owner_client, f"/api/aggregates/?batch={batch.pk}&is_gold=true")
    assert {r["statement_id"] for r in gold} == {"study-HIGH"}
    assert {r["expert_label"] for r in gold} == {None}
    ordered = all_pages(owner_client, f"/api/aggregates/?batch={batch.pk}&ordering=-mean")
    assert [r["mean"] for r in ordered] == sorted((r["mean"] for r in rows), reverse=True)


def test_analysis_results_by_batch_dataset_field_and_aggregation(owner_client, owner, batch):
    other = judged_batch(owner, workers=1, statements=2, slug="other")
    [analysis] = all_pages(owner_client, f"/api/analyses/?batch={batch.pk}")
    assert (analysis["is_stale"], analysis["n_judgments"], analysis["n_statements"]) == (
        False,
        15,
        5,
    )
    assert analysis["field_correlations"] == {"dim_0": {"dim_1": 0.5}}
    assert len(all_pages(owner_client, "/api/analyses/?is_stale=false")) == 2
    field = batch.fields.get(slug="dim_0")
    [alpha] = all_pages(owner_client, f"/api/agreement-results/?field={field.pk}")
    assert (alpha["dataset"], alpha["field_slug"], alpha["alpha_interval"]) == ("all", "dim_0", 0.8)
    assert len(all_pages(owner_client, f"/api/agreement-results/?batch={other.pk}")) == 2
    crowd = all_pages(owner_client, "/api/crowd-expert-results/?aggregation=mean&field_slug=dim_1")
    assert [(r["batch"], r["dataset"], r["pearson"]) for r in crowd] == [
        (batch.pk, "politifact", 0.6),
        (other.pk, "politifact", 0.6),
    ]
    assert all_pages(owner_client, "/api/crowd-expert-results/?aggregation=glad") == []


def test_agreement_results_carry_phi_when_it_was_computed(owner_client, batch):
    field = batch.fields.get(slug="dim_0")
    models.AgreementResult.objects.filter(batch=batch, field=field).update(
        phi=0.41, phi_hdi_low=0.2, phi_hdi_high=0.6, phi_r_hat=1.01
    )
    [alpha] = all_pages(owner_client, f"/api/agreement-results/?field={field.pk}")
    assert (alpha["phi"], alpha["phi_hdi_low"], alpha["phi_hdi_high"], alpha["phi_r_hat"]) == (
        0.41,
        0.2,
        0.6,
        1.01,
    )


def test_batch_analysis_report_is_the_stored_report(owner_client, batch):
    response = owner_client.get(f"/api/batches/{batch.pk}/analysis/")
    assert response.status_code == 200
    report = response.json()
    assert report == json.loads(json.dumps(analysis_report(batch=batch)))
    assert report["per_statement"]["study-S2"]["dim_1"]["mean"] == 1.0
    assert report["agreement"]["all"]["dim_0"]["interval"] == 0.8


def test_search_log_export_has_a_row_per_shown_result(owner_client, batch):
    body = _export(owner_client, batch, "search-logs")
    rows = _csv_rows(body)
    assert list(rows[0]) == SEARCH_LOG_HEADER
    assert len(rows) == 3 * 2 + 1  # 3 searches x 2 results, and one failed search
    assert {r["worker_id"] for r in rows} == set(pseudonyms_of(batch))
    shown = [r for r in rows if r["status"] == "ok"]
    assert (
        sorted((r["rank"], r["clicked"], r["selected"]) for r in shown)
        == [("1", "true", "true")] * 3 + [("2", "false", "false")] * 3
    )
    first = next(r for r in shown if r["rank"] == "1")
    assert (first["query"], first["statement_id"], first["url"], first["title"]) == (
        "did taxes go up",
        "study-S0",
        "https://news.example.com/study/taxes",
        "Taxes rose",
    )
    assert (first["snippet"], first["domain"], first["latency_ms"]) == (
        "They rose.",
        "news.example.com",
        "12.5",
    )
    # Rows of one search share its id and come by rank.
    ids = [r["query_id"] for r in shown]
    assert all(ids.count(i) == 2 for i in ids)
    [failed] = [r for r in rows if r["status"] == "failed"]
    assert (failed["error"], failed["rank"], failed["url"], failed["clicked"]) == (
        "provider down",
        "",
        "",
        "",
    )


def test_search_log_rows_do_not_depend_on_the_chunk_size(batch, settings):
    settings.SEARCH_PAGE_SIZE = 2
    whole = list(export_selectors.search_log_export_rows(batch, chunk_size=1000))
    # Two results a page and chunks of 2 rows: one search per chunk.
    assert list(export_selectors.search_log_export_rows(batch, chunk_size=2)) == whole
    assert len(whole) == 7


def test_search_log_and_aggregate_exports_in_jsonl_and_parquet(owner_client, batch):
    jsonl = [
        json.loads(line)
        for line in _export(owner_client, batch, "search-logs", "jsonl").decode().splitlines()
    ]
    table = pq.read_table(io.BytesIO(_export(owner_client, batch, "search-logs", "parquet")))
    assert table.column_names == SEARCH_LOG_HEADER
    assert table.column("rank").to_pylist() == [r["rank"] for r in jsonl]
    assert table.schema.field("clicked").type == "bool"
    assert table.schema.field("searched_at").type.tz == "UTC"
    assert [r["clicked"] for r in jsonl].count(True) == 3
    aggregates = pq.read_table(io.BytesIO(_export(owner_client, batch, "aggregates", "parquet")))
    assert aggregates.column_names == AGGREGATE_HEADER
    assert aggregates.num_rows == 10
    assert aggregates.schema.field("mean").type == "double"
    assert json.loads(aggregates.column("histogram")[0].as_py()) == [3, 0, 0, 0, 0]
    assert (
        aggregates.schema.field("n").metadata[b"description"] == b"Number of judgments aggregated."
    )


def test_aggregate_export_matches_a_real_analysis(owner_client, batch):
    batch.analysis.options = {
        **batch.analysis.options,
        "bootstrap_samples": 20,
        "latent_methods": ["dawid_skene"],
        "prediction": False,
    }
    batch.analysis.save()
    batch_recompute(batch=batch)
    rows = _csv_rows(_export(owner_client, batch, "aggregates"))
    assert list(rows[0]) == AGGREGATE_HEADER
    stored = {
        (a.statement.external_id, a.field.slug): a
        for a in models.StatementAggregate.objects.filter(batch=batch).select_related(
            "statement", "field"
        )
    }
    assert len(rows) == len(stored) == 4 * 2  # gold statements are left out by the analysis
    for row in rows:
        aggregate = stored[(row["statement_id"], row["field"])]
        assert int(row["n"]) == aggregate.n == 3
        assert float(row["mean"]) == pytest.approx(aggregate.mean)
        assert json.loads(row["histogram"]) == aggregate.histogram
        assert row["is_gold"] == "false" and row["expert_label"]
    # Real results (NaN-free, JSON-ready) are served by every analysis endpoint.
    report = owner_client.get(f"/api/batches/{batch.pk}/analysis/").json()
    assert report["n_judgments"] == 12 and not report["is_stale"]
    for name in ("analyses", "agreement-results", "crowd-expert-results"):
        assert all_pages(owner_client, f"/api/{name}/?batch={batch.pk}"), name
    api = all_pages(owner_client, f"/api/aggregates/?batch={batch.pk}")
    assert {(r["statement_id"], r["field_slug"]): r["mean"] for r in api} == {
        key: a.mean for key, a in stored.items()
    }


def test_simulated_workers_searches_are_left_out_unless_asked(owner_client, batch):
    simulated = batch.assignments.order_by("pk").first().worker
    simulated.platform = models.Worker.Platform.SIMULATED
    simulated.save()
    real = _csv_rows(_export(owner_client, batch, "search-logs"))
    everyone = _csv_rows(_export(owner_client, batch, "search-logs", query="?include_simulated=1"))
    assert (len(real), len(everyone)) == (4, 7)


def test_data_package_holds_search_logs_and_aggregates(owner_client, batch):
    response = owner_client.get(f"/api/batches/{batch.pk}/package/")
    package = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    searches = _csv_rows(package.read("search_logs.csv"))
    aggregates = _csv_rows(package.read("aggregates.csv"))
    assert (len(searches), len(aggregates)) == (7, 10)
    assert list(searches[0]) == SEARCH_LOG_HEADER and list(aggregates[0]) == AGGREGATE_HEADER
    dictionary = _csv_rows(package.read("data_dictionary.csv"))
    described = {(d["file"], d["column"]): d["description"] for d in dictionary}
    assert described[("search_logs.csv", "selected")].startswith("Whether the worker chose")
    assert ("aggregates.csv", "dawid_skene") in described
