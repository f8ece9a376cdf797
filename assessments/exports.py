"""Export writers (csv, jsonl, parquet) and a streaming zip: row iterators in, byte chunks out (pure)."""

import csv
import datetime
import io
import json
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

KINDS = ("string", "integer", "float", "boolean", "datetime", "json")


@dataclass(frozen=True)
class Column:
    """One exported column: its name, value kind (one of KINDS) and what it means."""

    name: str
    kind: str
    description: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.kind!r} is not one of {KINDS}")


class _Sink(io.RawIOBase):
    """A write-only, unseekable file that keeps what was written until it is drained."""

    def __init__(self):
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0
        self.pending = 0

    def writable(self):
        return True

    def write(self, data):
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        self.pending += len(chunk)
        return len(chunk)

    def tell(self):
        return self._position

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self.pending = 0
        return data


def _text_bool(value):
    return value if value is None else ("true" if value else "false")


def _text_datetime(value):
    return value if value is None else value.isoformat()


def _text_json(value):
    return value if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


_TEXT = {"boolean": _text_bool, "datetime": _text_datetime, "json": _text_json}


class Writer:
    """Turns rows (sequences in column order) into byte chunks; memory is bounded by one chunk.

    Subclasses set `name`, `media_type` and `extension` and implement `stream`.
    """

    name = ""
    media_type = ""
    extension = ""
    rows_per_chunk = 2000

    def __init__(self, columns: Sequence[Column]):
        self.columns = list(columns)

    def stream(self, rows: Iterable[Sequence]) -> Iterator[bytes]:
        raise NotImplementedError

    def _chunks(self, rows: Iterable[Sequence], kinds: Iterable[str]) -> Iterator[list]:
        """Yield lists of up to `rows_per_chunk` rows, columns of `kinds` converted to text."""
        converters = [
            (index, _TEXT[column.kind])
            for index, column in enumerate(self.columns)
            if column.kind in kinds
        ]
        chunk = []
        for row in rows:
            if converters:
                row = list(row)
                for index, convert in converters:
                    row[index] = convert(row[index])
            chunk.append(row)
            if len(chunk) == self.rows_per_chunk:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


WRITERS: dict[str, type[Writer]] = {}


def register_writer(cls: type[Writer]) -> type[Writer]:
    """Add a writer class to the registry under its `name`."""
    WRITERS[cls.name] = cls
    return cls


def writer_get(name: str) -> type[Writer]:
    """Return the writer class registered as `name`; raise ValueError for an unknown name."""
    try:
        return WRITERS[name]
    except KeyError:
        raise ValueError(f"{name!r} is not one of {', '.join(sorted(WRITERS))}") from None


@register_writer
class CsvWriter(Writer):
    """RFC 4180 CSV with a header row; empty cell for null, true/false, ISO 8601 times."""

    name = "csv"
    media_type = "text/csv"
    extension = "csv"

    def stream(self, rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([column.name for column in self.columns])
        for chunk in self._chunks(rows, _TEXT):
            writer.writerows(chunk)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():  # no rows: the header alone
            yield buffer.getvalue().encode()


@register_writer
class JsonlWriter(Writer):
    """One JSON object per line, keys in column order; null, booleans and ISO 8601 times."""

    name = "jsonl"
    media_type = "application/jsonl"
    extension = "jsonl"

    def stream(self, rows):
        names = [column.name for column in self.columns]
        for chunk in self._chunks(rows, ("datetime",)):
            lines = [
                json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) for row in chunk
            ]
            yield ("\n".join(lines) + "\n").encode()


def _arrow_type(kind: str):
    import pyarrow as pa

    return {
        "string": pa.string(),
        "integer": pa.int64(),
        "float": pa.float64(),
        "boolean": pa.bool_(),
        "datetime": pa.timestamp("us", tz="UTC"),
        "json": pa.string(),
    }[kind]


@register_writer
class ParquetWriter(Writer):
    """Apache Parquet, one row group per chunk of rows; JSON columns are stored as JSON text."""

    name = "parquet"
    media_type = "application/vnd.apache.parquet"
    extension = "parquet"
    rows_per_chunk = 20000

    def stream(self, rows):
        # Imported here: pyarrow adds tens of MB to every web process that never writes Parquet.
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema(
            [
                pa.field(c.name, _arrow_type(c.kind), metadata={"description": c.description})
                for c in self.columns
            ]
        )
        sink = _Sink()
        writer = pq.ParquetWriter(sink, schema, compression="zstd")
        for chunk in self._chunks(rows, ("json",)):
            writer.write_table(self._table(schema, chunk))
            yield sink.drain()
        writer.close()
        yield sink.drain()

    @staticmethod
    def _table(schema, chunk: list):
        import pyarrow as pa

        columns = zip(*chunk, strict=True)
        return pa.table(
            [pa.array(values, type=f.type) for values, f in zip(columns, schema, strict=True)],
            schema=schema,
        )


def zip_stream(
    members: Iterable[tuple[str, Iterable[bytes]]], *, flush_bytes: int = 1 << 20
) -> Iterator[bytes]:
    """Yield a zip archive of `members` (name, byte chunks) piece by piece, never holding a whole member.

    The archive is written unseekable (sizes in data descriptors, ZIP64 so a member may exceed 4 GiB).
    """
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in members:
            info = zipfile.ZipInfo(name, date_time=_now_zip())
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
                    if sink.pending >= flush_bytes:
                        yield sink.drain()
            yield sink.drain()
    yield sink.drain()


def _now_zip() -> tuple[int, int, int, int, int, int]:
    return datetime.datetime.now(datetime.UTC).timetuple()[:6]


def data_dictionary_rows(files: Iterable[tuple[str, Sequence[Column]]]) -> Iterator[tuple]:
    """Yield (file, column, kind, description) for every column of every file."""
    for file_name, columns in files:
        for column in columns:
            yield (file_name, column.name, column.kind, column.description)


DATA_DICTIONARY_COLUMNS = (
    Column("file", "string", "File of the package the column belongs to."),
    Column("column", "string", "Column name as it appears in the file's header."),
    Column("kind", "string", f"Value kind, one of {', '.join(KINDS)}."),
    Column("description", "string", "What the column holds."),
)
