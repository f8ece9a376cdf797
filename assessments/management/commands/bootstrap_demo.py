"""manage.py bootstrap_demo: load the IPM 2021 study and print a researcher login (idempotent)."""

import secrets

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse

from assessments.models import Batch
from assessments.services.accounts import researcher_account_ensure
from assessments.services.hits import batch_designs_generate
from assessments.services.studies import study_create_ipm2021
from search.models import Document


class Command(BaseCommand):
    help = "Create the IPM 2021 batch if missing and a researcher account whose login is printed."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="researcher")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, username, base_url, **options):
        user, password = researcher_account_ensure(username=username)
        if not Document.objects.exists():
            # The embedded search engine needs a corpus: the LIAR-PLUS demo corpus (demo only).
            call_command("load_corpus", "--demo", stdout=self.stdout)
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
        # A fresh worker id each run: a worker takes part in a batch only once.
        hit = reverse("hit:entry", kwargs={"batch_slug": batch.slug})
        worker = f"demo-{secrets.token_hex(4)}"
        lines.append(f"Try the HIT as a test worker: {base_url}{hit}?worker={worker}")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
