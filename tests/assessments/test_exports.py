"""Export writers, the streaming zip and worker pseudonyms (pure, no database)."""

import csv
import datetime
import io
import json
import random
import zipfile

import pyarrow.parquet as pq
import pytest

from assessments import exports
from assessments.pseudonyms import worker_pseudonym

COLUMNS = [
    exports.Column("worker_id", "string", "w"),
    exports.Column("value", "integer", "v"),
    exports.Column("elapsed", "float", "e"),
    exports.Column("is_gold", "boolean", "g"),
    exports.Column("at", "datetime", "t"),
    exports.Column("payload", "json", "p"),
]
WHEN = datetime.datetime(2020, 6, 1, 12, 30, tzinfo=datetime.UTC)
ROWS = [
    ("a", -2, 1.5, True, WHEN, {"page": 1}),
    ("b,with comma", None, None, False, None, None),
]


def _csv(rows, **kwargs):
    writer = exports.CsvWriter(COLUMNS)
    for name, value in kwargs.items():
        setattr(writer, name, value)
    return b"".join(writer.stream(iter(rows))).decode()


def test_csv_has_header_nulls_as_empty_booleans_lowercase_and_iso_times():
    text = _csv(ROWS)
    assert text.splitlines() == [
        "worker_id,value,elapsed,is_gold,at,payload",
        'a,-2,1.5,true,2020-06-01T12:30:00+00:00,"{""page"": 1}"',
        '"b,with comma",,,false,,',
    ]


def test_csv_chunks_concatenate_to_the_same_file():
    rows = [("w", i, 0.5, False, WHEN, {}) for i in range(25)]
    writer = exports.CsvWriter(COLUMNS)
    writer.rows_per_chunk = 4
    chunks = list(writer.stream(iter(rows)))
    assert len(chunks) == 7  # 6 full chunks of 4 rows, then the last row
    assert b"".join(chunks).decode() == _csv(rows)
    assert [int(r["value"]) for r in csv.DictReader(io.StringIO(_csv(rows)))] == list(range(25))


def test_jsonl_is_one_object_per_line_with_native_types():
    lines = b"".join(exports.JsonlWriter(COLUMNS).stream(iter(ROWS))).decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "worker_id": "a",
            "value": -2,
            "elapsed": 1.5,
            "is_gold": True,
            "at": "2020-06-01T12:30:00+00:00",
            "payload": {"page": 1},
        },
        {
            "worker_id": "b,with comma",
            "value": None,
            "elapsed": None,
            "is_gold": False,
            "at": None,
            "payload": None,
        },
    ]


def test_parquet_round_trips_types_and_keeps_descriptions():
    writer = exports.ParquetWriter(COLUMNS)
    writer.rows_per_chunk = 1  # one row group per row: several chunks
    table = pq.read_table(io.BytesIO(b"".join(writer.stream(iter(ROWS)))))
    assert table.column_names == [c.name for c in COLUMNS]
    assert table.to_pylist()[0] == {
        "worker_id": "a",
        "value": -2,
        "elapsed": 1.5,
        "is_gold": True,
        "at": WHEN,
        "payload": '{"page": 1}',
    }
    assert table.to_pylist()[1]["value"] is None
    assert table.schema.field("value").metadata == {b"description": b"v"}


def test_empty_exports_still_have_headers():
    assert _csv([]) == "worker_id,value,elapsed,is_gold,at,payload\n"
    assert (
        pq.read_table(
            io.BytesIO(b"".join(exports.ParquetWriter(COLUMNS).stream(iter([]))))
        ).num_rows
        == 0
    )
    assert b"".join(exports.JsonlWriter(COLUMNS).stream(iter([]))) == b""


def test_registry_names_every_writer_and_rejects_unknown_ones():
    assert sorted(exports.WRITERS) == ["csv", "jsonl", "parquet"]
    assert exports.writer_get("csv") is exports.CsvWriter
    with pytest.raises(ValueError, match="xlsx"):
        exports.writer_get("xlsx")


def test_column_kind_is_checked():
    with pytest.raises(ValueError, match="decimal"):
        exports.Column("x", "decimal", "")


def test_zip_stream_yields_a_valid_archive_piece_by_piece():
    noise = random.Random(0)
    big = [noise.randbytes(1000) for _ in range(3000)]  # 3 MB that does not compress
    chunks = list(exports.zip_stream([("a.txt", iter(big)), ("b.txt", iter([b"hello"]))],
                                     flush_bytes=1 << 16))  # fmt: skip
    assert len(chunks) > 3
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    assert archive.namelist() == ["a.txt", "b.txt"]
    assert archive.read("a.txt") == b"".join(big)
    assert archive.read("b.txt") == b"hello"


def test_data_dictionary_lists_every_column_of_every_file():
    rows = list(exports.data_dictionary_rows([("j.csv", COLUMNS[:2]), ("w.csv", COLUMNS[2:3])]))
    assert rows == [
        ("j.csv", "worker_id", "string", "w"),
        ("j.csv", "value", "integer", "v"),
        ("w.csv", "elapsed", "float", "e"),
    ]


def test_worker_pseudonym_is_a_stable_keyed_hash():
    one = worker_pseudonym("prolific", "5f1a", salt="s1")
    assert one == worker_pseudonym("prolific", "5f1a", salt="s1")
    assert len(one) == 32 and int(one, 16) >= 0
    assert "5f1a" not in one
    assert one != worker_pseudonym("prolific", "5f1a", salt="s2")
    assert one != worker_pseudonym("mturk", "5f1a", salt="s1")
    with pytest.raises(ValueError):
        worker_pseudonym("prolific", "5f1a", salt="")
