"""manage.py import_judgments PATH --batch SLUG: load crowd judgments collected elsewhere."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments import judgment_csv
from assessments.management.import_errors import import_errors_reported
from assessments.models import Batch
from assessments.services.judgment_import import batch_field_scales, judgments_import


class Command(BaseCommand):
    help = (
        "Import judgments (one row per worker x statement; header worker_id,statement_id,"
        "position,<field slugs>,url,justification,time_elapsed_s[,try_number][,is_gold]) "
        "all-or-nothing: on bad input nothing is written and every bad row is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--batch", required=True, help="slug of the batch to import into")

    def handle(self, *args, path, batch, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        target = Batch.objects.filter(slug=batch).first()
        if target is None:
            raise CommandError(f"no batch with slug {batch!r}")
        scales = batch_field_scales(batch=target)
        if not scales:
            raise CommandError(f"batch {batch!r} has no answer fields")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows, errors = judgment_csv.parse(handle, scales)
        with import_errors_reported(path):
            if errors:
                raise ValidationError([str(error) for error in errors])
            summary = judgments_import(batch=target, rows=rows)
        self.stdout.write(self.style.SUCCESS(f"{path.name}: {summary}"))
