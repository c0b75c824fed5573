"""Grade QC API under /api/v1/benchmarks/<slug>/grading/qc/: the queue, one sampled grade
(blind to the model and the grader, as on the screen) and the verdict. The same selectors and
services as the pages; a refusal of the rules is a 409 with its reason and changes nothing."""

from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from curation.access import benchmark_access
from curation.api.base import BenchmarkApi, error_responses, validated
from curation.models import Role
from curation.serializers import ErrorSerializer, MessageSerializer
from grading.grade_qc.selectors import grade_check_get, grade_qc_queue
from grading.grade_qc.services import (
    MAX_REASON,
    grade_check_refusal,
    grade_check_verdict,
    label_state,
)
from grading.models import GradeCheck
from grading.services import GradingError

TAG = "grade QC"
REFUSED = OpenApiResponse(ErrorSerializer, description="The rules refuse it; nothing changed.")


class GradeCheckRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case = serializers.CharField(source="label.response.case_version.case.external_id")
    version = serializers.IntegerField(source="label.response.case_version.number")
    criterion = serializers.CharField(source="label.criterion.key")
    criterion_text = serializers.CharField(source="label.criterion.text")
    grader_met = serializers.BooleanField(source="label.met", help_text="The grader's mark.")
    sampled_at = serializers.DateTimeField()


class GradeCheckSerializer(GradeCheckRowSerializer):
    points = serializers.IntegerField(source="label.criterion.points")
    tags = serializers.ListField(child=serializers.CharField(), source="label.criterion.tags")
    messages = MessageSerializer(many=True, source="label.response.case_version.messages")
    response = serializers.CharField(source="label.response.text")
    grader_note = serializers.CharField(source="label.note")
    state = serializers.CharField(help_text="Send it back with the verdict (stale check).")
    verdict = serializers.ChoiceField(
        choices=GradeCheck.Verdict.choices, allow_blank=True, help_text="Empty while open."
    )
    corrected_met = serializers.BooleanField(allow_null=True)
    reason = serializers.CharField()
    checked_at = serializers.DateTimeField(allow_null=True)
    refusal = serializers.CharField(help_text="Why you cannot check it now; empty if you can.")


class VerdictInputSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=GradeCheck.Verdict.choices,
        help_text="confirmed, or corrected (to the other mark; needs a reason)",
    )
    reason = serializers.CharField(max_length=MAX_REASON, required=False, allow_blank=True)
    state = serializers.CharField(help_text="The `state` of the grade you were shown.")

    def validate(self, data: dict) -> dict:
        if data["verdict"] == GradeCheck.Verdict.CORRECTED and not data.get("reason", "").strip():
            raise serializers.ValidationError({"reason": gettext("Say why you correct the grade.")})
        return data


def _check(access, pk: int) -> GradeCheck:
    check = grade_check_get(benchmark=access.benchmark, pk=pk)
    if check is None:
        raise Http404
    return check


def check_data(request, check: GradeCheck) -> dict:
    check.state = label_state(check.label)
    check.refusal = grade_check_refusal(check=check, by=request.user)
    return GradeCheckSerializer(check).data


class QcQueueApi(BenchmarkApi):
    @extend_schema(
        operation_id="grade_qc_queue",
        tags=[TAG],
        summary="Sampled grades waiting for your check, the oldest first (never your own)",
        responses={200: GradeCheckRowSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = benchmark_access(request.user, slug, Role.ADJUDICATOR)
        checks = grade_qc_queue(benchmark=access.benchmark, user=request.user)
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(checks, request, view=self)
        return paginator.get_paginated_response(GradeCheckRowSerializer(page, many=True).data)


class QcCheckApi(BenchmarkApi):
    @extend_schema(
        operation_id="grade_qc_check",
        tags=[TAG],
        summary="One sampled grade: criterion, conversation, response and the grader's mark",
        responses={200: GradeCheckSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, slug: str, pk: int) -> Response:
        access = benchmark_access(request.user, slug, Role.ADJUDICATOR)
        return Response(check_data(request, _check(access, pk)))


class QcVerdictApi(BenchmarkApi):
    @extend_schema(
        operation_id="grade_qc_verdict",
        tags=[TAG],
        summary="Confirm the grade, or correct it with a reason (the grader's label is kept)",
        request=VerdictInputSerializer,
        responses={
            200: GradeCheckSerializer,
            409: REFUSED,
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request: Request, slug: str, pk: int) -> Response:
        access = benchmark_access(request.user, slug, Role.ADJUDICATOR)
        check = _check(access, pk)
        data = validated(VerdictInputSerializer, request.data)
        try:
            grade_check_verdict(check=check, by=request.user, **data)
        except GradingError as error:
            return Response(
                {"detail": error.message, "errors": []}, status=status.HTTP_409_CONFLICT
            )
        return Response(check_data(request, _check(access, pk)))
