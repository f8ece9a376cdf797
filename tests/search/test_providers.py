"""Web providers against a stub HTTP server on 127.0.0.1: shapes, errors, timeouts, bad bodies."""

import pytest

from search.backends import SearchBackendError
from search.backends.bing import BingCompatibleBackend
from search.backends.brave import BraveBackend
from search.backends.searxng import SearxngBackend

SEARXNG_OK = {
    "query": "deficit",
    "number_of_results": 0,
    "results": [
        {"url": "https://a.example/1", "title": "A &amp; B", "content": "First <b>hit</b>"},
        {"url": "https://b.example/2", "title": "B", "content": "Second"},
        {"title": "no url"},
    ],
}
BRAVE_OK = {
    "type": "search",
    "query": {"original": "deficit", "more_results_available": True},
    "web": {
        "type": "search",
        "results": [
            {
                "url": "https://a.example/1",
                "title": "The <strong>deficit</strong>",
                "description": "D1",
            },
            {"url": "https://b.example/2", "title": "B", "description": "D2"},
        ],
    },
}
BING_OK = {
    "_type": "SearchResponse",
    "webPages": {
        "totalEstimatedMatches": 25,
        "value": [
            {"url": "https://a.example/1", "name": "A", "snippet": "S1"},
            {"url": "https://b.example/2", "name": "B", "snippet": "S2"},
        ],
    },
}


@pytest.fixture
def fast(settings):
    settings.SEARCH_TIMEOUT_S = 0.5
    settings.SEARCH_RETRIES = 1
    return settings


@pytest.fixture
def searxng(fast, stub):
    fast.SEARXNG_URL = stub.url + "/"
    return SearxngBackend()


@pytest.fixture
def brave(fast, stub):
    fast.BRAVE_SEARCH_URL = stub.url + "/res/v1/web/search"
    fast.BRAVE_SEARCH_API_KEY = "brave-key"
    return BraveBackend()


@pytest.fixture
def bing(fast, stub):
    fast.BING_SEARCH_URL = stub.url + "/v7.0/search"
    fast.BING_SEARCH_API_KEY = "bing-key"
    return BingCompatibleBackend()


def test_searxng_parses_results_and_sends_the_query(searxng, stub):
    stub.reply(SEARXNG_OK)
    page = searxng.search("deficit", page=2, page_size=2)
    assert [(h.url, h.title, h.snippet) for h in page.hits] == [
        ("https://a.example/1", "A & B", "First hit"),
        ("https://b.example/2", "B", "Second"),
    ]
    assert page.has_next is True
    request = stub.requests[0]
    assert request["path"] == "/search"
    assert request["params"] == {"q": ["deficit"], "format": ["json"], "pageno": ["2"]}


def test_brave_sends_key_and_page_offset_and_strips_markup(brave, stub):
    stub.reply(BRAVE_OK)
    page = brave.search("deficit", page=3, page_size=10)
    assert [h.title for h in page.hits] == ["The deficit", "B"]
    assert page.has_next is True
    request = stub.requests[0]
    assert request["headers"]["X-Subscription-Token"] == "brave-key"
    assert request["params"]["offset"] == ["2"] and request["params"]["count"] == ["10"]


def test_brave_without_web_section_means_no_results(brave, stub):
    stub.reply({"type": "search", "query": {"more_results_available": False}})
    page = brave.search("zzz", page=1, page_size=10)
    assert page.hits == [] and page.has_next is False


def test_bing_compatible_uses_offset_and_total(bing, stub):
    stub.reply(BING_OK)
    page = bing.search("deficit", page=3, page_size=10)
    first = page.hits[0]
    assert (first.url, first.title, first.snippet) == ("https://a.example/1", "A", "S1")
    assert page.has_next is False  # offset 20 + 10 >= 25 estimated matches
    request = stub.requests[0]
    assert request["headers"]["Ocp-Apim-Subscription-Key"] == "bing-key"
    assert request["params"]["offset"] == ["20"] and request["params"]["count"] == ["10"]


def test_bing_compatible_no_web_pages_is_empty(bing, stub):
    stub.reply({"_type": "SearchResponse", "queryContext": {"originalQuery": "zzz"}})
    assert bing.search("zzz", page=1, page_size=10).hits == []


@pytest.mark.parametrize("provider", ["searxng", "brave", "bing"])
def test_a_transient_server_error_is_retried(provider, request, stub):
    backend = request.getfixturevalue(provider)
    body = {"searxng": SEARXNG_OK, "brave": BRAVE_OK, "bing": BING_OK}[provider]
    stub.reply({"error": "busy"}, status=503)
    stub.reply(body)
    assert len(backend.search("deficit", page=1, page_size=10).hits) == 2
    assert len(stub.requests) == 2


@pytest.mark.parametrize("provider", ["searxng", "brave", "bing"])
def test_retries_are_bounded(provider, request, stub):
    backend = request.getfixturevalue(provider)
    for _ in range(5):
        stub.reply({"error": "down"}, status=500)
    with pytest.raises(SearchBackendError, match="HTTP 500"):
        backend.search("deficit", page=1, page_size=10)
    assert len(stub.requests) == 2  # the first try and SEARCH_RETRIES=1 retry


@pytest.mark.parametrize("provider", ["searxng", "brave", "bing"])
def test_a_client_error_is_not_retried(provider, request, stub):
    backend = request.getfixturevalue(provider)
    stub.reply({"error": "bad key"}, status=401)
    with pytest.raises(SearchBackendError, match="HTTP 401"):
        backend.search("deficit", page=1, page_size=10)
    assert len(stub.requests) == 1


@pytest.mark.parametrize("provider", ["searxng", "brave", "bing"])
def test_timeouts_raise_after_the_retry(provider, request, stub, fast):
    fast.SEARCH_TIMEOUT_S = 0.2
    backend = request.getfixturevalue(provider)
    stub.reply({}, delay=0.6)
    stub.reply({}, delay=0.6)
    with pytest.raises(SearchBackendError, match="timed out"):
        backend.search("deficit", page=1, page_size=10)
    assert len(stub.requests) == 2


@pytest.mark.parametrize("provider", ["searxng", "brave", "bing"])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>gateway</html>", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"results": {"oops": 1}, "web": [], "webPages": {"value": "x"}}', "unexpected"),
    ],
)
def test_malformed_bodies_raise(provider, body, message, request, stub):
    backend = request.getfixturevalue(provider)
    stub.reply(body)
    with pytest.raises(SearchBackendError, match=message):
        backend.search("deficit", page=1, page_size=10)


def test_redirects_are_not_followed(searxng, stub):
    stub.reply({}, status=302)
    with pytest.raises(SearchBackendError, match="HTTP 302"):
        searxng.search("deficit", page=1, page_size=10)
    assert len(stub.requests) == 1


def test_unreachable_provider_raises(fast):
    fast.SEARXNG_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(SearchBackendError, match="ConnectionError"):
        SearxngBackend().search("deficit", page=1, page_size=10)


def test_missing_configuration_raises_without_a_request(settings, stub):
    settings.BRAVE_SEARCH_API_KEY = settings.SEARCH_API_KEY = ""
    settings.BING_SEARCH_URL = ""
    settings.SEARXNG_URL = ""
    for backend in (BraveBackend(), BingCompatibleBackend(), SearxngBackend()):
        assert backend.configuration_errors()
        with pytest.raises(SearchBackendError, match="not"):
            backend.search("deficit", page=1, page_size=10)
    assert stub.requests == []


def test_shared_search_api_key_is_the_fallback(brave, fast, stub):
    fast.BRAVE_SEARCH_API_KEY = ""
    fast.SEARCH_API_KEY = "shared-key"
    stub.reply(BRAVE_OK)
    brave.search("deficit", page=1, page_size=10)
    assert stub.requests[0]["headers"]["X-Subscription-Token"] == "shared-key"
