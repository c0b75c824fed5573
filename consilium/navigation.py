"""Where a user can go: the header of every page and the cards of the dashboard.

The header shows the user's benchmarks and, for the current one, an entry per role held there
with its count of open work. The dashboard shows the same entries for every benchmark.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from curation.access import roles_by_benchmark
from curation.models import Benchmark, Role
from curation.selectors import ordered_roles, queue_counts_by_benchmark
from grading.selectors import QueueRow
from grading.selectors import queue_counts_by_benchmark as grading_queue_counts


@dataclass
class NavEntry:
    label: str
    url: str
    count: int | None = None
    key: str = ""
    current: bool = False


@dataclass
class Navigation:
    benchmarks: list[Benchmark] = field(default_factory=list)
    current: Benchmark | None = None
    entries: list[NavEntry] = field(default_factory=list)


@dataclass
class BenchmarkCard:
    benchmark: Benchmark
    roles: list[Role]
    entries: list[NavEntry]


# (roles that see the entry, key, label, url name), in header order.
_AREAS = [
    ({Role.AUTHOR, Role.REVIEWER, Role.MANAGER}, "cases", _("Cases"), "curation:case_list"),
    ({Role.AUTHOR}, "authoring", _("My authoring"), "curation:my_cases"),
    ({Role.REVIEWER}, "review", _("Review"), "curation:review_queue"),
    ({Role.GRADER}, "grading", _("Grading"), "grading:queue"),
    ({Role.ADJUDICATOR}, "adjudication", _("Adjudication"), "grading:adjudication_queue"),
    ({Role.ADJUDICATOR}, "grade_qc", _("Grade QC"), "grading:grade_qc_queue"),
    ({Role.MANAGER}, "statistics", _("Statistics"), "grading:stats"),
    ({Role.MANAGER}, "releases", _("Releases"), "grading:releases"),
    ({Role.MANAGER}, "runs", _("Model runs"), "runner:runs"),
    ({Role.MANAGER}, "manage", _("Manage"), "curation:manage"),
]


def _open_counts(
    *,
    benchmarks: dict[Benchmark, frozenset[str]],
    user,
    grader_rows: dict[int, list[QueueRow]] | None = None,
) -> dict[int, dict[str, int]]:
    """Open work per benchmark id and area, in a fixed number of queries whatever the number of
    benchmarks: one for curation, at most three for grading."""
    roles = {benchmark.pk: held for benchmark, held in benchmarks.items()}
    counts = queue_counts_by_benchmark(user=user, roles_by_benchmark=roles)
    grading = grading_queue_counts(user=user, roles_by_benchmark=roles, grader_rows=grader_rows)
    for benchmark_id, found in grading.items():
        counts.setdefault(benchmark_id, {}).update(found)
    return counts


def _entries(
    *, benchmark: Benchmark, roles: frozenset[str], counts: dict[str, int], path: str = ""
) -> list[NavEntry]:
    entries = [
        NavEntry(
            label=label,
            url=reverse(url_name, args=[benchmark.slug]),
            count=counts.get(key),
            key=key,
        )
        for area_roles, key, label, url_name in _AREAS
        if area_roles & roles
    ]
    # The deepest entry containing the path is the current one ("My authoring" within "Cases").
    matching = [entry for entry in entries if path.startswith(entry.url)]
    if matching:
        max(matching, key=lambda entry: len(entry.url)).current = True
    return entries


def navigation_for(request, *, grader_rows: list[QueueRow] | None = None) -> Navigation:
    """The header of the request's page; `grader_rows`, the user's grading queue in the current
    benchmark, spares counting it again on the page that shows it."""
    # Absent when a request fails before the authentication middleware (e.g. a disallowed host).
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Navigation()
    held = roles_by_benchmark(user)
    benchmarks = sorted(held, key=lambda b: b.name)
    match = request.resolver_match
    slug = match.kwargs.get("slug") if match else None
    current = next((b for b in benchmarks if b.slug == slug), None)
    if current is None:
        return Navigation(benchmarks=benchmarks)
    roles = held[current]
    counts = _open_counts(
        benchmarks={current: roles},
        user=user,
        grader_rows=None if grader_rows is None else {current.pk: grader_rows},
    )
    counts = counts.get(current.pk, {})
    entries = _entries(benchmark=current, roles=roles, counts=counts, path=request.path)
    return Navigation(benchmarks=benchmarks, current=current, entries=entries)


def benchmark_cards(*, user) -> list[BenchmarkCard]:
    """For the dashboard: every benchmark of the user with their roles and areas."""
    held = roles_by_benchmark(user)
    counts = _open_counts(benchmarks=held, user=user)
    return [
        BenchmarkCard(
            benchmark=benchmark,
            roles=ordered_roles(roles),
            entries=_entries(benchmark=benchmark, roles=roles, counts=counts.get(benchmark.pk, {})),
        )
        for benchmark, roles in sorted(held.items(), key=lambda item: item[0].name)
    ]
