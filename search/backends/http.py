"""HTTP plumbing shared by the web providers: timeouts, bounded retries with backoff, size cap."""

import functools
import html

import requests
from django.conf import settings
from django.utils.html import strip_tags
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .base import SearchBackendError

MAX_BODY_BYTES = 2 * 1024 * 1024
RETRY_STATUSES = (429, 500, 502, 503, 504)


@functools.cache
def _session(retries: int) -> requests.Session:
    # urllib3 retries connection errors, read timeouts and the statuses above, sleeping
    # 0.25 s, 0.5 s, ... between tries. Retry-After is ignored on purpose: a worker is waiting,
    # so the total wait stays bounded by (retries + 1) x timeout plus the short backoff.
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        backoff_factor=0.25,
        backoff_max=2.0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=False,
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def json_get(provider: str, url: str, *, params: dict, headers: dict) -> dict:
    """GET a provider endpoint named in settings and return its JSON object.

    Redirects are not followed, so only the configured endpoint is ever contacted. Raises
    SearchBackendError on connection failure, timeout, a non-200 status after the retries, a
    body over 2 MiB, or a body that is not a JSON object.
    """
    try:
        response = _session(settings.SEARCH_RETRIES).get(
            url,
            params=params,
            headers={"Accept": "application/json", **headers},
            timeout=settings.SEARCH_TIMEOUT_S,
            allow_redirects=False,
            stream=True,
        )
        with response:
            body = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        # After the retries, requests reports a read timeout as a ConnectionError wrapping it.
        timed_out = isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower()
        reason = "timed out" if timed_out else type(exc).__name__
        raise SearchBackendError(f"{provider}: {reason}") from exc
    if response.status_code != 200:
        raise SearchBackendError(f"{provider}: HTTP {response.status_code}")
    if len(body) > MAX_BODY_BYTES:
        raise SearchBackendError(f"{provider}: response larger than {MAX_BODY_BYTES} bytes")
    try:
        data = requests.models.complexjson.loads(body)
    except ValueError as exc:
        raise SearchBackendError(f"{provider}: response is not JSON") from exc
    if not isinstance(data, dict):
        raise SearchBackendError(f"{provider}: response is not a JSON object")
    return data


def plain(value: object) -> str:
    """Return provider text without HTML tags or entities (Brave marks matches with <strong>)."""
    return html.unescape(strip_tags(value)) if isinstance(value, str) else ""


def result_list(provider: str, container: object, key: str) -> list:
    """Return container[key] as a list; a missing container means no results, a bad one raises."""
    if container is None:
        return []
    if not isinstance(container, dict) or not isinstance(container.get(key, []), list):
        raise SearchBackendError(f"{provider}: unexpected response shape")
    return container.get(key, [])
