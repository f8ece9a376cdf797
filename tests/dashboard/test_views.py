"""The dashboard inside the admin: who may see it, what it shows, CSV, polling, block/allow."""

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import reverse

from assessments import models
from tests import factories


def _url(name, batch, *args):
    return reverse(f"admin:{name}", args=[batch.pk, *args])


def test_owner_sees_every_section(client, dashboard_batch, researcher):
    client.force_login(researcher)
    response = client.get(_url("batch-dashboard", dashboard_batch))
    assert response.status_code == 200
    page = response.content.decode()
    for title in (
        "Progress per dataset and expert level",
        "Quality funnel",
        "Crowd vs expert: aggregated crowd label per expert level",
        "Agreement per field",
        "Correlations between fields",
        "Principal components",
        "Learning effect",
        "Top evidence domains",
        "Workers",
    ):
        assert title in page
    assert 'id="spec-crowd-expert"' in page
    assert "vendor/vega/vega-embed.min.js" in page
    assert "108 / 180" in page  # passed dataset judgments / pool x 10


def test_shared_researcher_sees_the_dashboard(client, dashboard_batch, other_researcher):
    dashboard_batch.shared_with.add(other_researcher)
    client.force_login(other_researcher)
    assert client.get(_url("batch-dashboard", dashboard_batch)).status_code == 200


@pytest.mark.parametrize(
    "name,args",
    [
        ("batch-dashboard", ()),
        ("batch-dashboard-progress", ()),
        ("batch-dashboard-csv", ("agreement",)),
    ],
)
def test_other_researcher_gets_not_found(client, dashboard_batch, other_researcher, name, args):
    client.force_login(other_researcher)
    assert client.get(_url(name, dashboard_batch, *args)).status_code == 404


@pytest.mark.parametrize("name,args", [("batch-dashboard", ()), ("batch-dashboard-csv", ("pca",))])
def test_anonymous_and_non_staff_are_sent_to_login(
    client, dashboard_batch, worker_user, name, args
):
    url = _url(name, dashboard_batch, *args)
    response = client.get(url)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    client.force_login(worker_user)
    response = client.get(url)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_csv_holds_the_chart_table(client, dashboard_batch, researcher):
    client.force_login(researcher)
    response = client.get(_url("batch-dashboard-csv", dashboard_batch, "agreement"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "dataset",
        "field",
        "measure",
        "alpha",
        "ci low",
        "ci high",
        "statements",
        "judgments",
    ]
    stored = models.AgreementResult.objects.filter(batch=dashboard_batch).count()
    assert len(rows) - 1 == 2 * stored  # interval and ordinal per stored result


def test_workers_csv_has_one_row_per_worker(client, dashboard_batch, researcher):
    client.force_login(researcher)
    response = client.get(_url("batch-dashboard-csv", dashboard_batch, "workers"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) - 1 == dashboard_batch.assignments.count()
    platform_ids = set(dashboard_batch.assignments.values_list("worker__platform_id", flat=True))
    assert not platform_ids & {cell for row in rows for cell in row}  # pseudonyms only


def test_unknown_chart_is_not_found(client, dashboard_batch, researcher):
    client.force_login(researcher)
    assert client.get(_url("batch-dashboard-csv", dashboard_batch, "nope")).status_code == 404


def test_page_reads_stored_results_with_few_queries(
    client, dashboard_batch, researcher, django_assert_max_num_queries
):
    client.force_login(researcher)
    with django_assert_max_num_queries(25):
        assert client.get(_url("batch-dashboard", dashboard_batch)).status_code == 200


def test_progress_poll_refreshes_an_old_snapshot_of_a_live_batch(
    client, dashboard_batch, researcher, django_capture_on_commit_callbacks
):
    cache.clear()
    snapshot = dashboard_batch.dashboard
    models.DashboardSnapshot.objects.filter(pk=snapshot.pk).update(
        computed_at=snapshot.computed_at.replace(year=2000)
    )
    client.force_login(researcher)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.get(_url("batch-dashboard-progress", dashboard_batch))
    assert response.status_code == 200
    assert "108 / 180" in response.json()["html"]
    assert len(callbacks) == 1
    snapshot.refresh_from_db()
    assert snapshot.computed_at.year > 2000  # the (eager) task recounted it
    with django_capture_on_commit_callbacks() as callbacks:
        client.get(_url("batch-dashboard-progress", dashboard_batch))
    assert callbacks == []  # fresh now: no second refresh


def test_progress_poll_leaves_a_closed_batch_alone(
    client, dashboard_batch, researcher, django_capture_on_commit_callbacks
):
    cache.clear()
    models.Batch.objects.filter(pk=dashboard_batch.pk).update(status=models.Batch.Status.CLOSED)
    snapshot = dashboard_batch.dashboard
    old = snapshot.computed_at.replace(year=2000)
    models.DashboardSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=old)
    client.force_login(researcher)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(_url("batch-dashboard-progress", dashboard_batch))
    assert response.json()["computed_at"].startswith("2000")
    assert callbacks == []


def test_block_then_allow_a_worker(client, dashboard_batch, researcher):
    worker = dashboard_batch.assignments.first().worker
    client.force_login(researcher)
    url = _url("batch-dashboard-worker-block", dashboard_batch, worker.pk)
    assert client.post(url, {"action": "block"}).status_code == 302
    dashboard_batch.refresh_from_db()
    assert worker.platform_id in dashboard_batch.worker_blocklist
    assert models.WorkerSummary.objects.get(batch=dashboard_batch, worker=worker).is_blocked
    client.post(url, {"action": "allow"})
    dashboard_batch.refresh_from_db()
    assert worker.platform_id not in dashboard_batch.worker_blocklist
    assert not models.WorkerSummary.objects.get(batch=dashboard_batch, worker=worker).is_blocked


def test_block_refused_for_another_researcher_and_on_get(
    client, dashboard_batch, other_researcher, researcher
):
    worker = dashboard_batch.assignments.first().worker
    url = _url("batch-dashboard-worker-block", dashboard_batch, worker.pk)
    client.force_login(other_researcher)
    assert client.post(url, {"action": "block"}).status_code == 404
    client.force_login(researcher)
    assert client.get(url).status_code == 405
    dashboard_batch.refresh_from_db()
    assert dashboard_batch.worker_blocklist == []


def test_block_of_a_worker_from_another_batch_is_refused(client, dashboard_batch, researcher):
    stranger = factories.WorkerFactory()
    client.force_login(researcher)
    response = client.post(
        _url("batch-dashboard-worker-block", dashboard_batch, stranger.pk),
        {"action": "block"},
        follow=True,
    )
    assert "has not taken part" in response.content.decode()
    dashboard_batch.refresh_from_db()
    assert dashboard_batch.worker_blocklist == []


def test_workers_sort_by_column(client, dashboard_batch, researcher):
    client.force_login(researcher)
    response = client.get(_url("batch-dashboard", dashboard_batch) + "?sort=-crowd_mae")
    rows = list(response.context["workers"])
    distances = [r.crowd_mae for r in rows if r.crowd_mae is not None]
    assert distances == sorted(distances, reverse=True)


def test_batch_list_links_to_the_dashboard(client, dashboard_batch, researcher):
    client.force_login(researcher)
    page = client.get(reverse("admin:assessments_batch_changelist")).content.decode()
    assert _url("batch-dashboard", dashboard_batch) in page


def test_worker_judgments_link_filters_the_judgment_list(client, dashboard_batch, researcher):
    client.force_login(researcher)
    page = client.get(_url("batch-dashboard", dashboard_batch)).content.decode()
    worker = dashboard_batch.assignments.order_by("pk").first().worker
    link = (
        reverse("admin:assessments_judgment_changelist")
        + f"?attempt__assignment__batch__id__exact={dashboard_batch.pk}"
        + f"&attempt__assignment__worker__id__exact={worker.pk}"
    )
    assert link.replace("&", "&amp;") in page
    response = client.get(link)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 11
