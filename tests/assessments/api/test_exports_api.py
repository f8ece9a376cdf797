"""Bulk exports and the study data package, through the API."""

import csv
import io
import json
import tracemalloc
import zipfile

import pyarrow.parquet as pq
import pytest

from assessments import models
from assessments.selectors import exports as export_selectors

from .conftest import judged_batch, pseudonyms_of

pytestmark = pytest.mark.django_db

IMPORT_HEADER = [
    "worker_id", "statement_id", "position", "dim_0", "dim_1", "url", "justification",
    "time_elapsed_s", "try_number", "is_gold",
]  # fmt: skip
EXTRA_HEADER = [
    "dataset", "expert_label", "expert_ordinal", "attempt_status", "assignment_status",
    "page_served_at", "answered_at",
]  # fmt: skip


def _body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_judgments_csv_has_a_row_per_worker_statement_attempt_and_a_column_per_field(
    owner_client, batch
):
    response = owner_client.get(f"/api/batches/{batch.pk}/exports/judgments/csv/")
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="study-judgments.csv"'
    rows = list(csv.DictReader(io.StringIO(_body(response).decode())))
    assert list(rows[0])[: len(IMPORT_HEADER)] == IMPORT_HEADER
    assert list(rows[0])[len(IMPORT_HEADER) :] == EXTRA_HEADER
    assert len(rows) == 3 * 5  # 3 workers x (4 statements + 1 gold) x 1 attempt
    assert {r["worker_id"] for r in rows} == set(pseudonyms_of(batch))
    for row in rows:
        position = int(row["position"])
        assert int(row["dim_0"]) == position % 5 - 2
        assert int(row["dim_1"]) == (position + 1) % 5 - 2
        assert row["is_gold"] == ("true" if row["statement_id"] == "study-HIGH" else "false")
        assert row["try_number"] == "1"
        assert float(row["time_elapsed_s"]) == 1.5 + position
    expert = {
        s.external_id: s.expert_level.label for s in batch.statements.select_related("expert_level")
    }
    assert all(
        r["expert_label"] == expert[r["statement_id"]] for r in rows if r["is_gold"] == "false"
    )


def test_a_missing_value_is_an_empty_cell(owner_client, batch):
    judgment = models.Judgment.objects.filter(attempt__assignment__batch=batch).first()
    judgment.values.filter(field__slug="dim_1").delete()
    rows = list(
        csv.DictReader(
            io.StringIO(
                _body(owner_client.get(f"/api/batches/{batch.pk}/exports/judgments/csv/")).decode()
            )
        )
    )
    assert sum(1 for r in rows if r["dim_1"] == "") == 1


def test_no_export_or_package_contains_raw_worker_ids(owner_client, batch):
    raw = [w.platform_id.encode() for w in pseudonyms_of(batch).values()]
    bodies = [
        _body(owner_client.get(f"/api/batches/{batch.pk}/exports/{kind}/{fmt}/"))
        for kind in ("judgments", "workers", "answers", "events")
        for fmt in ("csv", "jsonl")
    ]
    package = zipfile.ZipFile(
        io.BytesIO(_body(owner_client.get(f"/api/batches/{batch.pk}/package/")))
    )
    bodies += [package.read(name) for name in package.namelist()]
    bodies += [owner_client.get(f"/api/{name}/").content for name in ("assignments", "judgments")]
    assert not [pid for pid in raw for body in bodies if pid in body]


def test_jsonl_and_parquet_hold_the_same_rows_as_csv(owner_client, batch):
    base = f"/api/batches/{batch.pk}/exports/judgments"
    csv_rows = list(csv.DictReader(io.StringIO(_body(owner_client.get(f"{base}/csv/")).decode())))
    jsonl = owner_client.get(f"{base}/jsonl/")
    assert jsonl["Content-Type"] == "application/jsonl"
    json_rows = [json.loads(line) for line in _body(jsonl).decode().splitlines()]
    parquet = owner_client.get(f"{base}/parquet/")
    assert parquet["Content-Type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(_body(parquet)))
    assert [r["worker_id"] for r in json_rows] == [r["worker_id"] for r in csv_rows]
    assert table.column("dim_0").to_pylist() == [r["dim_0"] for r in json_rows]
    assert [str(v) for v in table.column("dim_0").to_pylist()] == [r["dim_0"] for r in csv_rows]
    assert table.schema.field("is_gold").type == "bool"


def test_other_exports_have_one_row_per_worker_answer_and_event(owner_client, batch):
    def rows(kind):
        body = _body(owner_client.get(f"/api/batches/{batch.pk}/exports/{kind}/csv/"))
        return list(csv.DictReader(io.StringIO(body.decode())))

    workers = rows("workers")
    assert len(workers) == 3
    assert {w["assignment_status"] for w in workers} == {"completed"}
    assert {w["attempts"] for w in workers} == {"1"} and {w["passed"] for w in workers} == {"true"}
    answers = rows("answers")
    assert [(a["questionnaire"], a["question"], a["value"], a["is_correct"]) for a in answers] == [
        ("crt", "farmers", "3", "true")
    ] * 3
    events = rows("events")
    assert len(events) == 3 and json.loads(events[0]["payload"]) == {"page": 0}


def test_unknown_export_kind_or_format_is_404(owner_client, batch):
    assert owner_client.get(f"/api/batches/{batch.pk}/exports/logs/csv/").status_code == 404
    assert owner_client.get(f"/api/batches/{batch.pk}/exports/judgments/xlsx/").status_code == 404


def test_data_package_holds_every_file_and_a_dictionary_of_every_column(owner_client, batch):
    response = owner_client.get(f"/api/batches/{batch.pk}/package/")
    assert response["Content-Type"] == "application/zip"
    package = zipfile.ZipFile(io.BytesIO(_body(response)))
    assert package.testzip() is None
    assert sorted(package.namelist()) == [
        "CITATION.cff", "aggregates.csv", "answers.csv", "batch.json", "data_dictionary.csv",
        "events.csv", "judgments.csv", "search_logs.csv", "statements.csv", "workers.csv",
    ]  # fmt: skip
    judgments = package.read("judgments.csv").decode().splitlines()
    assert judgments[0].split(",") == IMPORT_HEADER  # exactly the import format
    assert len(judgments) == 1 + 15
    dictionary = list(csv.DictReader(io.StringIO(package.read("data_dictionary.csv").decode())))
    described = {(d["file"], d["column"]) for d in dictionary}
    assert all(d["description"] for d in dictionary)
    for name in package.namelist():
        if name.endswith(".csv") and name != "data_dictionary.csv":
            header = next(csv.reader(io.StringIO(package.read(name).decode())))
            assert {(name, column) for column in header} <= described, name
    assert ("judgments.csv", "dim_0") in described
    statements = list(csv.DictReader(io.StringIO(package.read("statements.csv").decode())))
    assert len(statements) == 5
    assert {s["role"] for s in statements} == {"pool", "gold"}
    assert all(s["expert_label"] for s in statements if s["role"] == "pool")
    config = json.loads(package.read("batch.json"))
    assert config["slug"] == "study"
    assert [f["slug"] for f in config["fields"]] == ["dim_0", "dim_1"]
    assert "worker_blocklist" not in config
    assert (
        len(config["statements"]) == 4
        and config["gold_statements"][0]["external_id"] == "study-HIGH"
    )
    citation = package.read("CITATION.cff").decode()
    assert citation.startswith("cff-version: 1.2.0\n")
    assert 'title: "Batch study (truthcrowd batch study)"' in citation


def test_batch_json_from_a_package_creates_an_equivalent_batch(owner_client, batch):
    package = zipfile.ZipFile(
        io.BytesIO(_body(owner_client.get(f"/api/batches/{batch.pk}/package/")))
    )
    config = json.loads(package.read("batch.json"))
    config["slug"] = "study-copy"
    response = owner_client.post("/api/batches/", config, format="json")
    assert response.status_code == 201, response.json()
    copy = models.Batch.objects.get(slug="study-copy")
    assert list(copy.fields.values_list("slug", "scale")) == list(
        batch.fields.values_list("slug", "scale")
    )
    assert set(copy.statements.all()) == set(batch.statements.all())
    assert copy.questionnaires.get().questions.get().correct_answer == "3"


def _peak_while_streaming(client, url) -> tuple[int, int]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    size = 0
    for chunk in client.get(url).streaming_content:
        size += len(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return size, peak


def test_export_memory_stays_flat_as_the_batch_grows(owner, owner_client, monkeypatch):
    # Small chunks so that both batches span many of them and the test stays quick.
    monkeypatch.setattr(export_selectors, "EXPORT_CHUNK_SIZE", 500)
    small = judged_batch(owner, workers=40, statements=49, slug="small")  # 2,000 judgments
    large = judged_batch(owner, workers=400, statements=49, slug="large")  # 20,000 judgments
    _peak_while_streaming(
        owner_client, f"/api/batches/{small.pk}/exports/judgments/csv/"
    )  # warm-up
    small_size, small_peak = _peak_while_streaming(
        owner_client, f"/api/batches/{small.pk}/exports/judgments/csv/"
    )
    large_size, large_peak = _peak_while_streaming(
        owner_client, f"/api/batches/{large.pk}/exports/judgments/csv/"
    )
    assert large_size > 9 * small_size
    # 10x the rows, about the same peak: memory is bounded by one chunk, not by the batch.
    assert large_peak < 1.5 * small_peak


def test_a_batch_without_judgments_exports_a_header_only(owner_client, owner):
    empty = judged_batch(owner, workers=0, slug="empty")
    body = _body(owner_client.get(f"/api/batches/{empty.pk}/exports/judgments/csv/")).decode()
    assert body.splitlines() == [",".join([*IMPORT_HEADER, *EXTRA_HEADER])]
