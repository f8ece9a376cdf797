"""manage.py batch_designs SLUG: lay a batch's pool out into HIT designs and print a test link."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments.models import Batch
from assessments.services.hits import batch_designs_generate


class Command(BaseCommand):
    help = "Generate the HIT designs and worker slots of a batch (once), optionally set it live."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--seed", type=int, help="random seed, for a reproducible layout")
        parser.add_argument("--live", action="store_true", help="also open the batch to workers")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, slug, seed, live, base_url, **options):
        batch = Batch.objects.filter(slug=slug).first()
        if batch is None:
            raise CommandError(f"No batch {slug!r}.")
        if not batch.designs.exists():
            try:
                designs = batch_designs_generate(batch=batch, seed=seed)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            self.stdout.write(f"{len(designs)} designs, {sum(d.capacity for d in designs)} slots.")
        if live and batch.status != Batch.Status.LIVE:
            batch.status = Batch.Status.LIVE
            batch.save(update_fields=["status"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Try it as a test worker: {base_url}/hit/{batch.slug}/?worker=test-1"
            )
        )
