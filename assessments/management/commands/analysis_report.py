"""manage.py analysis_report SLUG --json [--recompute] [--phi]: print a batch's stored results."""

import json

from django.core.management.base import BaseCommand, CommandError

from assessments.models import Batch
from assessments.selectors.analysis import analysis_report
from assessments.services.analysis import analysis_phi_enable, batch_recompute


class Command(BaseCommand):
    help = (
        "Print the stored analysis results of a batch (agreement, crowd vs expert, per-statement "
        "aggregates, field correlations, learning effect, prediction). --recompute runs the full "
        "recompute first, in this process. --phi turns on the batch's opt-in Phi agreement (an MCMC "
        "fit per dataset and field, kept for later recomputes) and recomputes."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--json", action="store_true", help="print JSON (the default)")
        parser.add_argument("--recompute", action="store_true")
        parser.add_argument("--phi", action="store_true", help="enable Phi and recompute")
        parser.add_argument("--indent", type=int, default=None)

    def handle(self, *args, slug, recompute, phi, indent, **options):
        batch = Batch.objects.filter(slug=slug).first()
        if batch is None:
            raise CommandError(f"no batch with slug {slug!r}")
        if phi:
            analysis_phi_enable(batch=batch)
        if recompute or phi:
            batch_recompute(batch=batch)
        self.stdout.write(json.dumps(analysis_report(batch=batch), indent=indent, allow_nan=False))
