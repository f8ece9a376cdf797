"""Server-rendered views."""

from django.db import connection
from django.http import JsonResponse


def health(request):
    """Report that the app is up and its database answers (used by container healthchecks)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
