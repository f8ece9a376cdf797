"""Brave Search API (web search): GET /res/v1/web/search with an X-Subscription-Token key."""

from django.conf import settings

from . import http
from .base import BackendPage, SearchBackend, SearchBackendError, SearchHit

MAX_COUNT = 20  # Brave returns at most 20 web results per request
MAX_OFFSET = 9  # and pages (offset, in pages) 0..9


class BraveBackend(SearchBackend):
    name = "brave"

    def _key(self) -> str:
        return settings.BRAVE_SEARCH_API_KEY or settings.SEARCH_API_KEY

    def configuration_errors(self) -> list[str]:
        return [] if self._key() else ["BRAVE_SEARCH_API_KEY (or SEARCH_API_KEY) is not set."]

    def search(self, query: str, *, page: int, page_size: int) -> BackendPage:
        if not self._key():
            raise SearchBackendError("brave: API key not configured")
        if page - 1 > MAX_OFFSET:
            return BackendPage()
        data = http.json_get(
            self.name,
            settings.BRAVE_SEARCH_URL,
            params={
                "q": query,
                "count": min(page_size, MAX_COUNT),
                "offset": page - 1,
                "text_decorations": "false",
            },
            headers={"X-Subscription-Token": self._key()},
        )
        results = http.result_list(self.name, data.get("web"), "results")
        hits = [
            SearchHit(
                url=r["url"],
                title=http.plain(r.get("title")),
                snippet=http.plain(r.get("description")),
            )
            for r in results
            if isinstance(r, dict) and isinstance(r.get("url"), str)
        ]
        more = (
            data.get("query", {}).get("more_results_available")
            if isinstance(data.get("query"), dict)
            else False
        )
        return BackendPage(hits=hits[:page_size], has_next=bool(more) and page - 1 < MAX_OFFSET)
