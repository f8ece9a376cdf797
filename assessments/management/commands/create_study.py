"""manage.py create_study ipm2021: create a ready-made study's batch."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments.services.studies import STUDIES


class Command(BaseCommand):
    help = "Create the batch of a ready-made study, exactly as released."

    def add_arguments(self, parser):
        parser.add_argument("study", choices=sorted(STUDIES))
        parser.add_argument("--owner", default="researcher", help="username of the batch owner")
        parser.add_argument("--slug", help="batch slug (default: the study's name)")

    def handle(self, *args, study, owner, slug, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user {owner!r}: create one or pass --owner USERNAME.")
        try:
            batch = STUDIES[study](owner=user, slug=slug or study)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Batch {batch.slug!r}: {batch.statements.count()} statements, "
                f"{batch.gold_statements.count()} gold, {batch.fields.count()} fields, "
                f"{batch.questionnaires.count()} questionnaire pages."
            )
        )
