"""App configuration for assessments: registers the researcher group after migrations."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self):
        from .services.roles import researcher_group_sync

        # Permissions only exist after post_migrate has created them, so the group is synced there.
        post_migrate.connect(
            lambda **kwargs: researcher_group_sync(),
            sender=self,
            weak=False,
            dispatch_uid="researcher_group_sync",
        )
