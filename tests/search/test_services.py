"""search_perform, click and evidence logging, throttling and the evidence selector."""

import os
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from search import services
from search.exceptions import SearchThrottled, SearchUnavailable
from search.filters import url_normalise
from search.models import EvidenceSelection, ResultClick, SearchQuery, SearchResult
from search.selectors import evidence_urls_for
from search.throttling import throttle_check
from tests.factories import AssignmentFactory, BatchFactory, StatementFactory

QUERY = "social security deficit"


@pytest.fixture(autouse=True)
def local_backend(settings):
    settings.SEARCH_BACKEND = "local"
    settings.SEARCH_THROTTLE_RATES = ["100/minute"]
    settings.SEARCH_PAGE_SIZE = 10


def test_search_logs_the_query_and_the_results_as_shown(assignment, statement, documents):
    page = services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    urls = [r.url for r in page.results]
    assert "https://ssa.example.gov/trust-fund" in urls
    assert "https://garden.example.com/roses" not in urls
    assert [r.rank for r in page.results] == list(range(1, len(urls) + 1))
    logged = SearchQuery.objects.get(pk=page.query_id)
    assert (logged.assignment, logged.statement, logged.text) == (assignment, statement, QUERY)
    assert logged.provider == "local" and logged.status == "ok" and not logged.cache_hit
    assert logged.latency_ms >= 0
    fields = ("rank", "url", "title", "snippet", "domain")
    shown = list(SearchResult.objects.filter(query=logged).values_list(*fields, "url_key"))
    assert shown == [
        (*(getattr(r, name) for name in fields), url_normalise(r.url)) for r in page.results
    ]
    assert all(r.snippet and r.domain for r in page.results)


def test_blocked_results_never_come_back_and_are_counted(assignment, statement, documents):
    page = services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    urls = {r.url for r in page.results}
    # politifact.com by URL, and the dataset copy of PolitiFact text by its source
    assert "https://www.politifact.com/factchecks/ss" not in urls
    assert "https://data.example.org/liar#L5" not in urls
    assert page.blocked_count == 2
    assert SearchQuery.objects.get(pk=page.query_id).blocked_count == 2


def test_a_statement_never_sees_its_own_ruling(assignment, statement, documents):
    statement.metadata = {"liar_id": "7159.json"}
    statement.save()
    page = services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    assert "https://blog.example.net/own-ruling" not in {r.url for r in page.results}
    assert SearchQuery.objects.get(pk=page.query_id).withheld_count == 1
    other = StatementFactory()
    other_assignment = AssignmentFactory(batch=assignment.batch, statement_order=[other.pk])
    page = services.search_perform(assignment=other_assignment, statement=other, query=QUERY)
    assert "https://blog.example.net/own-ruling" in {r.url for r in page.results}


def test_the_statements_own_fact_check_url_is_withheld(settings, statement, documents):
    settings.SEARCH_BACKEND = "fake"
    open_batch = BatchFactory(blocked_domains=[])
    first = services.search_perform(
        assignment=AssignmentFactory(batch=open_batch, statement_order=[statement.pk]),
        statement=statement,
        query="q",
    )
    fact_check = next(r.url for r in first.results if "politifact" in r.url)
    statement.source_url = fact_check
    statement.save()
    again = services.search_perform(
        assignment=AssignmentFactory(batch=open_batch, statement_order=[statement.pk]),
        statement=statement,
        query="q",
    )
    assert fact_check not in {r.url for r in again.results}


def test_second_identical_search_is_a_cache_hit(assignment, statement, documents, monkeypatch):
    first = services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    calls = []
    monkeypatch.setattr(
        "search.backends.local.LocalBackend.search", lambda *a, **k: calls.append(a)
    )
    second = services.search_perform(
        assignment=assignment, statement=statement, query="  Social  SECURITY deficit "
    )
    assert calls == []
    assert second.results == first.results
    assert SearchQuery.objects.get(pk=second.query_id).cache_hit is True


def test_the_cache_is_keyed_on_the_blocklist(assignment, statement, documents):
    first = services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    batch = assignment.batch
    batch.blocked_domains = []
    batch.save()
    second = services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    assert first.blocked_count == 2 and second.blocked_count == 0
    assert SearchQuery.objects.get(pk=second.query_id).cache_hit is False


def test_pagination(settings, assignment, statement):
    settings.SEARCH_BACKEND = "fake"
    first = services.search_perform(assignment=assignment, statement=statement, query="q")
    second = services.search_perform(assignment=assignment, statement=statement, query="q", page=2)
    assert first.has_next and second.has_next
    assert first.blocked_count == 1  # the fake backend's fact-checker hit at rank 3
    assert [r.rank for r in second.results] == list(range(11, 21))
    third = services.search_perform(assignment=assignment, statement=statement, query="q", page=3)
    assert not third.has_next and len(third.results) == 5


@pytest.mark.parametrize(("query", "page"), [("   ", 1), ("x" * 401, 1), ("ok", 0), ("ok", 11)])
def test_bad_input_is_refused(assignment, statement, query, page):
    with pytest.raises(ValidationError):
        services.search_perform(assignment=assignment, statement=statement, query=query, page=page)
    assert not SearchQuery.objects.exists()


def test_a_statement_outside_the_task_is_refused(assignment):
    with pytest.raises(PermissionDenied):
        services.search_perform(assignment=assignment, statement=StatementFactory(), query="q")


def test_throttling_stops_a_fast_worker_but_not_others(settings, assignment, statement, batch):
    settings.SEARCH_BACKEND = "fake"
    settings.SEARCH_THROTTLE_RATES = ["3/minute"]
    for n in range(3):
        services.search_perform(assignment=assignment, statement=statement, query=f"q{n}")
    with pytest.raises(SearchThrottled) as caught:
        services.search_perform(assignment=assignment, statement=statement, query="q4")
    assert 1 <= caught.value.retry_after <= 60
    other = AssignmentFactory(batch=batch, statement_order=[statement.pk])
    services.search_perform(assignment=other, statement=statement, query="q")
    assert SearchQuery.objects.filter(assignment=assignment).count() == 3


def test_throttle_windows_expire(settings):
    settings.SEARCH_THROTTLE_RATES = ["2/minute"]
    throttle_check(worker_id=1, now=60.0)
    throttle_check(worker_id=1, now=61.0)
    with pytest.raises(SearchThrottled):
        throttle_check(worker_id=1, now=62.0)
    throttle_check(worker_id=1, now=120.0)  # next window


def test_provider_failure_is_logged_and_raised(settings, stub, assignment, statement):
    settings.SEARCH_BACKEND = "searxng"
    settings.SEARXNG_URL = stub.url
    settings.SEARCH_RETRIES = 0
    stub.reply({"error": "down"}, status=502)
    with pytest.raises(SearchUnavailable, match="try again"):
        services.search_perform(assignment=assignment, statement=statement, query="deficit")
    failed = SearchQuery.objects.get()
    assert failed.status == "failed" and "502" in failed.error
    stub.reply({"results": [{"url": "https://a.example/", "title": "A", "content": "c"}]})
    page = services.search_perform(assignment=assignment, statement=statement, query="deficit")
    assert [r.url for r in page.results] == ["https://a.example/"]


def test_batch_provider_overrides_the_default(settings, assignment, statement):
    settings.SEARCH_BACKEND = "local"
    assignment.batch.search_provider = "fake"
    assignment.batch.save()
    page = services.search_perform(assignment=assignment, statement=statement, query="anything")
    assert SearchQuery.objects.get(pk=page.query_id).provider == "fake"
    assert page.results


def test_click_is_logged_only_for_a_shown_result(assignment, statement, documents):
    page = services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    first = page.results[0]
    services.result_click_record(
        assignment=assignment, statement=statement, query_id=page.query_id, rank=1, url=first.url
    )
    click = ResultClick.objects.get()
    assert (click.query_id, click.rank, click.url) == (page.query_id, 1, first.url)
    with pytest.raises(ValidationError):
        services.result_click_record(
            assignment=assignment,
            statement=statement,
            query_id=page.query_id,
            rank=1,
            url="https://elsewhere.example/",
        )
    other = AssignmentFactory(batch=assignment.batch, statement_order=[statement.pk])
    with pytest.raises(ValidationError):
        services.result_click_record(
            assignment=other, statement=statement, query_id=page.query_id, rank=1, url=first.url
        )
    assert ResultClick.objects.count() == 1


def test_evidence_must_come_from_the_workers_own_results(assignment, statement, documents):
    page = services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    url = page.results[0].url
    assert evidence_urls_for(assignment_id=assignment.pk, statement_id=statement.pk) == {
        url_normalise(r.url) for r in page.results
    }
    selection = services.evidence_select_record(assignment=assignment, statement=statement, url=url)
    assert selection.accepted

    other_statement = StatementFactory()
    assignment.statement_order = [statement.pk, other_statement.pk]
    assignment.save()
    other = AssignmentFactory(batch=assignment.batch, statement_order=[statement.pk])
    cases = [
        (other, statement, url, "not_shown"),  # another worker's results
        (assignment, other_statement, url, "not_shown"),  # another statement's results
        (assignment, statement, "https://www.politifact.com/factchecks/ss", "blocked"),  # forged
        (assignment, statement, "javascript:alert(1)", "invalid"),
        (assignment, StatementFactory(), url, "not_in_task"),
    ]
    for who, what, bad_url, code in cases:
        with pytest.raises(ValidationError) as caught:
            services.evidence_select_record(assignment=who, statement=what, url=bad_url)
        assert caught.value.code == code
    refused = EvidenceSelection.objects.filter(accepted=False)
    assert sorted(refused.values_list("reason", flat=True)) == sorted(c[3] for c in cases)


def test_evidence_matching_is_normalised(assignment, statement, documents):
    services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    selection = services.evidence_select_record(
        assignment=assignment, statement=statement, url="HTTPS://SSA.example.gov:443/trust-fund#top"
    )
    assert selection.accepted


def test_evidence_urls_for_is_one_query(
    assignment, statement, documents, django_assert_num_queries
):
    services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    with django_assert_num_queries(1):
        urls = evidence_urls_for(assignment_id=assignment.pk, statement_id=statement.pk)
    assert "https://ssa.example.gov/trust-fund" in urls


def test_an_unknown_batch_provider_fails_like_a_provider(assignment, statement):
    assignment.batch.search_provider = "nonexistent"
    assignment.batch.save()
    with pytest.raises(SearchUnavailable):
        services.search_perform(assignment=assignment, statement=statement, query="q")
    assert "nonexistent" in SearchQuery.objects.get().error


def test_over_long_urls_are_not_shown(settings, stub, assignment, statement):
    settings.SEARCH_BACKEND = "searxng"
    settings.SEARXNG_URL = stub.url
    long_url = "https://a.example/" + "x" * 2100
    stub.reply(
        {"results": [{"url": long_url, "title": "L"}, {"url": "https://b.example/", "title": "B"}]}
    )
    page = services.search_perform(assignment=assignment, statement=statement, query="q")
    assert [r.url for r in page.results] == ["https://b.example/"]


@pytest.fixture
def redis_cache(settings):
    """Django's cache on the real Redis (the suite's default cache is local memory)."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
        }
    }
    yield cache
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
        client.delete(key)


@pytest.mark.services
def test_throttle_on_redis_counts_in_windows_that_expire(settings, redis_cache):
    settings.SEARCH_THROTTLE_RATES = ["2/minute", "50/hour"]
    throttle_check(worker_id=7, now=125.0)
    throttle_check(worker_id=7, now=126.0)
    with pytest.raises(SearchThrottled) as caught:
        throttle_check(worker_id=7, now=127.0)
    assert caught.value.retry_after == 53
    throttle_check(worker_id=8, now=127.0)  # another worker
    throttle_check(worker_id=7, now=180.0)  # next minute
    client = redis_cache._cache.get_client(write=True)
    for key, count, longest in (
        ("search:throttle:7:60:2", 3, 61),
        ("search:throttle:7:3600:0", 4, 3601),
        ("search:throttle:7:60:3", 1, 61),
    ):
        assert redis_cache.get(key) == count
        assert 0 < client.ttl(redis_cache.make_and_validate_key(key)) <= longest


@pytest.mark.services
def test_on_redis_the_second_search_is_a_cache_hit(settings, redis_cache, assignment, statement):
    settings.SEARCH_BACKEND = "fake"
    first = services.search_perform(assignment=assignment, statement=statement, query="Deficit")
    second = services.search_perform(assignment=assignment, statement=statement, query="deficit")
    assert second.results == first.results and second.blocked_count == first.blocked_count == 1
    assert list(SearchQuery.objects.values_list("cache_hit", flat=True)) == [False, True]
    assert SearchResult.objects.filter(query_id=second.query_id).count() == len(first.results)


def test_substring_mode_also_drops_results_whose_text_names_a_blocked_site(
    assignment, statement, documents, batch
):
    from search.models import Document

    Document.objects.create(
        url="https://news.example.com/quote",
        title="Social Security and the deficit, checked",
        text="PolitiFact rated the Social Security deficit claim Mostly False.",
        source="news.example.com",
    )
    page = services.search_perform(assignment=assignment, statement=statement, query=QUERY)
    assert "https://news.example.com/quote" in {r.url for r in page.results}  # domain mode
    batch.domain_match = "substring"
    batch.save()
    page = services.search_perform(assignment=assignment, statement=statement, query=QUERY + "!")
    urls = {r.url for r in page.results}
    assert "https://news.example.com/quote" not in urls
    assert "https://ssa.example.gov/trust-fund" in urls
    assert page.blocked_count == 3
    assert SearchQuery.objects.get(pk=page.query_id).blocked_count == 3
