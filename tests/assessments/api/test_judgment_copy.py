"""The judgments CSV written by PostgreSQL (COPY) is byte for byte the CsvWriter's file."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from assessments import models
from assessments.exports import CsvWriter
from assessments.selectors import exports
from assessments.selectors.judgment_copy import judgment_copy_supported, judgment_csv_copy
from tests import factories

from .conftest import judged_batch

pytestmark = [pytest.mark.postgres]

TRICKY_TEXTS = [
    "plain",
    "",  # an empty string, unquoted like a null
    'He said "no", then left',
    "two\nlines",
    "windows\r\nline",
    "  leading and trailing spaces  ",
    "accents é, emoji 🙂, RTL שלום",
    "semi;colon\ttab",
    "\\N looks like a null marker",
]


def _tricky_batch(owner) -> models.Batch:
    """A judged batch whose cells hold every awkward value a CSV can meet."""
    batch = judged_batch(owner, workers=4, statements=5, slug="tricky")
    judgments = list(
        models.Judgment.objects.filter(attempt__assignment__batch=batch).order_by("pk")
    )
    base = timezone.now().replace(microsecond=0)
    for n, judgment in enumerate(judgments):
        judgment.justification = TRICKY_TEXTS[n % len(TRICKY_TEXTS)]
        judgment.evidence_url = "" if n % 3 == 0 else f"https://example.org/a?b=1,{n}"
        judgment.time_on_page_s = [None, 3.0, 2.5, 0.1, 1234.567891, 0.0, 1e-05][n % 7]
        judgment.page_served_at = None if n % 4 == 0 else base - datetime.timedelta(seconds=n)
        judgment.answered_at = base + datetime.timedelta(microseconds=0 if n % 2 else 123 * n)
    models.Judgment.objects.bulk_update(
        judgments,
        ["justification", "evidence_url", "time_on_page_s", "page_served_at", "answered_at"],
    )
    models.JudgmentValue.objects.filter(judgment=judgments[1]).delete()  # missing values
    # A second, failed try, a worker who never completed, and a simulated worker.
    assignment = judgments[0].attempt.assignment
    retry = models.Attempt.objects.create(assignment=assignment, number=2, status="failed")
    models.Judgment.objects.create(attempt=retry, statement=judgments[0].statement, position=0)
    models.Assignment.objects.filter(pk=judgments[-1].attempt.assignment_id).update(
        status="active", completed_at=None
    )
    simulated = factories.WorkerFactory(platform=models.Worker.Platform.SIMULATED)
    pilot = models.Assignment.objects.create(
        batch=batch, worker=simulated, status="completed", completed_at=base
    )
    attempt = models.Attempt.objects.create(assignment=pilot, number=1, status="passed")
    models.Judgment.objects.create(attempt=attempt, statement=judgments[0].statement, position=0)
    return batch


def _written_by_python(batch, columns, **options) -> bytes:
    rows = (row[: len(columns)] for row in exports.judgment_export_rows(batch, **options))
    return b"".join(CsvWriter(columns).stream(rows))


def _written_by_copy(batch, columns, **options) -> bytes:
    return b"".join(judgment_csv_copy(batch, columns, chunk_size=3, **options))


@pytest.mark.django_db(transaction=True)  # the export's own transaction, REPEATABLE READ
@pytest.mark.parametrize(
    "options",
    [{}, {"include_simulated": True}, {"importable_only": True}],
    ids=["export", "with-simulated", "package"],
)
def test_copy_writes_the_same_bytes_as_the_csv_writer(owner, options):
    assert judgment_copy_supported()
    batch = _tricky_batch(owner)
    for columns in (
        exports.judgment_export_columns(batch),
        exports.judgment_import_columns(batch),
    ):
        expected = _written_by_python(batch, columns, **options)
        assert _written_by_copy(batch, columns, **options) == expected
        rows = list(csv.reader(io.StringIO(expected.decode())))
        assert {row[columns.index(exports.JUDGMENT_TAIL[1])] for row in rows[1:]} >= {
            text for text in TRICKY_TEXTS if text
        }


@pytest.mark.django_db
def test_copy_inside_a_transaction_reads_the_same_rows(owner, monkeypatch):
    # Inside an outer transaction (a test, or a caller's atomic block) the isolation level cannot
    # be changed any more; the export then runs in that transaction, on a savepoint.
    monkeypatch.setattr(exports, "EXPORT_CHUNK_SIZE", 2)  # pseudonyms copied 2 workers at a time
    batch = _tricky_batch(owner)
    columns = exports.judgment_export_columns(batch)
    assert _written_by_copy(batch, columns) == _written_by_python(batch, columns)


@pytest.mark.django_db
def test_the_api_serves_the_judgments_csv_from_copy(owner, monkeypatch):
    from .conftest import client_for

    batch = _tricky_batch(owner)
    expected = _written_by_python(batch, exports.judgment_export_columns(batch))

    def python_path_used(*args, **kwargs):
        raise AssertionError("the judgments CSV should come from COPY on PostgreSQL")

    monkeypatch.setattr(exports, "judgment_export_rows", python_path_used)
    response = client_for(owner).get(f"/api/batches/{batch.pk}/exports/judgments/csv/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == expected


@pytest.mark.django_db
def test_an_empty_batch_is_a_header_only(owner):
    batch = judged_batch(owner, workers=0, slug="empty")
    columns = exports.judgment_export_columns(batch)
    assert _written_by_copy(batch, columns) == _written_by_python(batch, columns)
    assert _written_by_copy(batch, columns).count(b"\n") == 1


@pytest.mark.django_db
def test_without_the_right_to_create_temporary_tables_the_csv_writer_is_used(owner):
    from django.db import connection

    assert judgment_copy_supported()
    with connection.cursor() as cursor:  # all undone when the test's transaction rolls back
        cursor.execute("CREATE ROLE truthcrowd_no_temp")
        cursor.execute(
            f"REVOKE TEMPORARY ON DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} FROM PUBLIC"
        )
        cursor.execute("SET LOCAL ROLE truthcrowd_no_temp")
    try:
        assert not judgment_copy_supported()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
