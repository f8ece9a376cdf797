"""The researcher dashboard of a batch, served inside the admin (thin views over selectors)."""

import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from . import dashboard
from .models import Batch, Worker
from .selectors.batches import batch_list_for_user
from .selectors.dashboard import (
    dashboard_chart,
    dashboard_progress,
    dashboard_sections,
    worker_summary_list,
)
from .services.dashboard import batch_worker_block_set

WORKERS_PER_PAGE = 50


class BatchDashboardMixin:
    """Adds /admin/assessments/batch/<id>/dashboard/ and its data endpoints to the batch admin."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:batch_id>/dashboard/", wrap(self.dashboard_view), name="batch-dashboard"),
            path(
                "<int:batch_id>/dashboard/progress.json",
                wrap(self.dashboard_progress_view),
                name="batch-dashboard-progress",
            ),
            path(
                "<int:batch_id>/dashboard/csv/<slug:chart_id>.csv",
                wrap(self.dashboard_csv_view),
                name="batch-dashboard-csv",
            ),
            path(
                "<int:batch_id>/dashboard/refresh/",
                wrap(require_POST(self.dashboard_refresh_view)),
                name="batch-dashboard-refresh",
            ),
            path(
                "<int:batch_id>/dashboard/workers/<int:worker_id>/block/",
                wrap(require_POST(self.dashboard_worker_block_view)),
                name="batch-dashboard-worker-block",
            ),
            *super().get_urls(),
        ]

    def _dashboard_batch(self, request, batch_id: int) -> Batch:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(batch_list_for_user(request.user), pk=batch_id)

    def dashboard_view(self, request, batch_id: int):
        batch = self._dashboard_batch(request, batch_id)
        data = dashboard_sections(batch=batch)
        sort = request.GET.get("sort", "pseudonym")
        workers = Paginator(worker_summary_list(batch=batch, sort=sort), WORKERS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Dashboard: {batch.title}",
            "batch": batch,
            "is_live": batch.status == Batch.Status.LIVE,
            "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
            "workers": workers,
            "worker_columns": dashboard.WORKER_COLUMNS,
            "sort": sort,
            "can_block": self.has_change_permission(request, batch),
            **data,
        }
        return TemplateResponse(request, "admin/assessments/batch/dashboard.html", context)

    def dashboard_progress_view(self, request, batch_id: int):
        batch = self._dashboard_batch(request, batch_id)
        _refresh_if_old(batch)
        progress = dashboard_progress(batch=batch)
        response = TemplateResponse(
            request,
            "admin/assessments/batch/_dashboard_progress.html",
            {"batch": batch, "progress": progress},
        )
        return JsonResponse(
            {
                "html": response.rendered_content,
                "computed_at": progress["computed_at"],
            }
        )

    def dashboard_csv_view(self, request, batch_id: int, chart_id: str):
        batch = self._dashboard_batch(request, batch_id)
        if chart_id == "workers":
            columns = [label for _, label in dashboard.WORKER_COLUMNS]
            rows = worker_summary_list(batch=batch).values_list(
                *(key for key, _ in dashboard.WORKER_COLUMNS)
            )
        else:
            chart = dashboard_chart(batch=batch, chart_id=chart_id)
            if chart is None:
                return HttpResponse("No such chart.", status=404, content_type="text/plain")
            columns, rows = chart.columns, chart.rows
        response = HttpResponse(
            dashboard.table_csv(columns, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{batch.slug}-{chart_id}.csv"'
        return response

    def dashboard_refresh_view(self, request, batch_id: int):
        from .tasks import batch_recompute_task, dashboard_snapshot_refresh_task

        batch = self._dashboard_batch(request, batch_id)
        batch_recompute_task.delay_on_commit(batch.pk)
        dashboard_snapshot_refresh_task.delay_on_commit(batch.pk)
        messages.success(request, "The results are being recomputed; reload in a moment.")
        return redirect(reverse("admin:batch-dashboard", args=[batch.pk]))

    def dashboard_worker_block_view(self, request, batch_id: int, worker_id: int):
        batch = self._dashboard_batch(request, batch_id)
        if not self.has_change_permission(request, batch):
            raise PermissionDenied
        worker = get_object_or_404(Worker, pk=worker_id)
        blocked = request.POST.get("action") == "block"
        try:
            batch_worker_block_set(user=request.user, batch=batch, worker=worker, blocked=blocked)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"Worker {'blocked' if blocked else 'allowed'} in {batch.slug}."
            )
        return redirect(reverse("admin:batch-dashboard", args=[batch.pk]) + "#workers")

    @admin.display(description="dashboard")
    def dashboard_link(self, obj):
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">dashboard</a>', reverse("admin:batch-dashboard", args=[obj.pk])
        )


def _refresh_if_old(batch: Batch) -> None:
    """Queue a snapshot refresh of a live batch when the stored one is older than the poll period.

    The cache key debounces: however many researchers poll, one refresh runs per period.
    """
    from .tasks import dashboard_snapshot_refresh_task

    if batch.status != Batch.Status.LIVE:
        return
    period = settings.DASHBOARD_POLL_SECONDS
    snapshot = getattr(batch, "dashboard", None)
    fresh = snapshot and snapshot.computed_at > timezone.now() - datetime.timedelta(seconds=period)
    if not fresh and cache.add(f"dashboard-refresh:{batch.pk}", 1, timeout=period):
        dashboard_snapshot_refresh_task.delay_on_commit(batch.pk)
