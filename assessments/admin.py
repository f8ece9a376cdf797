"""The researcher admin: configuration editable, what workers produced read-only, scoped by batch."""

from django.contrib import admin, messages
from django.db.models import QuerySet

from . import models
from .dashboard_views import BatchDashboardMixin
from .selectors.batches import batch_list_for_user, batch_list_with_progress, batch_visible_q

admin.site.site_header = "truthcrowd"
admin.site.site_title = "truthcrowd"
admin.site.index_title = "Research administration"


class BatchScopedAdmin(admin.ModelAdmin):
    """Show researchers only rows of batches they own or that are shared with them."""

    batch_path: str = ""

    def get_queryset(self, request) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(batch_visible_q(request.user, self.batch_path)).distinct()


class ReadOnlyAdmin(BatchScopedAdmin):
    """What workers produced is evidence: researchers read it, nobody edits it here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ExpertLevelInline(admin.TabularInline):
    model = models.ExpertLevel
    extra = 0


@admin.register(models.Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "statement_count", "created_at"]
    search_fields = ["name", "title"]
    inlines = [ExpertLevelInline]

    @admin.display(description="statements")
    def statement_count(self, obj):
        return obj.statements.count()


@admin.register(models.ExpertLevel)
class ExpertLevelAdmin(admin.ModelAdmin):
    list_display = ["dataset", "ordinal", "label"]
    list_filter = ["dataset"]
    search_fields = ["label", "dataset__name"]
    list_select_related = ["dataset"]


@admin.register(models.Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["external_id", "dataset", "speaker", "year", "party", "expert_level", "is_gold"]
    list_filter = ["dataset", "is_gold", "expert_level", "party", "year"]
    list_select_related = ["dataset", "expert_level"]
    search_fields = ["external_id", "text", "speaker"]
    autocomplete_fields = ["expert_level"]
    readonly_fields = ["created_at", "updated_at"]


class AnswerFieldInline(admin.StackedInline):
    model = models.AnswerField
    extra = 0


class QuestionnaireInline(admin.TabularInline):
    model = models.Questionnaire
    extra = 0
    show_change_link = True


@admin.register(models.Batch)
class BatchAdmin(BatchDashboardMixin, admin.ModelAdmin):
    list_display = [
        "slug",
        "title",
        "status",
        "owner",
        "progress",
        "reward",
        "created_at",
        "dashboard_link",
    ]
    list_filter = ["status"]
    list_select_related = ["owner"]
    search_fields = ["slug", "title"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["statements", "gold_statements", "excluded_batches", "shared_with"]
    readonly_fields = ["progress", "config_version", "created_at", "updated_at"]
    inlines = [AnswerFieldInline, QuestionnaireInline]
    fieldsets = [
        (None, {"fields": ["slug", "title", "description", "status", "owner", "shared_with"]}),
        ("Progress", {"fields": ["progress"]}),
        (
            "Statements and HIT composition",
            {
                "fields": [
                    "statements",
                    "gold_statements",
                    "statements_per_hit",
                    "judgments_per_statement",
                    "composition",
                    "show_context",
                    "text_variant",
                ]
            },
        ),
        (
            "Quality control",
            {
                "fields": [
                    "quality_gates",
                    "max_attempts",
                    "time_limit_s",
                    "justification",
                    "justification_min_words",
                    "excluded_batches",
                    "worker_blocklist",
                ]
            },
        ),
        (
            "Payment and platforms",
            {"fields": ["reward_cents", "currency", "platform_settings", "completion_url"]},
        ),
        ("Evidence search", {"fields": ["search_provider", "blocked_domains", "domain_match"]}),
        ("Versioning", {"fields": ["config_version", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return batch_list_with_progress(batch_list_for_user(request.user))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "owner" in form.base_fields:
            form.base_fields["owner"].initial = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("owner")
        if obj is not None and obj.status != models.Batch.Status.DRAFT:
            # Workers have been checked under these rules: they are frozen once a batch launches.
            readonly += ["quality_gates", "max_attempts", "composition", "statements_per_hit"]
        return readonly

    def save_model(self, request, obj, form, change):
        if not change and not obj.owner_id:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="judgments collected / wanted")
    def progress(self, obj):
        if obj.pk is None:
            return "-"
        wanted = obj.n_pool * obj.judgments_per_statement
        percent = 100 * obj.judgments_collected / wanted if wanted else 0
        return f"{obj.judgments_collected} / {wanted} ({percent:.0f}%)"

    @admin.display(description="reward")
    def reward(self, obj):
        return f"{obj.reward_cents / 100:.2f} {obj.currency}"


@admin.register(models.AnswerField)
class AnswerFieldAdmin(BatchScopedAdmin):
    batch_path = "batch"
    list_display = ["slug", "batch", "position", "label", "requires_evidence", "is_gold_field"]
    list_filter = ["batch", "requires_evidence", "is_gold_field"]
    list_select_related = ["batch"]
    search_fields = ["slug", "label"]


class QuestionInline(admin.StackedInline):
    model = models.Question
    extra = 0


@admin.register(models.Questionnaire)
class QuestionnaireAdmin(BatchScopedAdmin):
    batch_path = "batch"
    list_display = ["slug", "batch", "kind", "position"]
    list_filter = ["batch", "kind"]
    list_select_related = ["batch"]
    inlines = [QuestionInline]


@admin.register(models.Question)
class QuestionAdmin(BatchScopedAdmin):
    batch_path = "questionnaire__batch"
    list_display = ["slug", "questionnaire", "answer_type", "position"]
    list_filter = ["answer_type", "questionnaire__batch"]
    list_select_related = ["questionnaire__batch"]
    search_fields = ["slug", "text"]


@admin.register(models.HitDesign)
class HitDesignAdmin(BatchScopedAdmin):
    batch_path = "batch"
    list_display = ["batch", "number", "capacity"]
    list_filter = ["batch"]
    list_select_related = ["batch"]


@admin.register(models.Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["platform", "platform_id", "is_blocked", "blocked_reason", "created_at"]
    list_filter = ["platform", "is_blocked"]
    search_fields = ["platform_id"]
    fields = ["platform", "platform_id", "is_blocked", "blocked_reason", "created_at"]
    readonly_fields = ["platform", "platform_id", "created_at"]
    actions = ["block", "unblock"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Block the selected workers", permissions=["change"])
    def block(self, request, queryset):
        updated = queryset.update(is_blocked=True, blocked_reason="blocked by a researcher")
        self.message_user(request, f"{updated} worker(s) blocked.", messages.SUCCESS)

    @admin.action(description="Allow the selected workers", permissions=["change"])
    def unblock(self, request, queryset):
        updated = queryset.update(is_blocked=False, blocked_reason="")
        self.message_user(request, f"{updated} worker(s) allowed.", messages.SUCCESS)


class AttemptInline(ReadOnlyInline):
    model = models.Attempt
    fields = ["number", "status", "started_at", "submitted_at", "gate_results"]
    readonly_fields = fields


@admin.register(models.Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    batch_path = "batch"
    list_display = ["batch", "worker", "status", "design", "started_at", "completed_at"]
    list_filter = ["batch", "status", "is_imported", "worker__platform"]
    list_select_related = ["batch", "worker", "design__batch"]
    search_fields = ["worker__platform_id", "completion_code"]
    inlines = [AttemptInline]


class JudgmentInline(ReadOnlyInline):
    model = models.Judgment
    fields = ["position", "statement", "evidence_url", "time_on_page_s"]
    readonly_fields = fields


@admin.register(models.Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    batch_path = "assignment__batch"
    list_display = ["assignment", "number", "status", "started_at", "submitted_at"]
    list_filter = ["status", "assignment__batch"]
    search_fields = ["assignment__worker__platform_id"]
    list_select_related = ["assignment__batch", "assignment__worker"]
    inlines = [JudgmentInline]


class JudgmentValueInline(ReadOnlyInline):
    model = models.JudgmentValue
    fields = ["field", "value"]
    readonly_fields = fields


@admin.register(models.Judgment)
class JudgmentAdmin(ReadOnlyAdmin):
    batch_path = "attempt__assignment__batch"
    list_display = ["statement", "position", "attempt", "time_on_page_s", "is_imported"]
    list_filter = ["attempt__assignment__batch", "attempt__status", "is_imported"]
    list_select_related = [
        "statement",
        "attempt__assignment__batch",
        "attempt__assignment__worker",
    ]
    search_fields = ["statement__external_id", "attempt__assignment__worker__platform_id"]
    inlines = [JudgmentValueInline]

    def lookup_allowed(self, lookup, value, request=None):
        # The dashboard's workers table links to one worker's judgments (rows stay batch-scoped).
        if lookup == "attempt__assignment__worker__id__exact":
            return True
        return super().lookup_allowed(lookup, value, request)


@admin.register(models.JudgmentValue)
class JudgmentValueAdmin(ReadOnlyAdmin):
    batch_path = "judgment__attempt__assignment__batch"
    list_display = ["judgment", "field", "value"]
    list_filter = ["field__slug", "value"]
    search_fields = ["judgment__statement__external_id"]
    list_select_related = [
        "field",
        "judgment__statement",
        "judgment__attempt__assignment__batch",
        "judgment__attempt__assignment__worker",
    ]


@admin.register(models.QuestionnaireAnswer)
class QuestionnaireAnswerAdmin(ReadOnlyAdmin):
    batch_path = "attempt__assignment__batch"
    list_display = ["question", "value", "is_correct", "attempt", "answered_at"]
    list_filter = ["question__slug", "is_correct"]
    search_fields = ["attempt__assignment__worker__platform_id", "value"]
    list_select_related = [
        "question",
        "attempt__assignment__batch",
        "attempt__assignment__worker",
    ]


@admin.register(models.BehaviourEvent)
class BehaviourEventAdmin(ReadOnlyAdmin):
    batch_path = "assignment__batch"
    list_display = ["kind", "assignment", "statement", "server_ts"]
    list_filter = ["kind", "assignment__batch"]
    search_fields = ["assignment__worker__platform_id", "statement__external_id"]
    list_select_related = ["assignment__batch", "assignment__worker", "statement"]


@admin.register(models.EntryVisit)
class EntryVisitAdmin(ReadOnlyAdmin):
    batch_path = "batch"
    list_display = ["batch", "kind", "visitor", "first_seen_at"]
    list_filter = ["kind", "batch"]
    list_select_related = ["batch"]


@admin.register(models.WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen_at", "beats"]
    search_fields = ["hostname"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# -- analysis results: computed by Celery, read here; only the options are edited ---------------


@admin.register(models.BatchAnalysis)
class BatchAnalysisAdmin(BatchScopedAdmin):
    batch_path = "batch"
    list_display = ["batch", "is_stale", "computed_at", "duration_s", "n_judgments"]
    list_select_related = ["batch"]
    fields = ["batch", "options", "is_stale", "computed_at", "duration_s", "n_judgments"]
    readonly_fields = ["batch", "is_stale", "computed_at", "duration_s", "n_judgments"]
    actions = ["recompute"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Recompute the analysis of the selected batches")
    def recompute(self, request, queryset):
        from .tasks import batch_recompute_task

        for batch_id in queryset.values_list("batch_id", flat=True):
            batch_recompute_task.delay_on_commit(batch_id)
        self.message_user(request, f"Recompute queued for {queryset.count()} batch(es).")


@admin.register(models.StatementAggregate)
class StatementAggregateAdmin(ReadOnlyAdmin):
    batch_path = "batch"
    list_display = ["statement", "field", "n", "mean", "median", "sd", "majority", "weighted_mean"]
    list_filter = ["batch", "field__slug"]
    list_select_related = ["statement", "field__batch"]
    search_fields = ["statement__external_id"]


@admin.register(models.AgreementResult)
class AgreementResultAdmin(ReadOnlyAdmin):
    batch_path = "batch"
    list_display = ["batch", "dataset", "field", "alpha_interval", "alpha_ordinal", "n_statements"]
    list_filter = ["batch", "dataset"]
    list_select_related = ["batch", "field__batch"]


@admin.register(models.CrowdExpertResult)
class CrowdExpertResultAdmin(ReadOnlyAdmin):
    batch_path = "batch"
    list_display = ["batch", "dataset", "aggregation", "field", "pearson", "spearman", "kendall"]
    list_filter = ["batch", "dataset", "aggregation"]
    list_select_related = ["batch", "field__batch"]


@admin.register(models.AssignmentAggregation)
class AssignmentAggregationAdmin(ReadOnlyAdmin):
    batch_path = "assignment__batch"
    list_display = ["assignment", "aggregated_at"]
    list_select_related = ["assignment__batch", "assignment__worker"]


@admin.register(models.HitSlot)
class HitSlotAdmin(ReadOnlyAdmin):
    batch_path = "design__batch"
    list_display = ["design", "index", "status", "assignment"]
    list_filter = ["status", "design__batch"]
    list_select_related = ["design__batch", "assignment__worker", "assignment__batch"]


@admin.register(models.PageServe)
class PageServeAdmin(ReadOnlyAdmin):
    batch_path = "attempt__assignment__batch"
    list_display = ["attempt", "page", "first_served_at", "answered_at", "completed_at"]
    list_filter = ["attempt__assignment__batch"]
    list_select_related = ["attempt__assignment__batch", "attempt__assignment__worker"]


# -- dashboard figures: counted by Celery, read on the batch dashboard ---------------------------


@admin.register(models.DashboardSnapshot)
class DashboardSnapshotAdmin(ReadOnlyAdmin):
    batch_path = "batch"
    list_display = ["batch", "computed_at", "duration_s"]
    list_select_related = ["batch"]


@admin.register(models.WorkerSummary)
class WorkerSummaryAdmin(ReadOnlyAdmin):
    batch_path = "batch"
    list_display = ["pseudonym", "batch", "status", "tries", "gold_accuracy", "crowd_mae"]
    list_filter = ["batch", "status", "platform"]
    list_select_related = ["batch"]
    search_fields = ["pseudonym"]


# Researcher API tokens (created and revoked here).
from .api import admin as api_admin  # noqa: E402, F401
