"""Export files as byte chunks: bulk export files and the study data package (zip members)."""

import json
from collections.abc import Iterator

from django.db.models import Q

from ..exports import DATA_DICTIONARY_COLUMNS, Writer, data_dictionary_rows, writer_get
from ..models import Batch, Dataset
from . import exports
from .judgment_copy import judgment_copy_supported, judgment_csv_copy


def _judgments_csv(batch: Batch, columns, **options) -> Iterator[bytes]:
    """The judgments CSV: written by PostgreSQL (COPY) where it can, by CsvWriter otherwise."""
    if judgment_copy_supported():
        return judgment_csv_copy(batch, columns, **options)
    width = len(columns)
    rows = (row[:width] for row in exports.judgment_export_rows(batch, **options))
    return writer_get("csv")(columns).stream(rows)


def export_file(
    *, batch: Batch, kind: str, file_format: str, include_simulated: bool = False
) -> tuple[type[Writer], Iterator[bytes]]:
    """Return the writer class of `file_format` and the byte chunks of export `kind` of `batch`.

    Raises ValueError for an unknown format or kind.
    """
    writer = writer_get(file_format)
    if kind not in exports.EXPORT_KINDS:
        raise ValueError(f"{kind!r} is not one of {', '.join(exports.EXPORT_KINDS)}")
    columns, rows = exports.EXPORT_KINDS[kind]
    if kind == "judgments" and file_format == "csv":
        return writer, _judgments_csv(batch, columns(batch), include_simulated=include_simulated)
    return writer, writer(columns(batch)).stream(rows(batch, include_simulated=include_simulated))


def _citation_cff(batch: Batch, today: str) -> str:
    # JSON strings are valid YAML scalars, so json.dumps quotes any text safely.
    q = json.dumps
    owner = batch.owner.get_full_name() or batch.owner.get_username()
    lines = [
        "cff-version: 1.2.0",
        'message: "If you use this data, please cite it as below, and cite the datasets listed under references."',
        "type: dataset",
        f"title: {q(f'{batch.title} (truthcrowd batch {batch.slug})')}",
        "authors:",
        f"  - name: {q(owner)}",
        f"date-released: {q(today)}",
        f"version: {q(str(batch.config_version))}",
    ]
    if batch.description:
        lines.append(f"abstract: {q(batch.description)}")
    datasets = Dataset.objects.filter(
        Q(statements__batches=batch) | Q(statements__gold_in_batches=batch)
    ).distinct()
    references = [d for d in datasets.order_by("name") if d.citation or d.title]
    if references:
        lines.append("references:")
        for dataset in references:
            lines += [
                "  - type: data",
                f"    title: {q(dataset.title or dataset.name)}",
                "    authors:",
                f"      - name: {q(dataset.name)}",
            ]
            if dataset.citation:
                lines.append(f"    notes: {q(dataset.citation)}")
    return "\n".join(lines) + "\n"


def batch_package_members(
    batch: Batch, *, today: str, include_simulated: bool = False
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Yield the files of `batch`'s study data package as (name, byte chunks), lazily.

    judgments.csv is exactly the judgments import format, so the package can be imported again.
    """
    csv_writer = writer_get("csv")
    real = {"include_simulated": include_simulated}
    judgment_columns = exports.judgment_import_columns(batch)
    # Generators: nothing is read until the zip reaches their file.
    files = [
        ("judgments.csv", judgment_columns,
         _judgments_csv(batch, judgment_columns, importable_only=True, **real)),
        *((f"{kind.replace('-', '_')}.csv", columns(batch),
           csv_writer(columns(batch)).stream(rows(batch, **real)))
          for kind, (columns, rows) in exports.EXPORT_KINDS.items() if kind != "judgments"),
        ("statements.csv", list(exports.STATEMENT_COLUMNS),
         csv_writer(exports.STATEMENT_COLUMNS).stream(exports.statement_export_rows(batch))),
    ]  # fmt: skip
    for name, _, chunks in files:
        yield name, chunks
    dictionary = data_dictionary_rows([(name, columns) for name, columns, _ in files])
    yield "data_dictionary.csv", csv_writer(DATA_DICTIONARY_COLUMNS).stream(dictionary)
    configuration = json.dumps(exports.batch_configuration(batch), indent=2, ensure_ascii=False)
    yield "batch.json", iter([configuration.encode()])
    yield "CITATION.cff", iter([_citation_cff(batch, today).encode()])
