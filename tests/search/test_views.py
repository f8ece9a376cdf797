"""The worker-facing JSON endpoints: token in the path, CSRF on POST, safe payloads."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from assessments.hit_tokens import assignment_token_make
from search.models import EvidenceSelection, ResultClick, SearchQuery
from tests.factories import StatementFactory


@pytest.fixture(autouse=True)
def fake_backend(settings):
    settings.SEARCH_BACKEND = "fake"
    settings.SEARCH_THROTTLE_RATES = ["100/minute"]


@pytest.fixture
def token(assignment):
    return assignment_token_make(assignment.pk)


def _search(client, token, statement_id, q="deficit", page=1):
    url = reverse("search:query", args=[token])
    return client.get(url, {"statement": statement_id, "q": q, "page": page})


def test_query_returns_public_result_fields_only(client, token, statement):
    statement.is_gold = True
    statement.gold_truth = "high"
    statement.save()
    response = _search(client, token, statement.pk)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]  # a repeated search is logged again
    data = response.json()
    assert set(data) == {"query_id", "page", "has_next", "blocked_count", "results"}
    assert {tuple(sorted(r)) for r in data["results"]} == {
        ("domain", "rank", "snippet", "title", "url")
    }
    assert data["blocked_count"] == 1
    assert not any("politifact" in r["url"] for r in data["results"])
    body = response.content.decode().lower()
    for secret in ("gold", "expert", "label", "high"):
        assert secret not in body


def test_statement_outside_the_task_is_a_json_404(client, token):
    response = _search(client, token, StatementFactory().pk)
    assert response.status_code == 404
    assert "not part of your task" in response.json()["error"]
    assert _search(client, token, "abc").status_code == 404
    assert not SearchQuery.objects.exists()


def test_forged_token_is_a_404(client, statement, token):
    response = _search(client, token[:-2] + "xx", statement.pk)
    assert response.status_code == 404 and "error" in response.json()


def test_inactive_assignment_is_refused(client, token, assignment, statement):
    assignment.status = "returned"
    assignment.save()
    assert _search(client, token, statement.pk).status_code == 403


def test_bad_query_is_a_400_with_a_message(client, token, statement):
    response = _search(client, token, statement.pk, q="  ")
    assert response.status_code == 400 and response.json()["error"]
    assert _search(client, token, statement.pk, page="two").status_code == 400


def test_throttled_worker_gets_429_and_retry_after(settings, client, token, statement):
    settings.SEARCH_THROTTLE_RATES = ["1/minute"]
    assert _search(client, token, statement.pk).status_code == 200
    response = _search(client, token, statement.pk)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1 and "wait" in response.json()["error"]


def test_provider_failure_is_a_503_with_a_message(settings, client, token, statement):
    settings.SEARCH_BACKEND = "searxng"
    settings.SEARXNG_URL = "http://127.0.0.1:9"
    settings.SEARCH_RETRIES = 0
    response = _search(client, token, statement.pk)
    assert response.status_code == 503 and "try again" in response.json()["error"]


def test_click_and_select_need_csrf_and_log(token, statement):
    browser = Client(enforce_csrf_checks=True)
    answer = _search(browser, token, statement.pk).json()
    result = answer["results"][0]
    click_url = reverse("search:click", args=[token])
    fields = {"statement": statement.pk, "query_id": answer["query_id"], "rank": 1}
    fields["url"] = result["url"]
    assert browser.post(click_url, fields).status_code == 403  # no CSRF token
    csrf = "a" * 32  # the secret in the cookie, sent back in the header as search.js does
    browser.cookies["csrftoken"] = csrf
    response = browser.post(click_url, fields, headers={"X-CSRFToken": csrf})
    assert response.status_code == 200 and ResultClick.objects.count() == 1

    select_url = reverse("search:select", args=[token])
    response = browser.post(
        select_url, {"statement": statement.pk, "url": result["url"]}, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 200 and response.json()["url"] == result["url"]
    forged = "https://www.politifact.com/factchecks/anything/"
    response = browser.post(
        select_url, {"statement": statement.pk, "url": forged}, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 400 and response.json()["code"] == "blocked"
    assert list(EvidenceSelection.objects.values_list("accepted", flat=True)) == [True, False]


def test_get_is_not_allowed_on_select(client, token):
    assert client.get(reverse("search:select", args=[token])).status_code == 405


def test_search_box_renders_an_accessible_form(rf, token, statement):
    html = render_to_string(
        "search/search_box.html",
        {"search_token": token, "statement_id": statement.pk},
        request=rf.get("/"),
    )
    assert f'data-query-url="/search/{token}/query"' in html
    assert f'data-statement="{statement.pk}"' in html
    assert f'<label for="search-q-{statement.pk}"' in html
    assert 'role="search"' in html and 'aria-live="polite"' in html
    assert "search/search.js" in html
    assert 'data-csrf="' in html and 'data-csrf=""' not in html
