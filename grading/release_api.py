"""Release API (managers) under /api/v1/benchmarks/<slug>/releases/: list, detail, create (which
starts the build in the background), publish, and sha256-checked downloads. The same services as
the pages; a refusal is a 409 listing every reason and changes nothing."""

from django.http import FileResponse, Http404
from django.urls import path, re_path
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from curation.access import benchmark_access
from curation.api.base import BenchmarkApi, error_responses, validated
from curation.models import Role, Term
from curation.serializers import ErrorSerializer
from grading.models import Campaign
from grading.releases.selectors import release_get, release_list
from grading.releases.services import (
    ReleaseFileCorrupt,
    ReleaseRefused,
    release_create,
    release_file_open,
    release_publish,
)
from grading.selectors import approved_versions
from grading.tasks import build_release

TAG = "releases"
VERSION = r"(?P<version>\d+\.\d+\.\d+)"
REFUSED = OpenApiResponse(ErrorSerializer, description="Refused; every reason in `errors`.")


def _refused(refused: ReleaseRefused) -> Response:
    return Response(
        {
            "detail": gettext("The release was refused; nothing changed."),
            "errors": [{"field": "", "message": problem} for problem in refused.problems],
        },
        status=status.HTTP_409_CONFLICT,
    )


class ReleaseFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class ReleaseSerializer(serializers.Serializer):
    version = serializers.CharField()
    status = serializers.CharField(help_text="draft | building | built | failed | published")
    worker_stopped = serializers.BooleanField(
        help_text="Building, but silent for longer than JOB_HEARTBEAT_LIMIT: the build's worker "
        "stopped; the release counts as failed and may be built again."
    )
    notes = serializers.CharField()
    selection = serializers.JSONField()
    include_responses = serializers.BooleanField()
    include_labels = serializers.BooleanField()
    include_statistics = serializers.BooleanField()
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    message = serializers.CharField()
    error = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)


class ReleaseDetailSerializer(ReleaseSerializer):
    changelog = serializers.JSONField()
    manifest = serializers.JSONField()
    files = ReleaseFileSerializer(many=True, source="files.all")


class ReleaseCreateSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=40, help_text="X.Y.Z")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    terms = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        default=dict,
        help_text="{facet key: [term values]}: cases carrying any of the terms of each facet",
    )
    campaign = serializers.CharField(required=False, allow_blank=True, default="")
    include_responses = serializers.BooleanField(default=True)
    include_labels = serializers.BooleanField(default=True)
    include_statistics = serializers.BooleanField(default=True)


def _manager(request: Request, slug: str):
    return benchmark_access(request.user, slug, Role.MANAGER)


class ReleasesApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="releases_list",
        responses={200: ReleaseSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        return Response(ReleaseSerializer(release_list(benchmark=access.benchmark), many=True).data)

    @extend_schema(
        tags=[TAG],
        operation_id="releases_create",
        request=ReleaseCreateSerializer,
        responses={
            202: ReleaseDetailSerializer,
            409: REFUSED,
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        access = _manager(request, slug)
        benchmark = access.benchmark
        data = validated(ReleaseCreateSerializer, request.data)
        groups, problems = [], []
        for key, values in data["terms"].items():
            terms = list(
                Term.objects.filter(facet__benchmark=benchmark, facet__key=key, value__in=values)
            )
            if len(terms) != len(set(values)):
                problems.append(gettext("Unknown terms of facet “%(key)s”.") % {"key": key})
            groups.append([t.pk for t in terms])
        versions = approved_versions(benchmark=benchmark, term_groups=groups)
        if data["campaign"]:
            campaign = Campaign.objects.filter(benchmark=benchmark, name=data["campaign"]).first()
            if campaign is None:
                problems.append(gettext("No campaign “%(name)s”.") % {"name": data["campaign"]})
            versions = versions.filter(campaign_items__campaign=campaign).distinct()
        try:
            if problems:
                raise ReleaseRefused(problems)
            release = release_create(
                benchmark=benchmark,
                by=request.user,
                version=data["version"],
                notes=data["notes"],
                case_versions=versions,
                selection={"terms": data["terms"], "campaign": data["campaign"] or None},
                include_responses=data["include_responses"],
                include_labels=data["include_labels"],
                include_statistics=data["include_statistics"],
            )
        except ReleaseRefused as refused:
            return _refused(refused)
        build_release.enqueue(release.pk)
        release = release_get(benchmark=benchmark, version=release.version)
        return Response(ReleaseDetailSerializer(release).data, status=status.HTTP_202_ACCEPTED)


class ReleaseApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="releases_detail",
        responses={200: ReleaseDetailSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, slug: str, version: str) -> Response:
        access = _manager(request, slug)
        return Response(
            ReleaseDetailSerializer(release_get(benchmark=access.benchmark, version=version)).data
        )


class ReleasePublishApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="releases_publish",
        request=None,
        responses={200: ReleaseDetailSerializer, 409: REFUSED, **error_responses(401, 403, 404)},
    )
    def post(self, request: Request, slug: str, version: str) -> Response:
        access = _manager(request, slug)
        release = release_get(benchmark=access.benchmark, version=version)
        try:
            release_publish(release=release, by=request.user)
        except ReleaseRefused as refused:
            return _refused(refused)
        return Response(
            ReleaseDetailSerializer(release_get(benchmark=access.benchmark, version=version)).data
        )


class ReleaseFileApi(BenchmarkApi):
    @extend_schema(
        tags=[TAG],
        operation_id="releases_download",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            409: OpenApiResponse(
                ErrorSerializer, description="The stored file does not match its sha256."
            ),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request: Request, slug: str, version: str, name: str):
        access = _manager(request, slug)
        release = release_get(benchmark=access.benchmark, version=version)
        stored = next((f for f in release.files.all() if f.name == name), None)
        if stored is None:
            raise Http404
        try:
            opened = release_file_open(release_file=stored)
        except ReleaseFileCorrupt:
            return Response(
                {
                    "detail": gettext("The stored file does not match its sha256; not served."),
                    "errors": [],
                },
                status=status.HTTP_409_CONFLICT,
            )
        return FileResponse(opened, as_attachment=True, filename=name.replace("/", "_"))


urlpatterns = [
    path("", ReleasesApi.as_view(), name="api-releases"),
    re_path(rf"^{VERSION}/$", ReleaseApi.as_view(), name="api-release"),
    re_path(rf"^{VERSION}/publish/$", ReleasePublishApi.as_view(), name="api-release-publish"),
    re_path(
        rf"^{VERSION}/files/(?P<name>[\w./-]+)$", ReleaseFileApi.as_view(), name="api-release-file"
    ),
]
