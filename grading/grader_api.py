"""Grader quality API under /api/v1/benchmarks/<slug>/grading/ (managers): calibration items,
the calibration rate of a campaign, each grader's figures, the threshold, and the actions on a
grader (pause, calibration set, exclude from consensus); a grader's own feedback. The same
selectors and services as the pages; fractions 0..1 as everywhere in data; a refusal of the rules
is a 409 with its reason and changes nothing."""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from curation.access import BenchmarkAccess, benchmark_access
from curation.api.base import BenchmarkApi, error_responses, validated
from curation.models import Role
from curation.serializers import ErrorSerializer
from grading.grader_selectors import calibration_items, grader_feedback, grader_rows
from grading.models import CalibrationItem, Campaign
from grading.models import Response as ModelResponse
from grading.services import GradingError
from grading.services.calibration import (
    MAX_CALIBRATION_SET,
    MAX_RATE,
    calibration_item_mark,
    calibration_item_retire,
    campaign_calibration_set,
    grader_exclude,
    grader_pause,
    grader_send_calibration,
    grader_threshold,
    grader_threshold_set,
)

TAG = "grader quality"
REFUSED = OpenApiResponse(ErrorSerializer, description="The rules refuse it; nothing changed.")


def refused(error: GradingError) -> Response:
    return Response({"detail": error.message, "errors": []}, status=status.HTTP_409_CONFLICT)


def _manager(request: Request, slug: str) -> BenchmarkAccess:
    return benchmark_access(request.user, slug, Role.MANAGER)


# --- calibration items -------------------------------------------------------------------------


class GoldLabelSerializer(serializers.Serializer):
    criterion = serializers.CharField(source="criterion.key")
    met = serializers.BooleanField()
    rationale = serializers.CharField()


class CalibrationItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    response = serializers.IntegerField(source="response_id")
    case = serializers.CharField(source="response.case_version.case.external_id")
    version = serializers.IntegerField(source="response.case_version.number")
    model = serializers.CharField(source="response.model.name")
    sample = serializers.IntegerField(source="response.sample")
    gold = GoldLabelSerializer(many=True)
    marked_by = serializers.CharField(source="created_by")
    marked_at = serializers.DateTimeField(source="created_at")
    retired_at = serializers.DateTimeField(allow_null=True)


class CalibrationMarkSerializer(serializers.Serializer):
    response = serializers.IntegerField(help_text="The response's id.")
    gold = serializers.DictField(
        child=serializers.BooleanField(),
        required=False,
        allow_null=True,
        help_text="The gold label of every criterion, by key. Left out: the response's consensus "
        "(every criterion must have one).",
    )


class CalibrationItemsApi(BenchmarkApi):
    @extend_schema(
        operation_id="calibration_items",
        tags=[TAG],
        summary="The benchmark's calibration items with their answer keys",
        responses={200: CalibrationItemSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        items = calibration_items(benchmark=access.benchmark)
        return Response(CalibrationItemSerializer(items, many=True).data)

    @extend_schema(
        operation_id="calibration_item_mark",
        tags=[TAG],
        summary="Make a response a calibration item (its consensus, or the gold labels given)",
        request=CalibrationMarkSerializer,
        responses={201: CalibrationItemSerializer, 409: REFUSED, **error_responses(400)},
    )
    def post(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        data = validated(CalibrationMarkSerializer, request.data)
        response = get_object_or_404(
            ModelResponse.objects.select_related("case_version__case"),
            pk=data["response"],
            case_version__case__benchmark=access.benchmark,
        )
        try:
            item = calibration_item_mark(
                benchmark=access.benchmark,
                response=response,
                by=request.user,
                gold=data.get("gold"),
            )
        except GradingError as error:
            return refused(error)
        item = calibration_items(benchmark=access.benchmark).get(pk=item.pk)
        return Response(CalibrationItemSerializer(item).data, status=status.HTTP_201_CREATED)


class CalibrationRetireApi(BenchmarkApi):
    @extend_schema(
        operation_id="calibration_item_retire",
        tags=[TAG],
        summary="Stop handing a calibration item out (past scores keep its answer key)",
        request=None,
        responses={200: CalibrationItemSerializer, **error_responses()},
    )
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = _manager(request, slug)
        item = get_object_or_404(CalibrationItem, pk=pk, benchmark=access.benchmark)
        calibration_item_retire(item=item, by=request.user)
        item = calibration_items(benchmark=access.benchmark).get(pk=item.pk)
        return Response(CalibrationItemSerializer(item).data)


class CampaignCalibrationSerializer(serializers.Serializer):
    rate = serializers.FloatField(
        min_value=0, max_value=MAX_RATE, help_text="Share of calibration screens, 0 to 0.5."
    )
    show_feedback = serializers.BooleanField()


class CampaignCalibrationApi(BenchmarkApi):
    @extend_schema(
        operation_id="campaign_calibration_set",
        tags=[TAG],
        summary="Set a campaign's calibration rate and whether graders get feedback",
        request=CampaignCalibrationSerializer,
        responses={200: CampaignCalibrationSerializer, 409: REFUSED, **error_responses(400)},
    )
    def put(self, request: Request, slug: str, pk: int) -> Response:
        access = _manager(request, slug)
        campaign = get_object_or_404(Campaign, pk=pk, benchmark=access.benchmark)
        data = validated(CampaignCalibrationSerializer, request.data)
        try:
            campaign = campaign_calibration_set(
                campaign=campaign,
                by=request.user,
                rate=data["rate"],
                show_feedback=data["show_feedback"],
            )
        except GradingError as error:
            return refused(error)
        return Response(
            {"rate": campaign.calibration_rate, "show_feedback": campaign.show_feedback}
        )


# --- graders -----------------------------------------------------------------------------------


class FiguresSerializer(serializers.Serializer):
    calibration_n = serializers.IntegerField()
    calibration_accuracy = serializers.FloatField(allow_null=True)
    calibration_kappa = serializers.FloatField(allow_null=True)
    consensus_n = serializers.IntegerField()
    consensus_agreement = serializers.FloatField(allow_null=True)
    items_submitted = serializers.IntegerField()
    seconds_per_item = serializers.FloatField(allow_null=True)


class WeekSerializer(FiguresSerializer):
    week = serializers.DateField(allow_null=True, help_text="Monday; null: imported labels.")


class GraderFiguresSerializer(FiguresSerializer):
    id = serializers.IntegerField(source="grader.pk")
    username = serializers.CharField(source="grader.username")
    name = serializers.CharField(source="grader")
    paused = serializers.BooleanField(source="state.paused")
    calibration_due = serializers.IntegerField(source="state.calibration_due")
    excluded = serializers.BooleanField(source="state.excluded")
    qc_checked = serializers.IntegerField()
    qc_corrected = serializers.IntegerField()
    qc_correction_rate = serializers.FloatField(allow_null=True)
    flagged = serializers.BooleanField()
    weeks = WeekSerializer(many=True)


class GradersSerializer(serializers.Serializer):
    threshold = serializers.FloatField()
    graders = GraderFiguresSerializer(many=True)


class GradersApi(BenchmarkApi):
    @extend_schema(
        operation_id="grader_figures",
        tags=[TAG],
        summary="Every grader's figures, state and weekly trend, and the threshold",
        responses={200: GradersSerializer, **error_responses()},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        data = {
            "threshold": grader_threshold(benchmark=access.benchmark),
            "graders": grader_rows(benchmark=access.benchmark),
        }
        return Response(GradersSerializer(data).data)


class ThresholdSerializer(serializers.Serializer):
    threshold = serializers.FloatField(min_value=0, max_value=1)


class ThresholdApi(BenchmarkApi):
    @extend_schema(
        operation_id="grader_threshold_set",
        tags=[TAG],
        summary="Set the share (0..1) under which a grader is flagged",
        request=ThresholdSerializer,
        responses={200: ThresholdSerializer, **error_responses(400)},
    )
    def put(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        data = validated(ThresholdSerializer, request.data)
        settings = grader_threshold_set(
            benchmark=access.benchmark, by=request.user, threshold=data["threshold"]
        )
        return Response({"threshold": settings.threshold})


class GraderStateSerializer(serializers.Serializer):
    paused = serializers.BooleanField()
    calibration_due = serializers.IntegerField()
    excluded = serializers.BooleanField()


class PauseSerializer(serializers.Serializer):
    paused = serializers.BooleanField()


class CalibrationSetSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_CALIBRATION_SET)


class ExcludeSerializer(serializers.Serializer):
    excluded = serializers.BooleanField()


class _GraderActionApi(BenchmarkApi):
    """One action on one grader: its input serializer and service call."""

    serializer_class: type[serializers.Serializer]

    def act(self, access: BenchmarkAccess, grader, by, data: dict):
        raise NotImplementedError

    def post(self, request: Request, slug: str, user_id: int) -> Response:
        access = _manager(request, slug)
        grader = (
            get_user_model()
            .objects.filter(
                pk=user_id,
                memberships__benchmark=access.benchmark,
                memberships__role=Role.GRADER,
            )
            .first()
        )
        if grader is None:
            raise Http404
        data = validated(self.serializer_class, request.data)
        try:
            state = self.act(access, grader, request.user, data)
        except GradingError as error:
            return refused(error)
        return Response(GraderStateSerializer(state).data)


def _action_schema(operation_id: str, summary: str, request):
    return extend_schema(
        operation_id=operation_id,
        tags=[TAG],
        summary=summary,
        request=request,
        responses={200: GraderStateSerializer, 409: REFUSED, **error_responses(400)},
    )


class PauseApi(_GraderActionApi):
    serializer_class = PauseSerializer

    def act(self, access, grader, by, data):
        return grader_pause(benchmark=access.benchmark, grader=grader, by=by, paused=data["paused"])

    @_action_schema(
        "grader_pause", "Pause a grader (no new screens) or let them go on", PauseSerializer
    )
    def post(self, request: Request, slug: str, user_id: int) -> Response:
        return super().post(request, slug, user_id)


class CalibrationSetApi(_GraderActionApi):
    serializer_class = CalibrationSetSerializer

    def act(self, access, grader, by, data):
        return grader_send_calibration(
            benchmark=access.benchmark, grader=grader, by=by, count=data["count"]
        )

    @_action_schema(
        "grader_calibration_set",
        "Send a grader a calibration set: their next screens are calibration items",
        CalibrationSetSerializer,
    )
    def post(self, request: Request, slug: str, user_id: int) -> Response:
        return super().post(request, slug, user_id)


class ExcludeApi(_GraderActionApi):
    serializer_class = ExcludeSerializer

    def act(self, access, grader, by, data):
        return grader_exclude(
            benchmark=access.benchmark, grader=grader, by=by, excluded=data["excluded"]
        )

    @_action_schema(
        "grader_exclude",
        "Take a grader's labels out of consensus (or count them again); consensus recomputed",
        ExcludeSerializer,
    )
    def post(self, request: Request, slug: str, user_id: int) -> Response:
        return super().post(request, slug, user_id)


# --- a grader's feedback -----------------------------------------------------------------------


class FeedbackSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="assignment_id", help_text="Your assignment's id.")
    campaign = serializers.CharField()
    case = serializers.CharField(source="case_id")
    response = serializers.CharField(source="letter", help_text="The letter on your screen.")
    criterion = serializers.CharField(source="criterion_key")
    criterion_text = serializers.CharField()
    your_label = serializers.BooleanField()
    gold_label = serializers.BooleanField()
    rationale = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class FeedbackApi(BenchmarkApi):
    @extend_schema(
        operation_id="grading_feedback",
        tags=["grading"],
        summary="Where your labels differed from the gold label on your settled items",
        responses={200: FeedbackSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = benchmark_access(request.user, slug, Role.GRADER)
        rows = grader_feedback(benchmark=access.benchmark, grader=request.user)
        return Response(FeedbackSerializer(rows, many=True).data)


GRADER = "graders/<int:user_id>/"

urlpatterns = [
    path("calibration/items/", CalibrationItemsApi.as_view(), name="api-calibration-items"),
    path(
        "calibration/items/<int:pk>/retire/",
        CalibrationRetireApi.as_view(),
        name="api-calibration-retire",
    ),
    path(
        "calibration/campaigns/<int:pk>/",
        CampaignCalibrationApi.as_view(),
        name="api-campaign-calibration",
    ),
    path("graders/", GradersApi.as_view(), name="api-graders"),
    path("graders/threshold/", ThresholdApi.as_view(), name="api-graders-threshold"),
    path(f"{GRADER}pause/", PauseApi.as_view(), name="api-grader-pause"),
    path(f"{GRADER}calibration-set/", CalibrationSetApi.as_view(), name="api-grader-calibration"),
    path(f"{GRADER}exclude/", ExcludeApi.as_view(), name="api-grader-exclude"),
    path("feedback/", FeedbackApi.as_view(), name="api-grading-feedback"),
]
