"""SearXNG's JSON API (self-hosted metasearch): GET {SEARXNG_URL}/search?format=json."""

from django.conf import settings

from . import http
from .base import BackendPage, SearchBackend, SearchBackendError, SearchHit


class SearxngBackend(SearchBackend):
    """Query a SearXNG instance whose settings.yml enables the json format."""

    name = "searxng"

    def configuration_errors(self) -> list[str]:
        return [] if settings.SEARXNG_URL else ["SEARXNG_URL is not set."]

    def search(self, query: str, *, page: int, page_size: int) -> BackendPage:
        if self.configuration_errors():
            raise SearchBackendError("searxng: SEARXNG_URL is not set")
        data = http.json_get(
            self.name,
            settings.SEARXNG_URL.rstrip("/") + "/search",
            params={"q": query, "format": "json", "pageno": page},
            headers={},
        )
        results = http.result_list(self.name, data, "results")
        hits = [
            SearchHit(
                url=r["url"], title=http.plain(r.get("title")), snippet=http.plain(r.get("content"))
            )
            for r in results
            if isinstance(r, dict) and isinstance(r.get("url"), str)
        ]
        # SearXNG gives no reliable total; a full page suggests there is another one.
        return BackendPage(hits=hits[:page_size], has_next=len(results) >= page_size)
