"""Reads behind the case API: the shared case selectors (curation.selectors) plus what only the
API needs (filters by value, 404s with a message). Fixed query counts whatever the rows."""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from curation.filters import SORTS, case_search
from curation.models import Benchmark, Case, CaseVersion, Membership, Role
from curation.selectors import case_get, case_list_rows, case_version_get

TermThrough = CaseVersion.terms.through


def user_benchmarks(*, user) -> list[tuple[Benchmark, list[str]]]:
    """The user's benchmarks by name, each with the roles held there, in one query."""
    roles: dict[int, list[str]] = defaultdict(list)
    benchmarks: dict[int, Benchmark] = {}
    for membership in Membership.objects.filter(user=user).select_related("benchmark"):
        benchmarks[membership.benchmark_id] = membership.benchmark
        roles[membership.benchmark_id].append(membership.role)
    return [
        (b, [role for role in Role.values if role in roles[b.pk]])
        for b in sorted(benchmarks.values(), key=lambda b: b.name)
    ]


def case_ids(
    *,
    benchmark: Benchmark,
    statuses: Sequence[str] = (),
    terms: Iterable[tuple[str, str]] = (),
    author: str = "",
    q: str = "",
    sort: str = "id",
) -> QuerySet:
    """The ids of the benchmark's cases, filtered by values and sorted; `case_rows` loads a page.

    As on the case list page, filtering, sorting and paging run on bare ids, so that a page's
    per-row counts are computed for its rows only (PostgreSQL computes them for every row it
    skips with OFFSET). `terms` are (facet key, value) pairs: a case matches one of the values
    given for a facet, and every facet given. `q` searches the case id, the title and the
    conversation, as the page does. `sort` is a key of curation.filters.SORTS.
    """
    cases = Case.objects.filter(benchmark=benchmark, current_version__isnull=False)
    if statuses:
        cases = cases.filter(status__in=statuses)
    values_by_facet: dict[str, list[str]] = defaultdict(list)
    for facet_key, value in terms:
        values_by_facet[facet_key].append(value)
    for facet_key, values in values_by_facet.items():
        tagged = TermThrough.objects.filter(
            caseversion_id=OuterRef("current_version_id"),
            term__facet__benchmark=benchmark,
            term__facet__key=facet_key,
            term__value__in=values,
        )
        cases = cases.filter(Exists(tagged))
    if author:
        cases = cases.filter(current_version__author__username=author)
    if q:
        cases = cases.filter(case_search(q))
    return cases.order_by(*SORTS[sort][1]).values_list("pk", flat=True)


def case_rows(*, benchmark: Benchmark, ids: list[int]) -> list[Case]:
    """The list rows (case_list_rows) of the cases `ids`, in that order.

    Without the conversation, which the API's list does not show; `terms_by_version` reads the
    terms of a page as plain values.
    """
    rows = case_list_rows(benchmark=benchmark).defer("current_version__messages").in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def case_or_404(*, benchmark: Benchmark, external_id: str) -> Case:
    case = case_get(benchmark=benchmark, external_id=external_id)
    if case is None or case.current_version is None:
        raise Http404(gettext("This benchmark has no case %(id)s.") % {"id": external_id})
    return case


def version_or_404(*, case: Case, number: int) -> CaseVersion:
    version = case_version_get(case=case, number=number)
    if version is None:
        raise Http404(
            gettext("Case %(id)s has no version %(number)s.")
            % {"id": case.external_id, "number": number}
        )
    return version


def case_with_content(*, benchmark: Benchmark, external_id: str) -> Case:
    """The case with its current version's criteria and terms loaded; four queries."""
    case = case_or_404(benchmark=benchmark, external_id=external_id)
    case.current_version = version_or_404(case=case, number=case.current_version.number)
    return case
