"""manage.py bootstrap_demo: load the IPM 2021 study and print a researcher login (idempotent)."""

from django.core.management.base import BaseCommand
from django.urls import NoReverseMatch, reverse

from assessments.models import Batch
from assessments.services.accounts import researcher_account_ensure
from assessments.services.hits import batch_designs_generate
from assessments.services.studies import study_create_ipm2021


class Command(BaseCommand):
    help = "Create the IPM 2021 batch if missing and a researcher account whose login is printed."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="researcher")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, username, base_url, **options):
        user, password = researcher_account_ensure(username=username)
        batch = Batch.objects.filter(slug="ipm2021").first() or study_create_ipm2021(owner=user)
        if not batch.designs.exists():
            # A worker can start only once the pool is laid out into designs and the batch is live.
            batch_designs_generate(batch=batch, seed=2021)
            Batch.objects.filter(pk=batch.pk).update(status=Batch.Status.LIVE)
        lines = [
            f"Batch {batch.slug!r}: {batch.statements.count()} statements, "
            f"{batch.gold_statements.count()} gold statements.",
            f"Researcher admin: {base_url}{reverse('admin:index')}",
            f"  username: {username}",
            f"  password: {password}",
        ]
        try:
            hit = reverse("hit:entry", kwargs={"batch_slug": batch.slug})
            lines.append(f"Try the HIT as a test worker: {base_url}{hit}?worker=demo-worker")
        except NoReverseMatch:
            pass  # the worker-facing HIT is not installed in this build
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
