"""QC review API, under /api/v1/benchmarks/<slug>/review/: the queue, a case under review,
starting and deciding a review (reviewers), drawing a spot check (managers).

Thin views over the review services and selectors, the same ones as the pages.
"""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from curation.access import benchmark_access
from curation.api.base import BenchmarkApi, error_responses, validated
from curation.checklist import checklist_items
from curation.models import Case, CaseStatus, Review, ReviewDecision, ReviewRound, Role
from curation.review_forms import AGES, ReviewQueueFilter
from curation.review_selectors import (
    ReviewRefused,
    case_review_history,
    review_queue_cases,
    review_screen,
    reviews_in_progress,
)
from curation.selectors import benchmark_facets
from curation.serializers import (
    ErrorSerializer,
    TermsByFacetField,
    VersionDetailSerializer,
    terms_by_facet,
)
from curation.services import review as services

TAG = "review"


class QueuePagination(LimitOffsetPagination):
    max_limit = 500


# --- what the endpoints return ---


class QueueItemSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    version = serializers.IntegerField(source="current_version.number")
    title = serializers.CharField(source="current_version.title")
    author = serializers.CharField(source="current_version.author.username", allow_null=True)
    queued_at = serializers.DateTimeField(
        allow_null=True, help_text="When the review round opened (the submission, or a spot check)."
    )
    spot_check = serializers.BooleanField()
    criteria = serializers.IntegerField(source="criteria_count")
    terms = serializers.SerializerMethodField()

    @extend_schema_field(TermsByFacetField())
    def get_terms(self, case: Case) -> dict[str, list[str]]:
        return terms_by_facet(case.current_version)


class QueuePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QueueItemSerializer(many=True)


class ReviewCommentSerializer(serializers.Serializer):
    criterion = serializers.CharField(source="criterion_key")
    text = serializers.CharField()


class ReviewSerializer(serializers.Serializer):
    reviewer = serializers.CharField(source="reviewer.username")
    version = serializers.IntegerField(source="round.version.number")
    round = serializers.IntegerField(source="round.number")
    kind = serializers.ChoiceField(source="round.kind", choices=ReviewRound.Kind.choices)
    decision = serializers.ChoiceField(
        choices=ReviewDecision.choices, allow_blank=True, help_text="Empty while undecided."
    )
    checklist = serializers.DictField(child=serializers.BooleanField())
    comment = serializers.CharField()
    comments = ReviewCommentSerializer(many=True, source="comments.all")
    started_at = serializers.DateTimeField(source="created_at")
    decided_at = serializers.DateTimeField(allow_null=True)


class ChecklistItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class RefusalSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=["own_case", "not_current", "not_in_review", "decided", "reviewed_before", "full"]
    )
    message = serializers.CharField()


class RoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ReviewRound.Kind.choices)
    approvals_required = serializers.IntegerField()
    opened_at = serializers.DateTimeField()


class ReviewItemSerializer(serializers.Serializer):
    external_id = serializers.CharField(source="case.external_id")
    status = serializers.ChoiceField(source="case.status", choices=CaseStatus.choices)
    version = VersionDetailSerializer()
    round = RoundSerializer(allow_null=True, help_text="The open round of review, if any.")
    checklist = ChecklistItemSerializer(many=True)
    my_review = ReviewSerializer(source="own", allow_null=True)
    refusal = RefusalSerializer(
        allow_null=True, help_text="Why you cannot start or decide a review now; null if you can."
    )
    reviews = ReviewSerializer(
        many=True,
        help_text="Every decided review of the case you may read, oldest first. Reviews are "
        "blind: those of the open round stay hidden until it closes (except your own).",
    )


class RefusedSerializer(ErrorSerializer):
    code = serializers.CharField(
        required=False, help_text="Why the case refuses it; absent when the role is missing."
    )


def refused(error: ReviewRefused) -> Response:
    code = status.HTTP_403_FORBIDDEN if error.code == "own_case" else status.HTTP_409_CONFLICT
    return Response({"detail": error.message, "errors": [], "code": error.code}, status=code)


def refusal_responses() -> dict[int, OpenApiResponse]:
    return {
        403: OpenApiResponse(
            RefusedSerializer,
            description="Not a reviewer of the benchmark, or (code own_case) the case is yours.",
        ),
        409: OpenApiResponse(
            RefusedSerializer,
            description="The case does not allow it now: code not_current, not_in_review, "
            "decided, reviewed_before or full.",
        ),
    }


# --- endpoints ---


class ReviewQueueApi(BenchmarkApi):
    class QueueQuerySerializer(serializers.Serializer):
        started = serializers.BooleanField(
            default=False, help_text="true: your reviews in progress instead of the queue."
        )

    @extend_schema(
        operation_id="review_queue_list",
        tags=[TAG],
        summary="The cases you may review, the longest waiting first",
        parameters=[
            QueueQuerySerializer,
            OpenApiParameter("q", str, description="Text in the case id, title or prompt."),
            OpenApiParameter("author", int, description="Id of the author of the version."),
            OpenApiParameter(
                "age",
                int,
                enum=[int(days) for days, _label in AGES],
                description="Waiting at least this many days.",
            ),
            OpenApiParameter(
                "facet_<key>",
                int,
                description="Id of a term of facet <key> (e.g. facet_specialty=12); one per facet.",
            ),
            OpenApiParameter("limit", int, description="Page size (at most 500)."),
            OpenApiParameter("offset", int, description="Index of the first case."),
        ],
        responses={200: QueuePageSerializer, **error_responses(400)},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = benchmark_access(request.user, slug, Role.REVIEWER)
        if validated(self.QueueQuerySerializer, request.query_params)["started"]:
            cases = reviews_in_progress(benchmark=access.benchmark, user=request.user)
        else:
            filters = ReviewQueueFilter(
                request.query_params,
                queryset=review_queue_cases(benchmark=access.benchmark, user=request.user),
                benchmark=access.benchmark,
                facets=benchmark_facets(benchmark=access.benchmark),
            )
            if not filters.is_valid():
                raise serializers.ValidationError(filters.errors)
            cases = filters.qs
        paginator = QueuePagination()
        page = paginator.paginate_queryset(cases, request, view=self)
        return paginator.get_paginated_response(QueueItemSerializer(page, many=True).data)


def _item(request: Request, slug: str, external_id: str) -> Response:
    access = benchmark_access(request.user, slug, Role.REVIEWER)
    screen = review_screen(benchmark=access.benchmark, external_id=external_id, user=request.user)
    if screen is None:
        raise Http404(gettext("This benchmark has no case %(id)s.") % {"id": external_id})
    history = case_review_history(case=screen.case, user=request.user)
    item = {
        "case": screen.case,
        "version": screen.version,
        "round": screen.round,
        "checklist": checklist_items(access.benchmark),
        "own": screen.own,
        "refusal": screen.refusal,
        "reviews": [entry.review for entry in history.entries if entry.kind == "review"],
    }
    return Response(ReviewItemSerializer(item).data)


class ReviewItemApi(BenchmarkApi):
    @extend_schema(
        operation_id="review_item_retrieve",
        tags=[TAG],
        summary="A case under review: its current version, the checklist and the reviews",
        responses={200: ReviewItemSerializer, **error_responses()},
    )
    def get(self, request: Request, slug: str, external_id: str) -> Response:
        return _item(request, slug, external_id)


class VersionInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        help_text="The version you reviewed; refused (409 not_current) if it is no longer the "
        "current one.",
    )


def _version(case: Case, number: int):
    version = case.versions.filter(number=number).first()
    if version is None:
        raise serializers.ValidationError(
            {"version": [gettext("This case has no version %(number)d.") % {"number": number}]}
        )
    return version


def _case(access, external_id: str) -> Case:
    case = Case.objects.filter(benchmark=access.benchmark, external_id=external_id).first()
    if case is None:
        raise Http404(gettext("This benchmark has no case %(id)s.") % {"id": external_id})
    return case


class ReviewStartApi(BenchmarkApi):
    @extend_schema(
        operation_id="review_start",
        tags=[TAG],
        summary="Take the case for review (keeps your place among its reviewers)",
        request=VersionInputSerializer,
        responses={
            200: ReviewSerializer,
            **error_responses(400),
            **refusal_responses(),
        },
    )
    def post(self, request: Request, slug: str, external_id: str) -> Response:
        access = benchmark_access(request.user, slug, Role.REVIEWER)
        case = _case(access, external_id)
        data = validated(VersionInputSerializer, request.data)
        try:
            review = services.review_start(
                version=_version(case, data["version"]), reviewer=request.user
            )
        except ReviewRefused as error:
            return refused(error)
        return Response(ReviewSerializer(_review(review)).data)


class ReviewDecisionApi(BenchmarkApi):
    class DecisionInputSerializer(VersionInputSerializer):
        decision = serializers.ChoiceField(choices=ReviewDecision.choices)
        checklist = serializers.DictField(
            child=serializers.BooleanField(),
            default=dict,
            help_text="Checklist key -> confirmed. Approving needs every item true.",
        )
        comment = serializers.CharField(allow_blank=True, default="")
        criterion_comments = serializers.DictField(
            child=serializers.CharField(allow_blank=True),
            default=dict,
            help_text="Criterion key -> comment. Requesting changes needs a comment here or in "
            "`comment`.",
        )

    @extend_schema(
        operation_id="review_decide",
        tags=[TAG],
        summary="Approve the version or request changes (final)",
        request=DecisionInputSerializer,
        responses={
            201: ReviewSerializer,
            **error_responses(400),
            **refusal_responses(),
        },
    )
    def post(self, request: Request, slug: str, external_id: str) -> Response:
        access = benchmark_access(request.user, slug, Role.REVIEWER)
        case = _case(access, external_id)
        data = validated(self.DecisionInputSerializer, request.data)
        try:
            review = services.review_decide(
                version=_version(case, data["version"]),
                reviewer=request.user,
                checklist=data["checklist"],
                decision=data["decision"],
                comment=data["comment"],
                criterion_comments=data["criterion_comments"],
            )
        except ReviewRefused as error:
            return refused(error)
        return Response(ReviewSerializer(_review(review)).data, status=status.HTTP_201_CREATED)


class SpotCheckApi(BenchmarkApi):
    class SpotCheckInputSerializer(serializers.Serializer):
        share = serializers.FloatField(
            min_value=0.0001, max_value=1, help_text="Share of the approved cases, 0..1."
        )
        seed = serializers.IntegerField(
            min_value=0,
            max_value=2**31 - 1,
            required=False,
            allow_null=True,
            help_text="Repeat an earlier draw; a new one when left out.",
        )

    class SpotCheckOutputSerializer(serializers.Serializer):
        seed = serializers.IntegerField()
        eligible = serializers.IntegerField(help_text="Approved cases before the draw.")
        cases = serializers.ListField(
            child=serializers.CharField(), help_text="Ids of the cases sent back to review."
        )

    @extend_schema(
        operation_id="review_spot_check",
        tags=[TAG],
        summary="Send a random share of approved cases back to review (managers)",
        request=SpotCheckInputSerializer,
        responses={201: SpotCheckOutputSerializer, **error_responses(400)},
    )
    def post(self, request: Request, slug: str) -> Response:
        access = benchmark_access(request.user, slug, Role.MANAGER)
        data = validated(self.SpotCheckInputSerializer, request.data)
        check = services.review_spot_check(
            benchmark=access.benchmark, share=data["share"], by=request.user, seed=data.get("seed")
        )
        output = {
            "seed": check.seed,
            "eligible": check.eligible,
            "cases": [case.external_id for case in check.cases],
        }
        return Response(output, status=status.HTTP_201_CREATED)


def _review(review: Review) -> Review:
    """The review with what ReviewSerializer shows, read afresh."""
    return (
        Review.objects.select_related("reviewer", "round__version")
        .prefetch_related("comments")
        .get(pk=review.pk)
    )


# Mounted under /api/v1/benchmarks/<slug>/review/ (consilium/api_urls.py).
urlpatterns = [
    path("queue/", ReviewQueueApi.as_view(), name="api-review-queue"),
    path("cases/<str:external_id>/", ReviewItemApi.as_view(), name="api-review-item"),
    path("cases/<str:external_id>/start/", ReviewStartApi.as_view(), name="api-review-start"),
    path(
        "cases/<str:external_id>/decision/",
        ReviewDecisionApi.as_view(),
        name="api-review-decision",
    ),
    path("spot-checks/", SpotCheckApi.as_view(), name="api-review-spot-checks"),
]
