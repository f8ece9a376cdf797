"""WSGI entry point (gunicorn truthcrowd.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truthcrowd.settings.base")

application = get_wsgi_application()
