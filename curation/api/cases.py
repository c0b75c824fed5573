"""Cases of a benchmark: list and read them and their versions; create, revise, submit.

Reading is for authors, reviewers, adjudicators and managers (CASE_READERS); writing is for
authors. Every write goes through the authoring services, the same ones as the browser.
"""

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
from curation.api.base import CASE_READERS, BenchmarkApi, error_responses, validated
from curation.api.selectors import (
    case_ids,
    case_or_404,
    case_rows,
    case_with_content,
    version_or_404,
)
from curation.deid import LocatedHit
from curation.filters import SORTS
from curation.models import Benchmark, Case, CaseStatus, CaseVersion, Role, Term
from curation.selectors import case_history, terms_by_version
from curation.serializers import (
    CaseDetailSerializer,
    ConflictSerializer,
    CriterionInputSerializer,
    MessageSerializer,
    TermsByFacetField,
    VersionDetailSerializer,
    VersionSummarySerializer,
)
from curation.services.authoring import (
    AuthoringError,
    EditConflict,
    SubmissionBlocked,
    case_create,
    case_new_draft,
    case_version_save_draft,
    case_version_submit,
)

TAG = "cases"


class CasePagination(LimitOffsetPagination):
    max_limit = 500


def resolve_terms(benchmark: Benchmark, wanted: dict[str, list[str]]) -> list[Term]:
    """The benchmark's terms named as {facet key: [values]}; unknown ones are a 400."""
    pairs = {(key, value) for key, values in wanted.items() for value in values}
    if not pairs:
        return []
    candidates = Term.objects.filter(
        facet__benchmark=benchmark, facet__key__in=wanted, value__in={v for _, v in pairs}
    ).select_related("facet")
    found = {(t.facet.key, t.value): t for t in candidates if (t.facet.key, t.value) in pairs}
    missing: dict[str, list[str]] = {}
    for key, value in sorted(pairs - found.keys()):
        missing.setdefault(key, []).append(
            gettext("%(value)s is not a term of facet %(facet)s in this benchmark.")
            % {"value": value, "facet": key}
        )
    if missing:
        raise serializers.ValidationError({"terms": missing})
    return list(found.values())


def current_version(benchmark: Benchmark, case: Case) -> CaseVersion:
    """The case's current version read afresh, with everything VersionDetailSerializer shows."""
    return case_with_content(benchmark=benchmark, external_id=case.external_id).current_version


def conflict_response(error: EditConflict, benchmark: Benchmark, case: Case) -> Response:
    stored = VersionDetailSerializer(current_version(benchmark, case)).data
    return Response(
        {"detail": error.message, "errors": [], "stored": stored},
        status=status.HTTP_409_CONFLICT,
    )


def identifier_error(located: LocatedHit) -> dict[str, str]:
    field = {
        "message": f"messages[{located.index}].content",
        "criterion": f"criteria.{located.key}.text",
    }.get(located.field, located.field)
    message = gettext("%(kind)s found: %(value)s") % {
        "kind": located.hit.label,
        "value": located.hit.value,
    }
    return {"field": field, "message": message}


def state_conflict(message: str) -> Response:
    return Response(
        {"detail": message, "errors": [], "stored": None}, status=status.HTTP_409_CONFLICT
    )


class CaseListItemSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField(source="current_version.number")
    title = serializers.CharField(source="current_version.title")
    author = serializers.CharField(source="current_version.author.username", allow_null=True)
    frozen = serializers.BooleanField(source="current_version.is_frozen")
    criteria = serializers.IntegerField(source="criteria_count")
    positive_points = serializers.IntegerField()
    terms = serializers.SerializerMethodField()

    @extend_schema_field(TermsByFacetField())
    def get_terms(self, case: Case) -> dict[str, list[str]]:
        return self.context["terms"].get(case.current_version_id, {})


class CaseListPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseListItemSerializer(many=True)


class CasesApi(BenchmarkApi):
    class CaseFilterSerializer(serializers.Serializer):
        status = serializers.ListField(
            child=serializers.ChoiceField(choices=CaseStatus.choices),
            required=False,
            help_text="Repeat for several statuses (any of them).",
        )
        term = serializers.ListField(
            child=serializers.RegexField(r"^[^:]+:.+$"),
            required=False,
            help_text="facet:value, e.g. specialty:心血管内科. Repeatable: any value of one "
            "facet, every facet given.",
        )
        author = serializers.CharField(required=False, help_text="Username of the author.")
        q = serializers.CharField(
            required=False, max_length=200, help_text="Text in the case id, title or prompt."
        )
        sort = serializers.ChoiceField(
            choices=[(key, label) for key, (label, _fields) in SORTS.items()],
            default="id",
            help_text="As on the case list page.",
        )

    class CaseCreateInputSerializer(serializers.Serializer):
        external_id = serializers.CharField(max_length=100)
        title = serializers.CharField(max_length=300, allow_blank=True, default="")
        messages = MessageSerializer(many=True, allow_empty=False)
        reference_answer = serializers.CharField(
            allow_blank=True, trim_whitespace=False, default=""
        )
        terms = TermsByFacetField(default=dict)
        criteria = CriterionInputSerializer(many=True, default=list)

    @extend_schema(
        operation_id="cases_list",
        tags=[TAG],
        summary="List the benchmark's cases",
        parameters=[
            CaseFilterSerializer,
            OpenApiParameter("limit", int, description="Page size (at most 500)."),
            OpenApiParameter("offset", int, description="Index of the first case."),
        ],
        responses={200: CaseListPageSerializer, **error_responses(400)},
    )
    def get(self, request: Request, slug: str) -> Response:
        access = benchmark_access(request.user, slug, *CASE_READERS)
        filters = validated(self.CaseFilterSerializer, request.query_params)
        ids = case_ids(
            benchmark=access.benchmark,
            statuses=filters.get("status", []),
            terms=[tuple(t.split(":", 1)) for t in filters.get("term", [])],
            author=filters.get("author", ""),
            q=filters.get("q", ""),
            sort=filters["sort"],
        )
        paginator = CasePagination()
        page_ids = paginator.paginate_queryset(ids, request, view=self)
        page = case_rows(benchmark=access.benchmark, ids=page_ids)
        terms = terms_by_version(case.current_version_id for case in page)
        rows = CaseListItemSerializer(page, many=True, context={"terms": terms})
        return paginator.get_paginated_response(rows.data)

    @extend_schema(
        operation_id="cases_create",
        tags=[TAG],
        summary="Create a case (version 1, a draft)",
        request=CaseCreateInputSerializer,
        responses={201: CaseDetailSerializer, **error_responses(400)},
    )
    def post(self, request: Request, slug: str) -> Response:
        access = benchmark_access(request.user, slug, Role.AUTHOR)
        data = validated(self.CaseCreateInputSerializer, request.data)
        case = case_create(
            benchmark=access.benchmark,
            external_id=data["external_id"],
            by=request.user,
            title=data["title"],
            messages=[dict(m) for m in data["messages"]],
            reference_answer=data["reference_answer"],
            terms=resolve_terms(access.benchmark, data["terms"]),
            criteria=[dict(c) for c in data["criteria"]],
        )
        case = case_with_content(benchmark=access.benchmark, external_id=case.external_id)
        return Response(CaseDetailSerializer(case).data, status=status.HTTP_201_CREATED)


class CaseDetailApi(BenchmarkApi):
    @extend_schema(
        operation_id="cases_retrieve",
        tags=[TAG],
        summary="A case with its current version and criteria",
        responses={200: CaseDetailSerializer, **error_responses()},
    )
    def get(self, request: Request, slug: str, external_id: str) -> Response:
        access = benchmark_access(request.user, slug, *CASE_READERS)
        case = case_with_content(benchmark=access.benchmark, external_id=external_id)
        return Response(CaseDetailSerializer(case).data)


class CaseVersionListApi(BenchmarkApi):
    @extend_schema(
        operation_id="case_versions_list",
        tags=[TAG],
        summary="The versions of a case, newest first",
        responses={200: VersionSummarySerializer(many=True), **error_responses()},
    )
    def get(self, request: Request, slug: str, external_id: str) -> Response:
        access = benchmark_access(request.user, slug, *CASE_READERS)
        case = case_or_404(benchmark=access.benchmark, external_id=external_id)
        versions = case_history(case=case)
        numbers = {version.pk: version.number for version in versions}
        serializer = VersionSummarySerializer(
            versions, many=True, context={"version_numbers": numbers}
        )
        return Response(serializer.data)


class CaseVersionDetailApi(BenchmarkApi):
    @extend_schema(
        operation_id="case_versions_retrieve",
        tags=[TAG],
        summary="One version: messages, reference answer, terms, criteria, source fields",
        responses={200: VersionDetailSerializer, **error_responses()},
    )
    def get(self, request: Request, slug: str, external_id: str, number: int) -> Response:
        access = benchmark_access(request.user, slug, *CASE_READERS)
        case = case_or_404(benchmark=access.benchmark, external_id=external_id)
        return Response(VersionDetailSerializer(version_or_404(case=case, number=number)).data)


class CaseDraftApi(BenchmarkApi):
    # The current draft of a case, revised with optimistic locking on `revision`.

    class DraftInputSerializer(serializers.Serializer):
        revision = serializers.IntegerField(
            min_value=1, help_text="The revision of the draft the edit starts from."
        )
        title = serializers.CharField(max_length=300, allow_blank=True, default="")
        messages = MessageSerializer(many=True, allow_empty=False)
        reference_answer = serializers.CharField(
            allow_blank=True, trim_whitespace=False, default=""
        )
        terms = TermsByFacetField(default=dict)
        change_note = serializers.CharField(allow_blank=True, default="")
        criteria = CriterionInputSerializer(
            many=True, help_text="The whole rubric, in order; keys keep criteria across edits."
        )

    @extend_schema(
        operation_id="case_draft_update",
        tags=[TAG],
        summary="Replace the content of the current draft",
        request=DraftInputSerializer,
        responses={
            200: VersionDetailSerializer,
            409: OpenApiResponse(
                ConflictSerializer,
                description="The draft was saved by someone else since `revision`, or is no "
                "longer a draft; `stored` holds what is stored now.",
            ),
            **error_responses(400),
        },
    )
    def put(self, request: Request, slug: str, external_id: str) -> Response:
        return self._save(request, slug, external_id, partial=False)

    @extend_schema(
        operation_id="case_draft_partial_update",
        tags=[TAG],
        summary="Change some fields of the current draft (`revision` is still required)",
        request=DraftInputSerializer,
        responses={
            200: VersionDetailSerializer,
            409: OpenApiResponse(ConflictSerializer, description="As for PUT."),
            **error_responses(400),
        },
    )
    def patch(self, request: Request, slug: str, external_id: str) -> Response:
        return self._save(request, slug, external_id, partial=True)

    def _save(self, request: Request, slug: str, external_id: str, *, partial: bool) -> Response:
        access = benchmark_access(request.user, slug, Role.AUTHOR)
        case = case_or_404(benchmark=access.benchmark, external_id=external_id)
        draft = case.current_version
        data = validated(self.DraftInputSerializer, request.data, partial=partial)
        if "revision" not in data:
            raise serializers.ValidationError({"revision": [gettext("This field is required.")]})
        if draft.is_frozen:
            return state_conflict(
                gettext(
                    "Version %(number)s of this case is submitted and can no longer change; "
                    "start a new draft first."
                )
                % {"number": draft.number}
            )
        terms = (
            resolve_terms(access.benchmark, data["terms"])
            if "terms" in data
            else list(draft.terms.all())
        )
        try:
            case_version_save_draft(
                version=draft,
                by=request.user,
                expected_revision=data["revision"],
                title=data.get("title", draft.title),
                messages=[dict(m) for m in data.get("messages", draft.messages)],
                reference_answer=data.get("reference_answer", draft.reference_answer),
                terms=terms,
                change_note=data.get("change_note", draft.change_note),
                criteria=[dict(c) for c in data["criteria"]] if "criteria" in data else None,
            )
        except EditConflict as error:
            return conflict_response(error, access.benchmark, case)
        return Response(VersionDetailSerializer(current_version(access.benchmark, case)).data)


class CaseSubmitApi(BenchmarkApi):
    class SubmitInputSerializer(serializers.Serializer):
        revision = serializers.IntegerField(
            min_value=1,
            required=False,
            help_text="If given, the submission is refused (409) when the draft has changed.",
        )

    @extend_schema(
        operation_id="case_submit",
        tags=[TAG],
        summary="Submit the current draft for QC review (freezes it)",
        request=SubmitInputSerializer,
        responses={
            200: CaseDetailSerializer,
            409: OpenApiResponse(ConflictSerializer, description="Not a draft, or changed."),
            **error_responses(400),
        },
    )
    def post(self, request: Request, slug: str, external_id: str) -> Response:
        access = benchmark_access(request.user, slug, Role.AUTHOR)
        case = case_or_404(benchmark=access.benchmark, external_id=external_id)
        data = validated(self.SubmitInputSerializer, request.data)
        try:
            case_version_submit(
                version=case.current_version,
                by=request.user,
                expected_revision=data.get("revision"),
            )
        except EditConflict as error:
            return conflict_response(error, access.benchmark, case)
        except SubmissionBlocked as blocked:
            return Response(
                {
                    "detail": gettext("This version cannot be submitted yet."),
                    "errors": [{"field": "", "message": p} for p in blocked.problems]
                    + [identifier_error(hit) for hit in blocked.hits],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except AuthoringError as error:
            return state_conflict(error.message)
        case = case_with_content(benchmark=access.benchmark, external_id=external_id)
        return Response(CaseDetailSerializer(case).data)


class CaseNewDraftApi(BenchmarkApi):
    @extend_schema(
        operation_id="case_new_draft",
        tags=[TAG],
        summary="Start a new draft version from the current (approved or sent back) one",
        request=None,
        responses={
            201: CaseDetailSerializer,
            409: OpenApiResponse(ConflictSerializer, description="The case cannot be revised now."),
            **error_responses(),
        },
    )
    def post(self, request: Request, slug: str, external_id: str) -> Response:
        access = benchmark_access(request.user, slug, Role.AUTHOR)
        case = case_or_404(benchmark=access.benchmark, external_id=external_id)
        try:
            case_new_draft(case=case, by=request.user)
        except AuthoringError as error:
            return state_conflict(error.message)
        case = case_with_content(benchmark=access.benchmark, external_id=external_id)
        return Response(CaseDetailSerializer(case).data, status=status.HTTP_201_CREATED)
