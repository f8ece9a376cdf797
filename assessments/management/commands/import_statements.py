"""manage.py import_statements PATH: load statements from a study, LIAR-PLUS, CSV or JSONL file."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments import importers
from assessments.management.import_errors import import_errors_reported
from assessments.services.statement_import import statements_import, statements_parse


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        target, sep, column = pair.partition("=")
        if not sep or not target or not column:
            raise CommandError(f"--map takes TARGET=COLUMN, got {pair!r}")
        mapping[target.strip()] = column.strip()
    return mapping


class Command(BaseCommand):
    help = (
        "Import statements idempotently and all-or-nothing. On bad input nothing is written "
        "and every bad row is listed (row number, column, reason)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=importers.FORMATS, help="guessed when omitted")
        parser.add_argument("--dataset", help="dataset name (required for csv/jsonl)")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="TARGET=COLUMN",
            help=f"csv/jsonl: read TARGET from COLUMN; targets: {', '.join(importers.GENERIC_TARGETS)}",
        )
        parser.add_argument(
            "--scale", help="comma-separated expert levels, low to high, for a new dataset"
        )

    def handle(self, *args, path, format, dataset, map, scale, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        levels = tuple(s.strip() for s in scale.split(",")) if scale else None
        with import_errors_reported(path):
            parsed = statements_parse(
                path=path, fmt=format, dataset=dataset, mapping=_mapping(map), scale=levels
            )
            if parsed.errors:
                raise ValidationError([str(error) for error in parsed.errors])
            summary = statements_import(
                rows=parsed.rows,
                scale=levels,
                skip_known_liar_ids=(format or importers.detect_format(path)) == "liar-plus",
            )
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {summary}"))
