"""manage.py analysis_report SLUG --json [--recompute]: print a batch's stored analysis results."""

import json

from django.core.management.base import BaseCommand, CommandError

from assessments.models import Batch
from assessments.selectors.analysis import analysis_report
from assessments.services.analysis import batch_recompute


class Command(BaseCommand):
    help = (
        "Print the stored analysis results of a batch (agreement, crowd vs expert, per-statement "
        "aggregates, field correlations, learning effect, prediction). --recompute runs the full "
        "recompute first, in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--json", action="store_true", help="print JSON (the default)")
        parser.add_argument("--recompute", action="store_true")
        parser.add_argument("--indent", type=int, default=None)

    def handle(self, *args, slug, recompute, indent, **options):
        batch = Batch.objects.filter(slug=slug).first()
        if batch is None:
            raise CommandError(f"no batch with slug {slug!r}")
        if recompute:
            batch_recompute(batch=batch)
        self.stdout.write(json.dumps(analysis_report(batch=batch), indent=indent, allow_nan=False))
