from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext

from curation.deid import case_version_identifier_hits
from curation.models import (
    Benchmark,
    Case,
    CaseStatus,
    CaseVersion,
    Criterion,
    Facet,
    Membership,
    Role,
    Term,
)
from curation.review_selectors import review_work_of


def ordered_roles(roles: Iterable[str]) -> list[Role]:
    """Roles in their canonical order (author ... manager), with their translated labels."""
    held = set(roles)
    return [role for role in Role if role in held]


def _waiting_for_author(user) -> Q:
    return Q(
        current_version__author=user, status__in=[CaseStatus.DRAFT, CaseStatus.CHANGES_REQUESTED]
    )


def authored_cases(*, benchmark: Benchmark, user) -> QuerySet[Case]:
    """Cases whose current version the user wrote, most recently changed first."""
    return (
        Case.objects.filter(benchmark=benchmark, current_version__author=user)
        .select_related("current_version")
        .order_by("-updated_at", "pk")
    )


def queue_counts_by_benchmark(
    *, user, roles_by_benchmark: dict[int, set[str]]
) -> dict[int, dict[str, int]]:
    """Open authoring and review work per benchmark id, for the areas the roles give, in one query
    (none when no role gives one).

    Authoring: the user's cases waiting for them (draft or changes requested); review: the
    user's review queue and reviews in progress (the rule is in curation.review_selectors).
    """
    wanted = {"authoring": Role.AUTHOR, "review": Role.REVIEWER}
    if not any(role in roles for roles in roles_by_benchmark.values() for role in wanted.values()):
        return {benchmark_id: {} for benchmark_id in roles_by_benchmark}
    rows = (
        # Only these statuses can be open work; the filter lets the (benchmark, status) index skip
        # the approved bulk of a benchmark instead of counting through it on every page.
        Case.objects.filter(
            benchmark_id__in=roles_by_benchmark,
            status__in=[CaseStatus.DRAFT, CaseStatus.CHANGES_REQUESTED, CaseStatus.IN_REVIEW],
        )
        .values("benchmark_id")
        .annotate(
            authoring=Count("pk", filter=_waiting_for_author(user)),
            review=Count("pk", filter=review_work_of(user)),
        )
        .order_by()
    )
    found = {row["benchmark_id"]: row for row in rows}
    return {
        benchmark_id: {
            key: found.get(benchmark_id, {}).get(key, 0)
            for key, role in wanted.items()
            if role in roles
        }
        for benchmark_id, roles in roles_by_benchmark.items()
    }


@dataclass
class StatusCount:
    status: CaseStatus
    count: int


def case_status_counts(*, benchmark: Benchmark) -> list[StatusCount]:
    """How many cases the benchmark has in each status, every status listed, in one query."""
    found = dict(
        Case.objects.filter(benchmark=benchmark)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [StatusCount(status=status, count=found.get(status, 0)) for status in CaseStatus]


@dataclass
class Member:
    user: object
    roles: list[Role]

    @property
    def role_values(self) -> list[str]:
        return [role.value for role in self.roles]


def benchmark_members(*, benchmark: Benchmark, user=None) -> list[Member]:
    """One entry per person of the benchmark (or just `user`) with all their roles, in one query."""
    by_user: dict[int, Member] = {}
    memberships = (
        Membership.objects.filter(benchmark=benchmark)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    )
    if user is not None:
        memberships = memberships.filter(user=user)
    for membership in memberships:
        member = by_user.setdefault(membership.user_id, Member(user=membership.user, roles=[]))
        member.roles.append(Role(membership.role))
    for member in by_user.values():
        member.roles = ordered_roles(member.roles)
    return list(by_user.values())


def taxonomy_facets(*, benchmark: Benchmark) -> list[Facet]:
    """The facets of the benchmark with their terms, each term carrying `versions_using`."""
    terms = Term.objects.annotate(versions_using=Count("case_versions"))
    return list(
        Facet.objects.filter(benchmark=benchmark).prefetch_related(
            Prefetch("terms", queryset=terms)
        )
    )


# --- case list and case page ---


def case_list_rows(*, benchmark: Benchmark) -> QuerySet[Case]:
    """Cases with their current version and author, criteria count and positive points.

    Counts come from correlated subqueries on the current version, so a page costs the same
    whatever the number of cases and criteria.
    """
    criteria = Criterion.objects.filter(version_id=OuterRef("current_version_id")).order_by()
    per_version = criteria.values("version_id")
    return (
        Case.objects.filter(benchmark=benchmark)
        .select_related("current_version__author")
        .defer("current_version__reference_answer", "current_version__source_fields")
        .annotate(
            criteria_count=Coalesce(Subquery(per_version.annotate(n=Count("pk")).values("n")), 0),
            positive_points=Coalesce(
                Subquery(per_version.filter(points__gt=0).annotate(s=Sum("points")).values("s")),
                0,
            ),
        )
    )


@dataclass(frozen=True)
class CaseRow:
    """One row of the case list, with its values ready to show."""

    external_id: str
    url: str
    title: str  # the title, or the first turn cut short when there is none (`untitled`)
    untitled: bool
    version_label: str
    terms: list[str]
    criteria_count: int
    positive_points: int
    status: str
    status_label: str
    author: str
    updated_at: str  # ISO 8601, in the current time zone
    updated_label: str


def case_list_page(
    *, benchmark: Benchmark, ids: list[int], url_of: Callable[[str], str]
) -> list[CaseRow]:
    """The list rows of the cases `ids`, in that order, in two queries; `url_of(external_id)` is
    the link of a row.

    The list filters, sorts and pages on bare case ids first, so the per-row counts of
    case_list_rows are computed for one page only, whatever the sort. Rows are plain values,
    formatted here: model instances for each row's case, version, author, terms and facets, and
    per-row `{% url %}`, translation and date filters took most of the page's time (bench/).
    """
    values = (
        case_list_rows(benchmark=benchmark)
        .filter(pk__in=ids)
        .values(
            "pk",
            "external_id",
            "status",
            "updated_at",
            "criteria_count",
            "positive_points",
            "current_version_id",
            "current_version__number",
            "current_version__title",
            "current_version__author__display_name",
            "current_version__author__username",
            first_turn=KeyTextTransform("content", KeyTransform(0, "current_version__messages")),
        )
    )
    by_pk = {row["pk"]: row for row in values}
    terms = terms_by_version(row["current_version_id"] for row in by_pk.values())
    status_labels = dict(CaseStatus.choices)
    version_label = gettext("v%(number)s")
    rows = []
    for row in (by_pk[pk] for pk in ids if pk in by_pk):
        title = row["current_version__title"]
        updated_at = timezone.localtime(row["updated_at"])
        rows.append(
            CaseRow(
                external_id=row["external_id"],
                url=url_of(row["external_id"]),
                title=title or Truncator(row["first_turn"] or "").chars(60),
                untitled=not title,
                version_label=version_label % {"number": row["current_version__number"]},
                terms=[v for values in terms[row["current_version_id"]].values() for v in values],
                criteria_count=row["criteria_count"],
                positive_points=row["positive_points"],
                status=row["status"],
                status_label=status_labels[row["status"]],
                author=row["current_version__author__display_name"]
                or row["current_version__author__username"]
                or "",
                updated_at=updated_at.isoformat(),
                updated_label=updated_at.strftime("%Y-%m-%d %H:%M"),
            )
        )
    return rows


def terms_by_version(version_ids: Iterable[int]) -> dict[int, dict[str, list[str]]]:
    """{version id: {facet key: [term values]}} in the facets' and terms' order; one query."""
    grouped: dict[int, dict[str, list[str]]] = defaultdict(dict)
    rows = (
        CaseVersion.terms.through.objects.filter(caseversion_id__in=list(version_ids))
        .order_by("term__facet__position", "term__facet__key", "term__position", "term__value")
        .values_list("caseversion_id", "term__facet__key", "term__value")
    )
    for version_id, facet_key, value in rows:
        grouped[version_id].setdefault(facet_key, []).append(value)
    return grouped


def benchmark_facets(*, benchmark: Benchmark) -> list[Facet]:
    """The benchmark's facets with their terms, in two queries."""
    return list(Facet.objects.filter(benchmark=benchmark).prefetch_related("terms"))


def case_get(*, benchmark: Benchmark, external_id: str) -> Case | None:
    return (
        Case.objects.filter(benchmark=benchmark, external_id=external_id)
        .select_related("current_version")
        .first()
    )


def case_version_get(*, case: Case, number: int) -> CaseVersion | None:
    """One version with everything its page shows: author, criteria, terms with facets."""
    version = (
        CaseVersion.objects.filter(case=case, number=number)
        .select_related("author", "parent")
        .prefetch_related("criteria", Prefetch("terms", queryset=_terms_with_facet()))
        .first()
    )
    if version is not None:
        version.case = case
    return version


def case_history(*, case: Case) -> list[CaseVersion]:
    """The versions of a case, newest first, without their (long) content."""
    return list(
        case.versions.select_related("author")
        .defer("messages", "reference_answer", "source_fields")
        .order_by("-number")
    )


def _terms_with_facet() -> QuerySet[Term]:
    return Term.objects.select_related("facet").order_by("facet__position", "position", "value")


@dataclass(frozen=True)
class CriteriaTotals:
    count: int
    positive_points: int
    penalty_points: int


def criteria_totals(criteria: Iterable[Criterion]) -> CriteriaTotals:
    """The figures shown under a rubric: how many criteria, how many points to earn or lose."""
    points = [c.points for c in criteria]
    return CriteriaTotals(
        count=len(points),
        positive_points=sum(p for p in points if p > 0),
        penalty_points=sum(p for p in points if p < 0),
    )


@dataclass(frozen=True)
class IdentifierFinding:
    """One identifier in a version, with where it is and the text around it."""

    kind: str
    label: str
    field: str
    index: int | None
    key: str | None
    value: str
    before: str
    after: str


_SNIPPET = 30


def identifier_findings(version: CaseVersion) -> list[IdentifierFinding]:
    """The version's identifier hits, each with the text around it (no query when the version's
    criteria are prefetched)."""
    criteria = {c.key: c.text for c in version.criteria.all()}
    findings = []
    for located in case_version_identifier_hits(version):
        hit = located.hit
        text = {
            "title": version.title,
            "reference_answer": version.reference_answer,
            "message": version.messages[located.index]["content"]
            if located.index is not None
            else "",
            "criterion": criteria.get(located.key, ""),
        }[located.field]
        start, end = max(0, hit.start - _SNIPPET), hit.end + _SNIPPET
        findings.append(
            IdentifierFinding(
                kind=hit.kind,
                label=hit.label,
                field=located.field,
                index=located.index,
                key=located.key,
                value=hit.value,
                before=("…" if start > 0 else "") + text[start : hit.start],
                after=text[hit.end : end] + ("…" if end < len(text) else ""),
            )
        )
    return findings
