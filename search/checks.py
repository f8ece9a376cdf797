"""System checks: the default search backend imports, and its settings are present."""

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from . import throttling
from .backends import backend_get


@register()
def search_settings_check(app_configs, **kwargs):
    messages = []
    try:
        backend = backend_get(settings.SEARCH_BACKEND)
    except ImproperlyConfigured as exc:
        messages.append(Error(str(exc), id="search.E001"))
    else:
        messages.extend(
            Warning(f"SEARCH_BACKEND={settings.SEARCH_BACKEND}: {problem}", id="search.W001")
            for problem in backend.configuration_errors()
        )
    for rate in settings.SEARCH_THROTTLE_RATES:
        try:
            throttling.rate_parse(rate)
        except ValueError as exc:
            messages.append(Error(f"SEARCH_THROTTLE_RATES: {exc}", id="search.E002"))
    return messages
