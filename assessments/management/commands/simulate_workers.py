"""manage.py simulate_workers SLUG --workers N --seed S: pilot a batch with a synthetic crowd."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments.models import Batch
from assessments.services.analysis import batch_recompute
from assessments.services.dashboard import dashboard_snapshot_refresh
from assessments.services.simulation import workers_simulate


class Command(BaseCommand):
    help = (
        "Run synthetic workers (platform 'simulated') through a live batch's HIT, then recompute "
        "its results and dashboard. The noise model is in assessments/simulation.py."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--workers", type=int, default=20)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--careless", type=float, default=0.15, help="Share of careless workers."
        )

    def handle(self, *args, slug, workers, seed, careless, **options):
        batch = Batch.objects.filter(slug=slug).first()
        if batch is None:
            raise CommandError(f"No batch {slug!r}.")
        try:
            counts = workers_simulate(
                batch=batch, workers=workers, seed=seed, careless_share=careless
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        batch_recompute(batch=batch)
        dashboard_snapshot_refresh(batch=batch)
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nobody entered"
        self.stdout.write(self.style.SUCCESS(f"{workers} simulated workers on {slug}: {summary}."))
