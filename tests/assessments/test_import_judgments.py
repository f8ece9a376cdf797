"""import_judgments: imported workers, attempts and judgments; all-or-nothing, row-numbered errors."""

import json

import pytest
from django.core.management import CommandError, call_command

from assessments import judgment_csv, models
from tests import factories
from tests.assessments import analysis_data

pytestmark = pytest.mark.django_db

HEADER = "worker_id,statement_id,position,overall-truthfulness,confidence,correctness,url,justification,time_elapsed_s"


@pytest.fixture
def batch():
    batch = analysis_data.study_batch()
    pool = analysis_data.statements("politifact", 1)
    gold = analysis_data.gold_statements()
    batch.statements.set(pool)
    batch.gold_statements.set(gold)
    return batch


def _write(tmp_path, lines, header=HEADER):
    path = tmp_path / "judgments.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def test_import_creates_imported_workers_attempts_and_judgments(
    batch, tmp_path, django_capture_on_commit_callbacks
):
    path = _write(
        tmp_path,
        [
            "A1,politifact-0-0,0,-2,1,,https://example.org/a,because,12.5",
            "A1,HIGH,1,2,2,2,,,3",
            "B2,politifact-5-0,0,2,0,1,,,",
        ],
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call_command("import_judgments", str(path), "--batch", batch.slug)
    assert len(callbacks) == 1  # the recompute, sent on commit
    workers = models.Worker.objects.filter(platform="imported")
    assert sorted(workers.values_list("platform_id", flat=True)) == ["A1", "B2"]
    assignments = models.Assignment.objects.filter(batch=batch)
    assert {a.is_imported for a in assignments} == {True}
    assert {a.status for a in assignments} == {"completed"}
    assert set(models.Attempt.objects.values_list("status", flat=True)) == {"passed"}
    judgments = models.Judgment.objects.filter(attempt__assignment__batch=batch)
    assert judgments.count() == 3 and all(j.is_imported for j in judgments)
    first = judgments.get(statement__external_id="politifact-0-0")
    assert first.evidence_url == "https://example.org/a"
    assert first.time_on_page_s == 12.5
    # The empty correctness cell is a missing value, not a zero.
    assert dict(first.values.values_list("field__slug", "value")) == {
        "overall-truthfulness": -2,
        "confidence": 1,
    }
    # The import queued a recompute; in embedded mode it ran after the commit.
    report = json.loads(_report(batch))
    assert report["per_statement"]["politifact-0-0"]["overall-truthfulness"]["n"] == 1


def _report(batch):
    from io import StringIO

    out = StringIO()
    call_command("analysis_report", batch.slug, "--json", stdout=out)
    return out.getvalue()


def test_earlier_tries_are_failed_attempts(batch, tmp_path, django_capture_on_commit_callbacks):
    path = _write(
        tmp_path,
        [
            "A1,politifact-0-0,0,1,1,1,,,,1",
            "A1,politifact-0-0,0,-2,-2,-2,,,,2",
        ],
        header=HEADER + ",try_number",
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_judgments", str(path), "--batch", batch.slug)
    attempts = dict(models.Attempt.objects.values_list("number", "status"))
    assert attempts == {1: "failed", 2: "passed"}
    aggregate = models.StatementAggregate.objects.get(
        statement__external_id="politifact-0-0", field__slug="overall-truthfulness"
    )
    assert aggregate.n == 1 and aggregate.mean == -2  # only the passed try counts


def test_bad_rows_are_all_reported_and_nothing_is_written(batch, tmp_path):
    path = _write(
        tmp_path,
        [
            "A1,politifact-0-0,0,-2,1,0,,,1",
            "A1,NOPE,1,0,0,0,,,1",
            "A2,politifact-0-0,x,3,0,0,not a url,,-4",
            "A3,LOW,0,0,0,0,,,1,,false",
        ],
        header=HEADER + ",try_number,is_gold",
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("import_judgments", str(path), "--batch", batch.slug)
    message = str(excinfo.value)
    assert "nothing imported" in message
    assert "row 4, column position" in message
    assert "row 4, column overall-truthfulness: 3 is not on the scale" in message
    assert "row 4, column url" in message
    assert "row 4, column time_elapsed_s" in message
    assert not models.Judgment.objects.exists()
    assert not models.Worker.objects.filter(platform="imported").exists()

    # Once the parse errors are fixed, unknown statements and gold mismatches are row errors too.
    path = _write(
        tmp_path,
        ["A1,NOPE,1,0,0,0,,,1,,", "A3,LOW,0,0,0,0,,,1,,false"],
        header=HEADER + ",try_number,is_gold",
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("import_judgments", str(path), "--batch", batch.slug)
    message = str(excinfo.value)
    assert "row 2, column statement_id: 'NOPE' is not a known statement" in message
    assert "row 3, column is_gold: 'LOW' is a gold statement" in message
    assert not models.Judgment.objects.exists()


def test_header_must_name_the_batch_fields(batch, tmp_path):
    path = _write(
        tmp_path, ["A1,politifact-0-0,0,1,1,,,1"], header=HEADER.replace(",correctness", ",colour")
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("import_judgments", str(path), "--batch", batch.slug)
    assert "row 1, column correctness: required column is missing" in str(excinfo.value)
    assert "row 1, column colour: unknown column" in str(excinfo.value)


def test_a_worker_cannot_be_imported_twice_into_one_batch(batch, tmp_path):
    path = _write(tmp_path, ["A1,politifact-0-0,0,1,1,1,,,1"])
    call_command("import_judgments", str(path), "--batch", batch.slug)
    with pytest.raises(CommandError, match="'A1' already has an assignment here"):
        call_command("import_judgments", str(path), "--batch", batch.slug)
    assert models.Judgment.objects.count() == 1


def test_duplicate_rows_are_errors():
    rows, errors = judgment_csv.parse(
        [HEADER, "A,S1,0,1,1,1,,,", "A,S1,1,1,1,1,,,", "A,S2,1,1,1,1,,,"],
        {"overall-truthfulness": [-2, -1, 0, 1, 2], "confidence": [0, 1], "correctness": [1]},
    )
    assert [str(e) for e in errors] == [
        "row 3, column statement: repeats row 2 (same worker, try and statement)",
        "row 4, column position: repeats row 3 (same worker, try and position)",
    ]
    assert [row.row for row in rows] == [2]


def test_unknown_batch_is_a_command_error(tmp_path):
    path = _write(tmp_path, [])
    factories.BatchFactory(slug="other")
    with pytest.raises(CommandError, match="no batch"):
        call_command("import_judgments", str(path), "--batch", "missing")
