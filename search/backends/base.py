"""The contract every search backend fulfils: search(query, *, page, page_size) -> BackendPage."""

from dataclasses import dataclass, field


class SearchBackendError(Exception):
    """The provider could not answer (unreachable, timed out, refused, or sent a malformed body)."""


@dataclass(frozen=True)
class SearchHit:
    """One result as the provider gave it, before blocking; plain strings only (no HTML)."""

    url: str
    title: str
    snippet: str = ""
    # Publisher of a corpus document when it differs from `url` (e.g. ruling text re-hosted in a
    # dataset); the blocklist is applied to it as well.
    source: str = ""
    # The claim a corpus document judges; such a document is never shown for that claim.
    about: str = ""


@dataclass(frozen=True)
class BackendPage:
    hits: list[SearchHit] = field(default_factory=list)
    has_next: bool = False


class SearchBackend:
    """Base class: subclasses answer one page of results for a query.

    `search` receives a normalised, non-empty query and a 1-based page; it returns at most
    `page_size` hits in the provider's order, or raises SearchBackendError when the provider
    fails. It must only contact endpoints named in settings, never a URL taken from a request.
    """

    #: Short name stored in logs and cache keys; set by subclasses.
    name = ""

    def configuration_errors(self) -> list[str]:
        """Return what is missing from settings for this backend to work (checked at startup)."""
        return []

    def search(self, query: str, *, page: int, page_size: int) -> BackendPage:
        raise NotImplementedError("subclasses of SearchBackend must implement search()")
