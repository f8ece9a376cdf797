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

urlpatterns = [
    # The schema and its UI describe the API and hold no study data, so they are public.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
