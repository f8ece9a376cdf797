"""Search logs in the researcher admin, read-only and scoped by batch; the corpus, read-only too."""

from django.contrib import admin

from assessments.admin import ReadOnlyAdmin, ReadOnlyInline

from . import models


class SearchResultInline(ReadOnlyInline):
    model = models.SearchResult
    fields = ["rank", "url", "title", "snippet", "domain"]
    readonly_fields = fields


@admin.register(models.SearchQuery)
class SearchQueryAdmin(ReadOnlyAdmin):
    batch_path = "assignment__batch"
    list_display = [
        "created_at",
        "assignment",
        "statement",
        "text",
        "page",
        "provider",
        "status",
        "cache_hit",
        "blocked_count",
        "latency_ms",
    ]
    list_filter = ["provider", "status", "cache_hit", "assignment__batch"]
    list_select_related = ["assignment__batch", "assignment__worker", "statement"]
    search_fields = ["text", "assignment__worker__platform_id", "statement__external_id"]
    inlines = [SearchResultInline]


@admin.register(models.ResultClick)
class ResultClickAdmin(ReadOnlyAdmin):
    batch_path = "assignment__batch"
    list_display = ["created_at", "assignment", "statement", "rank", "url"]
    list_filter = ["assignment__batch"]
    list_select_related = ["assignment__batch", "assignment__worker", "statement"]


@admin.register(models.EvidenceSelection)
class EvidenceSelectionAdmin(ReadOnlyAdmin):
    batch_path = "assignment__batch"
    list_display = ["created_at", "assignment", "statement", "accepted", "reason", "url"]
    list_filter = ["accepted", "reason", "assignment__batch"]
    list_select_related = ["assignment__batch", "assignment__worker", "statement"]


@admin.register(models.Document)
class DocumentAdmin(admin.ModelAdmin):
    """Load documents with `manage.py load_corpus` (all-or-nothing, and it rebuilds the index)."""

    list_display = ["title", "source", "url", "published", "about"]
    search_fields = ["title", "url", "source", "about"]
    readonly_fields = [f.name for f in models.Document._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
