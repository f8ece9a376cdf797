"""Read endpoints: scoping, values by field slug, filters, ordering and cursor pagination."""

import pytest
from django.conf import settings

from assessments import models
from assessments.api.urls import router
from assessments.pseudonyms import worker_pseudonym

from .conftest import all_pages, judged_batch

pytestmark = pytest.mark.django_db


def test_judgments_carry_values_by_field_slug_and_pseudonymous_workers(owner_client, batch):
    judgment = models.Judgment.objects.filter(attempt__assignment__batch=batch, position=2).first()
    body = owner_client.get(f"/api/judgments/{judgment.pk}/").json()
    worker = judgment.attempt.assignment.worker
    assert body["values"] == {"dim_0": 0, "dim_1": 1}
    assert body["worker_id"] == worker_pseudonym(
        worker.platform, worker.platform_id, salt=settings.WORKER_ID_SALT
    )
    assert (body["batch"], body["try_number"], body["position"]) == (batch.pk, 1, 2)


def test_cursor_pagination_visits_every_row_once(owner_client, batch):
    rows = all_pages(owner_client, "/api/judgments/?page_size=4")
    assert len(rows) == 15 and len({r["id"] for r in rows}) == 15
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_ordering_descending(owner_client, batch):
    rows = all_pages(owner_client, "/api/judgments/?ordering=-id&page_size=6")
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True)


def test_filters_narrow_the_rows(owner_client, owner, batch):
    other = judged_batch(owner, workers=1, statements=2, slug="other")
    assert len(all_pages(owner_client, "/api/judgments/")) == 15 + 3
    assert len(all_pages(owner_client, f"/api/judgments/?batch={other.pk}")) == 3
    assert len(all_pages(owner_client, "/api/judgments/?statement_id=study-S1")) == 3
    assert len(all_pages(owner_client, "/api/judgments/?try_number=2")) == 0
    assert len(all_pages(owner_client, f"/api/statements/?batch={batch.pk}")) == 5
    assert len(all_pages(owner_client, f"/api/statements/?batch={batch.pk}&is_gold=true")) == 1
    assert len(all_pages(owner_client, "/api/batches/?status=live")) == 0
    assert len(all_pages(owner_client, "/api/behaviour-events/?kind=page_view")) == 4
    assert len(all_pages(owner_client, "/api/questionnaire-answers/?question=farmers")) == 4
    assert owner_client.get("/api/judgments/?attempt_status=nonsense").status_code == 400


def test_statements_show_expert_labels_to_researchers(owner_client, batch):
    rows = all_pages(owner_client, f"/api/statements/?batch={batch.pk}&is_gold=false")
    assert rows and all(r["expert_label"] and r["expert_ordinal"] is not None for r in rows)
    assert {r["dataset"] for r in rows} == {"politifact"}
    gold = all_pages(owner_client, f"/api/statements/?batch={batch.pk}&is_gold=true")[0]
    assert (gold["gold_truth"], gold["expert_label"]) == ("high", None)


def test_shared_batches_are_listed_for_the_colleague(roles, batch):
    body = roles["colleague"].get("/api/batches/").json()
    assert [(b["slug"], b["owner"], b["shared_with"]) for b in body["results"]] == [
        ("study", "owner", ["colleague"])
    ]


def test_list_queries_do_not_grow_with_rows(
    owner_client, owner, batch, django_assert_max_num_queries
):
    judged_batch(owner, workers=10, statements=9, slug="more")
    with django_assert_max_num_queries(8):
        assert len(owner_client.get("/api/judgments/?page_size=100").json()["results"]) == 100


def test_throttle_limits_each_token(settings, roles):
    settings.API_THROTTLE_RATE = "3/minute"
    from django.core.cache import cache

    cache.clear()
    codes = [roles["owner"].get("/api/datasets/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # Another token has its own budget.
    assert roles["colleague"].get("/api/datasets/").status_code == 200


def test_huge_or_malformed_ids_are_refused_or_missed(owner_client, batch):
    assert owner_client.get("/api/judgments/?batch=99999999999999999999999").status_code == 400
    assert owner_client.get("/api/judgments/?batch=x").status_code == 400
    for bad in ("99999999999999999999999", "1.5", "-1"):
        response = owner_client.get(f"/api/batches/{bad}/")
        assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_bad_page_size_is_a_400(owner_client, batch):
    for bad in ("0", "1001", "ten"):
        assert owner_client.get(f"/api/judgments/?page_size={bad}").status_code == 400


def test_huge_batch_filter_on_statements_is_a_400(owner_client, batch):
    response = owner_client.get("/api/statements/?batch=-99999999999999999999999")
    assert response.status_code == 400 and "batch" in response.json()


def test_time_filters_accept_any_iso_offset(owner_client, batch):
    # PostgreSQL refuses offsets past +-15:59 in a query; ISO 8601 allows +-23:59.
    early = owner_client.get("/api/behaviour-events/?after=0100-04-24T12:32:23%2B19:16")
    assert early.status_code == 200 and len(early.json()["results"]) == 3
    late = owner_client.get("/api/batches/?created_before=0001-01-01T00:00:00%2B23:00")
    assert late.status_code == 200 and late.json()["results"] == []
    far = owner_client.get("/api/behaviour-events/?before=9999-12-31T23:00:00-21:01")
    assert far.status_code == 200 and len(far.json()["results"]) == 3


@pytest.mark.parametrize(("name", "view"), [(prefix, view) for prefix, view, _ in router.registry])
def test_every_ordering_pages_through_every_row_once(owner_client, owner, batch, name, view):
    # Many rows tie on the ordering field (e.g. answered_at): the cursor must still see each once.
    judged_batch(owner, workers=2, statements=2, slug="other")
    expected = sorted(r["id"] for r in all_pages(owner_client, f"/api/{name}/"))
    assert len(expected) >= 2
    for field in view.ordering_fields:
        for order in (field, f"-{field}"):
            rows = all_pages(owner_client, f"/api/{name}/?ordering={order}&page_size=1")
            assert sorted(r["id"] for r in rows) == expected, order
