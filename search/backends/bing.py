"""Bing-Web-Search-compatible APIs (Bing's own was retired in August 2025): webPages.value."""

from django.conf import settings

from . import http
from .base import BackendPage, SearchBackend, SearchBackendError, SearchHit


class BingCompatibleBackend(SearchBackend):
    """Call a service that speaks the Bing Web Search v7 protocol at BING_SEARCH_URL."""

    name = "bing"

    def _key(self) -> str:
        return settings.BING_SEARCH_API_KEY or settings.SEARCH_API_KEY

    def configuration_errors(self) -> list[str]:
        errors = [] if settings.BING_SEARCH_URL else ["BING_SEARCH_URL is not set."]
        if not self._key():
            errors.append("BING_SEARCH_API_KEY (or SEARCH_API_KEY) is not set.")
        return errors

    def search(self, query: str, *, page: int, page_size: int) -> BackendPage:
        if self.configuration_errors():
            raise SearchBackendError("bing: BING_SEARCH_URL or its API key is not configured")
        offset = (page - 1) * page_size
        data = http.json_get(
            self.name,
            settings.BING_SEARCH_URL,
            params={
                "q": query,
                "count": page_size,
                "offset": offset,
                "mkt": settings.BING_SEARCH_MARKET,
                "responseFilter": "Webpages",
                "textDecorations": "false",
            },
            headers={"Ocp-Apim-Subscription-Key": self._key()},
        )
        web_pages = data.get("webPages")  # absent when nothing matched
        results = http.result_list(self.name, web_pages, "value")
        hits = [
            SearchHit(
                url=r["url"], title=http.plain(r.get("name")), snippet=http.plain(r.get("snippet"))
            )
            for r in results
            if isinstance(r, dict) and isinstance(r.get("url"), str)
        ]
        total = web_pages.get("totalEstimatedMatches", 0) if web_pages else 0
        has_next = isinstance(total, int) and offset + page_size < total and bool(results)
        return BackendPage(hits=hits[:page_size], has_next=has_next)
