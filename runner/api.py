"""Model-run API (managers) under /api/v1/benchmarks/<slug>/runs/: endpoints (the API key can be
sent, never read back), runs (start, status, resume) and their items. The same services as the
pages; a refused start or resume is a 409 and changes nothing."""

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from curation.access import benchmark_access
from curation.api.base import BenchmarkApi, error_responses, validated
from curation.models import Role
from curation.serializers import ErrorSerializer
from grading.models import Campaign
from grading.models import Response as ModelResponse
from grading.selectors import approved_versions
from runner import selectors
from runner.models import Endpoint, ItemStatus, Run
from runner.runs import item_counts, run_items
from runner.services import (
    ENDPOINT_FIELDS,
    RunRefused,
    collection_start,
    endpoint_create,
    judging_start,
    run_resume,
)
from runner.tasks import execute_run

TAG = "model runs"
ITEMS_LIMIT = 200
REFUSED = OpenApiResponse(ErrorSerializer, description="Refused; the reason in `detail`.")


class EndpointSerializer(serializers.ModelSerializer):
    has_stored_key = serializers.BooleanField(read_only=True)

    class Meta:
        model = Endpoint
        fields = ["id", *ENDPOINT_FIELDS, "has_stored_key", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class EndpointCreateSerializer(EndpointSerializer):
    api_key = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Stored encrypted; never returned.",
        style={"input_type": "password"},
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "api_key"]


class RunCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    finished = serializers.IntegerField()
    pending = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    unparsed = serializers.IntegerField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=20, decimal_places=8)


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="collect | judge")
    status = serializers.CharField(
        source="shown_status", help_text="queued | running | done | incomplete | failed"
    )
    worker_stopped = serializers.BooleanField(
        help_text="Running, but silent for longer than JOB_HEARTBEAT_LIMIT: the run's worker "
        "stopped; the run counts as failed and may be resumed."
    )
    endpoint = serializers.IntegerField(source="endpoint_id")
    endpoint_settings = serializers.JSONField()
    samples = serializers.IntegerField()
    selection = serializers.JSONField()
    model = serializers.CharField(source="model.name", allow_null=True, default=None)
    judge = serializers.CharField(source="rater.name", allow_null=True, default=None)
    judge_version = serializers.CharField(source="rater.version", allow_null=True, default=None)
    error = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class RunStatusSerializer(RunSerializer):
    counts = RunCountsSerializer()


class RunStartSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="collect | judge")
    endpoint = serializers.IntegerField(help_text="the endpoint's id")
    samples = serializers.IntegerField(min_value=1, max_value=20, default=1)
    campaign = serializers.CharField(required=False, allow_blank=True, default="")
    cases = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="Case ids (e.g. CC-0001); none: every approved case",
    )
    models = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="judge runs: whose responses to judge; none: every model",
    )

    def validate_kind(self, value: str) -> str:
        if value not in Run.Kind.values:
            raise serializers.ValidationError(gettext("Either collect or judge."))
        return value


class RunItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="pending | done | failed | unparsed")
    case = serializers.CharField()
    sample = serializers.IntegerField()
    model = serializers.CharField(allow_null=True)
    criterion = serializers.CharField(allow_null=True)
    met = serializers.BooleanField(allow_null=True)
    error = serializers.CharField()
    output = serializers.CharField(help_text="the answer as returned (a judge: its output)")
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=20, decimal_places=8)


def _manager(request: Request, slug: str):
    return benchmark_access(request.user, slug, Role.MANAGER)


def _refused(message: str) -> Response:
    return Response({"detail": message, "errors": []}, status=status.HTTP_409_CONFLICT)


def _status(run: Run) -> dict:
    run.counts = item_counts(run)
    return RunStatusSerializer(run).data


class EndpointsApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="runner_endpoints_list",
        responses={200: EndpointSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        endpoints = selectors.endpoint_list(benchmark=access.benchmark)
        return Response(EndpointSerializer(endpoints, many=True).data)

    @extend_schema(
        tags=[TAG],
        operation_id="runner_endpoints_create",
        request=EndpointCreateSerializer,
        responses={201: EndpointSerializer, **error_responses(400)},
    )
    def post(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        data = validated(EndpointCreateSerializer, request.data)
        api_key = data.pop("api_key", "") or None
        try:
            endpoint = endpoint_create(
                benchmark=access.benchmark, by=request.user, data=data, api_key=api_key
            )
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        return Response(EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class EndpointApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="runner_endpoints_detail",
        responses={200: EndpointSerializer, **error_responses()},
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = _manager(request, slug)
        endpoint = selectors.endpoint_get(benchmark=access.benchmark, pk=pk)
        return Response(EndpointSerializer(endpoint).data)


def _start(request: Request, benchmark, data: dict) -> Run:
    endpoint = selectors.endpoint_get(benchmark=benchmark, pk=data["endpoint"])
    versions = approved_versions(benchmark=benchmark)
    if data["cases"]:
        versions = versions.filter(case__external_id__in=data["cases"])
    if data["campaign"]:
        campaign = Campaign.objects.filter(benchmark=benchmark, name=data["campaign"]).first()
        if campaign is None:
            raise RunRefused(gettext("No campaign “%(name)s”.") % {"name": data["campaign"]})
        versions = versions.filter(campaign_items__campaign=campaign).distinct()
    selection = {key: data[key] for key in ("cases", "campaign", "models") if data[key]}
    if data["kind"] == Run.Kind.COLLECT:
        return collection_start(
            endpoint=endpoint,
            by=request.user,
            case_versions=versions,
            samples=data["samples"],
            selection=selection,
        )
    responses = ModelResponse.objects.filter(case_version__in=versions)
    if data["models"]:
        responses = responses.filter(model__name__in=data["models"])
    return judging_start(
        endpoint=endpoint, by=request.user, responses=responses, selection=selection
    )


class RunsApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="runner_runs_list",
        responses={200: RunSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        runs = selectors.run_list(benchmark=access.benchmark)[:100]
        return Response(RunSerializer(runs, many=True).data)

    @extend_schema(
        tags=[TAG],
        operation_id="runner_runs_start",
        request=RunStartSerializer,
        responses={202: RunStatusSerializer, 409: REFUSED, **error_responses(400)},
    )
    def post(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        data = validated(RunStartSerializer, request.data)
        try:
            run = _start(request, access.benchmark, data)
        except RunRefused as refused:
            return _refused(refused.message)
        execute_run.enqueue(run.pk)
        run = selectors.run_get(benchmark=access.benchmark, pk=run.pk)
        return Response(_status(run), status=status.HTTP_202_ACCEPTED)


class RunApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="runner_runs_status",
        responses={200: RunStatusSerializer, **error_responses()},
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = _manager(request, slug)
        return Response(_status(selectors.run_get(benchmark=access.benchmark, pk=pk)))


class RunResumeApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="runner_runs_resume",
        request=None,
        responses={202: RunStatusSerializer, 409: REFUSED, **error_responses()},
    )
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = _manager(request, slug)
        run = selectors.run_get(benchmark=access.benchmark, pk=pk)
        try:
            run_resume(run=run, by=request.user)
        except RunRefused as refused:
            return _refused(refused.message)
        execute_run.enqueue(run.pk)
        run = selectors.run_get(benchmark=access.benchmark, pk=pk)
        return Response(_status(run), status=status.HTTP_202_ACCEPTED)


def _item_row(run: Run, item) -> dict:
    if run.kind == Run.Kind.COLLECT:
        case, sample, model, criterion = (
            item.case_version.case.external_id,
            item.sample,
            run.model.name,
            None,
        )
    else:
        response = item.response
        case, sample = response.case_version.case.external_id, response.sample
        model, criterion = response.model.name, item.criterion.key
    return {
        "id": item.pk,
        "status": item.status,
        "case": case,
        "sample": sample,
        "model": model,
        "criterion": criterion,
        "met": getattr(item, "met", None),
        "error": item.error,
        "output": item.raw,
        "prompt_tokens": item.prompt_tokens,
        "completion_tokens": item.completion_tokens,
        "cost": item.cost,
    }


class RunItemsApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="runner_runs_items",
        parameters=[
            OpenApiParameter("status", str, enum=ItemStatus.values, required=False),
            OpenApiParameter("offset", int, required=False),
        ],
        responses={200: RunItemSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        """At most 200 items from `offset`, in order; filtered by `status` if given."""
        access = _manager(request, slug)
        run = selectors.run_get(benchmark=access.benchmark, pk=pk)
        wanted = request.query_params.get("status")
        offset = request.query_params.get("offset", "0")
        if (wanted and wanted not in ItemStatus.values) or not offset.isdigit():
            raise serializers.ValidationError({"status": gettext("Unknown status or offset.")})
        items = run_items(run).order_by("pk")
        if run.kind == Run.Kind.COLLECT:
            items = items.select_related("case_version__case")
        if wanted:
            items = items.filter(status=wanted)
        rows = [_item_row(run, item) for item in items[int(offset) : int(offset) + ITEMS_LIMIT]]
        return Response(RunItemSerializer(rows, many=True).data)


urlpatterns = [
    path("endpoints/", EndpointsApi.as_view(), name="api-runner-endpoints"),
    path("endpoints/<int:pk>/", EndpointApi.as_view(), name="api-runner-endpoint"),
    path("", RunsApi.as_view(), name="api-runner-runs"),
    path("<int:pk>/", RunApi.as_view(), name="api-runner-run"),
    path("<int:pk>/resume/", RunResumeApi.as_view(), name="api-runner-run-resume"),
    path("<int:pk>/items/", RunItemsApi.as_view(), name="api-runner-run-items"),
]
