"""The audit trail of a benchmark, for its managers: read only, filtered as on the audit page."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from curation.access import benchmark_access
from curation.api.base import BenchmarkApi, error_responses
from curation.audit import ACTIONS, OBJECT_TYPES
from curation.audit_selectors import audit_filter, audit_rows
from curation.models import Role

TAG = "audit"


class AuditPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 500


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(
        source="actor.username", allow_null=True, help_text="Null for background work."
    )
    actor_name = serializers.SerializerMethodField()
    action = serializers.CharField(help_text="The action's code, e.g. label.set.")
    action_label = serializers.CharField(help_text="The action in words, in your language.")
    object_type = serializers.CharField(help_text="app.model of the object, e.g. curation.case.")
    object_type_label = serializers.CharField()
    object_id = serializers.CharField()
    object_repr = serializers.CharField()
    data = serializers.DictField(help_text="What changed, as recorded.")

    def get_actor_name(self, row) -> str | None:
        return None if row.actor is None else str(row.actor)


class AuditPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AuditEventSerializer(many=True)


class AuditApi(BenchmarkApi):
    @extend_schema(
        operation_id="audit_list",
        tags=[TAG],
        summary="The benchmark's audit trail, newest first (managers)",
        parameters=[
            OpenApiParameter("q", str, description="Text in the object, its id, or the person."),
            OpenApiParameter(
                "actor", str, description="User name of who did it; `none` for background work."
            ),
            OpenApiParameter("action", str, enum=sorted(ACTIONS), description="Action code."),
            OpenApiParameter("object_type", str, enum=OBJECT_TYPES),
            OpenApiParameter("since", OpenApiTypes.DATE, description="From this day."),
            OpenApiParameter("until", OpenApiTypes.DATE, description="Until this day, included."),
            OpenApiParameter("limit", int, description="Page size (at most 500)."),
            OpenApiParameter("offset", int, description="Index of the first event."),
        ],
        responses={200: AuditPageSerializer, **error_responses(400)},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = benchmark_access(request.user, slug, Role.MANAGER)
        filters = audit_filter(benchmark=access.benchmark, data=request.query_params)
        if filters.is_bound and not filters.is_valid():
            raise serializers.ValidationError(filters.errors)
        paginator = AuditPagination()
        page = paginator.paginate_queryset(filters.qs, request, view=self)
        return paginator.get_paginated_response(
            AuditEventSerializer(audit_rows(page), many=True).data
        )
