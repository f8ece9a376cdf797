"""Deterministic results for tests and offline UI work (not a search engine)."""

import hashlib

from .base import BackendPage, SearchBackend, SearchHit

TOTAL = 25
# Rank of the one fact-checker hit on every query, so that blocking can be seen working.
FACT_CHECKER_RANK = 3


class FakeBackend(SearchBackend):
    """Answer any query with the same 25 results (a fact-checker page at rank 3), derived from it."""

    name = "fake"

    def search(self, query: str, *, page: int, page_size: int) -> BackendPage:
        slug = hashlib.sha256(query.casefold().encode()).hexdigest()[:10]
        start = (page - 1) * page_size + 1
        hits = []
        for rank in range(start, min(start + page_size, TOTAL + 1)):
            if rank == FACT_CHECKER_RANK:
                url = f"https://www.politifact.com/factchecks/{slug}/"
            else:
                url = f"https://evidence{rank}.example.org/{slug}"
            hits.append(
                SearchHit(url=url, title=f"Result {rank} for {query}", snippet=f"About {query}.")
            )
        return BackendPage(hits=hits, has_next=start + page_size <= TOTAL)
