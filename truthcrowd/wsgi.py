"""WSGI entry point (gunicorn truthcrowd.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truthcrowd.settings.base")

application = get_wsgi_application()

from search.filters import public_suffixes_load  # noqa: E402 -- needs the settings above

public_suffixes_load()  # not in a worker's first search, which would wait for it
