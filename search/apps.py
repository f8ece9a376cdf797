"""App configuration for search."""

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Evidence search"

    def ready(self):
        from . import checks  # noqa: F401 -- registers the system checks
