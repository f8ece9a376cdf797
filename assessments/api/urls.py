"""Researcher API routes under /api/: one router line per resource, plus the schema and its UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

app_name = "api"

router = views.ApiRouter()
router.register("batches", views.BatchViewSet, basename="batch")
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("fields", views.AnswerFieldViewSet, basename="field")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("judgments", views.JudgmentViewSet, basename="judgment")
router.register("questionnaire-answers", views.QuestionnaireAnswerViewSet, basename="answer")
router.register("behaviour-events", views.BehaviourEventViewSet, basename="event")
router.register("search-queries", views.SearchQueryViewSet, basename="search-query")
router.register("search-clicks", views.ResultClickViewSet, basename="search-click")
router.register(
    "evidence-selections", views.EvidenceSelectionViewSet, basename="evidence-selection"
)
router.register("aggregates", views.StatementAggregateViewSet, basename="aggregate")
router.register("analyses", views.BatchAnalysisViewSet, basename="analysis")
router.register("agreement-results", views.AgreementResultViewSet, basename="agreement")
router.register("crowd-expert-results", views.CrowdExpertResultViewSet, basename="crowd-expert")

urlpatterns = [
    # The schema and its UI describe the API and hold no study data, so they are public.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
