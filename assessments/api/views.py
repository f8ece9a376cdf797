"""Researcher API views: thin wrappers that call one selector or service each."""

import datetime
import re
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, routers, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from .. import models
from ..exports import WRITERS, zip_stream
from ..selectors import export_files
from ..selectors import exports as export_selectors
from ..selectors import researcher as selectors
from ..selectors.analysis import analysis_report
from ..services.batch_config import (
    batch_create_from_config,
    batch_statements_import_file,
    batch_status_change,
)
from . import filters, serializers
from .permissions import IsBatchOwnerOrReadOnly, IsResearcher, TokenRateThrottle
from .schema import ResearcherAutoSchema


def api_exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError (raised by services) as a 400 naming fields."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    return exception_handler(exc, context)


class ResearcherApiMixin:
    """Authentication, permission, throttling, filtering and paging shared by every endpoint."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsResearcher]
    throttle_classes = [TokenRateThrottle]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    pagination_class = filters.IdCursorPagination
    ordering = ["id"]
    schema = ResearcherAutoSchema()
    # Any path segment reaches the view, so a malformed id is a JSON 404, not Django's HTML one.
    lookup_value_regex = "[^/]+"

    def get_exception_handler(self):
        return api_exception_handler

    def get_object(self):
        # Ids are 64-bit keys; anything else cannot exist (and would overflow SQLite).
        value = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if not re.fullmatch(r"[0-9]{1,18}", value):
            raise exceptions.NotFound()
        return super().get_object()


class ResearcherApiRootView(ResearcherApiMixin, routers.APIRootView):
    """The browsable API's entry page: the list of endpoints, for researchers only."""

    schema = None  # a page of links, not an operation


class ApiRouter(routers.DefaultRouter):
    APIRootView = ResearcherApiRootView


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """File downloads set their own content type; errors are always rendered as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


_FILE_ACTION = {
    "content_negotiation_class": IgnoreClientContentNegotiation,
    "filter_backends": [],
    "pagination_class": None,
}
_DOWNLOAD_MEDIA_TYPES = {(200, cls.media_type): OpenApiTypes.BINARY for cls in WRITERS.values()}


_INCLUDE_SIMULATED = OpenApiParameter(
    "include_simulated",
    bool,
    OpenApiParameter.QUERY,
    description="Also export simulated workers (pilots run with simulate_workers); default false.",
)


def _include_simulated(request) -> bool:
    return request.query_params.get("include_simulated", "").lower() in ("true", "1")


def _download(chunks, media_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class BatchViewSet(
    ResearcherApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Batches you own or that are shared with you; create, import statements, change status."""

    queryset = models.Batch.objects.none()  # for the schema; get_queryset scopes rows
    serializer_class = serializers.BatchSerializer
    parser_classes = [JSONParser]
    permission_classes = [IsResearcher, IsBatchOwnerOrReadOnly]
    filterset_class = filters.BatchFilter
    ordering_fields = ["id", "created_at", "updated_at"]

    def get_queryset(self):
        return selectors.batch_list_visible(user=self.request.user)

    @extend_schema(
        request=serializers.BatchConfigSerializer,
        responses={201: serializers.BatchSerializer},
        summary="Create a draft batch from a JSON configuration (the shape of batch.json)",
    )
    def create(self, request):
        config = serializers.BatchConfigSerializer(data=request.data)
        config.is_valid(raise_exception=True)
        batch = batch_create_from_config(owner=request.user, config=config.validated_data)
        batch = self.get_queryset().get(pk=batch.pk)
        return Response(self.get_serializer(batch).data, status=201)

    @extend_schema(
        request=serializers.BatchStatusSerializer,
        responses={200: serializers.BatchSerializer},
        summary="Change the batch's status (draft -> live <-> paused -> closed)",
    )
    @action(detail=True, methods=["post"], url_path="status", filter_backends=[])
    def change_status(self, request, pk=None):
        batch = self.get_object()
        data = serializers.BatchStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch_status_change(batch=batch, status=data.validated_data["status"])
        return Response(self.get_serializer(self.get_queryset().get(pk=batch.pk)).data)

    @extend_schema(
        request={"multipart/form-data": serializers.StatementImportSerializer},
        responses={200: serializers.StatementImportResultSerializer},
        summary="Import statements from a file and add them to the batch (draft or paused)",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="statements",
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
    )
    def import_statements(self, request, pk=None):
        batch = self.get_object()
        data = serializers.StatementImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        scale = data.validated_data.get("scale")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name or "upload.csv").name
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            summary, added = batch_statements_import_file(
                batch=batch,
                path=path,
                fmt=data.validated_data.get("format"),
                dataset=data.validated_data.get("dataset"),
                mapping=dict(pair.split("=", 1) for pair in data.validated_data.get("map", [])),
                scale=tuple(s.strip() for s in scale.split(",")) if scale else None,
            )
        result = {**vars(summary), "added_to_batch": added}
        return Response(serializers.StatementImportResultSerializer(result).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "kind", str, OpenApiParameter.PATH, enum=sorted(export_selectors.EXPORT_KINDS)
            ),
            OpenApiParameter("file_format", str, OpenApiParameter.PATH, enum=sorted(WRITERS)),
            _INCLUDE_SIMULATED,
        ],
        responses=_DOWNLOAD_MEDIA_TYPES,
        summary=f"Download a bulk export ({', '.join(export_selectors.EXPORT_KINDS)}) "
        "as CSV, JSONL or Parquet",
        description=(
            "Streamed with constant memory. Judgments have one row per worker x statement x "
            "attempt and a column per answer field slug; workers appear only as pseudonyms."
        ),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"exports/(?P<kind>[^/]+)/(?P<file_format>[^/]+)",
        **_FILE_ACTION,
    )
    def export(self, request, pk=None, kind=None, file_format=None):
        batch = self.get_object()
        if kind not in export_selectors.EXPORT_KINDS or file_format not in WRITERS:
            raise exceptions.NotFound(f"No {kind!r} export as {file_format!r}.")
        writer, chunks = export_files.export_file(
            batch=batch,
            kind=kind,
            file_format=file_format,
            include_simulated=_include_simulated(request),
        )
        return _download(chunks, writer.media_type, f"{batch.slug}-{kind}.{writer.extension}")

    @extend_schema(
        responses={200: serializers.AnalysisReportSerializer},
        summary="The batch's stored analysis report (as `manage.py analysis_report --json`)",
        description=(
            "Agreement, crowd vs expert, per-statement aggregates, field correlations, "
            "position effects and prediction, as last computed; nothing is recomputed."
        ),
    )
    @action(detail=True, methods=["get"], url_path="analysis", filter_backends=[])
    def analysis(self, request, pk=None):
        report = analysis_report(batch=self.get_object())
        return Response(serializers.AnalysisReportSerializer(report).data)

    @extend_schema(
        parameters=[_INCLUDE_SIMULATED],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        summary="Download the study data package (zip)",
        description=(
            "CSVs (judgments in the import format, workers, answers, events, search_logs, "
            "aggregates, statements with expert labels), data_dictionary.csv, batch.json and "
            "CITATION.cff."
        ),
    )
    @action(detail=True, methods=["get"], url_path="package", **_FILE_ACTION)
    def package(self, request, pk=None):
        batch = self.get_object()
        today = datetime.date.today().isoformat()
        members = export_files.batch_package_members(
            batch, today=today, include_simulated=_include_simulated(request)
        )
        return _download(zip_stream(members), "application/zip", f"{batch.slug}-{today}.zip")


class ReadOnlyViewSet(ResearcherApiMixin, viewsets.ReadOnlyModelViewSet):
    """A list and a detail view of the rows `visible` (a researcher selector) returns."""

    visible = None  # a selector taking user=, set by each subclass

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # For the schema (path parameter types); get_queryset scopes the rows.
        cls.queryset = cls.serializer_class.Meta.model.objects.none()

    def get_queryset(self):
        return self.visible(user=self.request.user)


class DatasetViewSet(ReadOnlyViewSet):
    """Statement datasets and their expert scales (a catalogue shared by all researchers)."""

    serializer_class = serializers.DatasetSerializer
    filterset_fields = ["name"]
    ordering_fields = ["id", "name"]

    def get_queryset(self):
        return selectors.dataset_list()


class StatementViewSet(ReadOnlyViewSet):
    """Statements of your batches, with expert labels and gold flags (never shown to workers)."""

    serializer_class = serializers.StatementSerializer
    filterset_class = filters.StatementFilter
    ordering_fields = ["id", "external_id"]
    visible = staticmethod(selectors.statement_list_visible)


class AnswerFieldViewSet(ReadOnlyViewSet):
    """The answer fields (questions on a scale) of your batches."""

    serializer_class = serializers.AnswerFieldSerializer
    filterset_class = filters.AnswerFieldFilter
    ordering_fields = ["id", "position"]
    visible = staticmethod(selectors.field_list_visible)


class AssignmentViewSet(ReadOnlyViewSet):
    """Workers' assignments in your batches; workers appear only as pseudonyms."""

    serializer_class = serializers.AssignmentSerializer
    filterset_class = filters.AssignmentFilter
    ordering_fields = ["id", "started_at"]
    visible = staticmethod(selectors.assignment_list_visible)


class JudgmentViewSet(ReadOnlyViewSet):
    """Judgments in your batches, one per worker x statement x attempt, values keyed by field slug."""

    serializer_class = serializers.JudgmentSerializer
    filterset_class = filters.JudgmentFilter
    ordering_fields = ["id", "answered_at"]
    visible = staticmethod(selectors.judgment_list_visible)


class QuestionnaireAnswerViewSet(ReadOnlyViewSet):
    """Questionnaire answers in your batches."""

    serializer_class = serializers.QuestionnaireAnswerSerializer
    filterset_class = filters.QuestionnaireAnswerFilter
    ordering_fields = ["id", "answered_at"]
    visible = staticmethod(selectors.answer_list_visible)


class BehaviourEventViewSet(ReadOnlyViewSet):
    """Behaviour events logged in your batches."""

    serializer_class = serializers.BehaviourEventSerializer
    filterset_class = filters.BehaviourEventFilter
    ordering_fields = ["id", "server_ts"]
    visible = staticmethod(selectors.event_list_visible)


class SearchQueryViewSet(ReadOnlyViewSet):
    """Searches workers ran in your batches, each with its results as shown (clicked, selected)."""

    serializer_class = serializers.SearchQuerySerializer
    filterset_class = filters.SearchQueryFilter
    ordering_fields = ["id", "created_at"]
    visible = staticmethod(selectors.search_query_list_visible)


class ResultClickViewSet(ReadOnlyViewSet):
    """Search results workers opened in your batches."""

    serializer_class = serializers.ResultClickSerializer
    filterset_class = filters.ResultClickFilter
    ordering_fields = ["id", "created_at"]
    visible = staticmethod(selectors.click_list_visible)


class EvidenceSelectionViewSet(ReadOnlyViewSet):
    """URLs workers chose as evidence in your batches, accepted or refused (with the reason)."""

    serializer_class = serializers.EvidenceSelectionSerializer
    filterset_class = filters.EvidenceSelectionFilter
    ordering_fields = ["id", "created_at"]
    visible = staticmethod(selectors.evidence_selection_list_visible)


class StatementAggregateViewSet(ReadOnlyViewSet):
    """Crowd aggregates of your batches: one row per statement x answer field."""

    serializer_class = serializers.StatementAggregateSerializer
    filterset_class = filters.StatementAggregateFilter
    ordering_fields = ["id", "n", "mean", "updated_at"]
    visible = staticmethod(selectors.aggregate_list_visible)


class BatchAnalysisViewSet(ReadOnlyViewSet):
    """Batch-level analysis results of your batches (one per analysed batch) and their options."""

    serializer_class = serializers.BatchAnalysisSerializer
    filterset_class = filters.BatchAnalysisFilter
    ordering_fields = ["id"]
    visible = staticmethod(selectors.analysis_list_visible)


class AgreementResultViewSet(ReadOnlyViewSet):
    """Krippendorff's alpha per dataset (or "all") and answer field, with bootstrap intervals."""

    serializer_class = serializers.AgreementResultSerializer
    filterset_class = filters.AgreementResultFilter
    ordering_fields = ["id", "dataset"]
    visible = staticmethod(selectors.agreement_list_visible)


class CrowdExpertResultViewSet(ReadOnlyViewSet):
    """How each aggregation of each field tracks the expert labels, per dataset."""

    serializer_class = serializers.CrowdExpertResultSerializer
    filterset_class = filters.CrowdExpertResultFilter
    ordering_fields = ["id", "dataset", "aggregation"]
    visible = staticmethod(selectors.crowd_expert_list_visible)
