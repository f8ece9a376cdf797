"""Blocked-domain filtering and URL normalisation for search results and evidence URLs (pure)."""

import functools
import re
import unicodedata
from urllib.parse import SplitResult, urlsplit, urlunsplit

import idna
from publicsuffixlist import PublicSuffixList

MODE_DOMAIN = "domain"
MODE_SUBSTRING = "substring"
MODES = (MODE_DOMAIN, MODE_SUBSTRING)

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Browsers drop ASCII tab and newline anywhere in a URL and trim C0 controls and spaces at its ends
# (WHATWG URL standard); doing the same here means we judge the URL the browser will open.
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))


@functools.cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def public_suffixes_load() -> None:
    """Parse the public suffix list now (about 0.3 s) rather than in the first search that needs
    it; web processes call this at start-up (truthcrowd/wsgi.py)."""
    _psl()


def _clean(url: str) -> str:
    url = _TAB_NEWLINE.sub("", url or "").strip(_C0_OR_SPACE)
    # For http(s) a browser reads "\" as "/": without this, "https://politifact.com\@evil.com" would
    # look like evil.com to urlsplit while the browser opens politifact.com.
    return url.replace("\\", "/")


_PLAIN_HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*")


@functools.lru_cache(maxsize=8192)
def host_normalise(host: str) -> str:
    """Return `host` lower-cased, without trailing dots, in its ASCII (punycode) form; "" if invalid."""
    host = unicodedata.normalize("NFKC", host or "").strip().rstrip(".").lower()
    if not host or any(c in host for c in "/@:?#[] "):
        return ""
    if _PLAIN_HOST.fullmatch(host) and "xn--" not in host:
        return host  # plain ASCII: nothing for IDNA to map (the common case, and much cheaper)
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        # Not valid IDNA (e.g. an underscore label): keep it if it is plain ASCII, so that matching
        # still works; anything else cannot be a host a browser would resolve.
        return host if host.isascii() else ""


def _split(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(_clean(url))
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts


@functools.lru_cache(maxsize=8192)
def url_host(url: str) -> str:
    """Return the normalised host of an http(s) `url` (credentials and port removed); "" if none."""
    parts = _split(url)
    return host_normalise(parts.hostname) if parts else ""


def url_normalise(url: str) -> str:
    """Return the canonical form of an http(s) `url` used to compare evidence URLs; "" if invalid.

    Scheme and host are lower-cased, the host is in punycode without trailing dots, credentials,
    default ports and the fragment are dropped, and an empty path becomes "/". Path and query are
    kept as they are: two URLs that differ there may be different pages.
    """
    parts = _split(url)
    if parts is None:
        return ""
    host = host_normalise(parts.hostname)
    if not host:
        return ""
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ":" in (parts.hostname or "") else host
    if parts.port and parts.port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


@functools.lru_cache(maxsize=8192)
def registrable_domain(host: str) -> str:
    """Return the registrable domain of `host` (``www.abc.net.au`` -> ``abc.net.au``), or the host."""
    return _psl().privatesuffix(host) or host


@functools.lru_cache(maxsize=1024)
def _entry_normalise(entry: str) -> str:
    entry = (entry or "").strip()
    if "/" in entry:  # a researcher pasted a URL rather than a domain
        return url_host(entry if "://" in entry else f"https://{entry}")
    return host_normalise(entry.lstrip("*."))


@functools.lru_cache(maxsize=8192)
def _domain_blocked(host: str, entry: str) -> bool:
    if "." in entry:
        return host == entry or host.endswith("." + entry)
    # A bare name ("politifact", the study's style) blocks every registrable domain with that
    # name under any public suffix: politifact.com, politifact.org, abc.net.au, but not
    # notpolitifact.com or abcnews.go.com.
    registrable = registrable_domain(host)
    suffix = _psl().publicsuffix(host) or ""
    name = registrable[: -len(suffix) - 1] if suffix and registrable != suffix else registrable
    return name == entry


def url_is_blocked(url: str, blocked_domains: list[str], mode: str) -> bool:
    """Return True if `url` must not reach a worker under a batch's blocklist.

    mode "domain": the URL's host is a blocked domain or one of its subdomains (an entry without
    a dot, like "politifact", names a registrable domain under any public suffix).
    mode "substring": the lower-cased URL or its host contains an entry (the study's replication
    mode; it also hides unrelated sites, e.g. "abc" hides abcya.com).
    A URL that is not http(s) or has no valid host is always blocked: it cannot be shown safely.
    """
    if mode not in MODES:
        raise ValueError(f"unknown domain match mode {mode!r}; use one of {MODES}")
    host = url_host(url)
    if not host:
        return True
    if mode == MODE_SUBSTRING:
        haystacks = (_clean(url).lower(), host, idna_decode(host) if "xn--" in host else host)
        needles = [e.strip().lower() for e in blocked_domains if e and e.strip()]
        return any(needle in hay for needle in needles for hay in haystacks)
    entries = [e for e in (_entry_normalise(e) for e in blocked_domains) if e]
    return any(_domain_blocked(host, entry) for entry in entries)


def text_is_blocked(text: str, blocked_domains: list[str]) -> bool:
    """Return True if the case-folded `text` (a result's title or snippet) contains an entry.

    Substring mode only: Crowd_Frame, which ran the study, also dropped results whose snippet
    named a blocked site, e.g. a news story quoting PolitiFact's verdict.
    """
    haystack = unicodedata.normalize("NFKC", text or "").casefold()
    return any(e.strip().casefold() in haystack for e in blocked_domains if e and e.strip())


@functools.lru_cache(maxsize=8192)
def idna_decode(host: str) -> str:
    """Return the Unicode form of a punycode host (for substring matching and display)."""
    try:
        return idna.decode(host)
    except idna.IDNAError:
        return host


def query_normalise(query: str) -> str:
    """Return `query` with Unicode normalised and whitespace collapsed (what providers receive)."""
    return " ".join(unicodedata.normalize("NFKC", query or "").split())


def query_cache_form(query: str) -> str:
    """Return the case-folded form of a normalised query, used in cache keys."""
    return query_normalise(query).casefold()
