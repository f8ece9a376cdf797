"""Search backends, chosen per batch by short name or dotted path (as Django's EMAIL_BACKEND)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import BackendPage, SearchBackend, SearchBackendError, SearchHit

BACKENDS = {
    "local": "search.backends.local.LocalBackend",
    "searxng": "search.backends.searxng.SearxngBackend",
    "brave": "search.backends.brave.BraveBackend",
    "bing": "search.backends.bing.BingCompatibleBackend",
    "fake": "search.backends.fake.FakeBackend",
}

__all__ = [
    "BACKENDS",
    "BackendPage",
    "SearchBackend",
    "SearchBackendError",
    "SearchHit",
    "backend_get",
    "provider_name",
]


def provider_name(batch_provider: str = "") -> str:
    """Return the provider a batch uses: its own setting, else the deployment's SEARCH_BACKEND."""
    return batch_provider or settings.SEARCH_BACKEND


def backend_get(provider: str) -> SearchBackend:
    """Return a backend instance for a short name or a dotted path; raise ImproperlyConfigured."""
    path = BACKENDS.get(provider, provider)
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        known = ", ".join(BACKENDS)
        raise ImproperlyConfigured(
            f"Search backend {provider!r} does not import; use one of {known} or a dotted path."
        ) from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, SearchBackend)):
        raise ImproperlyConfigured(f"{path} is not a SearchBackend subclass.")
    return backend_class()
